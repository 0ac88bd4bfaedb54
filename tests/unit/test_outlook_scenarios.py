"""What-if scenarios (incidents/outlook/scenarios.py) on counts worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from incidents.errors import OutlookDataError
from incidents.outlook.panel import Panel
from incidents.outlook.scenarios import (
    SCENARIO_COLUMNS,
    SCENARIO_LABELS,
    build_scenarios,
    scenario_mean_means,
    scenario_trend_means,
)
from tests.unit.outlook_synthetic import synthetic_panel


def counts_ending(*last: float, months: int = 14) -> np.ndarray:
    """One unit whose last months are ``last`` (earlier months 0)."""
    row = np.zeros(months)
    row[months - len(last) :] = last
    return row[None, :]


def test_a_steady_growth_under_the_cap_is_extended() -> None:
    # 1 + count = 10, 12, 14.4: 1.2 times a month, under the 1.5 cap.
    means = scenario_trend_means(counts_ending(9.0, 11.0, 13.4), origin=13)
    assert means[0] == pytest.approx([14.4 * 1.2 - 1, 14.4 * 1.2**2 - 1, 14.4 * 1.2**3 - 1])


def test_a_steep_rise_is_capped_at_one_and_a_half_times_a_month() -> None:
    # 1 + count = 4, 8, 16 doubles each month; capped, the line through the mean point
    # (month -1, log 8) rises by log 1.5 a month: 8 x 1.5^2 - 1 = 17 one month on.
    means = scenario_trend_means(counts_ending(3.0, 7.0, 15.0), origin=13)
    assert means[0] == pytest.approx([8 * 1.5**2 - 1, 8 * 1.5**3 - 1, 8 * 1.5**4 - 1])


def test_a_fall_never_goes_below_zero() -> None:
    # 1 + count = 5, 3, 2: the fall (÷1.53 a month) is capped at ÷1.5 from the geometric mean 30^(1/3).
    means = scenario_trend_means(counts_ending(4.0, 2.0, 1.0), origin=13)
    assert means[0, 0] == pytest.approx(30 ** (1 / 3) / 1.5**2 - 1)
    assert means[0, 2] == 0.0


def test_back_to_mean_is_the_twelve_month_mean_for_every_horizon() -> None:
    counts = counts_ending(*([0.0] * 11 + [24.0]), months=20)  # 12 months up to the origin: mean 2
    counts[0, 5] = 100.0  # before the 12 months: ignored
    assert scenario_mean_means(counts, origin=19).tolist() == [[2.0, 2.0, 2.0]]


def test_months_after_the_origin_change_no_scenario() -> None:
    panel = synthetic_panel(seed=5, units=30, months=30).panel
    changed = Panel(panel.level, panel.units, panel.months, panel.counts.copy(), panel.fatal)
    changed.counts[:, 25:] *= 7
    pd.testing.assert_frame_equal(build_scenarios(panel, 24), build_scenarios(changed, 24))


def test_the_table_labels_each_scenario_as_a_what_if() -> None:
    panel = synthetic_panel(seed=5, units=30, months=30).panel
    table = build_scenarios(panel, 24)
    assert tuple(table.columns) == SCENARIO_COLUMNS
    assert len(table) == 2 * 30 * 3
    assert set(table["label"]) == set(SCENARIO_LABELS.values())
    assert all(label.startswith("What if") for label in table["label"])
    assert sorted(table["month"].unique()) == ["2022-02", "2022-03", "2022-04"]
    first = table[(table["scenario"] == "back_to_mean") & (table["unit_code"] == "U00")]
    assert first["expected_count"].tolist() == [round(panel.counts[0, 13:25].mean(), 2)] * 3
    assert (table["expected_count"] >= 0).all()


def test_too_short_a_history_is_refused() -> None:
    with pytest.raises(OutlookDataError, match="12 needed"):
        scenario_mean_means(np.ones((2, 8)), origin=7)
    with pytest.raises(OutlookDataError, match="3 needed"):
        scenario_trend_means(np.ones((2, 8)), origin=1)


def test_the_documented_example_of_the_cap() -> None:
    # docs/methodology.md, 'What-if scenarios': 1, 3 and 9 incidents project 9, 14 and 21.
    means = scenario_trend_means(counts_ending(1.0, 3.0, 9.0), origin=13)
    assert np.round(means[0]).tolist() == [9.0, 14.0, 21.0]
