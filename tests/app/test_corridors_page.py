"""The Corridors page run headless: it renders, and editing metadata through it stores a version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from incidents.store import open_store
from incidents.store.corridors import active_corridor_segments, list_corridor_versions

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
PAGE = "app_pages/corridors.py"
TIMEOUT_S = 120


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'corridors.db'}"


@pytest.fixture
def app(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("SAHEL_DB_URL", db_url)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.switch_page(PAGE).run()
    _ok(at)
    yield at


def _ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [str(e.value) for e in at.error]


def test_page_runs_with_ranking_and_note(app: AppTest) -> None:
    assert [t.value for t in app.title] == ["Corridors"]
    assert any("analytic aids, not observed tracks" in str(i.value) for i in app.info)
    assert app.selectbox(key="corridor_selected").value == "C1"
    assert len(app.dataframe) >= 3  # ranking, segments, units, history
    app.slider(key="corridor_km").set_value(50).run()
    _ok(app)


def test_editing_metadata_through_the_page_creates_a_version(app: AppTest, db_url: str) -> None:
    corridor_id = str(app.selectbox(key="corridor_selected").value)
    app.text_input(key="corridor_edit_name").set_value("Renamed through the page").run()
    app.selectbox(key="corridor_edit_confidence").set_value("high").run()
    app.button(key="corridor_edit_save").click().run()
    _ok(app)
    assert any("version 2" in str(s.value) for s in app.success)
    store = open_store(db_url)
    try:
        versions = list_corridor_versions(store, corridor_id)
        assert versions["version"].tolist() == [1, 2]
        assert versions.iloc[-1]["name"] == "Renamed through the page"
        assert versions.iloc[-1]["confidence"] == "high"
        assert store.audit_log()["action"].iloc[-1] == "corridor_edit"
        active = active_corridor_segments(store)
        assert set(active.loc[active["corridor_id"] == corridor_id, "corridor_name"]) == {
            "Renamed through the page"
        }
    finally:
        store.close()


def test_retire_through_the_page_hides_the_corridor(app: AppTest) -> None:
    corridor_id = str(app.selectbox(key="corridor_selected").value)
    app.checkbox(key="corridor_retire_confirm").check().run()
    app.button(key="corridor_retire").click().run()
    _ok(app)
    assert not any(
        option.startswith(f"{corridor_id} —") for option in app.selectbox(key="corridor_selected").options
    )
    assert app.selectbox(key="corridor_selected").value != corridor_id
