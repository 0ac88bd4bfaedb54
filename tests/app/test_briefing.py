"""Briefing mode headless: saved views round-trip through a link, stepping, management, live refresh.

Each test gets its own SQLite store (filled with the demo data by the fixture). Fragments
with ``run_every`` do not tick by themselves in AppTest: a second ``at.run()`` after an
import stands in for the next tick.
"""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from incidents.auth import LOCAL_ADMIN
from incidents.model import conform_incidents
from incidents.query import IncidentFilter
from incidents.store import BatchMeta, IncidentStore
from incidents.store.saved_views import SavedView, get_view, list_views, save_view
from tests.app.helpers import (
    BRIEFING,
    MAP_PAGE,
    assert_clean,
    metric_number,
    new_app,
    open_view_link,
    start_app,
    texts,
)


def _query(chosen: IncidentFilter, **options: str) -> str:
    from dashboard.ui.saved_views import build_query

    return build_query(chosen, options)


def test_save_on_map_page_then_reopen_by_link(app_store: IncidentStore) -> None:
    at = start_app(MAP_PAGE)
    assert_clean(at)
    at.multiselect(key="filter_countries").set_value(["MLI"])
    at.multiselect(key="filter_types").set_value(["battle", "violence_against_civilians"])
    at.selectbox(key="filter_period").set_value("all")
    at.radio(key="map_heat").set_value("fatalities")
    at.checkbox(key="map_hexagons").check()
    at.run()
    assert_clean(at)
    at.text_input(key="view_name").input("mali-battles")
    at.text_input(key="view_title").input("Mali: battles and attacks on civilians")
    at.text_area(key="view_notes").input("Point at the centre.")
    at.button(key="view_save").click().run()
    assert_clean(at)
    assert any("mali-battles" in str(s.value) for s in at.success)

    view = get_view(app_store, "mali-battles")
    assert view is not None
    assert view.title == "Mali: battles and attacks on civilians" and view.notes == "Point at the centre."
    assert "heat:fatalities" in view.layers and "hexagons" in view.layers
    assert view.zoom is not None  # st_folium's default value carries the zoom

    fresh = new_app()
    fresh.query_params["view"] = "mali-battles"
    fresh.run()
    assert_clean(fresh)
    assert "view" not in fresh.query_params, "the link is applied once, then dropped"
    assert fresh.query_params["country"] == "MLI"
    assert fresh.multiselect(key="filter_countries").value == ["MLI"]
    assert fresh.multiselect(key="filter_types").value == ["battle", "violence_against_civilians"]
    assert fresh.selectbox(key="filter_period").value == "all"
    assert fresh.session_state["map_heat"] == "fatalities"
    assert fresh.session_state["map_hexagons"] is True
    assert fresh.session_state["map_buffers"] is False
    fresh.switch_page(MAP_PAGE).run()
    assert_clean(fresh)
    assert fresh.radio(key="map_heat").value == "fatalities"
    assert fresh.checkbox(key="map_hexagons").value is True
    assert fresh.multiselect(key="filter_countries").value == ["MLI"]


def test_unknown_view_link_warns(app_db_url: str) -> None:
    at = new_app()
    at.query_params["view"] = "no-such-view"
    at.run()  # the warning shows on the page the link opened (escaped: the name is shown as text)
    assert_clean(at)
    assert any("no\\-such\\-view" in str(w.value) for w in at.warning)
    at.switch_page(MAP_PAGE).run()  # said once
    assert not any("such" in str(w.value) for w in at.warning)


def _seed_views(store: IncidentStore) -> None:
    save_view(
        store,
        SavedView(
            name="all-mali",
            title="Mali, all dates",
            notes="Open with the big picture.",
            query=_query(IncidentFilter(countries=("MLI",), preset="all")),
            center_lat=16.0,
            center_lon=-2.0,
            zoom=5,
            layers=("basemap:none",),
        ),
        by=LOCAL_ADMIN,
    )
    save_view(
        store,
        SavedView(
            name="burkina-heat",
            title="Burkina Faso heat",
            query=_query(IncidentFilter(countries=("BFA",), preset="last_90"), map_heat="count"),
            layers=("basemap:none", "heat:count"),
        ),
        by=LOCAL_ADMIN,
    )
    save_view(
        store,
        SavedView(name="niger-shaded", title="Niger shaded", query="country=NER&period=all"),
        by=LOCAL_ADMIN,
    )


def _open_briefing() -> AppTest:
    at = start_app(BRIEFING)
    assert_clean(at)
    return at


def test_briefing_without_views_explains_how_to_save(app_db_url: str) -> None:
    at = _open_briefing()
    assert any("Save this view" in str(i.value) for i in at.info)


def test_next_and_previous_step_through_the_views(app_store: IncidentStore) -> None:
    at = _open_briefing()
    _seed_views(app_store)
    at.run()
    assert_clean(at)
    assert at.title[0].value == "Mali, all dates"
    assert at.button(key="brief_prev").disabled
    assert "Open with the big picture." in texts(at.markdown)
    incidents_mali = metric_number(at, "Incidents")
    at.button(key="brief_next").click().run()
    assert_clean(at)
    assert at.title[0].value == "Burkina Faso heat"
    assert metric_number(at, "Incidents") != incidents_mali
    at.button(key="brief_next").click().run()
    assert at.title[0].value == "Niger shaded"
    assert at.button(key="brief_next").disabled
    at.button(key="brief_prev").click().run()
    assert_clean(at)
    assert at.title[0].value == "Burkina Faso heat"


def test_link_opens_the_briefing_at_that_view(app_store: IncidentStore) -> None:
    _open_briefing()
    _seed_views(app_store)
    at = open_view_link("niger-shaded", BRIEFING)
    assert at.title[0].value == "Niger shaded"


def test_manage_rename_move_and_delete(app_store: IncidentStore) -> None:
    at = _open_briefing()
    _seed_views(app_store)
    at.run()
    at.selectbox(key="brief_manage_view").set_value("niger-shaded").run()
    at.text_input(key="brief_rename_to").input("niger").run()
    at.button(key="brief_rename").click().run()
    assert_clean(at)
    assert list(list_views(app_store)["name"]) == ["all-mali", "burkina-heat", "niger"]
    at.button(key="brief_move_up").click().run()
    at.button(key="brief_move_up").click().run()
    assert_clean(at)
    assert list(list_views(app_store)["name"]) == ["niger", "all-mali", "burkina-heat"]
    assert at.title[0].value == "Niger shaded", "the first slide is now the moved view"
    assert at.button(key="brief_delete").disabled, "deleting needs the confirmation box"
    at.checkbox(key="brief_delete_confirm").check().run()
    at.button(key="brief_delete").click().run()
    assert_clean(at)
    assert list(list_views(app_store)["name"]) == ["all-mali", "burkina-heat"]
    assert at.title[0].value == "Mali, all dates"


def _new_mali_incidents(store: IncidentStore, n: int, first: int = 0) -> pd.DataFrame:
    """``n`` copies of a stored Mali incident under new ids, inside the stored date range."""
    sample = store.load_incidents(countries=["MLI"]).head(n).copy()
    sample["source_dataset"] = "manual"
    sample["source_event_id"] = [f"briefing-{i}" for i in range(first, first + n)]
    sample["incident_id"] = "manual:" + sample["source_event_id"]
    return conform_incidents(sample.drop(columns=["batch_id", "imported_at"]))


def test_live_refresh_shows_an_import_made_during_the_briefing(app_store: IncidentStore) -> None:
    # Real rows before the briefing starts: from then on the demo is left out by default, so the
    # figures move only with the import made during the briefing.
    app_store.add_batch(
        _new_mali_incidents(app_store, 2),
        BatchMeta(file_name="earlier.csv", sha256="y" * 64, format="generic"),
    )
    at = _open_briefing()
    _seed_views(app_store)
    at.run()
    assert_clean(at)
    assert at.title[0].value == "Mali, all dates"
    before = metric_number(at, "Incidents")
    assert any("0 new incidents since the briefing started" in c for c in texts(at.caption))

    app_store.add_batch(
        _new_mali_incidents(app_store, 3, first=2),
        BatchMeta(file_name="field.csv", sha256="x" * 64, format="generic"),
    )
    at.run()  # the fragment's next tick
    assert_clean(at)
    assert metric_number(at, "Incidents") == before + 3
    assert any("3 new incidents since the briefing started" in c for c in texts(at.caption))


def test_refresh_interval_is_configurable(app_store: IncidentStore) -> None:
    at = _open_briefing()
    _seed_views(app_store)
    at.run()
    assert at.number_input(key="brief_refresh_s").value == 60
    at.number_input(key="brief_refresh_s").set_value(30).run()
    assert_clean(at)
    assert any("every 30 s" in c for c in texts(at.caption))
