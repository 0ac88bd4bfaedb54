"""Session tokens (SQLite, PostgreSQL): signed, expiring, ended by sign-out and account changes; SSO."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents import settings
from incidents.auth import Role, User, accounts, sessions
from incidents.auth.accounts import create_user, disable_user, enable_user, set_password, set_role
from incidents.auth.sessions import (
    account_for_identity,
    handoff_token,
    read_token,
    redeem_handoff,
    session_generation,
    session_token,
    sign_out,
    user_of_token,
)
from incidents.errors import SettingError
from incidents.store import IncidentStore, open_store
from tests.unit.test_auth_accounts import PASSWORD, use_cheap_hashes

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    use_cheap_hashes(monkeypatch)
    monkeypatch.delenv(settings.SESSION_HOURS_ENV, raising=False)
    monkeypatch.delenv(settings.SESSION_SECRET_ENV, raising=False)
    sessions._secret_cache.clear()


@pytest.fixture
def ana(store: IncidentStore) -> str:
    create_user(store, "adam", "admin", PASSWORD)
    create_user(store, "ana", "analyst", PASSWORD)
    return "ana"


def test_a_session_token_signs_in_until_it_expires(store: IncidentStore, ana: str) -> None:
    token = session_token(store, ana, now=T0)
    assert PASSWORD not in token and token.startswith("s1.")
    assert user_of_token(store, token, now=T0 + timedelta(hours=11, minutes=59)) == User("ana", Role.ANALYST)
    assert user_of_token(store, token, now=T0 + timedelta(hours=12)) is None  # default: 12 hours


def test_the_lifetime_is_a_setting(store: IncidentStore, ana: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.SESSION_HOURS_ENV, "2")
    token = session_token(store, ana, now=T0)
    assert user_of_token(store, token, now=T0 + timedelta(minutes=119)) is not None
    assert user_of_token(store, token, now=T0 + timedelta(hours=2)) is None
    for bad in ("0", "many", "721"):
        monkeypatch.setenv(settings.SESSION_HOURS_ENV, bad)
        with pytest.raises(SettingError, match="SAHEL_SESSION_HOURS"):
            settings.session_hours()


def test_a_forged_or_altered_token_signs_in_nobody(store: IncidentStore, ana: str) -> None:
    token = session_token(store, ana, now=T0)
    kind, name, generation, expires, nonce, signature = token.split(".")
    admin_name = sessions._b64(b"adam")
    for forged in (
        ".".join([kind, admin_name, generation, expires, nonce, signature]),  # another account
        ".".join([kind, name, generation, str(int(expires) + 86_400), nonce, signature]),  # longer life
        ".".join([kind, name, generation, expires, nonce, signature[:-2] + "AA"]),
        "s1.garbage",
        "",
    ):
        assert user_of_token(store, forged, now=T0) is None, forged


@pytest.mark.parametrize("change", ["sign out", "password", "role", "disable"])
def test_sign_out_and_account_changes_end_every_session(store: IncidentStore, ana: str, change: str) -> None:
    first, second = session_token(store, ana, now=T0), session_token(store, ana, now=T0)  # two browsers
    if change == "sign out":
        sign_out(store, ana)
    elif change == "password":
        set_password(store, ana, "a brand new password")
    elif change == "role":
        set_role(store, ana, "viewer")
    else:
        disable_user(store, ana)
        enable_user(store, ana)  # enabling again does not revive the old sessions
    assert user_of_token(store, first, now=T0) is None
    assert user_of_token(store, second, now=T0) is None
    assert user_of_token(store, session_token(store, ana, now=T0), now=T0) is not None  # a new sign-in works
    assert session_generation(store, "adam") == 0  # other accounts keep theirs


def test_a_disabled_account_is_refused_even_with_a_current_token(store: IncidentStore, ana: str) -> None:
    token = session_token(store, ana, now=T0)
    with store.engine.begin() as conn:  # disabled without ending sessions (as an older program would)
        conn.execute(
            accounts.schema.users.update().where(accounts.schema.users.c.name == ana).values(disabled=True)
        )
    assert user_of_token(store, token, now=T0) is None


def test_a_handoff_is_redeemed_once_for_a_session_token(store: IncidentStore, ana: str) -> None:
    handoff = handoff_token(store, ana, session_generation(store, ana), now=T0)
    assert user_of_token(store, handoff, now=T0) is None  # a handoff is not a cookie
    cookie = redeem_handoff(store, handoff, now=T0 + timedelta(seconds=5))
    assert cookie is not None and user_of_token(store, cookie, now=T0) == User("ana", Role.ANALYST)
    assert redeem_handoff(store, handoff, now=T0 + timedelta(seconds=6)) is None  # used up
    assert redeem_handoff(store, cookie, now=T0) is None  # a cookie is not a handoff
    late = handoff_token(store, ana, session_generation(store, ana), now=T0)
    assert redeem_handoff(store, late, now=T0 + timedelta(seconds=61)) is None  # expired
    ended = handoff_token(store, ana, session_generation(store, ana), now=T0)
    sign_out(store, ana)
    assert redeem_handoff(store, ended, now=T0) is None


def test_the_signing_key_is_made_once_and_shared_through_the_store(store: IncidentStore, ana: str) -> None:
    token = session_token(store, ana, now=T0)
    sessions._secret_cache.clear()  # as another replica opening the same store
    other = open_store(store.engine.url.render_as_string(hide_password=False))
    try:
        assert user_of_token(other, token, now=T0) is not None
    finally:
        other.close()


def test_a_configured_secret_replaces_the_stored_one(
    store: IncidentStore, ana: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = session_token(store, ana, now=T0)
    monkeypatch.setenv(settings.SESSION_SECRET_ENV, "x" * 40)
    assert user_of_token(store, stored, now=T0) is None
    configured = session_token(store, ana, now=T0)
    assert read_token(store, configured, "s1", now=T0) is not None
    monkeypatch.setenv(settings.SESSION_SECRET_ENV, "too short")
    with pytest.raises(SettingError, match="at least 32"):
        session_token(store, ana, now=T0)


# ---- single sign-on: the role comes from the account named by the verified e-mail ----------

ACCOUNTS = {
    "ana@ngo.example": User("ana@ngo.example", Role.ANALYST),
    "old@ngo.example": User("old@ngo.example", Role.ADMIN, disabled=True),
}


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"email": "Ana@NGO.example", "email_verified": True}, ACCOUNTS["ana@ngo.example"]),
        ({"email": "ana@ngo.example"}, ACCOUNTS["ana@ngo.example"]),  # providers that omit the flag
        ({"email": "ana@ngo.example", "email_verified": False}, None),  # not verified by the provider
        ({"email": "old@ngo.example", "email_verified": True}, None),  # account disabled
        ({"email": "stranger@ngo.example", "email_verified": True}, None),  # no account
        ({"name": "Ana", "sub": "1234"}, None),  # no e-mail claim
    ],
)
def test_an_identity_maps_to_the_account_named_by_its_email(
    claims: dict[str, object], expected: User | None
) -> None:
    assert account_for_identity(claims, ACCOUNTS.get) == expected
