"""Roles through the real app (``streamlit.testing``), signed in via the sign-in form.

Users and batches live in a temporary SQLite store; ``SAHEL_AUTH=required``.
"""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from incidents.auth import LOCAL_ADMIN
from incidents.auth.accounts import create_user, list_users
from incidents.auth.guarded import commit_import_as
from incidents.ingest.pipeline import prepare_import
from tests.app.helpers import (
    ABOUT,
    ADMIN_PAGE,
    IMPORT_FIXTURES,
    IMPORT_PAGE,
    MAP_PAGE,
    ROOT,
    opened_store,
    sign_in,
    start_app,
)

PASSWORD = "a password for tests"
FILES = {
    "ana": IMPORT_FIXTURES / "acled_api_sample.csv",
    "bo": ROOT / "incidents" / "data" / "ucdp_ged_sample_sahel_2012plus.csv",
}

pytestmark = pytest.mark.shared_app_db


@pytest.fixture(scope="module", autouse=True)
def accounts(shared_app_db_url: str) -> None:
    """Four accounts, and one import batch each by ana and bo, in the file's store before the app runs."""
    with opened_store(shared_app_db_url) as store:
        for name, role in [("adam", "admin"), ("vera", "viewer"), ("ana", "analyst"), ("bo", "analyst")]:
            create_user(store, name, role, PASSWORD, by=LOCAL_ADMIN)
        for name, path in FILES.items():
            prepared = prepare_import(path, store, file_name=path.name, today=date(2026, 1, 1))
            analyst = next(a.user for a in list_users(store) if a.name == name)
            commit_import_as(prepared, store, analyst)


def _signed_in(name: str) -> AppTest:
    at = start_app()
    sign_in(at, name, PASSWORD)
    assert not at.exception, at.exception
    assert [title.value for title in at.title] == ["Overview"]
    return at


def _open(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _keys(elements: object) -> list[str]:
    return [str(element.key) for element in elements]  # type: ignore[attr-defined]


def test_viewer_sees_no_import_or_undo_controls(auth_required: str) -> None:
    at = _open(_signed_in("vera"), IMPORT_PAGE)
    assert any("Importing needs the analyst role" in str(c.value) for c in at.caption)
    assert "import_file" not in _keys(at.get("file_uploader"))
    with pytest.raises(KeyError):
        at.button(key="import_confirm")
    with pytest.raises(KeyError):
        at.button(key="undo_button")
    assert any("Undoing a batch needs the analyst role" in str(c.value) for c in at.caption)
    assert len(at.dataframe) == 1  # the history stays readable


def test_admin_page_is_not_in_a_viewers_or_analysts_navigation(auth_required: str) -> None:
    for name in ("vera", "ana"):
        at = _signed_in(name)
        with pytest.raises(ValueError, match="Known pages"):
            at.switch_page(ADMIN_PAGE)


def test_analyst_sees_only_own_batches_for_undo(auth_required: str) -> None:
    with opened_store(auth_required) as store:
        batches = store.list_batches().set_index("user_name")["batch_id"]
    at = _open(_signed_in("ana"), IMPORT_PAGE)
    assert at.get("file_uploader")  # an analyst may import
    options = at.selectbox(key="undo_batch").options
    assert len(options) == 1 and batches["ana"] in options[0]
    assert not any(batches["bo"] in option for option in options)


def test_admin_sees_every_batch_and_adds_a_user_on_the_admin_page(auth_required: str) -> None:
    at = _open(_signed_in("adam"), IMPORT_PAGE)
    assert len(at.selectbox(key="undo_batch").options) == 2
    _open(at, ADMIN_PAGE)
    assert [title.value for title in at.title] == ["Accounts"]
    at.text_input(key="admin_new_name").set_value("cleo")
    at.selectbox(key="admin_new_role").set_value("analyst")
    at.text_input(key="admin_new_password").set_value("cleo's long password")
    at.text_input(key="admin_new_password2").set_value("cleo's long password")
    at.button(key="admin_add").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    with opened_store(auth_required) as store:
        accounts = {account.name: str(account.role) for account in list_users(store)}
        log = store.audit_log()
    assert accounts["cleo"] == "analyst"
    created = log[log["action"] == "user_created"]
    assert created["user_name"].iloc[-1] == "adam"


def test_store_location_is_shown_on_the_about_page_to_admins_only(auth_required: str) -> None:
    """Where the data lives (a file path, a database host) is for admins: not on maps, not for viewers."""
    adam = _open(_signed_in("adam"), ABOUT)
    assert any("Store: `sqlite:" in str(m.value) for m in adam.markdown)
    for name in ("vera", "ana"):
        at = _signed_in(name)
        for page in (ABOUT, MAP_PAGE):
            _open(at, page)
            shown = [str(e.value) for kind in ("markdown", "caption", "info") for e in at.get(kind)]
            assert shown, page
            assert not any("Store:" in text or "sqlite:" in text for text in shown), (name, page)
