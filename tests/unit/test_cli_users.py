"""``python -m incidents users ...`` in-process against a temporary SQLite store."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from incidents.auth import Role, User
from incidents.auth.accounts import get_user, verify_credentials
from incidents.cli.main import main
from incidents.store import open_store, schema

PASSWORD = "a long enough password"


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_add_with_password_stdin_then_list(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["users", "add", "Adam", "--role", "admin", "--password-stdin"]) == 0
    assert main(["users", "list"]) == 0
    out = capsys.readouterr()
    assert "account 'adam' created with role admin" in out.out
    assert "adam" in out.out and "active" in out.out
    assert PASSWORD not in out.out + out.err
    store = open_store(db_url)
    try:
        assert verify_credentials(store, "adam", PASSWORD) == User("adam", Role.ADMIN)
        with store.engine.connect() as conn:
            stored = conn.execute(select(schema.users.c.password_hash)).scalar_one()
        assert stored.startswith("$argon2id$")
        log = store.audit_log()
        assert log["user_name"].iloc[0].startswith("cli:") and log["action"].iloc[0] == "user_created"
    finally:
        store.close()


def test_add_prompts_twice_with_getpass(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["users", "add", "ana", "--role", "analyst"]) == 0
    answers = iter([PASSWORD, "something else entirely"])
    assert main(["users", "add", "bob", "--role", "analyst"]) == 2


def test_set_role_disable_and_errors(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, role in (("adam", "admin"), ("ana", "analyst")):
        _stdin(monkeypatch, PASSWORD + "\n")
        assert main(["users", "add", name, "--role", role, "--password-stdin"]) == 0
    assert main(["users", "set-role", "ana", "viewer"]) == 0
    assert main(["users", "disable", "ana"]) == 0
    capsys.readouterr()
    assert main(["users", "disable", "adam"]) == 2  # the only enabled admin
    assert "only enabled admin" in capsys.readouterr().err
    assert main(["users", "disable", "nobody"]) == 2
    assert "no account named 'nobody'" in capsys.readouterr().err
    _stdin(monkeypatch, "short\n")
    assert main(["users", "add", "vera", "--role", "viewer", "--password-stdin"]) == 2
    assert "too short" in capsys.readouterr().err
    assert main(["users", "add", "vera", "--role", "boss", "--password-stdin"]) == 2  # argparse choices
    store = open_store(db_url)
    try:
        assert get_user(store, "ana") == User("ana", Role.VIEWER, disabled=True)
        assert get_user(store, "vera") is None
    finally:
        store.close()


def test_empty_stdin_is_refused(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, "")
    assert main(["users", "add", "adam", "--role", "admin", "--password-stdin"]) == 2
    assert "no password on stdin" in capsys.readouterr().err


def test_list_without_accounts_mentions_local_mode(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["users", "list"]) == 0
    assert "local mode" in capsys.readouterr().out
