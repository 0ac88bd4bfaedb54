"""The whole app run headless with ``streamlit.testing`` against one fresh SQLite store per file.

Widgets are found by key (the keys are part of the test contract). The store holds the demo
data the fixture loads (the app never loads it into a store named by SAHEL_DB_URL; the first
start on the embedded store is tested in tests/app/test_demo_data.py).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.builders.attribution import DEMO_NOTICE
from tests.app.helpers import ABOUT, DB_ENV, MAP_PAGE, country_without_incidents, start_app, texts

pytestmark = pytest.mark.shared_app_db


@pytest.fixture
def app(app_db_url: str) -> AppTest:
    return start_app()


def test_overview_is_the_default_page(app: AppTest) -> None:
    assert not app.exception, app.exception
    assert [title.value for title in app.title] == ["Overview"]


def test_map_page_runs_and_shows_the_demo_banner(app: AppTest) -> None:
    app.switch_page(MAP_PAGE).run()
    assert not app.exception, app.exception
    assert not app.error, texts(app.error)
    assert any(DEMO_NOTICE in text for text in texts(app.warning))
    assert app.multiselect(key="filter_countries").value == ["MLI", "BFA", "NER"]
    assert app.selectbox(key="basemap").value == "none"
    assert app.selectbox(key="filter_period").value == "last_365"
    assert any("Natural Earth" in text for text in texts(app.caption))


def test_custom_period_starts_from_the_last_365_days_of_data(app: AppTest) -> None:
    app.selectbox(key="filter_period").set_value("custom").run()
    assert not app.exception, app.exception
    since, until = app.date_input(key="filter_dates").value
    assert (until - since).days == 364


def test_country_without_data_shows_the_empty_state(app: AppTest, app_db_url: str) -> None:
    iso3 = country_without_incidents(app_db_url)
    app.switch_page(MAP_PAGE).run()
    app.multiselect(key="filter_countries").set_value([iso3]).run()
    assert not app.exception, app.exception
    assert not app.error, texts(app.error)
    assert any("No incidents match" in text for text in texts(app.info))
    assert not any(DEMO_NOTICE in text for text in texts(app.warning))


def test_no_country_selected_shows_a_hint(app: AppTest) -> None:
    app.switch_page(MAP_PAGE).run()
    app.multiselect(key="filter_countries").set_value([]).run()
    assert not app.exception, app.exception
    assert any("Choose at least one country" in text for text in texts(app.info))


def test_openstreetmap_basemap_runs(app: AppTest) -> None:
    app.switch_page(MAP_PAGE).run()
    app.selectbox(key="basemap").set_value("OpenStreetMap").run()
    assert not app.exception, app.exception


def test_about_page_runs(app: AppTest) -> None:
    app.switch_page(ABOUT).run()
    assert not app.exception, app.exception
    assert any("Sources and licences" in text for text in texts(app.subheader))
    assert any(DEMO_NOTICE in text for text in texts(app.warning))
    titles = [frame.value["Title"].tolist() for frame in app.dataframe if "Title" in frame.value.columns]
    assert titles, "the key developments table is shown"
    assert any("Paris suspends counter-terrorism cooperation" in title for title in titles[0])


def test_bad_store_url_is_a_clear_error_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DB_ENV, "mysql://nobody@nowhere/db")
    at = start_app()
    assert not at.exception, at.exception
    assert any("SAHEL_DB_URL" in text for text in texts(at.error))
