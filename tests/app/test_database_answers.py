"""On PostgreSQL the filtered pages ask the database (``SAHEL_QUERIES``, default ``auto``): they
show what the in-memory path shows, figure for figure, and never load the store's analysis frame
(the rows a page draws, at most)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from incidents.demo import ensure_demo_loaded
from incidents.store import IncidentStore
from tests.app.helpers import HEATMAP, MAP_PAGE, OVERVIEW, TIMELINE, assert_clean, new_app, opened_store

PAGES = (OVERVIEW, TIMELINE, HEATMAP, MAP_PAGE)


@pytest.fixture
def pg_app(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with opened_store(pg_url) as store:
        ensure_demo_loaded(store)
    monkeypatch.setenv("SAHEL_DB_URL", pg_url)
    yield pg_url


def _shown(at: AppTest) -> dict[str, Any]:
    """What a reader sees: metrics, charts' data, tables, and every sentence."""
    return {
        "metrics": [(metric.label, metric.value) for metric in at.metric],
        "charts": [json.loads(chart.proto.spec)["data"] for chart in at.get("plotly_chart")],
        "tables": [frame.value.to_dict("list") for frame in at.dataframe],
        "text": [
            str(element.value) for kind in (at.caption, at.info, at.warning, at.markdown) for element in kind
        ],
    }


def _page(page: str, country: str | None = None) -> AppTest:
    at = new_app()
    at.run()
    at.switch_page(page).run()
    if country is not None:
        at.multiselect(key="filter_countries").set_value([country]).run()
    assert_clean(at)
    return at


@pytest.mark.parametrize("page", PAGES)
def test_each_filtered_page_shows_the_same_from_the_database(
    page: str, pg_app: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole_reads: list[int] = []
    read = IncidentStore.load_analysis_frame

    def counting(store: IncidentStore, columns: Any = None, where: Any = None) -> Any:
        if where is None:
            whole_reads.append(1)
        return read(store, columns, where)

    monkeypatch.setattr(IncidentStore, "load_analysis_frame", counting)
    monkeypatch.setenv("SAHEL_QUERIES", "database")
    from_database = [_shown(_page(page)), _shown(_page(page, "BFA"))]
    assert whole_reads == [], "a page answered by the database loaded every row"

    monkeypatch.setenv("SAHEL_QUERIES", "memory")
    in_memory = [_shown(_page(page)), _shown(_page(page, "BFA"))]
    assert whole_reads, "the in-memory path reads the analysis frame"
    assert from_database == in_memory
    assert from_database[0]["metrics"] or from_database[0]["charts"], "the page shows figures"
    assert from_database[0] != from_database[1], "the country filter changed them"


@pytest.mark.parametrize("level", ["admin1", "admin2"])
def test_a_clicked_units_drill_down_is_the_same_from_the_database(
    level: str, pg_app: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with opened_store(pg_app) as store:
        codes = store.load_analysis_frame([f"{level}_code"])[f"{level}_code"].astype(str)
    code = str(codes[codes.str.startswith("ML")].value_counts().index[0])  # the busiest Malian unit
    shown = {}
    for answers in ("database", "memory"):
        monkeypatch.setenv("SAHEL_QUERIES", answers)
        at = new_app()
        at.session_state["map_selected_unit"] = {"level": level, "unit_code": code, "label": code}
        at.run()
        at.switch_page(MAP_PAGE).run()
        assert_clean(at)
        assert len(at.get("plotly_chart")) == 1, "the unit's trend"
        shown[answers] = _shown(at)
    assert shown["database"] == shown["memory"]


def test_auto_asks_postgresql_and_a_bad_setting_is_explained(
    pg_app: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard.ui import caching

    assert caching.answers_from_database(pg_app)
    monkeypatch.setenv("SAHEL_QUERIES", "fast")
    at = _page_with_error(OVERVIEW)
    assert any("SAHEL_QUERIES" in str(error.value) for error in at.error)


def _page_with_error(page: str) -> AppTest:
    at = new_app()
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at
