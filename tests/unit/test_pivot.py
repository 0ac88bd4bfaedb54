"""Before/after rate ratios: exact intervals checked against scipy's binomtest, edge cases, units."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from incidents.errors import IncidentsError, PivotError
from incidents.risk.pivot import DEFAULT_PIVOT, PIVOT_COLUMNS, before_after, pivot_windows, rate_ratio_ci


def _reference(before: int, after: int, days_before: int, days_after: int, confidence: float = 0.95):
    """Independent computation: binomtest's exact interval for p, mapped to a rate ratio."""
    n = before + after
    ci = binomtest(after, n, p=days_after / (days_before + days_after)).proportion_ci(
        confidence_level=confidence, method="exact"
    )

    def to_ratio(p: float) -> float:
        return math.inf if p >= 1 else p / (1 - p) * days_before / days_after

    return to_ratio(ci.low), to_ratio(ci.high)


@pytest.mark.parametrize(
    ("before", "after", "days_before", "days_after", "confidence"),
    [
        (10, 20, 90, 90, 0.95),
        (20, 10, 90, 90, 0.95),
        (3, 4, 30, 30, 0.95),
        (50, 80, 90, 60, 0.95),
        (1, 1, 7, 7, 0.90),
        (200, 260, 180, 180, 0.99),
        (0, 6, 90, 90, 0.95),
        (6, 0, 90, 90, 0.95),
        (1, 0, 10, 3, 0.95),
    ],
)
def test_interval_matches_scipy_binomtest(
    before: int, after: int, days_before: int, days_after: int, confidence: float
) -> None:
    ratio, low, high = rate_ratio_ci(
        before, after, days_before=days_before, days_after=days_after, confidence=confidence
    )
    ref_low, ref_high = _reference(before, after, days_before, days_after, confidence)
    assert low == pytest.approx(ref_low, rel=1e-9, abs=1e-12)
    if math.isinf(ref_high):
        assert math.isinf(high)
    else:
        assert high == pytest.approx(ref_high, rel=1e-9)
    if before:
        assert ratio == pytest.approx((after / days_after) / (before / days_before))
    assert low <= ratio <= high


def test_known_values_equal_windows() -> None:
    ratio, low, high = rate_ratio_ci(10, 20, days_before=90, days_after=90)
    assert ratio == pytest.approx(2.0)
    # Clopper-Pearson for 20/30 is (0.4719, 0.8271): odds 0.893 and 4.783
    assert low == pytest.approx(0.8932, abs=5e-4)
    assert high == pytest.approx(4.7830, abs=5e-3)


def test_exposure_ratio_scales_ratio_and_bounds() -> None:
    same = rate_ratio_ci(30, 30, days_before=60, days_after=60)
    half = rate_ratio_ci(30, 30, days_before=60, days_after=30)  # same counts in half the time
    assert same[0] == pytest.approx(1.0)
    assert half[0] == pytest.approx(2.0)
    assert half[1] == pytest.approx(2 * same[1])
    assert half[2] == pytest.approx(2 * same[2])


def test_none_before_gives_infinite_ratio_and_finite_low_bound() -> None:
    ratio, low, high = rate_ratio_ci(0, 5, days_before=90, days_after=90)
    assert math.isinf(ratio) and math.isinf(high)
    expected_p = 0.025 ** (1 / 5)  # closed form of the exact lower bound when x = n
    assert low == pytest.approx(expected_p / (1 - expected_p))
    assert 0 < low < 1  # five events after, none before: still compatible with no change


def test_none_after_gives_zero_ratio_and_finite_high_bound() -> None:
    ratio, low, high = rate_ratio_ci(8, 0, days_before=90, days_after=90)
    assert ratio == 0.0 and low == 0.0
    expected_p = 1 - 0.025 ** (1 / 8)
    assert high == pytest.approx(expected_p / (1 - expected_p))
    assert high < 1  # eight before, none after: a significant fall


def test_no_events_at_all_is_nan() -> None:
    assert all(math.isnan(v) for v in rate_ratio_ci(0, 0, days_before=90, days_after=90))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"before": -1, "after": 2, "days_before": 90, "days_after": 90},
        {"before": 1, "after": 2, "days_before": 0, "days_after": 90},
        {"before": 1, "after": 2.5, "days_before": 90, "days_after": 90},
        {"before": 1, "after": 2, "days_before": 90, "days_after": 90, "confidence": 1.2},
    ],
)
def test_invalid_arguments_raise_pivot_error(kwargs: dict) -> None:
    before, after = kwargs.pop("before"), kwargs.pop("after")
    with pytest.raises(PivotError) as caught:
        rate_ratio_ci(before, after, **kwargs)
    assert isinstance(caught.value, IncidentsError)


def test_windows_are_inclusive_and_pivot_day_is_after() -> None:
    windows = pivot_windows(date(2025, 9, 20), 90)
    assert windows.before_start == date(2025, 6, 22)
    assert windows.before_end == date(2025, 9, 19)
    assert windows.after_start == date(2025, 9, 20)
    assert windows.after_end == date(2025, 12, 18)
    assert windows.days_before == windows.days_after == 90
    assert not windows.truncated


def test_windows_cut_at_data_end() -> None:
    windows = pivot_windows(date(2025, 9, 20), 90, data_until=date(2025, 10, 19))
    assert windows.after_end == date(2025, 10, 19)
    assert windows.days_after == 30 and windows.days_before == 90
    assert windows.truncated
    with pytest.raises(PivotError, match="2025-09-19"):
        pivot_windows(date(2025, 9, 20), 90, data_until=date(2025, 9, 19))
    with pytest.raises(PivotError, match="window_days"):
        pivot_windows(date(2025, 9, 20), 0)


def _frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Incidents as (event_date, admin1_code, country_iso3), near Bamako."""
    return pd.DataFrame(
        {
            "event_date": pd.to_datetime([r[0] for r in rows]),
            "admin1_code": pd.Categorical([r[1] for r in rows]),
            "admin2_code": pd.Categorical([None] * len(rows)),
            "country_iso3": pd.Categorical([r[2] for r in rows]),
            "latitude": np.full(len(rows), 12.65),
            "longitude": np.full(len(rows), -8.0),
        }
    )


def test_before_after_counts_per_unit_and_window_edges() -> None:
    pivot = date(2025, 9, 20)
    rows = (
        [
            ("2025-06-21", "U1", "MLI"),  # one day before the before window: ignored
            ("2025-06-22", "U1", "MLI"),  # first day of before
            ("2025-09-19", "U1", "MLI"),  # last day of before
            ("2025-09-20", "U1", "MLI"),  # pivot day: after
            ("2025-12-18", "U1", "MLI"),  # last day of after
            ("2025-12-19", "U1", "MLI"),  # one day past: ignored
        ]
        + [("2025-10-01", "U2", "BFA")] * 12
        + [("2025-08-01", "U2", "BFA")] * 2
    )
    result = before_after(_frame(rows), pivot=pivot, window_days=90, level="admin1")
    assert list(result.columns) == list(PIVOT_COLUMNS)
    table = result.set_index("unit_code")
    assert table.loc["U1", ["events_before", "events_after"]].tolist() == [2, 2]
    assert table.loc["U2", ["events_before", "events_after"]].tolist() == [2, 12]
    assert table.loc["U1", "rate_ratio"] == pytest.approx(1.0)
    assert not table.loc["U1", "significant"]
    assert table.loc["U2", "rate_ratio"] == pytest.approx(6.0)
    assert table.loc["U2", "ci_low"] > 1 and table.loc["U2", "significant"]
    assert result["unit_code"].tolist() == ["U2", "U1"]  # largest rise first
    assert result.attrs["windows"].days_after == 90


def test_before_after_unknown_unit_keeps_its_code_as_name() -> None:
    result = before_after(_frame([("2025-10-01", "XX9", "MLI")]), pivot=DEFAULT_PIVOT, level="admin1")
    row = result.iloc[0]
    assert row["unit_name"] == "XX9"
    assert math.isinf(row["rate_ratio"]) and not row["significant"]


def test_before_after_real_admin1_names() -> None:
    from incidents.risk.units import unit_names

    names = unit_names("admin1")
    code = str(names.loc[names["country_iso3"] == "MLI", "unit_code"].iloc[0])
    result = before_after(_frame([("2025-10-01", code, "MLI"), ("2025-08-01", code, "MLI")]), level="admin1")
    assert result.loc[0, "country_iso3"] == "MLI"
    assert result.loc[0, "unit_name"] == names.set_index("unit_code").loc[code, "unit_name"]


def test_before_after_empty_frame_and_truncated_window() -> None:
    empty = before_after(_frame([]), level="admin1")
    assert empty.empty and list(empty.columns) == list(PIVOT_COLUMNS)
    rows = [("2025-08-01", "U1", "MLI")] * 9 + [("2025-09-25", "U1", "MLI")] * 3
    cut = before_after(_frame(rows), level="admin1", data_until=date(2025, 9, 29))
    # 3 events in 10 days after vs 9 in 90 before: ratio 3
    assert cut.loc[0, "rate_ratio"] == pytest.approx(3.0)
    assert cut.attrs["windows"].days_after == 10


def test_before_after_rejects_unknown_level() -> None:
    with pytest.raises(ValueError, match="district"):
        before_after(_frame([]), level="district")  # type: ignore[arg-type]
