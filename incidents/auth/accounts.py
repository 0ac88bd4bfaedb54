"""Accounts in the store: argon2-hashed passwords, roles, rate-limited sign-in.

Every change and every failed sign-in is written to the store's audit table (never a
password). Account changes do not bump ``data_version``: they change no cached data,
and a burst of failed sign-ins must not empty every dashboard cache.

Rate limiting: more than :data:`MAX_FAILURES_PER_ACCOUNT` failures for one name within
:data:`WINDOW` lock that name until the oldest failure leaves the window (a success
resets the account's count); :data:`MAX_FAILURES_PER_CLIENT` does the same per client
key (an address) across names, against password spraying. Attempts refused because of
a lock are audited but not counted, so the lock ends when the window passes even under
attack. Unknown names are counted and locked like real ones, so the answers never tell
whether an account exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from incidents.auth.roles import LOCAL_ADMIN, AuthError, Permission, Role, User, require
from incidents.store import IncidentStore, schema

MAX_FAILURES_PER_ACCOUNT: Final = 5
MAX_FAILURES_PER_CLIENT: Final = 20
WINDOW: Final = timedelta(minutes=15)
#: Attempts older than this are deleted from ``signin_attempts`` (the audit keeps them).
ATTEMPTS_KEPT: Final = timedelta(days=1)
MIN_PASSWORD_LENGTH: Final = 10
MAX_PASSWORD_LENGTH: Final = 1024  # argon2 copes; this bounds the work an attacker can ask for
NAME_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9._@+-]{0,63}")
GENERIC_FAILURE: Final = "sign-in failed: unknown name or wrong password"

#: argon2id with the library's defaults (RFC 9106 low-memory profile). When these change
#: (a library upgrade), stored hashes are upgraded at the next successful sign-in.
_hasher = PasswordHasher()
_dummy_hash: str | None = None


class AccountError(AuthError):
    """An account operation is not possible (duplicate name, unknown account, weak password...)."""


class AuthenticationFailed(AuthError):
    """Wrong name or password (deliberately not saying which)."""


class AccountLocked(AuthError):
    """Too many failed sign-ins; try again when the window has passed."""

    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until


@dataclass(frozen=True)
class Account:
    """One row of ``users`` without its hash (for listings)."""

    name: str
    role: Role
    disabled: bool
    created_at: datetime
    updated_at: datetime

    @property
    def user(self) -> User:
        return User(name=self.name, role=self.role, disabled=self.disabled)


def normalise_name(name: str) -> str:
    """Account names are case-insensitive: stored and compared lower-case."""
    return str(name).strip().lower()


def _checked_name(name: str) -> str:
    normalised = normalise_name(name)
    if not NAME_PATTERN.fullmatch(normalised):
        raise AccountError(
            f"{name!r} is not a valid account name: use 1-64 letters, digits and . _ @ + - "
            "(starting with a letter or digit)"
        )
    if normalised == LOCAL_ADMIN.name:
        raise AccountError(f"{name!r} is reserved for local mode; choose another name")
    return normalised


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password is too long: use at most {MAX_PASSWORD_LENGTH} characters")
    return password


def _utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _audit(conn: Any, user_name: str, action: str, details: str) -> None:
    conn.execute(
        schema.audit.insert().values(
            at=datetime.now(UTC), user_name=user_name, action=action, batch_id=None, details=details
        )
    )


def _account(row: Any) -> Account:
    return Account(
        name=row.name,
        role=Role.parse(row.role),
        disabled=bool(row.disabled),
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
    )


# ---- reading ---------------------------------------------------------------------------


def user_count(store: IncidentStore) -> int:
    """Number of accounts, disabled ones included (any account ends local mode)."""
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.users)).scalar_one())


def has_admin(store: IncidentStore) -> bool:
    """Whether at least one enabled admin account exists."""
    table = schema.users
    query = select(func.count()).where(and_(table.c.role == str(Role.ADMIN), table.c.disabled.is_(False)))
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one()) > 0


def list_users(store: IncidentStore) -> list[Account]:
    """Every account, by name (no hashes)."""
    table = schema.users
    columns = [table.c.name, table.c.role, table.c.disabled, table.c.created_at, table.c.updated_at]
    with store.engine.connect() as conn:
        rows = conn.execute(select(*columns).order_by(table.c.name)).all()
    return [_account(row) for row in rows]


def get_user(store: IncidentStore, name: str) -> User | None:
    """The account's current name, role and state, or ``None`` (re-read on every page run)."""
    table = schema.users
    query = select(table.c.name, table.c.role, table.c.disabled).where(table.c.name == normalise_name(name))
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    return (
        None if row is None else User(name=row.name, role=Role.parse(row.role), disabled=bool(row.disabled))
    )


# ---- changing ------------------------------------------------------------------------


def create_user(
    store: IncidentStore, name: str, role: str | Role, password: str, *, by: User = LOCAL_ADMIN
) -> User:
    """Add an account; the password is stored only as an argon2 hash."""
    require(by, Permission.MANAGE_ACCOUNTS)
    checked = _checked_name(name)
    parsed = Role.parse(role)
    hashed = _hasher.hash(_checked_password(password))
    now = datetime.now(UTC)
    try:
        with store.engine.begin() as conn:
            conn.execute(
                schema.users.insert().values(
                    name=checked,
                    role=str(parsed),
                    password_hash=hashed,
                    disabled=False,
                    created_at=now,
                    updated_at=now,
                )
            )
            _audit(conn, by.name, "user_created", f"account {checked!r} created with role {parsed}")
    except IntegrityError as exc:
        raise AccountError(f"an account named {checked!r} already exists") from exc
    return User(name=checked, role=parsed)


def _update(
    store: IncidentStore,
    name: str,
    values: dict[str, Any],
    *,
    by: User,
    action: str,
    details: str,
    keeps_admin: bool,
) -> None:
    """Change one account; refuse to leave no enabled admin (required mode would refuse to start)."""
    require(by, Permission.MANAGE_ACCOUNTS)
    normalised = normalise_name(name)
    table = schema.users
    with store.engine.begin() as conn:
        row = conn.execute(select(table.c.role, table.c.disabled).where(table.c.name == normalised)).first()
        if row is None:
            raise AccountError(
                f"no account named {normalised!r}; list them with `python -m incidents users list`"
            )
        if not keeps_admin and row.role == str(Role.ADMIN) and not row.disabled:
            admins = conn.execute(
                select(func.count()).where(and_(table.c.role == str(Role.ADMIN), table.c.disabled.is_(False)))
            ).scalar_one()
            if int(admins) <= 1:
                raise AccountError(
                    f"{normalised!r} is the only enabled admin; add another admin first "
                    "(`python -m incidents users add NAME --role admin`)"
                )
        conn.execute(
            update(table).where(table.c.name == normalised).values(**values, updated_at=datetime.now(UTC))
        )
        _audit(conn, by.name, action, details.format(name=normalised))


def set_role(store: IncidentStore, name: str, role: str | Role, *, by: User = LOCAL_ADMIN) -> None:
    parsed = Role.parse(role)
    _update(
        store,
        name,
        {"role": str(parsed)},
        by=by,
        action="role_changed",
        details=f"account {{name!r}} now has role {parsed}",
        keeps_admin=parsed is Role.ADMIN,
    )


def disable_user(store: IncidentStore, name: str, *, by: User = LOCAL_ADMIN) -> None:
    """Disable an account: it can no longer sign in, and open sessions lose access on their next run."""
    _update(
        store,
        name,
        {"disabled": True},
        by=by,
        action="user_disabled",
        details="account {name!r} disabled",
        keeps_admin=False,
    )


def enable_user(store: IncidentStore, name: str, *, by: User = LOCAL_ADMIN) -> None:
    _update(
        store,
        name,
        {"disabled": False},
        by=by,
        action="user_enabled",
        details="account {name!r} enabled",
        keeps_admin=True,
    )


def set_password(store: IncidentStore, name: str, password: str, *, by: User = LOCAL_ADMIN) -> None:
    hashed = _hasher.hash(_checked_password(password))
    _update(
        store,
        name,
        {"password_hash": hashed},
        by=by,
        action="password_set",
        details="password of account {name!r} changed",
        keeps_admin=True,
    )


# ---- signing in ------------------------------------------------------------------------


def _lock_until(
    conn: Any, column: Any, key: str, limit: int, now: datetime, since: datetime
) -> datetime | None:
    """When the lock on ``key`` ends, or ``None`` if fewer than ``limit`` failures are in the window."""
    table = schema.signin_attempts
    times = (
        conn.execute(
            select(table.c.at)
            .where(and_(column == key, table.c.succeeded.is_(False), table.c.at > since))
            .order_by(table.c.at.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    if len(times) < limit:
        return None
    return _utc(times[-1]) + WINDOW  # the oldest counted failure leaves the window then


def _last_success(conn: Any, name: str) -> datetime | None:
    table = schema.signin_attempts
    value = conn.execute(
        select(func.max(table.c.at)).where(and_(table.c.user_name == name, table.c.succeeded.is_(True)))
    ).scalar_one_or_none()
    return None if value is None else _utc(value)


def _check_not_locked(conn: Any, name: str, client_key: str, now: datetime) -> None:
    table = schema.signin_attempts
    window_start = now - WINDOW
    last_success = _last_success(conn, name)
    since = max(window_start, last_success) if last_success else window_start
    until = _lock_until(conn, table.c.user_name, name, MAX_FAILURES_PER_ACCOUNT, now, since)
    if until is None and client_key:
        until = _lock_until(conn, table.c.client_key, client_key, MAX_FAILURES_PER_CLIENT, now, window_start)
    if until is not None and until > now:
        minutes = max(1, -(-int((until - now).total_seconds()) // 60))
        raise AccountLocked(
            f"too many failed sign-ins: signing in is locked for about {minutes} more minute(s); "
            "try again later or ask an admin",
            until=until,
        )


def _dummy() -> str:
    """A hash to verify against for unknown names, so they take as long as real ones."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not a password of any account")
    return _dummy_hash


def _record(conn: Any, name: str, client_key: str, now: datetime, succeeded: bool) -> None:
    table = schema.signin_attempts
    conn.execute(table.insert().values(at=now, user_name=name, client_key=client_key, succeeded=succeeded))
    conn.execute(delete(table).where(table.c.at < now - ATTEMPTS_KEPT))


def verify_credentials(
    store: IncidentStore,
    name: str,
    password: str,
    *,
    client_key: str = "",
    now: datetime | None = None,
) -> User:
    """The signed-in user, or :class:`AuthenticationFailed` / :class:`AccountLocked`.

    Failures are audited as ``signin_failed`` with the name tried and the client key,
    never the password. A hash made with older parameters is replaced on success.
    """
    moment = now or datetime.now(UTC)
    normalised = normalise_name(name)[:64]
    client = str(client_key)[:128]
    who = f"name {normalised!r}" + (f" from {client}" if client else "")
    table = schema.users
    locked: AccountLocked | None = None
    with store.engine.begin() as conn:
        try:
            _check_not_locked(conn, normalised, client, moment)
        except AccountLocked as exc:
            locked = exc  # raised after this transaction commits the audit row
            _audit(
                conn, normalised or "?", "signin_failed", f"{who}: refused, locked after repeated failures"
            )
        row = conn.execute(
            select(table.c.name, table.c.role, table.c.disabled, table.c.password_hash).where(
                table.c.name == normalised
            )
        ).first()
    if locked is not None:
        raise locked
    stored_hash = row.password_hash if row is not None else _dummy()
    try:
        matched = len(password) <= MAX_PASSWORD_LENGTH and _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        matched = False
    ok = bool(matched) and row is not None and not row.disabled
    with store.engine.begin() as conn:
        _record(conn, normalised, client, moment, succeeded=ok)
        if not ok:
            reason = (
                "unknown name" if row is None else ("account disabled" if row.disabled else "wrong password")
            )
            _audit(conn, normalised or "?", "signin_failed", f"{who}: {reason}")
        else:
            _audit(conn, normalised, "signin", f"{who}: signed in")
        if ok and _hasher.check_needs_rehash(stored_hash):
            conn.execute(
                update(table).where(table.c.name == normalised).values(password_hash=_hasher.hash(password))
            )
    if not ok:
        raise AuthenticationFailed(GENERIC_FAILURE)
    assert row is not None
    return User(name=row.name, role=Role.parse(row.role))


# ---- auditing --------------------------------------------------------------------------


def recent_signin_failures(store: IncidentStore, *, by: User, limit: int = 50) -> list[dict[str, Any]]:
    """The latest failed sign-ins from the audit (newest first): ``at``, ``user_name``, ``details``."""
    require(by, Permission.MANAGE_ACCOUNTS, target="sign-in failures")
    table = schema.audit
    query = (
        select(table.c.at, table.c.user_name, table.c.details)
        .where(table.c.action == "signin_failed")
        .order_by(table.c.audit_id.desc())
        .limit(int(limit))
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [{"at": _utc(row.at), "user_name": row.user_name, "details": row.details} for row in rows]
