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

Parallel attempts: an attempt is counted *before* its password is checked. The lock check
and the insertion of the attempt (a reservation, stored as a failure) happen in one
transaction that holds the store's write lock (SQLite ``BEGIN IMMEDIATE``; PostgreSQL
``LOCK TABLE signin_attempts``), so of any number of simultaneous attempts on one name at
most :data:`MAX_FAILURES_PER_ACCOUNT` reach the hash check; a success turns its
reservation into a success afterwards.

Memory: an argon2id check takes 64 MiB. At most :data:`MAX_CONCURRENT_VERIFICATIONS`
checks run at once per process; further attempts wait up to :data:`VERIFICATION_WAIT_S`
and are then refused with :class:`SignInBusy` (their reservation still counts). Unknown
names are checked against a dummy hash inside the same bound, so they cost the same time.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from incidents.auth.roles import LOCAL_ADMIN, Permission, Role, User, require
from incidents.errors import AccountError, AccountLocked, AuthenticationFailed, SignInBusy
from incidents.i18n import _
from incidents.store import IncidentStore, schema
from incidents.store.sql import SQLITE_BEGIN_OPTION

MAX_FAILURES_PER_ACCOUNT: Final = 5
MAX_FAILURES_PER_CLIENT: Final = 20
WINDOW: Final = timedelta(minutes=15)
#: Attempts older than this are deleted from ``signin_attempts`` (the audit keeps them).
ATTEMPTS_KEPT: Final = timedelta(days=1)
MIN_PASSWORD_LENGTH: Final = 10
MAX_PASSWORD_LENGTH: Final = 1024  # argon2 copes; this bounds the work an attacker can ask for
NAME_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9._@+-]{0,63}")
GENERIC_FAILURE: Final = "sign-in failed: unknown name or wrong password"
#: Password checks running at once in one process (argon2id takes 64 MiB each).
MAX_CONCURRENT_VERIFICATIONS: Final = 2
#: How long an attempt waits for a free check before it is refused as busy.
VERIFICATION_WAIT_S: Final = 2.0

#: argon2id with the library's defaults (RFC 9106 low-memory profile). When these change
#: (a library upgrade), stored hashes are upgraded at the next successful sign-in.
_hasher = PasswordHasher()
_dummy_hash: str | None = None
_dummy_lock = threading.Lock()
_verifications = threading.BoundedSemaphore(MAX_CONCURRENT_VERIFICATIONS)


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
            _(
                "{name} is not a valid account name: use 1-64 letters, digits and . _ @ + - "
                "(starting with a letter or digit)"
            ).format(name=repr(name))
        )
    if normalised == LOCAL_ADMIN.name:
        raise AccountError(
            _("{name} is reserved for local mode; choose another name").format(name=repr(name))
        )
    return normalised


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("the password is too short: use at least {n} characters").format(n=MIN_PASSWORD_LENGTH)
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            _("the password is too long: use at most {n} characters").format(n=MAX_PASSWORD_LENGTH)
        )
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
        raise AccountError(_("an account named {name} already exists").format(name=repr(checked))) from exc
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
    ends_sessions: bool = True,
) -> None:
    """Change one account; refuse to leave no enabled admin (required mode would refuse to start).

    ``ends_sessions``: the account's open sessions end with the change (every browser and tab).
    """
    from incidents.auth.sessions import end_sessions  # sessions imports this module

    require(by, Permission.MANAGE_ACCOUNTS)
    normalised = normalise_name(name)
    table = schema.users
    with store.engine.begin() as conn:
        row = conn.execute(select(table.c.role, table.c.disabled).where(table.c.name == normalised)).first()
        if row is None:
            raise AccountError(
                _("no account named {name}; list them with `python -m incidents users list`").format(
                    name=repr(normalised)
                )
            )
        if not keeps_admin and row.role == str(Role.ADMIN) and not row.disabled:
            admins = conn.execute(
                select(func.count()).where(and_(table.c.role == str(Role.ADMIN), table.c.disabled.is_(False)))
            ).scalar_one()
            if int(admins) <= 1:
                raise AccountError(
                    _(
                        "{name} is the only enabled admin; add another admin first "
                        "(`python -m incidents users add NAME --role admin`)"
                    ).format(name=repr(normalised))
                )
        conn.execute(
            update(table).where(table.c.name == normalised).values(**values, updated_at=datetime.now(UTC))
        )
        if ends_sessions:
            end_sessions(conn, normalised)
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
    _set_disabled(store, name, True, by=by)


def enable_user(store: IncidentStore, name: str, *, by: User = LOCAL_ADMIN) -> None:
    _set_disabled(store, name, False, by=by)


def _set_disabled(store: IncidentStore, name: str, disabled: bool, *, by: User) -> None:
    """Disable (ending the account's sessions; never the last admin) or enable an account."""
    _update(
        store,
        name,
        {"disabled": disabled},
        by=by,
        action="user_disabled" if disabled else "user_enabled",
        details="account {name!r} disabled" if disabled else "account {name!r} enabled",
        keeps_admin=not disabled,
        ends_sessions=disabled,
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
            _(
                "too many failed sign-ins: signing in is locked for about {minutes} more minute(s); "
                "try again later or ask an admin"
            ).format(minutes=minutes),
            until=until,
        )


def _dummy() -> str:
    """A hash to verify against for unknown names, so they take as long as real ones.

    Made once per process, by the first caller (who holds a verification slot).
    """
    global _dummy_hash
    with _dummy_lock:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash("not a password of any account")
        return _dummy_hash


def _prune(conn: Any, now: datetime) -> None:
    table = schema.signin_attempts
    conn.execute(delete(table).where(table.c.at < now - ATTEMPTS_KEPT))


def _locked_transaction(store: IncidentStore) -> Any:
    """A transaction holding the lock that serialises sign-in reservations (see the module doc)."""
    engine = store.engine
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{SQLITE_BEGIN_OPTION: "BEGIN IMMEDIATE"}).begin()
    return engine.begin()


def _reserve(store: IncidentStore, name: str, client: str, who: str, moment: datetime) -> tuple[int, Any]:
    """Count the attempt before its password is checked: ``(attempt_id, users row or None)``.

    Raises :class:`AccountLocked` (after auditing the refusal) when the name or the client
    is locked; the refusal itself is not counted.
    """
    users, attempts = schema.users, schema.signin_attempts
    locked: AccountLocked | None = None
    attempt_id = 0
    with _locked_transaction(store) as conn:
        if conn.dialect.name == "postgresql":
            # Self-conflicting mode: one reservation at a time across every replica; readers pass.
            conn.exec_driver_sql("LOCK TABLE signin_attempts IN SHARE ROW EXCLUSIVE MODE")
        try:
            _check_not_locked(conn, name, client, moment)
        except AccountLocked as exc:
            locked = exc  # raised after this transaction commits the audit row
            _audit(conn, name or "?", "signin_failed", f"{who}: refused, locked after repeated failures")
        else:
            attempt_id = int(
                conn.execute(
                    attempts.insert()
                    .values(at=moment, user_name=name, client_key=client, succeeded=False)
                    .returning(attempts.c.attempt_id)
                ).scalar_one()
            )
            _prune(conn, moment)
        row = conn.execute(
            select(users.c.name, users.c.role, users.c.disabled, users.c.password_hash).where(
                users.c.name == name
            )
        ).first()
    if locked is not None:
        raise locked
    return attempt_id, row


def _check_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """``(matched, new hash or None)``: argon2 work inside the per-process bound.

    The new hash replaces one made with older parameters. :class:`SignInBusy` when no
    slot frees within :data:`VERIFICATION_WAIT_S`.
    """
    if not _verifications.acquire(timeout=VERIFICATION_WAIT_S):
        raise SignInBusy(
            "the server is busy checking other sign-ins: try again in a few seconds",
            until=datetime.now(UTC) + timedelta(seconds=VERIFICATION_WAIT_S),
        )
    try:
        against = stored_hash if stored_hash is not None else _dummy()
        try:
            matched = len(password) <= MAX_PASSWORD_LENGTH and bool(_hasher.verify(against, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, None
        if matched and stored_hash is not None and _hasher.check_needs_rehash(stored_hash):
            return True, _hasher.hash(password)
        return matched, None
    finally:
        _verifications.release()


def verify_credentials(
    store: IncidentStore,
    name: str,
    password: str,
    *,
    client_key: str = "",
    now: datetime | None = None,
) -> User:
    """The signed-in user, or :class:`AuthenticationFailed` / :class:`AccountLocked` / :class:`SignInBusy`.

    The attempt is counted before the password is checked (see the module doc). Failures
    are audited as ``signin_failed`` with the name tried and the client key, never the
    password. A hash made with older parameters is replaced on success.
    """
    moment = now or datetime.now(UTC)
    normalised = normalise_name(name)[:64]
    client = str(client_key)[:128]
    who = f"name {normalised!r}" + (f" from {client}" if client else "")
    attempt_id, row = _reserve(store, normalised, client, who, moment)
    try:
        matched, new_hash = _check_password(row.password_hash if row is not None else None, password)
    except SignInBusy:
        with store.engine.begin() as conn:
            _audit(conn, normalised or "?", "signin_failed", f"{who}: refused, server busy")
        raise
    ok = matched and row is not None and not row.disabled
    attempts, users = schema.signin_attempts, schema.users
    with store.engine.begin() as conn:
        if not ok:
            reason = (
                "unknown name" if row is None else ("account disabled" if row.disabled else "wrong password")
            )
            _audit(conn, normalised or "?", "signin_failed", f"{who}: {reason}")
        else:
            conn.execute(update(attempts).where(attempts.c.attempt_id == attempt_id).values(succeeded=True))
            _audit(conn, normalised, "signin", f"{who}: signed in")
        if ok and new_hash is not None:
            conn.execute(update(users).where(users.c.name == normalised).values(password_hash=new_hash))
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


def set_email(store: IncidentStore, name: str, email: str, *, by: User = LOCAL_ADMIN) -> None:
    """Record the account's own e-mail address ("" clears it); a viewer's watches may mail only it."""
    from incidents.alerts.watches import check_email  # alerts is a layer above accounts

    address = check_email(email) if email.strip() else None
    _update(
        store,
        name,
        {"email": address},
        by=by,
        action="user_email",
        details="{name}: e-mail " + ("set" if address else "cleared"),
        keeps_admin=True,
        ends_sessions=False,
    )


def _account_text(store: IncidentStore, name: str, column: str) -> str | None:
    """One text column of an account, or None (no such account, or nothing recorded)."""
    table = schema.users
    with store.engine.connect() as conn:
        value = conn.execute(
            select(table.c[column]).where(table.c.name == normalise_name(name))
        ).scalar_one_or_none()
    return None if value is None else str(value)


def account_email(store: IncidentStore, name: str) -> str | None:
    """The account's own e-mail address, or None (no such account, or none recorded)."""
    return _account_text(store, name, "email")


def set_account_language(store: IncidentStore, name: str, language: str) -> None:
    """Remember the interface language an account chose (its own preference: no permission, no audit)."""
    from incidents.i18n import supported

    code = supported(language)
    if code is None:
        raise AccountError(_("unknown language {language}").format(language=repr(language)))
    table = schema.users
    with store.engine.begin() as conn:
        conn.execute(update(table).where(table.c.name == normalise_name(name)).values(language=code))


def account_language(store: IncidentStore, name: str) -> str | None:
    """The interface language the account chose last, or None (no account, or never chosen)."""
    return _account_text(store, name, "language")
