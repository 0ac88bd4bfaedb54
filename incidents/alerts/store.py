"""Watches in the store: versioned and audited like corridors, with who may make what.

Every change writes a new ``watch_versions`` row (version = previous + 1 for that name) through
:func:`incidents.store.versioned.append_version`, audited (``watch_add``, ``watch_pause``,
``watch_resume``, ``watch_remove``) and bumping ``data_version`` in one transaction.

Who may do what (:mod:`incidents.auth.roles`): an analyst or admin (``watch_any``) makes a
watch for anyone, with any in-app users, addresses and webhooks; a viewer (``watch_own``) only
for themselves: their own inbox and their account's own e-mail address, no webhook. A viewer
changes only the watches they own.

The webhook secret is made here (one per watch, kept across versions), returned once by
:func:`add_watch` and never written to the audit log or shown in listings.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import pandas as pd
from sqlalchemy import select

from geodata.boundaries import load_admin1, load_admin2
from incidents.alerts.watches import Watch, check_watch, watch_from_json
from incidents.auth.accounts import account_email, list_users
from incidents.auth.roles import LOCAL_ADMIN, Permission, User, can, require, role_label
from incidents.errors import PermissionDenied, WatchError, WatchNotFoundError
from incidents.i18n import _
from incidents.store import schema
from incidents.store.corridors import active_corridor_segments
from incidents.store.sql import IncidentStore
from incidents.store.versioned import append_version

ACTIVE: Final = "active"
PAUSED: Final = "paused"
REMOVED: Final = "removed"
STATUSES: Final = (ACTIVE, PAUSED, REMOVED)
_ACTIONS: Final = {ACTIVE: "watch_resume", PAUSED: "watch_pause", REMOVED: "watch_remove"}


@dataclass(frozen=True)
class StoredWatch:
    """The latest version of a watch, without its secret."""

    watch: Watch
    version: int
    status: str
    owner: str
    created_by: str
    created_at: datetime
    has_webhook_secret: bool

    @property
    def name(self) -> str:
        return self.watch.name


@dataclass(frozen=True)
class NewWatch:
    """What :func:`add_watch` returns: the stored watch and, once, its webhook secret ("" if none)."""

    stored: StoredWatch
    webhook_secret: str


def add_watch(store: IncidentStore, watch: Watch, *, by: User, owner: str | None = None) -> NewWatch:
    """Store ``watch`` (checked) as a new active watch owned by ``owner`` (default: ``by``).

    A name in use by a watch that is not removed is refused; a removed watch's name may be reused
    (its history stays). Unit codes and corridor ids must exist; in-app users must be accounts.
    """
    checked = check_watch(watch)
    owner_name = (owner or by.name).strip().lower()
    _check_permission(store, checked, owner_name, by)
    _check_against_data(store, checked)
    previous = _latest_row(store, checked.name)
    if previous is not None and previous["status"] != REMOVED:
        raise WatchError(
            _("a watch named {name} exists; remove it first or choose another name").format(
                name=repr(checked.name)
            )
        )
    # A new secret for every new watch (a reused name too): it is shown once, to its creator.
    secret = secrets.token_urlsafe(32) if checked.recipients.webhooks else ""
    version = append_version(
        store,
        schema.watch_versions,
        {"watch_name": checked.name},
        {
            "status": ACTIVE,
            "owner": owner_name,
            "spec": checked.to_json(),
            "webhook_secret": secret,
        },
        user_name=by.name,
        action="watch_add",
        details=lambda number: (
            f"{checked.name} version {number} for {owner_name}: {checked.describe_area()}; "
            f"{len(checked.recipients.users)} in-app, {len(checked.recipients.emails)} e-mail, "
            f"{len(checked.recipients.webhooks)} webhook; {checked.delivery}"
        ),
        busy=_("the watch {name} was changed by someone else at the same time; try again").format(
            name=repr(checked.name)
        ),
    )
    stored = get_watch(store, checked.name)
    assert stored.version == version
    return NewWatch(stored=stored, webhook_secret=secret)


def set_watch_status(store: IncidentStore, name: str, status: str, *, by: User, note: str = "") -> int:
    """Pause, resume or remove a watch (a new version, ``note`` audited); returns the version."""
    if status not in STATUSES:
        raise WatchError(
            _("unknown watch status {status}; use one of {value}").format(
                status=repr(status), value=list(STATUSES)
            )
        )
    row = _latest_row(store, name)
    if row is None or row["status"] == REMOVED:
        raise WatchNotFoundError(_not_found(store, name))
    _check_owner(row, by)
    if row["status"] == status:
        return int(row["version"])
    return append_version(
        store,
        schema.watch_versions,
        {"watch_name": row["watch_name"]},
        {
            "status": status,
            "owner": row["owner"],
            "spec": row["spec"],
            "webhook_secret": row["webhook_secret"],
        },
        user_name=by.name,
        action=_ACTIONS[status],
        details=lambda number: (
            f"{row['watch_name']} version {number}: {status}" + (f": {note}" if note else "")
        ),
        busy=_("the watch {name} was changed by someone else at the same time; try again").format(
            name=repr(name)
        ),
    )


def remove_watch(store: IncidentStore, name: str, *, by: User, note: str = "") -> int:
    return set_watch_status(store, name, REMOVED, by=by, note=note)


def list_watches(store: IncidentStore, *, include_removed: bool = False) -> list[StoredWatch]:
    """The latest version of every watch, by name (removed ones only when asked)."""
    rows = _latest_rows(store)
    return [_stored(row) for row in rows if include_removed or row["status"] != REMOVED]


def active_watches(store: IncidentStore) -> list[StoredWatch]:
    return [watch for watch in list_watches(store) if watch.status == ACTIVE]


def get_watch(store: IncidentStore, name: str) -> StoredWatch:
    row = _latest_row(store, name)
    if row is None:
        raise WatchNotFoundError(_not_found(store, name))
    return _stored(row)


def watch_secret(store: IncidentStore, name: str) -> str:
    """The webhook secret of a watch (for signing deliveries only; never shown after creation)."""
    row = _latest_row(store, name)
    return "" if row is None else str(row["webhook_secret"])


def watch_versions(store: IncidentStore, name: str) -> pd.DataFrame:
    """Every version of one watch (no secret), oldest first."""
    table = schema.watch_versions
    columns = ["watch_name", "version", "status", "owner", "spec", "created_by", "created_at"]
    query = select(*(table.c[c] for c in columns)).where(table.c.watch_name == name).order_by(table.c.version)
    with store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    frame = pd.DataFrame(rows, columns=columns)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


# ---- helpers ----------------------------------------------------------------------------------


def _latest_rows(store: IncidentStore) -> list[dict[str, Any]]:
    table = schema.watch_versions
    with store.engine.connect() as conn:
        rows = conn.execute(select(table).order_by(table.c.watch_name, table.c.version)).mappings().all()
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        latest[str(row["watch_name"])] = dict(row)
    return [latest[name] for name in sorted(latest, key=str.casefold)]


def _latest_row(store: IncidentStore, name: str) -> dict[str, Any] | None:
    table = schema.watch_versions
    query = select(table).where(table.c.watch_name == " ".join(str(name).split()))
    with store.engine.connect() as conn:
        row = conn.execute(query.order_by(table.c.version.desc()).limit(1)).mappings().first()
    return None if row is None else dict(row)


def _stored(row: dict[str, Any]) -> StoredWatch:
    created_at = pd.Timestamp(row["created_at"])
    if created_at.tzinfo is None:  # SQLite returns naive UTC
        created_at = created_at.tz_localize("UTC")
    return StoredWatch(
        watch=watch_from_json(str(row["watch_name"]), str(row["spec"])),
        version=int(row["version"]),
        status=str(row["status"]),
        owner=str(row["owner"]),
        created_by=str(row["created_by"]),
        created_at=created_at.to_pydatetime(),
        has_webhook_secret=bool(row["webhook_secret"]),
    )


def _not_found(store: IncidentStore, name: str) -> str:
    known = [watch.name for watch in list_watches(store)]
    shown = ", ".join(known[:10]) + (" ..." if len(known) > 10 else "") if known else "none"
    return _("no watch named {name}; watches: {shown}").format(name=repr(name), shown=shown)


def _check_permission(store: IncidentStore, watch: Watch, owner: str, by: User) -> None:
    require(by, Permission.WATCH_OWN, target=repr(watch.name))
    if can(by, Permission.WATCH_ANY):
        return
    if owner != by.name:
        raise PermissionDenied(
            _("{role} {name} may keep watches only for themselves, not for {owner}").format(
                role=role_label(by.role), name=repr(by.name), owner=repr(owner)
            )
        )
    others = [user for user in watch.recipients.users if user != by.name]
    if others:
        raise PermissionDenied(
            _("{role} {name} may not send alerts to other users' inboxes ({others})").format(
                role=role_label(by.role), name=repr(by.name), others=repr(others[0])
            )
        )
    if watch.recipients.webhooks:
        raise PermissionDenied(
            _("{role} {name} may not send alerts to webhooks; that needs the analyst role").format(
                role=role_label(by.role), name=repr(by.name)
            )
        )
    own = account_email(store, by.name)
    foreign = [
        address for address in watch.recipients.emails if own is None or address.lower() != own.lower()
    ]
    if foreign:
        where = (
            _("their account's address {address}").format(address=repr(own))
            if own
            else _("the address recorded on their account (none yet)")
        )
        raise PermissionDenied(
            _("{role} {name} may e-mail alerts only to {where}, not {foreign}").format(
                role=role_label(by.role), name=repr(by.name), where=where, foreign=repr(foreign[0])
            )
        )


def _check_owner(row: dict[str, Any], by: User) -> None:
    require(by, Permission.WATCH_OWN, target=repr(row["watch_name"]))
    if not can(by, Permission.WATCH_ANY) and row["owner"] != by.name:
        raise PermissionDenied(
            _("{role} {name} may change only their own watches; {watch} is not").format(
                role=role_label(by.role), name=repr(by.name), watch=repr(row["watch_name"])
            )
        )


def _check_against_data(store: IncidentStore, watch: Watch) -> None:
    area = watch.area
    if area.kind == "admin":
        for level, codes, layer in (
            ("admin-1", area.admin1, load_admin1),
            ("admin-2", area.admin2, load_admin2),
        ):
            if not codes:
                continue
            column = "admin1_code" if level == "admin-1" else "admin2_code"
            known = set(layer()[column].astype(str))
            unknown = [code for code in codes if code not in known]
            if unknown:
                raise WatchError(
                    _(
                        "unknown {level} code {unknown}; see the unit codes in the Risk page or exports"
                    ).format(level=level, unknown=repr(unknown[0]))
                )
    if area.kind == "corridor":
        active = active_corridor_segments(store)
        known_ids = sorted(set(active["corridor_id"].astype(str)))
        if area.corridor_id not in known_ids:
            raise WatchError(
                _("no active corridor {corridor}; active corridors: {known}").format(
                    corridor=repr(area.corridor_id), known=", ".join(known_ids) or _("none")
                )
            )
    if watch.recipients.users:
        accounts = {account.name for account in list_users(store)} | {LOCAL_ADMIN.name}
        unknown_users = [user for user in watch.recipients.users if user not in accounts]
        if unknown_users:
            raise WatchError(
                _("no account named {name} for the in-app inbox").format(name=repr(unknown_users[0]))
            )
