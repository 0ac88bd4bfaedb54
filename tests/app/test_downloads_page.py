"""Hand-out downloads headless: the prepare button on the Briefing and Map pages yields download buttons."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from incidents.auth import LOCAL_ADMIN
from incidents.query import IncidentFilter
from incidents.store import IncidentStore
from incidents.store.saved_views import SavedView, save_view
from tests.app.helpers import BRIEFING, MAP_PAGE, assert_clean, new_app, start_app, texts

TIMEOUT_S = 180


def _labels(at: AppTest) -> set[str]:
    return {str(button.proto.label) for button in at.get("download_button")}


def test_briefing_hand_out_pack(app_store: IncidentStore) -> None:
    from dashboard.ui.saved_views import build_query

    at = new_app(timeout=TIMEOUT_S)
    at.run()  # first run loads the demo data
    save_view(
        app_store,
        SavedView(
            name="mali",
            title="Mali hand-out",
            query=build_query(IncidentFilter(countries=("MLI",), preset="last_90"), {}),
            layers=("basemap:none",),
        ),
        by=LOCAL_ADMIN,
    )
    at.switch_page(BRIEFING).run()
    assert_clean(at)
    assert not at.get("download_button")
    at.button(key="brief_hand_out_prepare").click().run()
    assert_clean(at)
    assert _labels(at) == {
        "PDF briefing pack",
        "PNG map",
        "Interactive map (HTML)",
        "CSV + provenance (zip)",
        "GeoJSON",
        "GeoPackage",
    }
    assert "Synthetic demo data" in " ".join(texts(at.warning))


def test_map_page_download_expander(app_db_url: str) -> None:
    at = start_app(MAP_PAGE, timeout=TIMEOUT_S)
    assert_clean(at)
    at.multiselect(key="filter_countries").set_value(["MLI"])
    at.run()
    at.button(key="map_downloads_prepare").click().run()
    assert_clean(at)
    labels = _labels(at)
    assert labels == {"Interactive map (HTML)", "CSV + provenance (zip)", "GeoJSON", "GeoPackage"}
    names = [str(b.proto.label) for b in at.get("download_button")]
    assert names
    # Another filter drops the prepared files: they described the previous selection.
    at.selectbox(key="filter_period").set_value("all").run()
    assert_clean(at)
    assert not at.get("download_button")
