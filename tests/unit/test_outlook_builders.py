"""The Outlook page's pure builders: the ICD 203 map colours and legend, the fan chart's traces and
bands, the reliability diagram, the skill table and the sentences that say what serves.

Inputs are small hand-made outlook rows and backtest records (no model runs: fast)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from dashboard.builders.briefing_pack import build_briefing_pdf
from dashboard.builders.map_elements import legend_of
from dashboard.builders.outlook_charts import (
    WHATIF_COLOUR,
    WINDOW_COLUMN,
    build_fan_chart,
    build_reliability_figure,
    display_outlook,
    gate_sentences,
    skill_table,
)
from dashboard.builders.outlook_data import OutlookRun, outlook_section, refused_section, wants_outlook
from dashboard.builders.outlook_map import LIKELIHOOD_COLOURS, build_outlook_map, likelihood_legend_html
from dashboard.builders.outlook_whatif import (
    ADJUSTED,
    BESIDE,
    FORECAST_ONLY,
    adjustments_table,
    scenario_choices,
    whatif_of,
    with_whatif,
)
from dashboard.builders.risk_map import NO_UNIT_FILL, UnitMapBase
from geodata.boundaries import load_admin0, load_admin1
from incidents.demo import generate_demo_incidents
from incidents.model import empty_incidents
from incidents.outlook.wording import ICD203_WORDS, likelihood_word
from incidents.store.saved_views import SavedView
from tests.unit.test_briefing_pack import _data, _pdf_text

HOSTILE = "<img src=x onerror=alert(1)>"


def _row(code: str, name: str, p: float, horizon: int = 1, q: tuple[int, ...] = (0, 1, 2, 4, 8)) -> dict:
    return {
        "unit_code": code,
        "unit_name": name,
        "level": "admin1",
        "origin": "2025-12",
        "month": str(pd.Period("2025-12", freq="M") + horizon),
        "horizon": horizon,
        "p_fatal": p,
        **{f"count_q{level}": value for level, value in zip(("05", "25", "50", "75", "95"), q, strict=True)},
        "p_surge": 0.1,
        "served_by": "M3 (p_fatal: M2)",
        "likelihood": likelihood_word(p),
        "country_iso3": "MLI",
    }


@pytest.fixture(scope="module")
def base() -> UnitMapBase:
    """Three real regions of Mali under an empty incident map."""
    admin1 = load_admin1()
    mali = admin1[admin1["admin1_code"].isin(["ML-6", "ML-7", "ML-8"])]
    return UnitMapBase(empty_incidents(), load_admin0(), mali, None, None)


def test_seven_distinct_colours_one_per_icd203_word_in_order() -> None:
    assert tuple(LIKELIHOOD_COLOURS) == ICD203_WORDS
    assert len(set(LIKELIHOOD_COLOURS.values())) == 7
    assert NO_UNIT_FILL not in LIKELIHOOD_COLOURS.values()


def test_legend_names_every_word_with_its_range_lowest_first() -> None:
    legend = likelihood_legend_html("2026-01", not_forecast=True)
    positions = [legend.index(f"</span>{word} <small>") for word in ICD203_WORDS]
    assert positions == sorted(positions)
    assert "5–20 %" in legend and "95–100 %" in legend and "no outlook" in legend
    assert all(colour in legend for colour in LIKELIHOOD_COLOURS.values())


def test_map_fills_each_unit_in_the_colour_of_its_word_and_greys_the_rest(base: UnitMapBase) -> None:
    rows = pd.DataFrame([_row("ML-7", "Gao", 0.9), _row("ML-8", "Kidal", 0.03)])
    build = build_outlook_map(rows, "admin1", base)
    fills = {
        feature["properties"]["unit_code"]: feature["properties"]["fill"]
        for child in build.map._children.values()
        if getattr(child, "layer_name", "") == "Chance of fatal violence"
        for feature in child.data["features"]
    }
    assert fills == {
        "ML-7": LIKELIHOOD_COLOURS["very likely"],
        "ML-8": LIKELIHOOD_COLOURS["almost no chance"],
        "ML-6": NO_UNIT_FILL,
    }
    panel = "".join(legend_of(build.map).sections)
    assert "almost certain" in panel and "no outlook" in panel and "2026-01" in panel
    with pytest.raises(ValueError, match="one horizon"):
        build_outlook_map(pd.concat([rows, rows.assign(horizon=2)]), "admin1", base)


def _fan() -> tuple[pd.Series, pd.DataFrame]:
    months = [str(m) for m in pd.period_range("2023-01", "2025-12", freq="M")]
    history = pd.Series(range(len(months)), index=months, dtype=float)
    forecast = pd.DataFrame(
        [_row("ML-7", "Gao", 0.5, h, (h, h + 2, h + 4, h + 6, h + 10)) for h in (3, 1, 2)]
    )
    return history, forecast


def test_fan_chart_bands_start_at_the_last_observed_month_and_hold_the_quantiles() -> None:
    history, forecast = _fan()
    fig = build_fan_chart(history, forecast, f"{HOSTILE}: incidents")
    names = [trace.name for trace in fig.data]
    assert names == [
        "90 % range (estimate)",
        "50 % range (estimate)",
        "Median (estimate)",
        "Observed incidents",
    ]
    band90, band50, median, observed = fig.data
    last = float(history.iloc[-1])
    # The polygon runs upper edge forward (last observed, then months 1-3), lower edge back.
    assert list(band90.y) == [last, 11, 12, 13, 3, 2, 1, last]
    assert list(band50.y) == [last, 7, 8, 9, 5, 4, 3, last]
    assert list(median.y) == [last, 5, 6, 7]
    assert band90.x[0] == observed.x[-1] == pd.Timestamp("2025-12-01")
    assert list(median.x[1:]) == [pd.Timestamp(m) for m in ("2026-01-01", "2026-02-01", "2026-03-01")]
    assert len(observed.x) == 24  # the last two years
    assert HOSTILE not in fig.layout.title.text and "&lt;img" in fig.layout.title.text


def test_reliability_diagram_has_the_diagonal_and_one_line_per_horizon_of_the_forecaster() -> None:
    records = [
        {
            "forecaster": f,
            "horizon": h,
            "p_from": 0.1 * b,
            "p_to": 0.1 * (b + 1),
            "unit_months": 50,
            "mean_p": 0.1 * b + 0.05,
            "observed": 0.1 * b,
        }
        for f in ("served", "M1")
        for h in (1, 2)
        for b in range(3)
    ]
    fig = build_reliability_figure(records)
    assert [trace.name for trace in fig.data] == ["Perfectly reliable", "1 month ahead", "2 months ahead"]
    assert list(fig.data[0].x) == [0, 1] and list(fig.data[0].y) == [0, 1]
    assert list(fig.data[1].y) == pytest.approx([0.0, 0.1, 0.2])
    assert tuple(fig.layout.xaxis.range) == (0, 1)
    assert len(build_reliability_figure([]).data) == 1  # no backtest: the diagonal alone


def _gate(tier: str, horizon: int, counts: str, p_fatal: str) -> dict:
    return {"tier": tier, "horizon": horizon, "counts": counts, "p_fatal": p_fatal}


def test_gate_sentences_say_when_a_baseline_serves_because_no_model_beat_it() -> None:
    gate = [
        _gate("quiet", 1, "zero", "base_rate"),
        _gate("active", 1, "M3", "M2"),
        _gate("active", 2, "climatology", "climatology"),
        _gate("active", 3, "climatology", "climatology"),
    ]
    first, second, third = gate_sentences(gate)
    assert (
        first.startswith("Active units, 1 month ahead") and "M3" in first and "beat every baseline" in first
    )
    assert second.startswith("Active units, 2 and 3 months ahead") and "climatology" in second
    assert "no model beat it" in second
    assert third.startswith("Quiet units, 1 month ahead") and third.count("no model beat it") == 2


def test_skill_table_lists_models_and_the_served_outlook_against_every_baseline() -> None:
    record = {
        "horizon": 1,
        "tier": "active",
        "unit_months": 10,
        "crps": 1.0,
        "crps_skill": {"zero": 0.5, "last": 0.1, "climatology": -0.1},
        "brier": 0.1,
        "brier_skill": {"zero": 0.5, "last": 0.1, "climatology": 0.0, "base_rate": 0.3},
        "coverage_50": 0.6,
        "coverage_90": 0.9,
    }
    table = skill_table([{**record, "forecaster": name} for name in ("M1", "zero", "served")])
    assert table["Forecaster"].tolist() == ["M1", "Served"]
    assert "CRPS skill vs climatology" in table and "Brier skill vs base rate" in table
    assert not any("_" in column for column in table.columns)


def test_table_speaks_in_words_most_likely_first_with_the_3_month_window_beside() -> None:
    rows = pd.DataFrame([_row("ML-8", "Kidal", 0.1), _row("ML-7", "Gao", 0.7)])
    table = display_outlook(rows, {"MLI": "Mali"})
    assert table["Unit"].tolist() == ["Gao", "Kidal"]
    assert table.loc[0, "Country"] == "Mali" and table.loc[0, "Incidents, 90 % range"] == "0–8"
    assert WINDOW_COLUMN not in table
    assert display_outlook(rows.assign(served_by="zero"))["Served by"].tolist() == ["zero baseline"] * 2
    window = pd.DataFrame({"unit_code": ["ML-8", "ML-7"], "p_fatal_window": [0.25, 0.9]})
    with_window = display_outlook(rows, window=window)
    assert (
        list(with_window.columns).index(WINDOW_COLUMN) == list(with_window.columns).index("Probability") + 1
    )
    assert with_window[WINDOW_COLUMN].tolist() == [0.9, 0.25]  # Gao first, each unit its own window


def test_the_fan_chart_draws_a_what_if_beside_the_forecast_as_a_dashed_line_from_the_last_month() -> None:
    history = pd.Series([2.0, 3.0, 4.0], index=["2025-10", "2025-11", "2025-12"])
    forecast = pd.DataFrame([_row("ML-7", "Gao", 0.5, horizon=h) for h in (1, 2, 3)])
    lines = pd.DataFrame({"month": ["2026-03", "2026-01", "2026-02"], "expected": [40.0, 6.0, 9.0]})
    plain = build_fan_chart(history, forecast, "Gao")
    fig = build_fan_chart(history, forecast, "Gao", whatif=("What if: <the trend> continues", lines))
    assert len(fig.data) == len(plain.data) + 1
    (line,) = [trace for trace in fig.data if trace.name and trace.name.startswith("What if")]
    assert line.name == "What if: &lt;the trend&gt; continues"  # plotly renders HTML: escaped
    assert line.line.dash == "dash" and line.line.color == WHATIF_COLOUR
    assert [pd.Timestamp(x).strftime("%Y-%m") for x in line.x] == ["2025-12", "2026-01", "2026-02", "2026-03"]
    assert list(line.y) == [4.0, 6.0, 9.0, 40.0]  # from the last observed month, months in order
    assert fig.layout.yaxis.range is None or fig.layout.yaxis.range[1] >= 40  # the axis shows the what-if
    assert [t.name for t in fig.data if t.name != line.name] == [t.name for t in plain.data]  # forecast kept
    empty = build_fan_chart(history, forecast, "Gao", whatif=("What if: x", lines.iloc[0:0]))
    assert len(empty.data) == len(plain.data)


def _scenario_run() -> OutlookRun:
    table = pd.DataFrame(
        [_row("ML-7", "Gao", 0.9, horizon=h, q=(1, 2, 4, 6, 10)) for h in (1, 2)]
        + [_row("ML-8", "Kidal", 0.3, horizon=h) for h in (1, 2)]
    )
    scenarios = pd.DataFrame(
        {
            "unit_code": ["ML-7", "ML-8", "ML-7", "ML-8"],
            "month": ["2026-01", "2026-01", "2026-02", "2026-02"],
            "horizon": [1, 1, 2, 2],
            "scenario": "trend_continues",
            "label": "What if the last 90 days' trend continues",
            "expected_count": [5.26, 0.0, 7.5, 0.0],
        }
    )
    return OutlookRun("admin1", "2025-12", table, {}, pd.DataFrame(), scenarios=scenarios)


def test_scenario_choices_put_forecast_only_first_and_what_ifs_become_labelled_columns() -> None:
    run = _scenario_run()
    assert scenario_choices(run) == {
        FORECAST_ONLY: "Forecast only",
        "trend_continues": "What if the last 90 days' trend continues",
        ADJUSTED: "Analysts' adjustments",
    }
    assert whatif_of(run, FORECAST_ONLY) is None
    trend = whatif_of(run, "trend_continues")
    assert trend is not None and trend.line_name == "What if: the last 90 days' trend continues"
    assert trend.unit_lines("ML-7")["expected"].tolist() == [5.3, 7.5]
    shown = with_whatif(display_outlook(run.table[run.table["horizon"] == 2]), trend, 2)
    assert shown.set_index("Code")["What if the last 90 days' trend continues: incidents"].to_dict() == {
        "ML-7": 7.5,
        "ML-8": 0.0,
    }
    assert "Probability" in shown  # beside the forecast, never instead
    columns = list(shown.columns)
    assert columns.index("What if the last 90 days' trend continues: incidents") == columns.index(BESIDE) + 1


def test_analysts_adjustments_scale_the_median_for_adjusted_units_only() -> None:
    run = _scenario_run()
    adjustments = pd.DataFrame(
        {
            "level": ["admin1"],
            "unit_code": ["ML-7"],
            "version": [2],
            "status": ["active"],
            "percent": [50.0],
            "note": ["<b>convoys</b>"],
            "created_by": ["ana"],
            "created_at": [pd.Timestamp("2026-01-05 10:30", tz="UTC")],
        }
    )
    adjusted = whatif_of(run, ADJUSTED, adjustments)
    assert adjusted is not None and adjusted.line_name.startswith("What if: ")
    assert adjusted.unit_lines("ML-7")[["expected", "range_90"]].values.tolist() == [[6.0, "2–15"]] * 2
    assert adjusted.unit_lines("ML-8").empty
    shown = with_whatif(display_outlook(run.table[run.table["horizon"] == 1]), adjusted, 1).set_index("Code")
    assert shown.loc["ML-7", adjusted.column] == "6" and shown.loc["ML-8", adjusted.column] == ""
    assert shown.loc["ML-8", f"{adjusted.label}: 90 % range"] == ""
    listed = adjustments_table(adjustments, {"ML-7": "Gao"})
    assert listed.iloc[0].to_dict() == {
        "Unit": "Gao",
        "Code": "ML-7",
        "Adjustment": "+50 %",
        "Note": "<b>convoys</b>",
        "By": "ana",
        "When (UTC)": "2026-01-05 10:30",
        "Version": 2,
    }
    none = whatif_of(run, ADJUSTED, adjustments.iloc[0:0])
    assert none is not None and none.lines.empty


def _run() -> OutlookRun:
    table = pd.DataFrame(
        [
            _row("ML-7", "Gao", 0.9),
            _row("ML-8", "<b>Kidal</b>", 0.3),
            _row("ML-7", "Gao", 0.5, horizon=2),
            {**_row("NE-1", "Agadez", 0.99), "country_iso3": "NER"},
        ]
    )
    gate = [
        _gate("active", 1, "M3", "M2"),
        _gate("quiet", 1, "zero", "base_rate"),
        _gate("active", 2, "M1", "M1"),
    ]
    backtest = {"gate": gate, "origins": [], "scores": [], "reliability": [], "likelihood_words": []}
    return OutlookRun("admin1", "2025-12", table, backtest, pd.DataFrame())


def test_pack_section_lists_next_month_of_the_chosen_countries_most_likely_first() -> None:
    section = outlook_section(_run(), ["MLI"])
    assert section.month == "January 2026" and section.origin == "2025-12"
    assert section.rows["unit_name"].tolist() == ["Gao", "<b>Kidal</b>"]  # Agadez is in Niger
    assert len(section.served) == 2 and all("1 month ahead" in sentence for sentence in section.served)


@pytest.mark.parametrize(
    ("query", "wanted"),
    [("country=MLI&outlook=1", True), ("outlook=true", True), ("outlook=0", False), ("country=MLI", False)],
)
def test_a_view_asks_for_the_outlook_with_outlook_1(query: str, wanted: bool) -> None:
    assert wants_outlook(SavedView(name="v", query=query).query_params()) is wanted


def test_pack_prints_the_outlook_section_with_words_and_what_serves_or_why_there_is_none() -> None:
    frame = generate_demo_incidents(50)
    with_outlook = replace(_data(frame, includes_demo=True), outlook=outlook_section(_run(), ["MLI"]))
    text = " ".join(_pdf_text(build_briefing_pdf(with_outlook)).split())
    assert "Outlook: chance of fatal violence, January 2026 (estimate)" in text
    assert "very likely (90 %)" in text and "<b>Kidal</b>" in text  # escaped, printed as text
    assert "no model beat it in the backtest" in text and "docs/methodology.md, 'Outlook'" in text
    refused = replace(with_outlook, outlook=refused_section("not enough history: 6 month(s) of data"))
    assert "No outlook can be made from these data: not enough history" in _pdf_text(
        build_briefing_pdf(refused)
    )
    assert "Outlook" not in _pdf_text(build_briefing_pdf(_data(frame, includes_demo=True)))


def test_with_no_signal_the_page_says_a_baseline_serves_because_no_model_beat_it() -> None:
    """Independent Poisson counts with constant rates: nothing for a model to find, and the words
    the Outlook page shows (``gate_sentences`` of the gate's backtest) say so for every tier."""
    from incidents.outlook.backtest import summary
    from incidents.outlook.forecast import gate_backtest
    from tests.unit.outlook_synthetic import synthetic_panel

    panel = synthetic_panel(seed=0, signal=False).panel
    gate = summary(gate_backtest(panel, len(panel.months) - 4, 12), "admin2")["gate"]
    sentences = gate_sentences(gate)
    assert sentences and all("because no model beat it in the backtest" in s for s in sentences)
    assert not any("beat every baseline" in s for s in sentences)
