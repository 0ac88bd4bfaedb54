"""The Briefing page draws a saved view with the same layers as the Map page.

Both pages build their map with :func:`dashboard.ui.incident_map.build_page_map`: the Map page
from its sidebar values (widget keys), the Briefing page from the saved view's options
(:func:`dashboard.ui.saved_views.view_options`). These tests save a view from a set of Map options,
read it back from the store, build both maps from the same filter and compare the folium
layers (name and kind of every element on the map) and the layer names in the HTML.
"""

from __future__ import annotations

import re

import folium
import pytest

from dashboard.builders.map_layers import (
    LAYER_ADMIN2,
    LAYER_BUFFERS,
    LAYER_HEAT,
    LAYER_HEXAGONS,
    risk_level_legend_rows,
)
from dashboard.builders.maps import LAYER_INCIDENTS
from dashboard.ui.incident_map import build_page_map
from dashboard.ui.saved_views import MAP_OPTION_DEFAULTS, build_query, layers_of, view_options
from geodata.boundaries import DEFAULT_COUNTRIES
from incidents.auth import LOCAL_ADMIN
from incidents.filtered import FrameIncidents
from incidents.query import IncidentFilter
from incidents.selection import apply_filter
from incidents.sources import date_span
from incidents.store import IncidentStore
from incidents.store.corridors import active_corridor_segments
from incidents.store.saved_views import SavedView, get_view, save_view
from tests.app.helpers import BRIEFING, open_view_link

pytestmark = pytest.mark.shared_app_db

CHOSEN = IncidentFilter(countries=("MLI", "BFA"), preset="last_90")

CASES: dict[str, dict[str, str | bool]] = {
    "defaults": {},
    "risk levels by region": {"map_choropleth": "risk_level"},
    "risk levels by district": {"map_choropleth": "risk_level", "map_choropleth_level": "admin2"},
    "rate by district, heat": {
        "map_choropleth": "per_30_days",
        "map_choropleth_level": "admin2",
        "map_heat": "fatalities",
    },
    "everything else": {"map_hexagons": True, "map_admin2": True, "map_buffers": True, "map_heat": "count"},
}


def _layers(m: folium.Map) -> list[tuple[str, str]]:
    """Kind and name of every element on the map, in drawing order."""
    return [(type(child).__name__, str(getattr(child, "layer_name", ""))) for child in m._children.values()]


def _html_layer_names(m: folium.Map) -> list[str]:
    return sorted(set(re.findall(r'"(?:name|layer_name)":\s*"([^"]+)"', m.get_root().render())))


def _maps(
    store: IncidentStore, db_url: str, controls: dict[str, str | bool]
) -> tuple[folium.Map, folium.Map]:
    """(Map page map, Briefing page map) of one view saved from ``controls``."""
    frame = store.load_analysis_frame()
    chosen = CHOSEN.resolved(date_span(frame))
    current = FrameIncidents(*apply_filter(frame, chosen, active_corridor_segments(store)))
    version = store.data_version()
    page_options = {**MAP_OPTION_DEFAULTS, **controls}
    name = "same-map-" + "-".join(f"{k}-{v}" for k, v in sorted(controls.items()))
    save_view(
        store,
        SavedView(name=name, query=build_query(CHOSEN, page_options), layers=tuple(layers_of(page_options))),
        by=LOCAL_ADMIN,
    )
    view = get_view(store, name)
    assert view is not None
    on_map_page = build_page_map(page_options, chosen, current, db_url, version).map
    view_chosen = view.incident_filter(DEFAULT_COUNTRIES).resolved(date_span(frame))
    on_briefing = build_page_map(view_options(view), view_chosen, current, db_url, version).map
    return on_map_page, on_briefing


@pytest.mark.parametrize("case", list(CASES))
def test_briefing_map_has_the_map_pages_layers(app_store: IncidentStore, app_db_url: str, case: str) -> None:
    on_map_page, on_briefing = _maps(app_store, app_db_url, CASES[case])
    assert _layers(on_briefing) == _layers(on_map_page)
    assert _html_layer_names(on_briefing) == _html_layer_names(on_map_page)
    assert any(name == LAYER_INCIDENTS for _, name in _layers(on_briefing))


def test_briefing_map_keeps_the_risk_level_shading(app_store: IncidentStore, app_db_url: str) -> None:
    _, on_briefing = _maps(app_store, app_db_url, {"map_choropleth": "risk_level"})
    names = [name for _, name in _layers(on_briefing)]
    assert "Risk level" in names
    html = on_briefing.get_root().render()
    # The risk-level legend (each level named in its fixed colour), not the quantile one.
    assert all(f"{colour}" in html and name in html for colour, name in risk_level_legend_rows())


def test_briefing_map_keeps_every_other_layer(app_store: IncidentStore, app_db_url: str) -> None:
    _, on_briefing = _maps(app_store, app_db_url, CASES["everything else"])
    names = {name for _, name in _layers(on_briefing)}
    assert {LAYER_ADMIN2, LAYER_BUFFERS, LAYER_INCIDENTS} <= names
    assert any(name.startswith(LAYER_HEXAGONS) for name in names), names
    assert any(name.startswith(LAYER_HEAT) for name in names), names


def test_briefing_page_shows_a_view_shaded_by_district_risk_level(app_store: IncidentStore) -> None:
    """The page itself runs clean on a view shaded by district risk level, which needs the
    risk table and the district layer (AppTest does not draw the map: the layers are
    compared in the tests above)."""
    options = {**MAP_OPTION_DEFAULTS, "map_choropleth": "risk_level", "map_choropleth_level": "admin2"}
    save_view(
        app_store,
        SavedView(
            name="district-risk",
            title="District risk levels",
            query=build_query(CHOSEN, options),
            layers=tuple(layers_of(options)),
        ),
        by=LOCAL_ADMIN,
    )
    at = open_view_link("district-risk", BRIEFING)
    assert at.title[0].value == "District risk levels"
