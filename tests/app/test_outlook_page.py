"""The Outlook page and the Timeline's fan chart run headless with ``streamlit.testing``.

Few runs on purpose: fitting and backtesting the models on the demo takes most of a minute, once
per process (the run is cached on the incidents' content, so Timeline reuses it)."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.builders.outlook_data import OUTLOOK_PARAM, wants_outlook
from incidents.demo import generate_demo_incidents
from incidents.outlook.wording import ICD203_WORDS
from incidents.store import BatchMeta, IncidentStore
from incidents.store.saved_views import get_view
from tests.app.helpers import (
    MAP_PAGE,
    OUTLOOK_PAGE,
    TIMELINE,
    assert_clean,
    figures,
    new_app,
    opened_store,
    start_app,
    texts,
)

#: Fitting and backtesting the models on the demo: most of a minute on a quiet machine.
SLOW_S = 400


def test_outlook_page_shows_map_table_fan_chart_and_backtest_then_timeline_fan_chart(app_db_url: str) -> None:
    at = start_app(OUTLOOK_PAGE, timeout=SLOW_S)
    assert_clean(at)
    assert [radio.key for radio in at.radio] == ["outlook_level", "outlook_horizon"]
    assert len(at.radio(key="outlook_horizon").options) == 3
    table = at.dataframe[0].value
    assert {"Unit", "Chance of fatal violence", "Probability", "Incidents, 90 % range", "Served by"} <= set(
        table
    )
    assert set(table["Chance of fatal violence"]) <= set(ICD203_WORDS)
    assert table["Probability"].is_monotonic_decreasing
    assert any("synthetic" in text.lower() for text in texts(at.warning))  # demo rows say so
    assert any("estimates" in text for text in texts(at.caption))
    sentences = " ".join(texts(at.markdown))
    assert "no model beat it in the backtest" in sentences or "beat every baseline" in sentences
    names = [[trace.get("name") for trace in figure["data"]] for figure in figures(at)]
    assert names[0][:3] == ["90 % range (estimate)", "50 % range (estimate)", "Median (estimate)"]
    assert names[1][0] == "Perfectly reliable"

    at.switch_page(TIMELINE).run()
    assert_clean(at)
    assert any("single region" in text for text in texts(at.caption))
    at.multiselect(key="filter_admin1").set_value([table["Code"].iloc[0]]).run()
    assert_clean(at)
    fan = figures(at)[-1]
    assert [trace.get("name") for trace in fan["data"]][-1] == "Observed incidents"


@pytest.mark.no_demo
def test_six_months_of_data_get_a_refusal_that_says_what_is_missing(app_db_url: str) -> None:
    frame = generate_demo_incidents(n=3_000, start=date(2025, 1, 1), end=date(2025, 6, 30))
    with opened_store(app_db_url) as store:
        store.add_batch(
            frame, BatchMeta(file_name="six_months.csv", sha256="0" * 64, format="demo", rows_read=len(frame))
        )
    at = start_app(OUTLOOK_PAGE)
    assert_clean(at)
    (warning,) = [text for text in texts(at.warning) if "No outlook" in text]
    assert "not enough history" in warning and "at least 24" in warning
    assert not at.dataframe and not figures(at)


def test_a_view_saved_with_the_outlook_asks_for_it_and_reopens_with_it(app_store: IncidentStore) -> None:
    at = start_app(MAP_PAGE)
    at.text_input(key="view_name").input("with-outlook")
    at.checkbox(key=OUTLOOK_PARAM).check()
    at.button(key="view_save").click().run()
    assert_clean(at)
    view = get_view(app_store, "with-outlook")
    assert view is not None and "outlook=1" in view.query and wants_outlook(view.query_params())

    fresh = new_app()
    fresh.query_params["view"] = "with-outlook"
    fresh.run()
    assert_clean(fresh)
    assert fresh.session_state[OUTLOOK_PARAM] is True
