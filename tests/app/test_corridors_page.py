"""The Corridors page run headless: it renders, and editing metadata through it stores a version."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from incidents.store.corridors import active_corridor_segments, list_corridor_versions
from tests.app.helpers import CORRIDORS, assert_clean, opened_store, start_app


@pytest.fixture
def app(app_db_url: str) -> AppTest:
    at = start_app(CORRIDORS)
    assert_clean(at)
    return at


def test_page_runs_with_ranking_and_note(app: AppTest) -> None:
    assert [t.value for t in app.title] == ["Corridors"]
    assert any("analytic aids, not observed tracks" in str(i.value) for i in app.info)
    assert app.selectbox(key="corridor_selected").value == "C1"
    assert len(app.dataframe) >= 3  # ranking, segments, units, history
    app.slider(key="corridor_km").set_value(50).run()
    assert_clean(app)


def test_editing_metadata_through_the_page_creates_a_version(app: AppTest, app_db_url: str) -> None:
    corridor_id = str(app.selectbox(key="corridor_selected").value)
    app.text_input(key="corridor_edit_name").set_value("Renamed through the page").run()
    app.selectbox(key="corridor_edit_confidence").set_value("high").run()
    app.button(key="corridor_edit_save").click().run()
    assert_clean(app)
    assert any("version 2" in str(s.value) for s in app.success)
    with opened_store(app_db_url) as store:
        versions = list_corridor_versions(store, corridor_id)
        assert versions["version"].tolist() == [1, 2]
        assert versions.iloc[-1]["name"] == "Renamed through the page"
        assert versions.iloc[-1]["confidence"] == "high"
        assert store.audit_log()["action"].iloc[-1] == "corridor_edit"
        active = active_corridor_segments(store)
        assert set(active.loc[active["corridor_id"] == corridor_id, "corridor_name"]) == {
            "Renamed through the page"
        }


def test_retire_through_the_page_hides_the_corridor(app: AppTest) -> None:
    corridor_id = str(app.selectbox(key="corridor_selected").value)
    app.checkbox(key="corridor_retire_confirm").check().run()
    app.button(key="corridor_retire").click().run()
    assert_clean(app)
    assert not any(
        option.startswith(f"{corridor_id} —") for option in app.selectbox(key="corridor_selected").options
    )
    assert app.selectbox(key="corridor_selected").value != corridor_id
