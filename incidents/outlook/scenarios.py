"""What-if scenarios: expected incidents per unit and month *if* a stated assumption holds.

They are not forecasts (the models and the gate make those, :mod:`~incidents.outlook.forecast`)
and nothing scores them: each answers one question a reader asks of the outlook, with
arithmetic simple enough to check by hand. Both read the panel up to the origin only.

* ``trend_continues``: the last 90 days' trend continues. A least-squares line through
  log(1 + count) of the 3 months up to the origin (the monthly panel's 90 days), extended
  ``h`` months: expected = exp(line at h) - 1, never below 0. The slope is capped at
  ±log(1.5): 1 + count grows or shrinks by at most 1.5 times a month (1, 3 and 9 incidents
  project 9, 14 and 21; uncapped, 21, 47 and 107).
* ``back_to_mean``: activity returns to its 12-month mean. Expected = the unit's mean monthly
  count over the 12 months up to the origin, for every month after it (straight away, not
  gradually).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from incidents.errors import OutlookDataError
from incidents.i18n import N_
from incidents.outlook.distributions import FloatArray
from incidents.outlook.features import WINDOW_MONTHS
from incidents.outlook.forecast import UNIT_MONTH_COLUMNS
from incidents.outlook.models import HORIZONS
from incidents.outlook.panel import Panel

#: Months of the trend's fit: the 90 days up to the origin, in whole months.
TREND_MONTHS: Final = 3
#: 1 + count may grow or shrink by at most this factor a month in the trend scenario.
TREND_MAX_MONTHLY_FACTOR: Final = 1.5
SCENARIO_TREND: Final = "trend_continues"
SCENARIO_MEAN: Final = "back_to_mean"
#: What each scenario assumes, worded as the question it answers (English in the tables; pages
#: translate the label where they show it).
SCENARIO_LABELS: Final = {
    SCENARIO_TREND: N_("What if the last 90 days' trend continues"),
    SCENARIO_MEAN: N_("What if activity returns to its 12-month mean"),
}
SCENARIO_COLUMNS: Final = (*UNIT_MONTH_COLUMNS, "scenario", "label", "expected_count")


def scenario_trend_means(counts: FloatArray, origin: int, horizons: tuple[int, ...] = HORIZONS) -> FloatArray:
    """(units, horizons) expected counts if the capped log-linear trend of the 3 months up to
    ``origin`` continues (reads ``counts[:, : origin + 1]`` only)."""
    _need(origin, TREND_MONTHS)
    recent = np.log1p(counts[:, origin - TREND_MONTHS + 1 : origin + 1])
    t = np.arange(-TREND_MONTHS + 1, 1, dtype=np.float64)  # the origin is month 0
    centred = t - t.mean()
    slope = (recent - recent.mean(axis=1, keepdims=True)) @ centred / float((centred**2).sum())
    cap = np.log(TREND_MAX_MONTHLY_FACTOR)
    slope = np.clip(slope, -cap, cap)
    # With the slope fixed, the least-squares line still passes through the mean point.
    ahead = np.asarray(horizons, dtype=np.float64)[None, :] - t.mean()
    line = recent.mean(axis=1, keepdims=True) + slope[:, None] * ahead
    return np.asarray(np.maximum(np.expm1(line), 0.0), dtype=np.float64)


def scenario_mean_means(counts: FloatArray, origin: int, horizons: tuple[int, ...] = HORIZONS) -> FloatArray:
    """(units, horizons) expected counts if activity returns to the 12-month mean up to ``origin``."""
    _need(origin, WINDOW_MONTHS)
    mean = counts[:, origin - WINDOW_MONTHS + 1 : origin + 1].mean(axis=1)
    return np.asarray(np.repeat(mean[:, None], len(horizons), axis=1), dtype=np.float64)


def scenario_trend_continues(panel: Panel, origin: int, horizons: tuple[int, ...] = HORIZONS) -> pd.DataFrame:
    """The 'last 90 days' trend continues' scenario as a table (:data:`SCENARIO_COLUMNS`)."""
    means = scenario_trend_means(panel.counts, origin, horizons)
    return _scenario_table(panel, origin, horizons, SCENARIO_TREND, means)


def scenario_back_to_mean(panel: Panel, origin: int, horizons: tuple[int, ...] = HORIZONS) -> pd.DataFrame:
    """The 'activity returns to its 12-month mean' scenario as a table (:data:`SCENARIO_COLUMNS`)."""
    means = scenario_mean_means(panel.counts, origin, horizons)
    return _scenario_table(panel, origin, horizons, SCENARIO_MEAN, means)


def build_scenarios(panel: Panel, origin: int, horizons: tuple[int, ...] = HORIZONS) -> pd.DataFrame:
    """Both scenarios, one row per scenario, unit and horizon (:data:`SCENARIO_COLUMNS`)."""
    return pd.concat(
        [scenario_trend_continues(panel, origin, horizons), scenario_back_to_mean(panel, origin, horizons)],
        ignore_index=True,
    )


def _scenario_table(
    panel: Panel, origin: int, horizons: tuple[int, ...], scenario: str, means: FloatArray
) -> pd.DataFrame:
    units = len(panel.units)
    return pd.DataFrame(
        {
            "unit_code": np.tile(panel.units["unit_code"].astype(str).to_numpy(), len(horizons)),
            "unit_name": np.tile(panel.units["unit_name"].astype(str).to_numpy(), len(horizons)),
            "level": panel.level,
            "origin": str(panel.months[origin]),
            "month": np.repeat([str(panel.months[origin] + h) for h in horizons], units),
            "horizon": np.repeat(np.asarray(horizons, dtype=np.int64), units),
            "scenario": scenario,
            "label": SCENARIO_LABELS[scenario],
            "expected_count": np.round(means.T.reshape(-1), 2),
        }
    )[list(SCENARIO_COLUMNS)]


def _need(origin: int, months: int) -> None:
    if origin + 1 < months:
        raise OutlookDataError(
            f"not enough history for the scenario: {origin + 1} month(s) up to the origin, {months} needed"
        )
