"""Every page of the app, run headless with ``streamlit.testing`` against one temporary store.

Checks that each page runs, that the shared filters drive the figures of the analysis
pages, that an empty selection shows the empty state, and that the filters round-trip
through the URL. Figures are compared through the plotly JSON the app sends.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.builders.attribution import DEMO_NOTICE
from geodata.boundaries import country_names
from tests.app.helpers import (
    ABOUT,
    BRIEFING,
    HEATMAP,
    IMPORT_PAGE,
    MAP_PAGE,
    OVERVIEW,
    TIMELINE,
    assert_clean,
    country_without_incidents,
    figures,
    new_app,
    opened_store,
    plotly_array,
    start_app,
    texts,
)

ALL_PAGES = (OVERVIEW, MAP_PAGE, TIMELINE, HEATMAP, IMPORT_PAGE, BRIEFING, ABOUT)
ANALYSIS_PAGES = (OVERVIEW, TIMELINE, HEATMAP)

pytestmark = pytest.mark.shared_app_db


@pytest.fixture
def app(app_db_url: str) -> AppTest:
    return start_app()


@pytest.fixture
def empty_country(app: AppTest, app_db_url: str) -> str:
    """A selectable country with no incidents in the store (filled with the demo data by ``app``)."""
    return country_without_incidents(app_db_url)


def _open(at: AppTest, page: str) -> AppTest:
    if page != OVERVIEW:  # the default page is already shown after the first run
        at.switch_page(page).run()
    return at


def _data(at: AppTest) -> list[list[dict[str, Any]]]:
    return [figure["data"] for figure in figures(at)]


def _metrics(at: AppTest) -> list[tuple[str, str]]:
    return [(metric.label, metric.value) for metric in at.metric]


def _shown(at: AppTest) -> object:
    """What the page shows that a filter should change: key figures and chart data."""
    return (_metrics(at), _data(at))


def _params(at: AppTest) -> dict[str, list[str]]:
    return {key: value if isinstance(value, list) else [value] for key, value in at.query_params.items()}


@pytest.mark.parametrize("page", ALL_PAGES)
def test_every_page_runs(app: AppTest, page: str) -> None:
    assert_clean(_open(app, page))


def test_overview_shows_key_figures_charts_and_latest_incidents(app: AppTest) -> None:
    assert_clean(app)
    labels = [label for label, _ in _metrics(app)]
    assert labels == ["Incidents", "Fatalities", "Civilian-targeting events"]
    assert all(metric.proto.delta for metric in app.metric), "each figure shows its change"
    assert len(figures(app)) == 2, "top regions and top actor groups"
    latest = [frame.value for frame in app.dataframe if "Fatalities" in frame.value.columns]
    assert latest and len(latest[0]) == 15
    assert list(latest[0].columns) == [
        "Date",
        "Country",
        "Region",
        "Place",
        "Type",
        "Actors",
        "Fatalities",
        "Source",
    ]
    assert any(DEMO_NOTICE in text for text in texts(app.warning))
    assert any(text.startswith("Period shown:") for text in texts(app.caption))


@pytest.mark.parametrize("page", ANALYSIS_PAGES)
def test_country_filter_changes_thefigures(app: AppTest, page: str) -> None:
    _open(app, page)
    before = _shown(app)
    assert before[1], "the page shows a chart"
    app.multiselect(key="filter_countries").set_value(["MLI"]).run()
    assert_clean(app)
    assert _shown(app) != before


@pytest.mark.parametrize("page", ANALYSIS_PAGES)
def test_event_type_filter_changes_thefigures(app: AppTest, page: str) -> None:
    _open(app, page)
    before = _shown(app)
    app.multiselect(key="filter_types").set_value(["battle"]).run()
    assert_clean(app)
    assert _shown(app) != before


@pytest.mark.parametrize("page", ANALYSIS_PAGES)
def test_country_without_incidents_shows_the_empty_state(app: AppTest, page: str, empty_country: str) -> None:
    _open(app, page)
    app.multiselect(key="filter_countries").set_value([empty_country]).run()
    assert_clean(app)
    assert any("No incidents match" in text for text in texts(app.info))
    assert not any(DEMO_NOTICE in text for text in texts(app.warning))
    assert not app.get("plotly_chart")


@pytest.mark.parametrize("page", ANALYSIS_PAGES)
def test_no_country_shows_a_hint(app: AppTest, page: str) -> None:
    _open(app, page)
    app.multiselect(key="filter_countries").set_value([]).run()
    assert_clean(app)
    assert any("Choose at least one country" in text for text in texts(app.info))


def test_timeline_controls_change_the_chart(app: AppTest) -> None:
    _open(app, TIMELINE)
    assert app.selectbox(key="timeline_freq").value == "W"
    assert app.selectbox(key="timeline_measure").value == "incidents"
    assert app.selectbox(key="timeline_stack").value == "event_type"
    [traces] = _data(app)
    assert traces[-1]["type"] == "scatter", "rolling average line"
    weekly_bars = len(plotly_array(traces[0]["x"]))

    app.selectbox(key="timeline_freq").set_value("M").run()
    [traces] = _data(app)
    assert len(plotly_array(traces[0]["x"])) < weekly_bars

    app.selectbox(key="timeline_stack").set_value("country_iso3").run()
    [traces] = _data(app)
    assert {trace["name"] for trace in traces if trace["type"] == "bar"} <= {"MLI", "BFA", "NER"}

    incidents = _data(app)
    app.selectbox(key="timeline_measure").set_value("fatalities").run()
    assert _data(app) != incidents

    app.slider(key="timeline_rolling").set_value(0).run()
    [traces] = _data(app)
    assert all(trace["type"] == "bar" for trace in traces)
    assert_clean(app)
    assert [button.key for button in app.get("download_button")] == ["timeline_download"]


def test_timeline_shows_key_developments_in_the_period(app: AppTest) -> None:
    _open(app, TIMELINE)
    app.selectbox(key="filter_period").set_value("all").run()
    [figure] = figures(app)
    markers = len(figure["layout"].get("shapes", []))
    assert markers > 0, "the demo period covers some key developments"
    assert len(figure["layout"]["annotations"]) == markers
    app.toggle(key="timeline_developments").set_value(False).run()
    [figure] = figures(app)
    assert not figure["layout"].get("shapes")


def test_heatmap_controls_change_the_matrix(app: AppTest) -> None:
    _open(app, HEATMAP)
    assert app.selectbox(key="heatmap_level").value == "admin1"
    assert app.selectbox(key="heatmap_measure").value == "incidents"
    assert app.selectbox(key="heatmap_sort").value == "total"
    [[heatmap]] = _data(app)
    assert heatmap["type"] == "heatmap"
    regions = heatmap["y"]

    app.selectbox(key="heatmap_sort").set_value("name").run()
    [[heatmap]] = _data(app)
    assert heatmap["y"] == sorted(regions, key=str.casefold)

    app.selectbox(key="heatmap_measure").set_value("rate").run()
    [[heatmap]] = _data(app)
    rates = plotly_array(heatmap["z"]).astype(float)
    assert np.isfinite(rates).any()
    assert not np.allclose(rates[np.isfinite(rates)] % 1, 0), "rates are fractional per 10,000 km²"

    app.selectbox(key="heatmap_level").set_value("admin2").run()
    assert_clean(app)
    [[heatmap]] = _data(app)
    assert len(heatmap["y"]) > len(regions)
    assert any("only for Mali, Burkina Faso and Niger" in text for text in texts(app.caption))
    assert [button.key for button in app.get("download_button")] == ["heatmap_download"]


def test_heatmap_admin2_outside_the_three_countries_explains_itself(app: AppTest, app_db_url: str) -> None:
    with opened_store(app_db_url) as store:
        others = [iso3 for iso3 in country_names() if iso3 not in {"MLI", "BFA", "NER"}]
        with_data = [iso3 for iso3 in others if not store.load_incidents(countries=[iso3]).empty]
    assert with_data, "the demo data should hold incidents outside Mali, Burkina Faso and Niger"
    _open(app, HEATMAP)
    app.multiselect(key="filter_countries").set_value(with_data[:1]).run()
    app.selectbox(key="heatmap_level").set_value("admin2").run()
    assert_clean(app)
    assert any("admin-2" in text for text in texts(app.info))


def test_briefing_page_without_views_says_how_to_save_one(app: AppTest) -> None:
    _open(app, BRIEFING)  # briefing mode itself: tests/app/test_briefing.py
    assert any("Save this view" in text for text in texts(app.info))


def test_filters_start_from_the_url_and_write_back(app_db_url: str) -> None:
    at = new_app()
    at.query_params = {"country": ["NER"], "period": "last_90", "type": ["battle"]}
    at.run()
    assert_clean(at)
    assert at.multiselect(key="filter_countries").value == ["NER"]
    assert at.selectbox(key="filter_period").value == "last_90"
    assert at.multiselect(key="filter_types").value == ["battle"]

    at.multiselect(key="filter_countries").set_value(["NER", "MLI"]).run()
    at.selectbox(key="filter_period").set_value("last_30").run()
    params = _params(at)
    assert params["country"] == ["NER", "MLI"]
    assert params["period"] == ["last_30"]
    assert params["type"] == ["battle"]

    # Another page keeps the same filters (session state) and the same URL.
    at.switch_page(TIMELINE).run()
    assert_clean(at)
    assert at.multiselect(key="filter_countries").value == ["NER", "MLI"]
    assert at.selectbox(key="filter_period").value == "last_30"
    at.multiselect(key="filter_types").set_value([]).run()
    assert "type" not in _params(at)
