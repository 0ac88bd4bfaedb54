"""Analytics on hand-built analysis frames with answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from incidents.analytics import (
    developments_in_range,
    incident_series,
    key_figures,
    region_month_matrix,
    rolling_mean,
    top_actor_groups,
    top_units,
    unit_summary,
    unit_trend,
)
from incidents.store.sql import CATEGORY_COLUMNS

AREAS = pd.Series({"ML-1": 10_000.0, "ML-2": 40_000.0, "BF-1": 5_000.0, "BF-2": 20_000.0})


def make_frame(rows: list[tuple], categorical: bool = True) -> pd.DataFrame:
    """rows: (date, iso3, admin1_code, admin1_name, event_type, actor_group, fatalities, civilian)."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "event_date",
            "country_iso3",
            "admin1_code",
            "admin1_name",
            "event_type",
            "actor_group",
            "fatalities",
            "civilian_targeting",
        ],
    )
    frame["event_date"] = pd.to_datetime(frame["event_date"]).astype("datetime64[ns]")
    frame["admin2_code"] = frame["admin1_code"] + "-a"
    frame["admin2_name"] = frame["admin1_name"] + " district"
    frame["fatalities"] = frame["fatalities"].astype("int64")
    frame["civilian_targeting"] = frame["civilian_targeting"].astype(bool)
    for column in (name for name in CATEGORY_COLUMNS if name in frame):  # as the store gives them
        frame[column] = frame[column].astype("category" if categorical else "string")
    return frame


ROWS = [
    ("2024-01-01", "MLI", "ML-1", "Kayes", "battle", "JNIM", 5, False),  # Monday
    ("2024-01-07", "MLI", "ML-1", "Kayes", "abduction", "JNIM", 0, True),  # Sunday, same week
    ("2024-01-31", "MLI", "ML-2", "Mopti", "battle", "IS Sahel", 10, False),
    ("2024-02-01", "BFA", "BF-1", "Sahel", "violence_against_civilians", "IS Sahel", 3, True),
    ("2024-04-15", "MLI", "ML-1", "Kayes", "battle", "state forces", 1, False),
    ("2024-04-20", "BFA", "BF-2", "Sahel", "battle", "JNIM", 2, False),  # homonym of BF-1
]


@pytest.fixture(params=[True, False], ids=["category", "string"])
def frame(request: pytest.FixtureRequest) -> pd.DataFrame:
    return make_frame(ROWS, categorical=request.param)


# ---- overview -----------------------------------------------------------------------


def test_key_figures_and_change(frame: pd.DataFrame) -> None:
    figures = key_figures(frame, frame.iloc[:2])
    assert (figures.incidents, figures.fatalities, figures.civilian_events) == (6, 21, 2)
    assert (figures.previous_incidents, figures.previous_fatalities, figures.previous_civilian_events) == (
        2,
        5,
        1,
    )
    assert figures.incidents_change_pct == pytest.approx(200.0)
    assert figures.fatalities_change_pct == pytest.approx(320.0)
    assert figures.civilian_events_change_pct == pytest.approx(100.0)


def test_key_figures_previous_zero_gives_none(frame: pd.DataFrame) -> None:
    figures = key_figures(frame, frame.iloc[:0])
    assert figures.incidents_change_pct is None
    assert figures.fatalities_change_pct is None
    assert figures.civilian_events_change_pct is None
    empty = key_figures(frame.iloc[:0], frame.iloc[:0])
    assert (empty.incidents, empty.fatalities) == (0, 0)


def test_top_units_order(frame: pd.DataFrame) -> None:
    top = top_units(frame, "admin1", n=3)
    assert list(top.columns) == ["unit_code", "unit_name", "country_iso3", "incidents", "fatalities"]
    # ML-1: 3 incidents; ML-2 and BF-1 tie on 1 incident, ML-2 has more fatalities.
    assert list(top["unit_code"]) == ["ML-1", "ML-2", "BF-1"]
    assert list(top["incidents"]) == [3, 1, 1]
    assert list(top["fatalities"]) == [6, 10, 3]
    assert top.loc[0, "unit_name"] == "Kayes"
    assert top.loc[0, "country_iso3"] == "MLI"
    assert list(top_units(frame, "admin2", n=1)["unit_code"]) == ["ML-1-a"]


def test_top_units_rejects_unknown_level(frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="admin3"):
        top_units(frame, "admin3")  # type: ignore[arg-type]


def test_top_actor_groups(frame: pd.DataFrame) -> None:
    top = top_actor_groups(frame, n=2)
    assert list(top["actor_group"]) == ["JNIM", "IS Sahel"]
    assert list(top["incidents"]) == [3, 2]
    assert list(top["fatalities"]) == [7, 13]


# ---- regions ------------------------------------------------------------------------


def test_unit_summary_per_area_and_pace(frame: pd.DataFrame) -> None:
    summary = unit_summary(frame, "admin1", AREAS, period_days=120).set_index("unit_code")
    assert set(summary.index) == {"ML-1", "ML-2", "BF-1", "BF-2"}
    kayes = summary.loc["ML-1"]
    assert kayes["incidents"] == 3
    assert kayes["fatalities"] == 6
    assert kayes["civilian_events"] == 1
    assert kayes["area_km2"] == 10_000.0
    assert kayes["incidents_per_10k_km2"] == pytest.approx(3.0)
    assert kayes["incidents_per_30_days"] == pytest.approx(3 / 120 * 30)
    assert summary.loc["ML-2", "incidents_per_10k_km2"] == pytest.approx(1 / 40_000 * 10_000)


def test_unit_summary_omits_units_without_incidents_and_missing_area(frame: pd.DataFrame) -> None:
    summary = unit_summary(frame.iloc[:1], "admin1", AREAS.drop("ML-1"), period_days=30)
    assert list(summary["unit_code"]) == ["ML-1"]
    assert np.isnan(summary.loc[0, "area_km2"])
    assert np.isnan(summary.loc[0, "incidents_per_10k_km2"])
    assert unit_summary(frame.iloc[:0], "admin1", AREAS, period_days=30).empty
    with pytest.raises(ValueError, match="period_days"):
        unit_summary(frame, "admin1", AREAS, period_days=0)


def test_unit_trend_zero_fills_months(frame: pd.DataFrame) -> None:
    trend = unit_trend(frame, "admin1", "ML-1", freq="M")
    assert list(trend["period_start"]) == list(
        pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"])
    )
    assert list(trend["incidents"]) == [2, 0, 0, 1]
    assert list(trend["fatalities"]) == [5, 0, 0, 1]
    assert unit_trend(frame, "admin1", "XX-9").empty


# ---- time series --------------------------------------------------------------------


def test_incident_series_monthly_zero_filled(frame: pd.DataFrame) -> None:
    series = incident_series(frame, freq="M", by=None, measure="incidents")
    assert list(series.columns) == ["period_start", "group", "value"]
    assert series["period_start"].dtype == np.dtype("datetime64[ns]")
    assert list(series["period_start"].dt.strftime("%Y-%m-%d")) == [
        "2024-01-01",
        "2024-02-01",
        "2024-03-01",
        "2024-04-01",
    ]
    assert set(series["group"]) == {"all"}
    assert list(series["value"]) == [3, 1, 0, 2]  # 31 Jan in January, 1 Feb in February


def test_incident_series_weeks_start_monday(frame: pd.DataFrame) -> None:
    series = incident_series(frame.iloc[:3], freq="W", by=None, measure="fatalities")
    starts = series["period_start"]
    assert (starts.dt.day_of_week == 0).all()
    # Mon 1 Jan and Sun 7 Jan share a week; Wed 31 Jan falls in the week of Mon 29 Jan.
    assert starts.iloc[0] == pd.Timestamp("2024-01-01")
    assert starts.iloc[-1] == pd.Timestamp("2024-01-29")
    assert len(series) == 5
    assert list(series["value"]) == [5, 0, 0, 0, 10]


def test_incident_series_by_group_fills_every_group(frame: pd.DataFrame) -> None:
    series = incident_series(frame, freq="M", by="event_type", measure="incidents")
    assert len(series) == 4 * 3  # 4 months x (battle, abduction, violence_against_civilians)
    wide = series.pivot(index="period_start", columns="group", values="value")
    assert wide.loc["2024-01-01", "battle"] == 2
    assert wide.loc["2024-03-01"].sum() == 0
    assert wide["violence_against_civilians"].sum() == 1
    assert series["value"].sum() == len(frame)


def test_incident_series_empty(frame: pd.DataFrame) -> None:
    series = incident_series(frame.iloc[:0], freq="W", by="actor_group", measure="incidents")
    assert series.empty
    assert list(series.columns) == ["period_start", "group", "value"]


def test_rolling_mean() -> None:
    totals = pd.Series([3.0, 1.0, 0.0, 2.0])
    assert list(rolling_mean(totals, 2)) == [3.0, 2.0, 0.5, 1.0]
    assert list(rolling_mean(totals, 1)) == [3.0, 1.0, 0.0, 2.0]
    with pytest.raises(ValueError):
        rolling_mean(totals, 0)


def test_developments_filter_by_scope_and_dates() -> None:
    developments = pd.DataFrame(
        {
            "date": pd.to_datetime(["2023-07-26", "2023-09-16", "2023-11-14", "2024-01-25", "2025-01-01"]),
            "date_precision": "day",
            "scope": ["NER", "SAHEL", "MLI", "MLI", "MLI"],
            "title": ["Niger coup", "AES charter", "Kidal", "Algiers ended", "later"],
            "category": "political",
            "source": "public record",
        }
    )
    shown = developments_in_range(
        developments, pd.Timestamp("2023-07-01"), pd.Timestamp("2024-01-25"), ["MLI"]
    )
    assert list(shown["title"]) == ["AES charter", "Kidal", "Algiers ended"]
    shown = developments_in_range(
        developments, pd.Timestamp("2023-01-01"), pd.Timestamp("2023-12-31"), ["ner"]
    )
    assert list(shown["title"]) == ["Niger coup", "AES charter"]


# ---- matrix -------------------------------------------------------------------------


def test_matrix_shape_labels_and_total_sort(frame: pd.DataFrame) -> None:
    matrix = region_month_matrix(frame, level="admin1", measure="incidents", areas=AREAS, sort="total")
    assert matrix.shape == (4, 4)
    assert list(matrix.columns) == list(
        pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"])
    )
    assert matrix.index[0] == "Kayes (MLI)"
    assert list(matrix.loc["Kayes (MLI)"]) == [2, 0, 0, 1]
    # Two BFA regions called "Sahel": labels stay unique.
    assert matrix.index.is_unique
    assert {"Sahel (BFA, BF-1)", "Sahel (BFA, BF-2)"} <= set(matrix.index)


def test_matrix_sorts(frame: pd.DataFrame) -> None:
    by_name = region_month_matrix(frame, level="admin1", measure="incidents", areas=AREAS, sort="name")
    assert list(by_name.index) == ["Kayes (MLI)", "Mopti (MLI)", "Sahel (BFA, BF-1)", "Sahel (BFA, BF-2)"]
    recent = region_month_matrix(frame, level="admin1", measure="fatalities", areas=AREAS, sort="recent")
    # Last three months (Feb-Apr): BF-1 3, BF-2 2, ML-1 1, ML-2 0.
    assert list(recent.index) == ["Sahel (BFA, BF-1)", "Sahel (BFA, BF-2)", "Kayes (MLI)", "Mopti (MLI)"]


def test_matrix_rate_and_fixed_months(frame: pd.DataFrame) -> None:
    months = pd.period_range("2023-12", "2024-02", freq="M")
    matrix = region_month_matrix(
        frame, level="admin1", measure="rate", areas=AREAS, sort="total", months=months
    )
    assert list(matrix.columns) == list(pd.to_datetime(["2023-12-01", "2024-01-01", "2024-02-01"]))
    assert matrix.loc["Kayes (MLI)", pd.Timestamp("2024-01-01")] == pytest.approx(2 / 10_000 * 10_000)
    assert matrix.loc["Mopti (MLI)", pd.Timestamp("2024-01-01")] == pytest.approx(1 / 40_000 * 10_000)
    assert "Sahel (BFA, BF-2)" not in matrix.index  # its only incident is in April


def test_matrix_empty_frames(frame: pd.DataFrame) -> None:
    empty = region_month_matrix(frame.iloc[:0], level="admin2", measure="rate", areas=AREAS, sort="recent")
    assert isinstance(empty, pd.DataFrame)
    assert empty.empty
    months = pd.period_range("2020-01", "2020-03", freq="M")
    outside = region_month_matrix(
        frame, level="admin1", measure="incidents", areas=AREAS, sort="total", months=months
    )
    assert outside.empty
