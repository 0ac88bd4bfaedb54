"""The Outlook page and the Timeline's fan chart run headless with ``streamlit.testing``.

Few runs on purpose: fitting and backtesting the models on the demo takes most of a minute, once
per process (the run is cached on the incidents' content, so Timeline reuses it)."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.builders.outlook_data import OUTLOOK_PARAM, wants_outlook
from incidents.auth.accounts import create_user
from incidents.demo import generate_demo_incidents
from incidents.outlook.adjustments import list_adjustments
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
    sign_in,
    start_app,
    texts,
)

PASSWORD = "a password for tests"
#: Fitting and backtesting the models on the demo: most of a minute on a quiet machine.
SLOW_S = 400


def test_outlook_page_shows_map_table_fan_chart_and_backtest_then_timeline_fan_chart(app_db_url: str) -> None:
    at = start_app(OUTLOOK_PAGE, timeout=SLOW_S)
    assert_clean(at)
    assert [radio.key for radio in at.radio] == ["outlook_level", "outlook_horizon", "outlook_scenario"]
    assert len(at.radio(key="outlook_horizon").options) == 3
    assert at.radio(key="outlook_scenario").value == "forecast"
    table = at.dataframe[0].value
    assert {
        "Unit",
        "Chance of fatal violence",
        "Probability",
        "Next 3 months",
        "Incidents, 90 % range",
        "Served by",
    } <= set(table)
    assert not any(column.startswith("What if") for column in table)
    assert table["Next 3 months"].between(0, 1).all()
    assert (table["Next 3 months"] >= table["Probability"] - 0.001).all()  # 3 months hold the first
    assert set(table["Chance of fatal violence"]) <= set(ICD203_WORDS)
    assert table["Probability"].is_monotonic_decreasing
    assert any("synthetic" in text.lower() for text in texts(at.warning))  # demo rows say so
    assert any("estimates" in text for text in texts(at.caption))
    sentences = " ".join(texts(at.markdown))
    assert "no model beat it in the backtest" in sentences or "beat every baseline" in sentences
    names = [[trace.get("name") for trace in figure["data"]] for figure in figures(at)]
    assert names[0][:3] == ["90 % range (estimate)", "50 % range (estimate)", "Median (estimate)"]
    assert names[1][0] == "Perfectly reliable"
    assert not any(str(name).startswith("What if") for name in names[0])
    unit = str(at.selectbox(key="outlook_unit").value)
    assert unit == table["Code"].iloc[0]
    plain = sentences.replace("\\", "")  # the sentences are escaped for markdown
    assert "In the backtest, '" in plain and "Over the next three months: " in plain

    at.radio(key="outlook_scenario").set_value("trend_continues").run()
    assert_clean(at)
    column = "What if the last 90 days' trend continues: incidents"
    shown = at.dataframe[0].value
    assert column in shown and "Probability" in shown  # beside the forecast, never instead
    assert shown[column].notna().all() and (shown[column] >= 0).all()
    assert "What if: the last 90 days' trend continues" in [t.get("name") for t in figures(at)[0]["data"]]
    assert any("not forecasts" in text for text in texts(at.caption))

    # An analyst signs in (an account makes sign-in required) and adjusts the selected unit.
    with opened_store(app_db_url) as store:
        create_user(store, "adam", "admin", PASSWORD)  # sign-in needs an admin to exist
        create_user(store, "ana", "analyst", PASSWORD)
    at = sign_in(start_app(), "ana", PASSWORD)  # a new session: the cached outlook serves it
    at.switch_page(OUTLOOK_PAGE).run()
    at.radio(key="outlook_scenario").set_value("adjusted").run()
    assert_clean(at)
    assert at.selectbox(key="outlook_unit").value == unit  # the most likely unit, as before
    at.number_input(key="outlook_adjust_percent").set_value(25.0)
    at.text_input(key="outlook_adjust_note").input("convoy season starts")
    at.button(key="outlook_adjust_save").click().run()
    assert_clean(at)
    assert any(f"Saved the adjustment of {unit}: +25 %" in text for text in texts(at.success))
    with opened_store(app_db_url) as store:
        (stored,) = list_adjustments(store, "admin1").to_dict("records")
        audit = store.audit_log()
    assert (stored["unit_code"], stored["percent"], stored["note"], stored["version"]) == (
        unit,
        25.0,
        "convoy season starts",
        1,
    )
    (audited,) = audit[audit["action"] == "outlook_adjust"].to_dict("records")
    assert stored["created_by"] == audited["user_name"] == "ana"
    assert f"admin1 {unit} version 1: active +25 %: convoy season starts" in audited["details"]
    (listed,) = [frame.value for frame in at.dataframe if "Adjustment" in frame.value]
    assert listed[["Code", "Adjustment", "Note"]].values.tolist() == [[unit, "+25 %", "convoy season starts"]]
    adjusted = at.dataframe[0].value.set_index("Code")["What if analysts' adjustments hold: incidents"]
    median = int(table["Incidents, median"].iloc[0])
    assert (adjusted != "").sum() == 1 and adjusted[unit] == str(int(median * 1.25 + 0.5))  # halves up
    assert at.text_input(key="outlook_adjust_note").value == ""  # cleared for the next one
    assert "What if: analysts' adjustments hold" in [t.get("name") for t in figures(at)[0]["data"]]

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
