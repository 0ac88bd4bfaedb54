"""Sign-ins that outlast a page: signed session tokens, invalidated through a per-account generation.

A signed-in browser holds a session cookie (set by the dashboard's ``/_sahel/session``
route, see ``dashboard/ui/session_routes.py``) whose value is a token made here::

    s1.<account name, base64url>.<generation>.<expires, unix seconds>.<nonce>.<HMAC-SHA256>

It holds no password and nothing secret: it is valid while its signature checks against
the signing key, it has not expired (``SAHEL_SESSION_HOURS``, default 12 h) and its
generation equals the account's current one. Every account has a *session generation*
kept in the store; signing out, a password change, a role change and disabling the
account raise it, which ends every session of that account at once (every browser and
tab: the dashboard checks the generation on every run). No table of sessions is needed.

The signing key is ``SAHEL_SESSION_SECRET`` when set, otherwise 248 random bits made once
and kept in the store, so every replica that shares the store accepts the same cookies.
Whoever can read the store can therefore forge a cookie; set ``SAHEL_SESSION_SECRET``
(and keep it out of the store) where that matters.

A *handoff* token (``h1``, 60 seconds, single use) carries a sign-in from the Streamlit
session to the HTTP route that sets the cookie: the route redeems it for a session token.

Storage: the generations, the stored key and the redeemed handoffs are rows of the
existing ``store_meta`` table (``auth.*`` keys; integers only), so no schema change.

Single sign-on: :func:`account_for_identity` maps the identity an OpenID Connect provider
vouches for (Streamlit's ``st.user``) to an account: the account whose name is the
verified e-mail address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from sqlalchemy import and_, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from incidents import settings
from incidents.auth.accounts import get_user, normalise_name
from incidents.auth.roles import User
from incidents.store import IncidentStore, schema

COOKIE_NAME: Final = "sahel_session"
HANDOFF_LIFETIME: Final = timedelta(seconds=60)
SECRET_PARTS: Final = 8  # 8 x 31 random bits, one store_meta row each
_GENERATION_PREFIX: Final = "auth.gen."
_SECRET_PREFIX: Final = "auth.secret."
_REDEEMED_PREFIX: Final = "auth.used."

TokenKind = Literal["s1", "h1"]

_secret_cache: dict[str, bytes] = {}
_secret_lock = threading.Lock()


@dataclass(frozen=True)
class Token:
    """The checked content of a token (signature verified, not yet checked against the store)."""

    kind: TokenKind
    name: str
    generation: int
    expires: datetime
    nonce: str


# ---- the signing key --------------------------------------------------------------------


def _stored_secret(store: IncidentStore) -> bytes:
    """The key kept in the store, made by the first caller (any replica) and read by the rest."""
    meta = schema.store_meta
    keys = [f"{_SECRET_PREFIX}{index}" for index in range(SECRET_PARTS)]

    def read() -> bytes | None:
        with store.engine.connect() as conn:
            rows = dict(conn.execute(select(meta.c.key, meta.c.value).where(meta.c.key.in_(keys))).all())
        if len(rows) < SECRET_PARTS:
            return None
        return b"".join(int(rows[key]).to_bytes(4, "big") for key in keys)

    found = read()
    if found is None:
        try:
            with store.engine.begin() as conn:
                conn.execute(meta.insert(), [{"key": key, "value": secrets.randbits(31)} for key in keys])
        except IntegrityError:
            pass  # another process made it first: use theirs
        found = read()
    assert found is not None
    return found


def signing_key(store: IncidentStore) -> bytes:
    """``SAHEL_SESSION_SECRET`` when set, else the store's own key (cached per store URL)."""
    configured = settings.session_secret()
    if configured is not None:
        return hashlib.sha256(configured.encode()).digest()
    cache_key = store.engine.url.render_as_string(hide_password=False)
    with _secret_lock:
        if cache_key not in _secret_cache:
            _secret_cache[cache_key] = _stored_secret(store)
        return _secret_cache[cache_key]


# ---- generations --------------------------------------------------------------------------


def _generation_key(name: str) -> str:
    # store_meta keys hold 64 characters; account names as many: use a digest of the name.
    return _GENERATION_PREFIX + hashlib.sha256(normalise_name(name).encode()).hexdigest()[:40]


def session_generation(conn_or_store: Any, name: str) -> int:
    """The account's current session generation (0 before any sign-out or change)."""
    meta = schema.store_meta
    query = select(meta.c.value).where(meta.c.key == _generation_key(name))
    if isinstance(conn_or_store, IncidentStore):
        with conn_or_store.engine.connect() as conn:
            value = conn.execute(query).scalar_one_or_none()
    else:
        value = conn_or_store.execute(query).scalar_one_or_none()
    return int(value or 0)


def end_sessions(conn: Any, name: str) -> None:
    """Raise the account's generation inside the caller's transaction: its sessions end."""
    meta = schema.store_meta
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(meta).values(key=_generation_key(name), value=1)
    conn.execute(
        statement.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": meta.c.value + 1})
    )


def sign_out(store: IncidentStore, name: str) -> None:
    """End every session of the account (every browser and tab), audited as ``signout``."""
    normalised = normalise_name(name)
    with store.engine.begin() as conn:
        end_sessions(conn, normalised)
        conn.execute(
            schema.audit.insert().values(
                at=datetime.now(UTC),
                user_name=normalised,
                action="signout",
                batch_id=None,
                details=f"account {normalised!r} signed out: its sessions ended",
            )
        )


# ---- tokens -------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def _issue(store: IncidentStore, kind: TokenKind, name: str, generation: int, expires: datetime) -> str:
    payload = ".".join(
        [
            kind,
            _b64(normalise_name(name).encode()),
            str(generation),
            str(int(expires.timestamp())),
            secrets.token_hex(16),
        ]
    )
    return f"{payload}.{_signature(signing_key(store), payload)}"


def read_token(
    store: IncidentStore, token: str, kind: TokenKind, *, now: datetime | None = None
) -> Token | None:
    """The token's content if its signature is good, its kind matches and it has not expired."""
    parts = str(token or "").split(".")
    if len(parts) != 6 or parts[0] != kind or len(token) > 512:
        return None
    payload, signature = ".".join(parts[:5]), parts[5]
    if not hmac.compare_digest(_signature(signing_key(store), payload), signature):
        return None
    try:
        name = _unb64(parts[1]).decode()
        generation = int(parts[2])
        expires = datetime.fromtimestamp(int(parts[3]), UTC)
    except (ValueError, UnicodeDecodeError):
        return None
    if expires <= (now or datetime.now(UTC)):
        return None
    return Token(kind=kind, name=name, generation=generation, expires=expires, nonce=parts[4])


def session_token(store: IncidentStore, name: str, *, now: datetime | None = None) -> str:
    """A session token for the account's current generation, valid ``SAHEL_SESSION_HOURS``."""
    moment = now or datetime.now(UTC)
    expires = moment + timedelta(hours=settings.session_hours())
    return _issue(store, "s1", name, session_generation(store, name), expires)


def user_of_token(store: IncidentStore, token: str, *, now: datetime | None = None) -> User | None:
    """The account a session token signs in, or ``None`` (bad, expired, ended, or account disabled)."""
    content = read_token(store, token, "s1", now=now)
    if content is None:
        return None
    return current_session_user(store, content.name, content.generation)


def current_session_user(store: IncidentStore, name: str, generation: int) -> User | None:
    """The account, if it is enabled and ``generation`` is still its current one (checked every run)."""
    if session_generation(store, name) != generation:
        return None
    user = get_user(store, name)
    return None if user is None or user.disabled else user


def handoff_token(store: IncidentStore, name: str, generation: int, *, now: datetime | None = None) -> str:
    """A 60-second, single-use token that the session route exchanges for the cookie."""
    return _issue(store, "h1", name, generation, (now or datetime.now(UTC)) + HANDOFF_LIFETIME)


def redeem_handoff(store: IncidentStore, token: str, *, now: datetime | None = None) -> str | None:
    """A session token for a valid, unused handoff (which is then used up), else ``None``."""
    moment = now or datetime.now(UTC)
    content = read_token(store, token, "h1", now=moment)
    if content is None or current_session_user(store, content.name, content.generation) is None:
        return None
    meta = schema.store_meta
    try:
        with store.engine.begin() as conn:
            conn.execute(
                delete(meta).where(
                    and_(meta.c.key.like(f"{_REDEEMED_PREFIX}%"), meta.c.value < int(moment.timestamp()))
                )
            )
            conn.execute(
                meta.insert().values(
                    key=f"{_REDEEMED_PREFIX}{content.nonce}", value=int(content.expires.timestamp())
                )
            )
    except IntegrityError:
        return None  # already redeemed
    expires = moment + timedelta(hours=settings.session_hours())
    return _issue(store, "s1", content.name, content.generation, expires)


# ---- single sign-on -----------------------------------------------------------------------


def account_for_identity(claims: Mapping[str, Any], lookup: Callable[[str], User | None]) -> User | None:
    """The enabled account for an identity provider's claims, or ``None``.

    The account is the one *named* by the e-mail address (account names may hold ``@``);
    its role is the account's role. An address the provider marks as not verified
    (``email_verified`` false) matches nothing, so a self-registered address at a public
    provider cannot take over an account.
    """
    email = str(claims.get("email") or "").strip().lower()
    if not email or "@" not in email or claims.get("email_verified") is False:
        return None
    user = lookup(email)
    return None if user is None or user.disabled else user
