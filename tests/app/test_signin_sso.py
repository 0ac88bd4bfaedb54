"""Single sign-on through the real app (``streamlit.testing``): ``[auth]`` secrets and ``st.user``.

No identity provider runs here: AppTest's ``user`` stands for what ``st.user`` would hold
after the provider's sign-in. The role always comes from the account named by the e-mail.
"""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from dashboard.app_pages.signin import SSO_NO_ACCOUNT
from incidents.auth import LOCAL_ADMIN
from incidents.auth.accounts import create_user, disable_user
from tests.app.helpers import new_app, opened_store, texts

PASSWORD = "a password nobody types"
AUTH_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test cookie secret, not used for real",
    "client_id": "sahel-dashboard",
    "client_secret": "not a real secret",
    "server_metadata_url": "https://login.example.org/.well-known/openid-configuration",
}


def _seed(db_url: str) -> None:
    with opened_store(db_url) as store:
        create_user(store, "adam", "admin", PASSWORD, by=LOCAL_ADMIN)
        create_user(store, "ana@ngo.example", "analyst", PASSWORD, by=LOCAL_ADMIN)
        create_user(store, "old@ngo.example", "viewer", PASSWORD, by=LOCAL_ADMIN)
        disable_user(store, "old@ngo.example")


def _run(user: dict[str, Any]) -> AppTest:
    at = new_app()
    at.secrets["auth"] = dict(AUTH_SECRETS)
    at.user = user
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_provider_button_is_offered_when_configured(auth_required: str) -> None:
    _seed(auth_required)
    at = _run({"is_logged_in": False})
    assert [title.value for title in at.title] == ["Sign in"]
    assert at.button(key="signin_sso").label == "Sign in with your organisation"
    assert at.text_input(key="signin_name") is not None  # the password form stays


def test_a_provider_user_gets_the_role_of_the_account_named_by_the_email(auth_required: str) -> None:
    _seed(auth_required)
    at = _run({"is_logged_in": True, "email": "Ana@NGO.example", "email_verified": True, "name": "Ana"})
    assert [title.value for title in at.title] == ["Overview"]
    assert any("Signed in as `ana@ngo.example` (analyst)" in text for text in texts(at.sidebar.caption))


def test_a_provider_user_without_an_enabled_account_gets_nothing(auth_required: str) -> None:
    _seed(auth_required)
    for claims in (
        {"is_logged_in": True, "email": "stranger@ngo.example", "email_verified": True},
        {"is_logged_in": True, "email": "old@ngo.example", "email_verified": True},  # disabled
        {"is_logged_in": True, "email": "ana@ngo.example", "email_verified": False},  # not verified
    ):
        at = _run(claims)
        assert [title.value for title in at.title] == ["Sign in"], claims
        assert texts(at.warning) == [SSO_NO_ACCOUNT], claims
        assert not at.multiselect  # no filters, no incident content


def test_without_auth_secrets_there_is_no_provider_button(auth_required: str) -> None:
    _seed(auth_required)
    at = new_app()
    at.run()
    assert not at.exception, at.exception
    assert "signin_sso" not in [button.key for button in at.button]
