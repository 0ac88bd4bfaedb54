"""Hand-out downloads headless: the prepare button on the Briefing and Map pages yields download buttons."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from incidents.auth import LOCAL_ADMIN
from incidents.query import IncidentFilter
from incidents.store import IncidentStore, open_store
from incidents.store.views import SavedView, save_view

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
MAP_PAGE = "app_pages/map.py"
BRIEFING = "app_pages/briefing.py"
TIMEOUT_S = 180


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'downloads.db'}"
    monkeypatch.setenv("SAHEL_DB_URL", url)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[IncidentStore]:
    opened = open_store(db_url)
    yield opened
    opened.close()


def _ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [str(e.value) for e in at.error]


def _labels(at: AppTest) -> set[str]:
    return {str(button.proto.label) for button in at.get("download_button")}


def _warnings(at: AppTest) -> str:
    return " ".join(str(w.value) for w in at.warning)


def test_briefing_hand_out_pack(db_url: str, store: IncidentStore) -> None:
    from dashboard.views import build_query

    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()  # first run loads the demo data
    save_view(
        store,
        SavedView(
            name="mali",
            title="Mali hand-out",
            query=build_query(IncidentFilter(countries=("MLI",), preset="last_90"), {}),
            layers=("basemap:none",),
        ),
        by=LOCAL_ADMIN,
    )
    at.switch_page(BRIEFING).run()
    _ok(at)
    assert not at.get("download_button")
    at.button(key="brief_hand_out_prepare").click().run()
    _ok(at)
    assert _labels(at) == {
        "PDF briefing pack",
        "PNG map",
        "Interactive map (HTML)",
        "CSV + provenance (zip)",
        "GeoJSON",
        "GeoPackage",
    }
    assert "Synthetic demo data" in _warnings(at)


def test_map_page_download_expander(db_url: str) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.switch_page(MAP_PAGE).run()
    _ok(at)
    at.multiselect(key="filter_countries").set_value(["MLI"])
    at.run()
    at.button(key="map_downloads_prepare").click().run()
    _ok(at)
    labels = _labels(at)
    assert labels == {"Interactive map (HTML)", "CSV + provenance (zip)", "GeoJSON", "GeoPackage"}
    names = [str(b.proto.label) for b in at.get("download_button")]
    assert names
    # Another filter drops the prepared files: they described the previous selection.
    at.selectbox(key="filter_period").set_value("all").run()
    _ok(at)
    assert not at.get("download_button")
