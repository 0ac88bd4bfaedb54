"""The Before / after page, headless: runs, reacts to the window, and edits key developments."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from incidents.auth import Role, User
from incidents.store import IncidentStore
from incidents.store.developments import add_development, list_developments
from tests.app.helpers import BEFORE_AFTER, assert_clean, opened_store, start_app

pytestmark = pytest.mark.shared_app_db


@pytest.fixture
def page(app_db_url: str) -> AppTest:
    return start_app(BEFORE_AFTER)


def _pivot_table(at: AppTest):
    tables = [frame.value for frame in at.dataframe if "Rate ratio" in frame.value.columns]
    assert tables, "the before/after table is shown"
    return tables[0]


def test_page_runs_with_defaults(page: AppTest) -> None:
    assert_clean(page)
    picked = page.selectbox(key="pivot_development")
    assert str(picked.format_func(picked.value)).startswith("2025-09-20")
    assert page.number_input(key="pivot_window").value == 90
    assert page.selectbox(key="pivot_level").value == "admin1"
    table = _pivot_table(page)
    assert list(table.columns[:6]) == ["Unit", "Country", "Change", "Before", "After", "Rate ratio"]
    assert len(page.get("plotly_chart")) == 1
    captions = " ".join(str(c.value) for c in page.caption)
    assert "not evidence that the development *caused* it" in captions
    assert "Before: 22 Jun 2025 to 19 Sep 2025 (90 days)" in captions
    assert any("demo" in str(w.value).lower() for w in page.warning), "demo rows are flagged"


def test_changing_the_window_changes_the_table(page: AppTest) -> None:
    before = _pivot_table(page)
    page.number_input(key="pivot_window").set_value(30).run()
    assert_clean(page)
    after = _pivot_table(page)
    assert not before.equals(after)
    assert after["Before"].sum() < before["Before"].sum()


def test_corridor_level_runs(page: AppTest) -> None:
    page.selectbox(key="pivot_level").set_value("corridor").run()
    assert_clean(page)
    assert page.number_input(key="pivot_corridor_km").value == 25.0


def test_adding_a_development_persists_to_the_store(page: AppTest, app_db_url: str) -> None:
    page.date_input(key="pivot_add_date").set_value(date(2025, 10, 5))
    page.selectbox(key="pivot_add_precision").set_value("week")
    page.text_input(key="pivot_add_scope").set_value("bfa")
    page.text_input(key="pivot_add_title").set_value("Test blockade of Djibo")
    page.text_input(key="pivot_add_category").set_value("conflict")
    page.text_input(key="pivot_add_source").set_value("analyst")
    page.button(key="pivot_add_submit").click().run()
    assert_clean(page)
    assert any("Added key development" in str(s.value) for s in page.success)
    with opened_store(app_db_url) as store:
        stored = list_developments(store)
        row = stored[stored["title"] == "Test blockade of Djibo"].iloc[0]
        assert (row["scope"], row["date_precision"], row["updated_by"]) == ("BFA", "week", "local")
        assert store.audit_log()["action"].iloc[-1] == "development_add"
    # the new development is offered as a pivot at once (the cache is keyed on data_version)
    options = page.selectbox(key="pivot_development").options
    assert any("Test blockade of Djibo" in str(option) for option in options)


def test_invalid_development_shows_an_error_and_writes_nothing(
    page: AppTest, app_store: IncidentStore
) -> None:
    count = len(list_developments(app_store))
    page.text_input(key="pivot_add_scope").set_value("Mali")
    page.text_input(key="pivot_add_title").set_value("Bad scope")
    page.button(key="pivot_add_submit").click().run()
    assert not page.exception
    assert any("scope 'Mali'" in str(e.value) for e in page.error)
    assert len(list_developments(app_store)) == count


def _editing_a_new_development(page: AppTest, store: IncidentStore, title: str, date_precision: str) -> int:
    """Store a development, open the page and pick it in "Edit or delete"; its id."""
    new_id = add_development(
        store, date="2025-11-01", date_precision=date_precision, scope="NER", title=title,
        category="security", source="x", by=User("t", Role.ANALYST),
    )  # fmt: skip
    page.run()
    page.selectbox(key="pivot_edit_pick").set_value(new_id).run()
    return new_id


def test_delete_needs_confirmation(page: AppTest, app_store: IncidentStore) -> None:
    new_id = _editing_a_new_development(page, app_store, "To delete", "day")
    assert page.button(key="pivot_delete").disabled
    page.checkbox(key=f"pivot_delete_confirm_{new_id}").check().run()
    page.button(key="pivot_delete").click().run()
    assert_clean(page)
    assert new_id not in set(list_developments(app_store)["development_id"])
    assert app_store.audit_log()["action"].iloc[-1] == "development_delete"


def test_edit_saves_the_changed_fields(page: AppTest, app_store: IncidentStore) -> None:
    new_id = _editing_a_new_development(page, app_store, "Old title", "week")
    assert [box.value for box in page.selectbox if box.label == "Date precision"][-1] == "week"  # as stored
    [box for box in page.text_input if box.label == "Title"][-1].set_value("New title")
    page.button(key="pivot_edit_submit").click().run()
    assert_clean(page)
    saved = list_developments(app_store).set_index("development_id").loc[new_id]
    assert (saved["title"], saved["date_precision"], saved["category"]) == ("New title", "week", "security")
    assert any(f"Saved key development #{new_id}" in str(s.value) for s in page.success)
