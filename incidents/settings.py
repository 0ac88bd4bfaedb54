"""Settings read from the environment, declared once with why each exists.

New environment variables and shared defaults belong here, each with one line saying
why, so the README, the pages' help and the code read the same values. Functions (not
module constants) read the environment at call time, so tests and long-running servers
see a changed value without a re-import. Older readers (``SAHEL_DB_URL`` in
``incidents.store.location``, ``SAHEL_AUTH`` in ``incidents.auth.mode``,
``SAHEL_CACHE_DIR`` in ``geodata.assign_cache``) move here when the code is restructured.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

from incidents.errors import IncidentsError


class SettingError(IncidentsError):
    """An environment variable holds a value the product cannot use."""


#: ``off`` keeps the synthetic demo out of the embedded store (a laptop that only holds real data).
DEMO_ENV: Final = "SAHEL_DEMO"
DEMO_VALUES: Final = ("on", "off")

#: Data whose newest incident is older than this many days is flagged as stale on every page.
STALE_AFTER_DAYS_ENV: Final = "SAHEL_STALE_AFTER_DAYS"
DEFAULT_STALE_AFTER_DAYS: Final = 30


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def demo_enabled(env: Mapping[str, str] | None = None) -> bool:
    """Whether the demo may load into the embedded store (``SAHEL_DEMO``, default ``on``)."""
    raw = _env(env).get(DEMO_ENV, "").strip().lower() or "on"
    if raw in ("off", "0", "false", "no"):
        return False
    if raw in ("on", "1", "true", "yes"):
        return True
    raise SettingError(f"{DEMO_ENV}={raw!r} is not understood; use one of {list(DEMO_VALUES)}")


def stale_after_days(env: Mapping[str, str] | None = None) -> int:
    """Days after which the newest incident counts as stale (``SAHEL_STALE_AFTER_DAYS``, default 30)."""
    raw = _env(env).get(STALE_AFTER_DAYS_ENV, "").strip()
    if not raw:
        return DEFAULT_STALE_AFTER_DAYS
    try:
        days = int(raw)
    except ValueError:
        days = -1
    if days < 1 or days > 3650:
        raise SettingError(f"{STALE_AFTER_DAYS_ENV}={raw!r} must be a whole number of days from 1 to 3650")
    return days


#: How long a dashboard sign-in lasts across reloads and new tabs (the session cookie's lifetime).
SESSION_HOURS_ENV: Final = "SAHEL_SESSION_HOURS"
DEFAULT_SESSION_HOURS: Final = 12
#: Key that signs session cookies; unset, one is generated once and kept in the store (shared by replicas).
SESSION_SECRET_ENV: Final = "SAHEL_SESSION_SECRET"
MIN_SESSION_SECRET_LENGTH: Final = 32


def session_hours(env: Mapping[str, str] | None = None) -> int:
    """Hours a sign-in lasts (``SAHEL_SESSION_HOURS``, default 12, at most 30 days)."""
    raw = _env(env).get(SESSION_HOURS_ENV, "").strip()
    if not raw:
        return DEFAULT_SESSION_HOURS
    try:
        hours = int(raw)
    except ValueError:
        hours = -1
    if hours < 1 or hours > 720:
        raise SettingError(f"{SESSION_HOURS_ENV}={raw!r} must be a whole number of hours from 1 to 720")
    return hours


def session_secret(env: Mapping[str, str] | None = None) -> str | None:
    """The configured cookie-signing key (``SAHEL_SESSION_SECRET``), or ``None`` to use the store's own."""
    raw = _env(env).get(SESSION_SECRET_ENV, "").strip()
    if not raw:
        return None
    if len(raw) < MIN_SESSION_SECRET_LENGTH:
        raise SettingError(
            f"{SESSION_SECRET_ENV} must be at least {MIN_SESSION_SECRET_LENGTH} characters "
            '(e.g. the output of `python -c "import secrets; print(secrets.token_hex(32))"`)'
        )
    return raw
