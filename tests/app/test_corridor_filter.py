"""The sidebar corridor filter and the corridor risk units follow the store's active corridors.

Run headless with ``streamlit.testing``: a corridor retired in the store disappears from the
filter's options (also while a session is open), a corridor uploaded to the store appears
and filters the incidents near its own line, and the Risk page's corridor units are the
active ones; a saved view naming a retired corridor says so on the Briefing page.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString
from streamlit.testing.v1 import AppTest

from dashboard.ui.saved_views import build_query
from geodata.boundaries import DEFAULT_COUNTRIES
from geodata.crs import WGS84
from incidents.auth import LOCAL_ADMIN, Role, User
from incidents.query import IncidentFilter
from incidents.store.corridors import active_corridor_segments, add_corridor_version, retire_corridor
from incidents.store.saved_views import SavedView, save_view
from tests.app.helpers import BRIEFING, RISK_PAGE, assert_clean, metric_number, opened_store, start_app

ANALYST = User("ana", Role.ANALYST)
NEW_ID = "C10"
NEW_NAME = "Test route Tougan - Djibo"
NEW_ROUTE = LineString([(-3.05, 13.07), (-2.3, 13.6), (-1.63, 14.1)])


@pytest.fixture
def corridor_db_url(app_db_url: str) -> str:
    """A store where C1 is retired and a new corridor C10 was uploaded before the app starts."""
    with opened_store(app_db_url) as store:
        retire_corridor(store, "C1", by=ANALYST)
        route = gpd.GeoDataFrame(geometry=[NEW_ROUTE], crs=WGS84)
        add_corridor_version(store, NEW_ID, route, name=NEW_NAME, by=ANALYST)
    return app_db_url


@pytest.fixture
def app(corridor_db_url: str) -> AppTest:
    at = start_app()
    assert_clean(at)
    return at


def _corridor_ids(at: AppTest) -> list[str]:
    options = at.selectbox(key="filter_corridor").options
    return [option.split(" — ")[0] for option in options if " — " in option]


def test_options_are_the_active_corridors_and_follow_a_retirement(app: AppTest, corridor_db_url: str) -> None:
    ids = _corridor_ids(app)
    assert "C1" not in ids  # retired before the app started
    assert NEW_ID in ids and ids.index(NEW_ID) == len(ids) - 1
    assert f"{NEW_ID} — {NEW_NAME}" in app.selectbox(key="filter_corridor").options
    unfiltered = metric_number(app, "Incidents")
    app.selectbox(key="filter_corridor").select("C2").run()
    assert_clean(app)
    assert metric_number(app, "Incidents") < unfiltered

    with opened_store(corridor_db_url) as store:  # another analyst retires C2 while this session is open
        retire_corridor(store, "C2", by=ANALYST)
    app.run()
    assert_clean(app)
    assert "C2" not in _corridor_ids(app)
    assert app.selectbox(key="filter_corridor").value in ("", None)  # back to "Anywhere"
    assert metric_number(app, "Incidents") == unfiltered


def test_uploaded_corridor_filters_incidents_near_its_own_line(app: AppTest, corridor_db_url: str) -> None:
    app.selectbox(key="filter_corridor").select(NEW_ID).run()
    assert_clean(app)
    with opened_store(corridor_db_url) as store:
        frame = store.load_analysis_frame()
        chosen = IncidentFilter(countries=DEFAULT_COUNTRIES, corridor_id=NEW_ID).resolved(store.date_range())
        expected = int(np.count_nonzero(chosen.mask(frame, corridors=active_corridor_segments(store))))
    assert expected > 0, "the demo data should hold incidents near the test route"
    assert metric_number(app, "Incidents") == expected


def test_risk_page_corridor_units_are_the_active_corridors(app: AppTest) -> None:
    app.switch_page(RISK_PAGE).run()
    app.radio(key="risk_unit_level").set_value("corridor").run()
    assert_clean(app)
    codes = set(app.dataframe[0].value["Code"])
    assert NEW_ID in codes and "C1" not in codes


def test_briefing_view_naming_a_retired_corridor_says_so(corridor_db_url: str) -> None:
    with opened_store(corridor_db_url) as store:  # saved while C3 was active, then C3 is retired
        chosen = IncidentFilter(countries=DEFAULT_COUNTRIES, preset="all", corridor_id="C3")
        save_view(
            store, SavedView(name="near-c3", title="Near C3", query=build_query(chosen, {})), by=LOCAL_ADMIN
        )
        retire_corridor(store, "C3", by=ANALYST)
    at = start_app(BRIEFING)
    assert_clean(at)
    assert any("Corridor C3 is not active" in str(w.value) for w in at.warning)
    assert metric_number(at, "Incidents") == 0
