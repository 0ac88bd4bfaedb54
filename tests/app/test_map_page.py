"""The Map page run headless with ``streamlit.testing``: every layer option, and the drill-down.

The map itself is a custom component (not rendered by AppTest); these tests prove each
combination of controls builds a map without an exception, and that a selected region
(as a click would store it) shows its trend, actor groups and latest incidents.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from geodata.boundaries import load_admin1
from tests.app.helpers import MAP_PAGE, assert_clean, opened_store, start_app

pytestmark = pytest.mark.shared_app_db


@pytest.fixture
def app(app_db_url: str) -> AppTest:
    at = start_app(MAP_PAGE)
    assert not at.exception, at.exception
    return at


def _most_active_mali_unit(db_url: str, column: str) -> str:
    """The admin1 or admin2 code (``column``) with the most incidents in Mali."""
    with opened_store(db_url) as store:
        frame = store.load_analysis_frame()
    return str(frame[frame["country_iso3"] == "MLI"][column].value_counts().index[0])


def test_defaults_have_every_extra_layer_off(app: AppTest) -> None:
    assert app.radio(key="map_heat").value == "off"
    assert app.checkbox(key="map_hexagons").value is False
    assert app.radio(key="map_choropleth").value == "off"
    assert app.radio(key="map_choropleth_level").value == "admin1"
    assert app.checkbox(key="map_admin2").value is False
    assert app.checkbox(key="map_buffers").value is False
    assert next(metric.label for metric in app.metric) == "Incidents"


@pytest.mark.parametrize("heat", ["count", "fatalities"])
def test_heat_layers_run(app: AppTest, heat: str) -> None:
    app.radio(key="map_heat").set_value(heat).run()
    assert_clean(app)


@pytest.mark.parametrize("level", ["admin1", "admin2"])
@pytest.mark.parametrize("measure", ["per_10k_km2", "per_30_days"])
def test_choropleths_run(app: AppTest, measure: str, level: str) -> None:
    app.radio(key="map_choropleth_level").set_value(level)
    app.radio(key="map_choropleth").set_value(measure).run()
    assert_clean(app)


def test_hexagons_admin2_and_buffers_run_together(app: AppTest) -> None:
    app.checkbox(key="map_hexagons").check()
    app.checkbox(key="map_admin2").check()
    app.checkbox(key="map_buffers").check()
    app.radio(key="map_heat").set_value("count").run()
    assert_clean(app)


def test_highlighted_corridor_and_buffers_follow_the_filter(app: AppTest) -> None:
    corridor = app.selectbox(key="filter_corridor")
    first = next(option for option in corridor.options if option not in ("", "None", "Any", "All"))
    corridor.select(first)
    app.checkbox(key="map_buffers").check().run()
    assert_clean(app)


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
