"""The whole app run headless with ``streamlit.testing`` against a fresh SQLite store.

Widgets are found by key (the keys are part of the test contract). The store is empty at
start, so the first run also proves the demo data loads on a fresh installation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.attribution import DEMO_NOTICE
from geodata.boundaries import country_names
from incidents.store import open_store

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
TIMEOUT_S = 120
MAP_PAGE = "app_pages/map.py"  # Overview is the default page


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('app') / 'app.db'}"


@pytest.fixture
def app(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("SAHEL_DB_URL", db_url)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    yield at


def _texts(elements: object) -> list[str]:
    return [str(element.value) for element in elements]  # type: ignore[attr-defined]


def test_overview_is_the_default_page(app: AppTest) -> None:
    assert not app.exception, app.exception
    assert [title.value for title in app.title] == ["Overview"]


def test_map_page_runs_and_shows_the_demo_banner(app: AppTest) -> None:
    app.switch_page(MAP_PAGE).run()
    assert not app.exception, app.exception
    assert not app.error, _texts(app.error)
    assert any(DEMO_NOTICE in text for text in _texts(app.warning))
    assert app.multiselect(key="filter_countries").value == ["MLI", "BFA", "NER"]
    assert app.selectbox(key="basemap").value == "none"
    assert app.selectbox(key="filter_period").value == "last_365"
    assert any("Natural Earth" in text for text in _texts(app.caption))


def test_custom_period_starts_from_the_last_365_days_of_data(app: AppTest) -> None:
    app.selectbox(key="filter_period").set_value("custom").run()
    assert not app.exception, app.exception
    since, until = app.date_input(key="filter_dates").value
    assert (until - since).days == 364


def _country_without_data(db_url: str) -> str:
    store = open_store(db_url)
    try:
        for iso3 in country_names():
            if store.load_incidents(countries=[iso3]).empty:
                return iso3
    finally:
        store.close()
    pytest.fail("every country has demo incidents; cannot test the empty state")


def test_country_without_data_shows_the_empty_state(app: AppTest, db_url: str) -> None:
    iso3 = _country_without_data(db_url)
    app.switch_page(MAP_PAGE).run()
    app.multiselect(key="filter_countries").set_value([iso3]).run()
    assert not app.exception, app.exception
    assert not app.error, _texts(app.error)
    assert any("No incidents match" in text for text in _texts(app.info))
    assert not any(DEMO_NOTICE in text for text in _texts(app.warning))


def test_no_country_selected_shows_a_hint(app: AppTest) -> None:
    app.switch_page(MAP_PAGE).run()
    app.multiselect(key="filter_countries").set_value([]).run()
    assert not app.exception, app.exception
    assert any("Choose at least one country" in text for text in _texts(app.info))


def test_openstreetmap_basemap_runs(app: AppTest) -> None:
    app.switch_page(MAP_PAGE).run()
    app.selectbox(key="basemap").set_value("OpenStreetMap").run()
    assert not app.exception, app.exception


def test_about_page_runs(app: AppTest) -> None:
    app.switch_page("app_pages/about.py").run()
    assert not app.exception, app.exception
    assert any("Sources and licences" in text for text in _texts(app.subheader))
    assert any(DEMO_NOTICE in text for text in _texts(app.warning))
    titles = [frame.value["title"].tolist() for frame in app.dataframe if "title" in frame.value.columns]
    assert titles, "the key developments table is shown"
    assert any("Paris suspends counter-terrorism cooperation" in title for title in titles[0])


def test_bad_store_url_is_a_clear_error_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAHEL_DB_URL", "mysql://nobody@nowhere/db")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S).run()
    assert not at.exception, at.exception
    assert any("SAHEL_DB_URL" in text for text in _texts(at.error))
