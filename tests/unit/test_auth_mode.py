"""Local mode only for a loopback server with no accounts and SAHEL_AUTH not required."""

from __future__ import annotations

import pytest

from incidents.auth import AuthError
from incidents.auth.mode import auth_mode, no_admin_message


@pytest.mark.parametrize("address", ["localhost", "127.0.0.1", "::1", "LOCALHOST "])
def test_loopback_without_accounts_is_local(address: str) -> None:
    assert auth_mode(address, {}, has_accounts=False) == "local"
    assert auth_mode(address, {"SAHEL_AUTH": "auto"}, has_accounts=False) == "local"


@pytest.mark.parametrize("address", ["0.0.0.0", "", None, "10.0.0.5", "dashboard.example.org", "::"])
def test_any_other_address_requires_sign_in(address: str | None) -> None:
    assert auth_mode(address, {}, has_accounts=False) == "required"


def test_env_or_an_account_requires_sign_in_even_on_localhost() -> None:
    assert auth_mode("localhost", {"SAHEL_AUTH": "required"}, has_accounts=False) == "required"
    assert auth_mode("localhost", {"SAHEL_AUTH": "Required"}, has_accounts=False) == "required"
    assert auth_mode("localhost", {}, has_accounts=True) == "required"


def test_an_unknown_setting_is_refused_not_guessed() -> None:
    with pytest.raises(AuthError, match=r"SAHEL_AUTH='off'.*auto.*required"):
        auth_mode("0.0.0.0", {"SAHEL_AUTH": "off"}, has_accounts=False)


def test_no_admin_message_names_the_command() -> None:
    assert "python -m incidents users add NAME --role admin" in no_admin_message()
