"""The Risk page (and the Map page's risk-level shading) run headless with ``streamlit.testing``."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import MAP_PAGE, RISK_PAGE, assert_clean, start_app

pytestmark = pytest.mark.shared_app_db


@pytest.fixture
def app(app_db_url: str) -> AppTest:
    at = start_app(RISK_PAGE)
    assert_clean(at)
    return at


def _index_table(at: AppTest):
    return at.dataframe[0].value.set_index("Code")


def test_risk_page_shows_table_metrics_and_breakdown(app: AppTest) -> None:
    labels = [metric.label for metric in app.metric]
    assert labels == ["Units listed", "Extreme (level 5)", "Very high (level 4)", "Surging this week"]
    table = _index_table(app)
    assert {"Risk level", "Index (0–1)", "Week vs 4 weeks", "Surge"} <= set(table.columns)
    assert table["Index (0–1)"].is_monotonic_decreasing
    breakdown = app.dataframe[1].value
    assert list(breakdown["Indicator"]) == ["Deadliness", "Danger", "Diffusion", "Fragmentation"]
    assert any("synthetic" in str(w.value).lower() for w in app.warning)  # demo data say so


@pytest.mark.parametrize("level", ["admin2", "corridor"])
def test_other_unit_levels_run(app: AppTest, level: str) -> None:
    app.radio(key="risk_unit_level").set_value(level).run()
    assert_clean(app)
    assert len(app.dataframe[0].value) > 0


def test_choosing_a_unit_shows_its_breakdown(app: AppTest) -> None:
    unit = app.selectbox(key="risk_unit")
    last = unit.options[-1]
    unit.select(last).run()
    assert_clean(app)
    assert len(app.dataframe[1].value) == 4


def test_filtering_countries_out_does_not_change_a_units_level(app: AppTest) -> None:
    before = _index_table(app)
    app.multiselect(key="filter_countries").set_value(["MLI"]).run()
    assert_clean(app)
    after = _index_table(app)
    assert set(after["Country"]) == {"MLI"}
    shared = after.index
    assert (after.loc[shared, "Risk level"] == before.loc[shared, "Risk level"]).all()
    assert (after.loc[shared, "Index (0–1)"] == before.loc[shared, "Index (0–1)"]).all()


def test_window_and_as_of_controls(app: AppTest) -> None:
    app.number_input(key="risk_window_days").set_value(90).run()
    assert_clean(app)
    narrow = _index_table(app)["Events"].sum()
    app.number_input(key="risk_window_days").set_value(365).run()
    assert _index_table(app)["Events"].sum() >= narrow


@pytest.mark.parametrize("level", ["admin1", "admin2"])
def test_map_page_shades_by_risk_level(app_db_url: str, level: str) -> None:
    at = start_app(MAP_PAGE)
    assert "Risk level" in at.radio(key="map_choropleth").options
    at.radio(key="map_choropleth_level").set_value(level)
    at.radio(key="map_choropleth").set_value("risk_level").run()
    assert_clean(at)
