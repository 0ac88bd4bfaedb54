"""Settings read from the environment, and shared defaults, declared once with why each exists.

Every environment variable the product reads (``SAHEL_*``, and the XDG/HOME fallbacks of the
cache directory) is read here and nowhere else (tests/unit/test_settings.py checks the source),
and every default more than one module or document relies on is a constant here, each with one
line saying why, so the README, the pages' help and the code read the same values. Functions
(not module constants) read the environment at call time, so tests and long-running servers
see a changed value without a re-import.

``geodata`` must not import ``incidents``, so it reads no setting itself: the one geodata
setting (the lookup cache directory, ``SAHEL_CACHE_DIR``) reaches it through a hook,
:data:`geodata.assign_cache.cache_dir_setting`, which ``incidents/__init__.py`` points at
:func:`cache_dir` (geodata used without ``incidents`` keeps no disk cache).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import parse_qs, unquote, urlsplit

from incidents.errors import SettingError
from incidents.i18n import _

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
    raise SettingError(
        _("{variable}={value} is not understood; use one of {allowed}").format(
            variable=DEMO_ENV, value=repr(raw), allowed=list(DEMO_VALUES)
        )
    )


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
        raise SettingError(
            _("{variable}={value} must be a whole number of days from 1 to 3650").format(
                variable=STALE_AFTER_DAYS_ENV, value=repr(raw)
            )
        )
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
        raise SettingError(
            _("{variable}={value} must be a whole number of hours from 1 to 720").format(
                variable=SESSION_HOURS_ENV, value=repr(raw)
            )
        )
    return hours


def session_secret(env: Mapping[str, str] | None = None) -> str | None:
    """The configured cookie-signing key (``SAHEL_SESSION_SECRET``), or ``None`` to use the store's own."""
    raw = _env(env).get(SESSION_SECRET_ENV, "").strip()
    if not raw:
        return None
    if len(raw) < MIN_SESSION_SECRET_LENGTH:
        raise SettingError(
            _(
                "{variable} must be at least {length} characters "
                '(e.g. the output of `python -c "import secrets; print(secrets.token_hex(32))"`)'
            ).format(variable=SESSION_SECRET_ENV, length=MIN_SESSION_SECRET_LENGTH)
        )
    return raw


# ---- environment variables moved here from the modules that used to read them -------------

#: Names the store (SQLite file or PostgreSQL server); unset, the embedded SQLite under var/.
DB_URL_ENV: Final = "SAHEL_DB_URL"


def db_url(env: Mapping[str, str] | None = None) -> str:
    """The configured store URL (``SAHEL_DB_URL``), or ``""`` for the embedded default."""
    return _env(env).get(DB_URL_ENV, "").strip()


#: Where the figures of the filtered pages are computed: ``memory`` (every server holds the store's
#: analysis columns and filters them), ``database`` (SQL; the server holds only what pages draw),
#: ``auto`` (the database on PostgreSQL, memory on SQLite). docs/deploy.md, 'Sizing', says when.
QUERIES_ENV: Final = "SAHEL_QUERIES"
QUERIES_VALUES: Final = ("auto", "memory", "database")


def query_answers(backend: str, env: Mapping[str, str] | None = None) -> str:
    """``"memory"`` or ``"database"`` for a store of ``backend`` (``SAHEL_QUERIES``, default ``auto``)."""
    raw = _env(env).get(QUERIES_ENV, "").strip().lower() or "auto"
    if raw not in QUERIES_VALUES:
        raise SettingError(
            _("{variable}={value} is not understood; use one of {allowed}").format(
                variable=QUERIES_ENV, value=repr(raw), allowed=list(QUERIES_VALUES)
            )
        )
    if raw == "auto":
        return "database" if backend == "postgresql" else "memory"
    return raw


#: Forces sign-in even on a loopback address (``required``); ``auto`` decides from address and accounts.
AUTH_ENV: Final = "SAHEL_AUTH"
AUTH_VALUES: Final = ("auto", "required")


def auth_setting(env: Mapping[str, str] | None = None) -> str:
    """``SAHEL_AUTH`` lower-cased, ``"auto"`` when unset; unchecked (the caller names the error)."""
    return _env(env).get(AUTH_ENV, "").strip().lower() or "auto"


#: Behind a reverse proxy every client has the proxy's address; names the header holding the real one.
CLIENT_IP_HEADER_ENV: Final = "SAHEL_CLIENT_IP_HEADER"


def client_ip_header(env: Mapping[str, str] | None = None) -> str:
    """The header naming the client's address (``SAHEL_CLIENT_IP_HEADER``), ``""`` for the socket's."""
    return _env(env).get(CLIENT_IP_HEADER_ENV, "").strip()


#: Where the boundary-lookup cache lives when the default (under the user's cache folder) will not do.
CACHE_DIR_ENV: Final = "SAHEL_CACHE_DIR"
#: Folder name under ``$XDG_CACHE_HOME`` (or ``~/.cache``), shared with other installs of the product.
CACHE_APP_NAME: Final = "sahel-dashboard"


def cache_dir(env: Mapping[str, str] | None = None) -> Path | None:
    """Where cache files live: ``$SAHEL_CACHE_DIR``, else ``$XDG_CACHE_HOME/sahel-dashboard``,
    else ``~/.cache/sahel-dashboard``; ``None`` when there is no home directory to use.

    The directory need not exist (it is created on first write) and is safe to delete.
    """
    values = _env(env)
    explicit = values.get(CACHE_DIR_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = values.get("XDG_CACHE_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():  # the XDG spec says to ignore a relative value
        return Path(xdg) / CACHE_APP_NAME
    try:
        return Path.home() / ".cache" / CACHE_APP_NAME
    except RuntimeError:  # no HOME and no passwd entry
        return None


#: The mail server alerts are sent through: ``smtp://user:password@host:port`` (STARTTLS, always)
#: or ``smtps://...`` (TLS from the first byte); ``?from=alerts@example.org`` sets the sender.
SMTP_URL_ENV: Final = "SAHEL_SMTP_URL"
SMTP_SCHEMES: Final = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpSettings:
    """The parsed ``SAHEL_SMTP_URL``; its ``repr`` never shows the password."""

    host: str
    port: int
    implicit_tls: bool
    user: str
    password: str = field(repr=False)
    sender: str

    def describe(self) -> str:
        """``smtps://host:465`` (no user, no password): for messages and logs."""
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{self.host}:{self.port}"


def smtp_settings(env: Mapping[str, str] | None = None) -> SmtpSettings | None:
    """The mail server of ``SAHEL_SMTP_URL``, or ``None`` when unset (e-mails then wait in the outbox)."""
    raw = _env(env).get(SMTP_URL_ENV, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    if scheme not in SMTP_SCHEMES or not parts.hostname or port == -1:
        # The value may hold a password: the message names the variable and the form, never the value.
        raise SettingError(
            _(
                "{variable} is not understood; use smtp://user:password@host:port (STARTTLS) "
                "or smtps://user:password@host:port"
            ).format(variable=SMTP_URL_ENV)
        )
    sender = parse_qs(parts.query).get("from", [""])[0].strip() or f"sahel-alerts@{parts.hostname}"
    return SmtpSettings(
        host=parts.hostname,
        port=port or SMTP_SCHEMES[scheme],
        implicit_tls=scheme == "smtps",
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        sender=sender,
    )


# ---- shared defaults (read by the code, the pages' help and the README) --------------------

#: A corridor's buffer, km each side of its line: where an incident counts as "on" the route.
CORRIDOR_KM: Final = 25.0
#: Most incidents a map draws as (clustered) points, hexagons above: with heat and choropleth,
#: 10,000 markers are ~1.9 MB of page, 20,000 ~2.7 MB (docs/performance.md).
MAP_MAX_POINTS: Final = 10_000
#: Boundaries are simplified to this many degrees (~1 km) for drawing only; joins use full shapes.
DISPLAY_SIMPLIFY_DEG: Final = 0.01

# ---- alerts: delivery of the outbox (incidents/alerts/outbox.py) ------------------------------

#: A webhook receiver or mail server that has not answered in this many seconds has failed this attempt.
DELIVERY_TIMEOUT_S: Final = 10.0
#: First retry after a failed delivery; each further retry waits twice as long, up to the maximum.
RETRY_FIRST_S: Final = 30.0
RETRY_MAX_S: Final = 3600.0
#: A message still undelivered this long after it was queued is given up ("failed", shown to admins).
GIVE_UP_HOURS: Final = 24.0
#: A message claimed by a runner that died mid-send is tried again after this many seconds.
CLAIM_LEASE_S: Final = 300.0


#: Where people open the dashboard (scheme, host, port, path prefix): alerts link back to it, and a
#: runner (cron, a timer) cannot know the address users reach the app at.
PUBLIC_URL_ENV: Final = "SAHEL_PUBLIC_URL"
DEFAULT_PUBLIC_URL: Final = "http://localhost:8501"


def public_url(env: Mapping[str, str] | None = None) -> str:
    """The dashboard's address for links in alerts (``SAHEL_PUBLIC_URL``), without a trailing ``/``."""
    raw = _env(env).get(PUBLIC_URL_ENV, "").strip() or DEFAULT_PUBLIC_URL
    parts = urlsplit(raw)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingError(
            _(
                "{variable}={value} is not understood; use the address people open the dashboard at, "
                "e.g. https://sahel.example.org or https://example.org/sahel"
            ).format(variable=PUBLIC_URL_ENV, value=repr(raw))
        )
    return raw.rstrip("/")


#: The command lines' language when ``--lang`` is not given: the POSIX locale variables, in the
#: order the C library reads them (``LC_ALL`` overrides ``LC_MESSAGES``, which overrides ``LANG``).
LANGUAGE_ENVS: Final = ("LC_ALL", "LC_MESSAGES", "LANG")


def interface_language(env: Mapping[str, str] | None = None) -> str | None:
    """The interface language the environment asks for (``fr_FR.UTF-8`` -> ``fr``), or None.

    The first locale variable that is set decides: ``LANG=fr_FR.UTF-8`` speaks French unless
    ``LC_ALL=C`` says otherwise; an unsupported language (or ``C``/``POSIX``) gives None (English).
    """
    from incidents.i18n import supported  # i18n reads no setting; imported here to keep settings first

    values = _env(env)
    for name in LANGUAGE_ENVS:
        if values.get(name, "").strip():
            return supported(values[name])
    return None
