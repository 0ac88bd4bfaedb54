"""Trend and surge flags: every threshold and the low-volume rule at its boundaries."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from incidents.risk.trends import TREND_COLUMNS, classify_trend, is_surge, trend_flags, weekly_windows
from incidents.risk.units import unit_names
from tests.unit.risk_fixtures import AS_OF, incidents


@pytest.mark.parametrize(
    ("this_week", "avg", "expected"),
    [
        # +25 % boundary: exactly +25 % is moderate, anything above is large.
        (12.5, 10.0, "moderate_increase"),
        (12.500001, 10.0, "large_increase"),
        (5, 4.0, "moderate_increase"),  # 5 vs 16 events in 4 weeks: exactly +25 %
        (13, 10.0, "large_increase"),
        # +10 % boundary: exactly +10 % is moderate, just below is limited.
        (11, 10.0, "moderate_increase"),
        (10.999999, 10.0, "limited_change"),
        (10, 10.0, "limited_change"),
        # -25 % boundary: exactly -25 % is limited, just below is a large decrease.
        (7.5, 10.0, "limited_change"),
        (3, 4.0, "limited_change"),
        (7.499999, 10.0, "large_decrease"),
        (0, 10.0, "large_decrease"),
        # Floating-point noise on a boundary: (4.4 - 4) / 4 * 100 is 10.000000000000009.
        (4.4, 208 / 52, "moderate_increase"),
        (3.0, 208 / 52, "limited_change"),  # exactly -25 % against a 52-week average
    ],
)
def test_change_bands(this_week: float, avg: float, expected: str) -> None:
    assert classify_trend(this_week, avg) == expected


@pytest.mark.parametrize(
    ("this_week", "avg", "expected"),
    [
        (5, 2.0, "limited_change"),  # +150 % but average <= 2 and week <= 5
        (6, 2.0, "large_increase"),  # week above 5: rule no longer applies
        (5, 2.25, "large_increase"),  # average above 2: rule no longer applies
        (0, 2.0, "limited_change"),  # -100 % but low volume
        (0, 0.0, "limited_change"),
        (5, 0.0, "limited_change"),
        (6, 0.0, "large_increase"),  # zero average, more than 5 events: +inf
        (0, 2.25, "large_decrease"),
    ],
)
def test_low_volume_rule_boundaries(this_week: float, avg: float, expected: str) -> None:
    assert classify_trend(this_week, avg) == expected


def test_classify_trend_vectorised() -> None:
    labels = classify_trend(np.array([13, 11, 10, 7]), np.array([10.0, 10.0, 10.0, 10.0]))
    assert isinstance(labels, np.ndarray)
    assert labels.tolist() == ["large_increase", "moderate_increase", "limited_change", "large_decrease"]


@pytest.mark.parametrize(
    ("this_week", "avg", "expected"),
    [
        (2, 1.0, True),  # exactly twice an average of exactly 1
        (1.999999, 1.0, False),
        (10, 0.75, False),  # average below 1: never a surge
        (5, 2.5, True),
        (4, 2.5, False),
        (0, 0.0, False),
    ],
)
def test_surge_boundaries(this_week: float, avg: float, expected: bool) -> None:
    assert bool(is_surge(this_week, avg)) is expected


def test_weekly_windows_are_contiguous() -> None:
    windows = weekly_windows(AS_OF)
    assert windows["this_week"] == (AS_OF - timedelta(days=6), AS_OF)
    assert windows["prev_4w"] == (AS_OF - timedelta(days=34), AS_OF - timedelta(days=7))
    assert windows["prev_52w"] == (AS_OF - timedelta(days=370), AS_OF - timedelta(days=7))


def test_trend_flags_counts_days_into_the_right_weeks() -> None:
    rows: list[dict[str, object]] = [{"unit": "BF-SOM", "days_before": day} for day in (0, 0, 1, 3, 6, 6)]
    rows += [{"unit": "BF-SOM", "days_before": day} for day in (7, 10, 20, 34)]  # 4 in the previous 4 weeks
    rows += [{"unit": "BF-SOM", "days_before": day} for day in (35, 200, 370)]  # 52-week only
    rows += [{"unit": "BF-SOM", "days_before": 371}]  # outside both windows
    flags = trend_flags(incidents(rows), level="admin2", as_of=AS_OF)
    assert list(flags.columns) == list(TREND_COLUMNS)
    assert len(flags) == len(unit_names("admin2"))
    row = flags.set_index("unit_code").loc["BF-SOM"]
    assert row["this_week"] == 6
    assert row["avg_4w"] == 1.0
    assert row["avg_52w"] == pytest.approx(7 / 52)
    assert row["change_4w_pct"] == 500.0
    assert row["trend_4w"] == "large_increase" and row["trend_52w"] == "large_increase"
    assert bool(row["surge"]) is True
    quiet = flags.set_index("unit_code").loc["ML.GA.AN"]
    assert quiet["this_week"] == 0 and quiet["trend_4w"] == "limited_change" and not quiet["surge"]


def test_trend_flags_for_corridors() -> None:
    rows: list[dict[str, object]] = [{"unit": "BF-SOM", "days_before": day} for day in range(7)]
    flags = trend_flags(incidents(rows), level="corridor", as_of=AS_OF, corridor_km=100.0)
    assert list(flags["unit_code"]) == list(unit_names("corridor")["unit_code"])
    assert flags["this_week"].max() == 7  # Soum lies on the Mali-Burkina corridor(s)
