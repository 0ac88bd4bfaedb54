"""Sign-in through the real app (``streamlit.testing``), in required and local mode.

Widget keys are the test contract: ``signin_name``, ``signin_password``, ``signin_submit``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.ui.auth import LOCAL_BADGE
from incidents.auth.accounts import create_user
from tests.app.helpers import DB_ENV, MAP_PAGE, ROOT, opened_store, sign_in, sqlite_url, start_app, texts

PASSWORD = "admin password 2025"

pytestmark = pytest.mark.no_demo  # each test its own empty store: sign-in needs no incidents


def _run() -> AppTest:
    at = start_app()
    assert not at.exception, at.exception
    return at


def _add_admin(db_url: str) -> None:
    with opened_store(db_url) as store:
        create_user(store, "adam", "admin", PASSWORD)


def test_required_mode_without_an_admin_stops_with_the_command(auth_required: str) -> None:
    at = _run()
    errors = " ".join(texts(at.error))
    assert "python -m incidents users add NAME --role admin" in errors
    assert not at.title  # no page ran
    assert not at.text_input  # not even the sign-in form


def test_without_a_session_only_the_sign_in_page_is_shown(auth_required: str) -> None:
    _add_admin(auth_required)
    at = _run()
    assert [title.value for title in at.title] == ["Sign in"]
    assert not at.error
    assert at.text_input(key="signin_name") is not None
    assert not at.multiselect  # no filters, no incident content
    # only the sign-in form is registered (also at every page's address): no page script can be reached
    with pytest.raises(ValueError, match=r"Could not find a navigation page for .*app_pages/map\.py"):
        at.switch_page(MAP_PAGE)


def test_a_wrong_password_shows_the_generic_error_and_is_audited(auth_required: str) -> None:
    _add_admin(auth_required)
    at = _run()
    sign_in(at, "adam", "not the password")
    assert not at.exception, at.exception
    assert texts(at.error) == ["Sign-in failed: the name or the password is not correct."]
    assert [title.value for title in at.title] == ["Sign in"]
    with opened_store(auth_required) as store:
        log = store.audit_log()
    failed = log[log["action"] == "signin_failed"]
    assert failed["user_name"].tolist() == ["adam"]
    assert "not the password" not in log.to_string()


def test_signing_in_through_the_form_opens_the_dashboard(auth_required: str) -> None:
    _add_admin(auth_required)
    at = _run()
    sign_in(at, "Adam", PASSWORD)
    assert not at.exception, at.exception
    assert [title.value for title in at.title] == ["Overview"]
    assert any("Signed in as `adam` (admin)" in text for text in texts(at.sidebar.caption))
    at.sidebar.button(key="signout").click().run()
    assert not at.exception, at.exception
    assert "signin_name" in [widget.key for widget in at.text_input]
    assert [title.value for title in at.title] != ["Overview"]


def test_local_mode_shows_the_badge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DB_ENV, sqlite_url(tmp_path, "local.db"))  # its own store, not the file's
    monkeypatch.delenv("SAHEL_AUTH", raising=False)
    at = _run()
    assert [title.value for title in at.title] == ["Overview"]
    assert LOCAL_BADGE in texts(at.sidebar.info)
    assert "signin_name" not in [widget.key for widget in at.text_input]


def test_no_pages_folder_beside_the_entry_script() -> None:
    # With a dashboard/pages/ folder Streamlit's older multipage mode runs a requested
    # sub-page on its own, before app.py ever calls st.navigation: the sign-in gate
    # would be skipped. Pages live in dashboard/app_pages/ for that reason.
    assert not (ROOT / "dashboard" / "pages").exists()
