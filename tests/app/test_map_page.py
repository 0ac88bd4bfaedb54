"""The Map page run headless with ``streamlit.testing``: every layer option, and the drill-down.

The map itself is a custom component (not rendered by AppTest), so the tests watch what the
page hands it: every map the page builds through :func:`dashboard.ui.incident_map.build_page_map`
is kept, and the tests check its layers (heat, hexagons, districts, buffers, choropleth) and
the highlighted corridor. A selected region (as a click would store it) shows its trend,
actor groups and latest incidents.
"""

from __future__ import annotations

from typing import Any

import folium
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.builders.map_layers import LAYER_ADMIN2, LAYER_BUFFERS, LAYER_HEAT, LAYER_HEXAGONS
from dashboard.builders.maps import LAYER_CORRIDORS, LAYER_INCIDENTS, MapBuild
from dashboard.ui import incident_map
from geodata.boundaries import DEFAULT_COUNTRIES, load_admin1
from tests.app.helpers import MAP_PAGE, assert_clean, opened_store, start_app

pytestmark = pytest.mark.shared_app_db


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[MapBuild]:
    """Every map the page builds, newest last (the page script imports the patched function)."""
    maps: list[MapBuild] = []
    original = incident_map.build_page_map

    def keep(*args: Any, **kwargs: Any) -> MapBuild:
        result = original(*args, **kwargs)
        maps.append(result)
        return result

    monkeypatch.setattr(incident_map, "build_page_map", keep)
    return maps


@pytest.fixture
def app(app_db_url: str, built: list[MapBuild]) -> AppTest:
    at = start_app(MAP_PAGE)
    assert not at.exception, at.exception
    return at


def _layer_names(build: MapBuild) -> set[str]:
    """The names of the map's own layers (what the layer control lists)."""
    m: folium.Map = build.map
    return {str(getattr(child, "layer_name", "")) for child in m._children.values()} - {""}


def _has(layers: set[str], prefix: str) -> bool:
    """Whether a layer is named ``prefix`` or ``prefix`` and a detail ("Heat (incident count)")."""
    return any(name.startswith(prefix) for name in layers)


def _features(build: MapBuild, name: str) -> int:
    """How many shapes the layer called ``name`` draws."""
    layer = next(c for c in build.map._children.values() if getattr(c, "layer_name", "") == name)
    return len(layer.data["features"])


def _most_active_mali_unit(db_url: str, column: str) -> str:
    """The admin1 or admin2 code (``column``) with the most incidents in Mali."""
    with opened_store(db_url) as store:
        frame = store.load_analysis_frame()
    return str(frame[frame["country_iso3"] == "MLI"][column].value_counts().index[0])


def test_defaults_have_every_extra_layer_off(app: AppTest, built: list[MapBuild]) -> None:
    layers = _layer_names(built[-1])
    assert LAYER_INCIDENTS in layers and LAYER_CORRIDORS in layers
    assert not any(_has(layers, name) for name in (LAYER_HEAT, LAYER_HEXAGONS, LAYER_ADMIN2, LAYER_BUFFERS))
    assert app.radio(key="map_heat").value == "off"
    assert app.checkbox(key="map_hexagons").value is False
    assert app.radio(key="map_choropleth").value == "off"
    assert app.radio(key="map_choropleth_level").value == "admin1"
    assert app.checkbox(key="map_admin2").value is False
    assert app.checkbox(key="map_buffers").value is False
    assert next(metric.label for metric in app.metric) == "Incidents"


@pytest.mark.parametrize("heat", ["count", "fatalities"])
def test_heat_layers_are_drawn(app: AppTest, built: list[MapBuild], heat: str) -> None:
    app.radio(key="map_heat").set_value(heat).run()
    assert_clean(app)
    assert _has(_layer_names(built[-1]), LAYER_HEAT)


@pytest.mark.parametrize("level", ["admin1", "admin2"])
@pytest.mark.parametrize("measure", ["per_10k_km2", "per_30_days"])
def test_choropleths_are_drawn(app: AppTest, built: list[MapBuild], measure: str, level: str) -> None:
    before = _layer_names(built[-1])
    app.radio(key="map_choropleth_level").set_value(level)
    app.radio(key="map_choropleth").set_value(measure).run()
    assert_clean(app)
    shaded = [name for name in _layer_names(built[-1]) - before if name.startswith("Incidents per")]
    assert len(shaded) == 1, shaded  # one shaded layer, named after its measure
    admin1 = load_admin1()
    regions = int(admin1["iso3"].isin(DEFAULT_COUNTRIES).sum())  # of the default view's countries
    assert (_features(built[-1], shaded[0]) > regions) == (level == "admin2")  # districts outnumber regions


def test_hexagons_admin2_and_buffers_are_drawn_together(app: AppTest, built: list[MapBuild]) -> None:
    app.checkbox(key="map_hexagons").check()
    app.checkbox(key="map_admin2").check()
    app.checkbox(key="map_buffers").check()
    app.radio(key="map_heat").set_value("count").run()
    assert_clean(app)
    layers = _layer_names(built[-1])
    assert all(_has(layers, name) for name in (LAYER_HEXAGONS, LAYER_ADMIN2, LAYER_BUFFERS, LAYER_HEAT))


def test_highlighted_corridor_and_buffers_follow_the_filter(app: AppTest, built: list[MapBuild]) -> None:
    corridor = app.selectbox(key="filter_corridor")
    assert corridor.options[0] == "Anywhere" and len(corridor.options) > 2
    corridor.select_index(1)  # the first corridor
    app.checkbox(key="map_buffers").check().run()
    assert_clean(app)
    m = built[-1].map
    buffers = next(
        child for child in m._children.values() if getattr(child, "layer_name", "") == LAYER_BUFFERS
    )
    hot = [feature["properties"]["hot"] for feature in buffers.data["features"]]
    assert sum(hot) == 1 and len(hot) > 1  # the chosen corridor stands out, the others do not


def test_selected_region_shows_the_drill_down(app: AppTest, app_db_url: str) -> None:
    code = _most_active_mali_unit(app_db_url, "admin1_code")
    name = str(load_admin1().set_index("admin1_code").loc[code, "admin1_name"])
    app.session_state["map_selected_unit"] = {"level": "admin1", "unit_code": code, "label": name}
    app.run()
    assert_clean(app)
    assert any(name in str(header.value) for header in app.subheader), [h.value for h in app.subheader]
    assert app.button(key="map_clear_selection") is not None
    assert len(app.get("plotly_chart")) == 1
    assert len(app.dataframe) == 2  # top actor groups, latest incidents
    columns = [str(column) for frame in app.dataframe for column in frame.value.columns]
    assert not [column for column in columns if "_" in column], columns  # human labels only

    app.button(key="map_clear_selection").click().run()
    assert_clean(app)
    assert app.session_state["map_selected_unit"] is None
    assert len(app.get("plotly_chart")) == 0


def test_selected_district_shows_the_drill_down(app: AppTest, app_db_url: str) -> None:
    code = _most_active_mali_unit(app_db_url, "admin2_code")
    app.session_state["map_selected_unit"] = {"level": "admin2", "unit_code": code, "label": code}
    app.run()
    assert_clean(app)
    assert any(str(header.value).startswith("District: ") for header in app.subheader)
    assert len(app.get("plotly_chart")) == 1
