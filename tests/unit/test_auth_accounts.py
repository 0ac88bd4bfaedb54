"""Accounts in the store (SQLite and PostgreSQL): hashes, roles, rate-limited sign-in, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from incidents.auth import PermissionDenied, Role, User, accounts
from incidents.auth.accounts import (
    MAX_FAILURES_PER_ACCOUNT,
    MAX_FAILURES_PER_CLIENT,
    WINDOW,
    create_user,
    disable_user,
    enable_user,
    get_user,
    has_admin,
    list_users,
    set_password,
    set_role,
    user_count,
    verify_credentials,
)
from incidents.auth.guarded import commit_import_as, undo_batch_as
from incidents.errors import AccountError, AccountLocked, AuthenticationFailed
from incidents.store import BatchMeta, IncidentStore, schema

PASSWORD = "correct horse battery"
T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def use_cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash passwords with Argon2id at small costs (fast tests), the dummy hash included."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(accounts, "_dummy_hash", None)


@pytest.fixture(autouse=True)
def cheap_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small costs keep this module fast; one test checks the real parameters."""
    if not request.node.name.startswith("test_passwords_are_stored_as_argon2_hashes_only"):
        use_cheap_hashes(monkeypatch)


def _stored_hash(store: IncidentStore, name: str) -> str:
    with store.engine.connect() as conn:
        return str(
            conn.execute(select(schema.users.c.password_hash).where(schema.users.c.name == name)).scalar_one()
        )


def _audit_text(store: IncidentStore) -> str:
    return store.audit_log().to_string()


def test_passwords_are_stored_as_argon2_hashes_only(store: IncidentStore) -> None:
    assert user_count(store) == 0 and not has_admin(store)
    user = create_user(store, "Ana", "admin", PASSWORD)
    assert user == User("ana", Role.ADMIN)
    stored = _stored_hash(store, "ana")
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)
    assert PASSWORD not in _audit_text(store)
    assert user_count(store) == 1 and has_admin(store)


def test_accounts_are_listed_changed_and_audited(store: IncidentStore) -> None:
    create_user(store, "adam", "admin", PASSWORD)
    create_user(store, "ana", Role.ANALYST, PASSWORD)
    set_role(store, "ANA", "viewer")
    disable_user(store, "ana")
    listed = {account.name: account for account in list_users(store)}
    assert listed["ana"].role is Role.VIEWER and listed["ana"].disabled
    assert listed["adam"].role is Role.ADMIN and not listed["adam"].disabled
    enable_user(store, "ana")
    assert get_user(store, "ana") == User("ana", Role.VIEWER)
    assert get_user(store, "nobody") is None
    actions = store.audit_log()["action"].tolist()
    assert actions == ["user_created", "user_created", "role_changed", "user_disabled", "user_enabled"]


def test_account_changes_do_not_bump_the_data_version(store: IncidentStore) -> None:
    before = store.data_version()
    create_user(store, "adam", "admin", PASSWORD)
    with pytest.raises(AuthenticationFailed):
        verify_credentials(store, "adam", "wrong password!")
    assert store.data_version() == before


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("bad name", "viewer", PASSWORD, "not a valid account name"),
        ("local", "viewer", PASSWORD, "reserved for local mode"),
        ("vera", "boss", PASSWORD, "unknown role 'boss'"),
        ("vera", "viewer", "short", "too short"),
    ],
)
def test_invalid_accounts_are_refused(
    store: IncidentStore, name: str, role: str, password: str, message: str
) -> None:
    with pytest.raises(Exception, match=message):
        create_user(store, name, role, password)
    assert user_count(store) == 0


def test_duplicate_names_are_refused_case_insensitively(store: IncidentStore) -> None:
    create_user(store, "ana", "analyst", PASSWORD)
    with pytest.raises(AccountError, match="'ana' already exists"):
        create_user(store, "ANA", "viewer", PASSWORD)


def test_the_last_enabled_admin_cannot_be_demoted_or_disabled(store: IncidentStore) -> None:
    create_user(store, "adam", "admin", PASSWORD)
    with pytest.raises(AccountError, match="only enabled admin"):
        set_role(store, "adam", "analyst")
    with pytest.raises(AccountError, match="only enabled admin"):
        disable_user(store, "adam")
    create_user(store, "eve", "admin", PASSWORD)
    disable_user(store, "adam")
    assert has_admin(store)
    with pytest.raises(AccountError, match="no account named 'zed'"):
        disable_user(store, "zed")


def test_only_admins_manage_accounts(store: IncidentStore) -> None:
    with pytest.raises(PermissionDenied, match="analyst 'ana' may not manage accounts"):
        create_user(store, "vera", "viewer", PASSWORD, by=User("ana", Role.ANALYST))
    assert user_count(store) == 0


def test_sign_in_succeeds_with_the_right_password(store: IncidentStore) -> None:
    create_user(store, "ana", "analyst", PASSWORD)
    assert verify_credentials(store, " Ana ", PASSWORD, client_key="10.0.0.1") == User("ana", Role.ANALYST)
    assert "signin" in store.audit_log()["action"].tolist()


@pytest.mark.parametrize("case", ["wrong password", "unknown name", "account disabled"])
def test_failures_are_generic_and_audited_without_the_password(store: IncidentStore, case: str) -> None:
    create_user(store, "adam", "admin", PASSWORD)
    create_user(store, "ana", "analyst", PASSWORD)
    name, password = ("ana", "not the password") if case == "wrong password" else ("ana", PASSWORD)
    if case == "unknown name":
        name = "nobody"
    if case == "account disabled":
        disable_user(store, "ana")
    with pytest.raises(AuthenticationFailed) as caught:
        verify_credentials(store, name, password, client_key="10.0.0.9")
    assert str(caught.value) == "sign-in failed: unknown name or wrong password"
    log = store.audit_log()
    failed = log[log["action"] == "signin_failed"]
    assert len(failed) == 1
    assert failed["user_name"].iloc[0] == name
    assert case in failed["details"].iloc[0] and "10.0.0.9" in failed["details"].iloc[0]
    assert password not in log.to_string()


def test_five_failures_lock_the_account_until_the_window_passes(store: IncidentStore) -> None:
    create_user(store, "ana", "analyst", PASSWORD)
    for minute in range(MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(AuthenticationFailed):
            verify_credentials(store, "ana", "guess number x", now=T0 + timedelta(minutes=minute))
    locked_at = T0 + timedelta(minutes=6)
    with pytest.raises(AccountLocked, match="locked for about 9 more minute") as caught:
        verify_credentials(store, "ana", PASSWORD, now=locked_at)  # even the right password
    assert caught.value.until == T0 + WINDOW
    log = store.audit_log()
    assert log["details"].iloc[-1].endswith("refused, locked after repeated failures")
    # the oldest failure leaves the window at T0 + 15 min: the right password works again
    assert verify_credentials(store, "ana", PASSWORD, now=T0 + WINDOW + timedelta(seconds=1)).name == "ana"


def test_a_success_resets_the_account_count(store: IncidentStore) -> None:
    create_user(store, "ana", "analyst", PASSWORD)
    for minute in range(MAX_FAILURES_PER_ACCOUNT - 1):
        with pytest.raises(AuthenticationFailed):
            verify_credentials(store, "ana", "guess number x", now=T0 + timedelta(minutes=minute))
    verify_credentials(store, "ana", PASSWORD, now=T0 + timedelta(minutes=5))
    with pytest.raises(AuthenticationFailed):  # one more failure: 1, not 5
        verify_credentials(store, "ana", "guess number x", now=T0 + timedelta(minutes=6))
    verify_credentials(store, "ana", PASSWORD, now=T0 + timedelta(minutes=7))


def test_unknown_names_lock_like_real_ones(store: IncidentStore) -> None:
    for minute in range(MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(AuthenticationFailed):
            verify_credentials(store, "ghost", "guess number x", now=T0 + timedelta(minutes=minute))
    with pytest.raises(AccountLocked):
        verify_credentials(store, "ghost", "guess number x", now=T0 + timedelta(minutes=6))


def test_one_client_spraying_many_names_is_locked(
    store: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "MAX_FAILURES_PER_CLIENT", 3)  # same rule, fewer slow hashes
    create_user(store, "ana", "analyst", PASSWORD)
    for index in range(3):
        with pytest.raises(AuthenticationFailed):
            verify_credentials(store, f"user{index}", "guess number x", client_key="203.0.113.7", now=T0)
    with pytest.raises(AccountLocked):
        verify_credentials(store, "ana", PASSWORD, client_key="203.0.113.7", now=T0 + timedelta(minutes=1))
    # another client is not affected
    assert verify_credentials(store, "ana", PASSWORD, client_key="198.51.100.2", now=T0).name == "ana"
    assert MAX_FAILURES_PER_CLIENT > MAX_FAILURES_PER_ACCOUNT


def test_hashes_with_old_parameters_are_upgraded_at_sign_in(
    store: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", cheap)
    create_user(store, "ana", "analyst", PASSWORD)
    old = _stored_hash(store, "ana")
    current = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", current)
    verify_credentials(store, "ana", PASSWORD)
    new = _stored_hash(store, "ana")
    assert new != old and not current.check_needs_rehash(new)
    verify_credentials(store, "ana", PASSWORD)  # the new hash verifies


def test_set_password_replaces_the_hash(store: IncidentStore) -> None:
    create_user(store, "ana", "analyst", PASSWORD)
    set_password(store, "ana", "a brand new password")
    with pytest.raises(AuthenticationFailed):
        verify_credentials(store, "ana", PASSWORD)
    assert verify_credentials(store, "ana", "a brand new password").name == "ana"


# ---- guarded store operations ----------------------------------------------------------


def _batch(store: IncidentStore, owner: str) -> str:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "source_dataset": "manual",
            "source_event_id": [f"{owner}-1"],
            "event_date": pd.to_datetime(["2024-03-01"]),
            "date_precision": "day",
            "latitude": [14.48],
            "longitude": [-4.18],
            "geo_precision": 1,
            "event_type": "battle",
            "actor_group": "JNIM",
            "fatalities": 1,
            "civilian_targeting": False,
        }
    )
    return store.add_batch(
        frame, BatchMeta(file_name="f.csv", sha256="0" * 64, format="generic", user_name=owner)
    ).batch_id


def test_analysts_undo_their_own_batches_only(store: IncidentStore) -> None:
    ana, bob = User("ana", Role.ANALYST), User("bob", Role.ANALYST)
    bobs = _batch(store, "bob")
    with pytest.raises(PermissionDenied, match=f"analyst 'ana' may not undo batch {bobs} imported by 'bob'"):
        undo_batch_as(store, bobs, ana)
    assert store.count_incidents() == 1  # nothing changed
    assert undo_batch_as(store, bobs, bob) == 1
    log = store.audit_log()
    assert log["user_name"].iloc[-1] == "bob" and log["action"].iloc[-1] == "undo"


def test_admins_undo_any_batch_and_viewers_none(store: IncidentStore) -> None:
    batch = _batch(store, "bob")
    with pytest.raises(PermissionDenied, match="viewer 'vera' may not undo batches"):
        undo_batch_as(store, batch, User("vera", Role.VIEWER))
    assert undo_batch_as(store, batch, User("adam", Role.ADMIN)) == 1
    assert store.audit_log()["user_name"].iloc[-1] == "adam"


def test_viewers_may_not_import(store: IncidentStore) -> None:
    with pytest.raises(PermissionDenied, match="viewer 'vera' may not import files"):
        commit_import_as(None, store, User("vera", Role.VIEWER))  # type: ignore[arg-type]
