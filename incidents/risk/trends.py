"""Trend and surge flags per unit, after ACLED's Trendfinder and surge rules.

The week is the 7 days ending at (and including) the as-of date. It is compared with
the weekly average of the 4 weeks (28 days) and of the 52 weeks (364 days) just before
it. Change bands, exactly (docs/methodology.md, "Trend and surge flags"):

* ``large_increase``     change > +25 %
* ``moderate_increase``  +10 % <= change <= +25 %
* ``limited_change``     -25 % <= change < +10 %
* ``large_decrease``     change < -25 %

Low-volume rule, first: a weekly average <= 2 with this week <= 5 is ``limited_change``.
A zero average with events this week (beyond the low-volume rule) is a large increase.
Surge: this week >= 2 x the 4-week average, only where that average is >= 1.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geodata.corridors import CorridorsLike, corridor_set
from incidents.risk.units import UnitLevel, unit_keys, unit_names
from incidents.settings import CORRIDOR_KM

TREND_LABELS: Final = ("large_increase", "moderate_increase", "limited_change", "large_decrease")
LARGE_INCREASE_PCT: Final = 25.0
MODERATE_INCREASE_PCT: Final = 10.0
LARGE_DECREASE_PCT: Final = -25.0
LOW_VOLUME_AVG: Final = 2.0
LOW_VOLUME_WEEK: Final = 5.0
SURGE_FACTOR: Final = 2.0
SURGE_MIN_AVG: Final = 1.0
#: Percent changes are rounded to this many decimals before comparison, so that a change
#: of exactly 25 % computed in floating point (e.g. 12.5 vs 10) sits on the boundary.
_PCT_DECIMALS: Final = 9
TREND_COLUMNS: Final = (
    "unit_code",
    "this_week",
    "avg_4w",
    "avg_52w",
    "change_4w_pct",
    "change_52w_pct",
    "trend_4w",
    "trend_52w",
    "surge",
)


def change_pct(this_week: npt.ArrayLike, weekly_avg: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Percent change of this week against the average (+inf when the average is 0 and this week > 0)."""
    this = np.asarray(this_week, dtype=np.float64)
    avg = np.asarray(weekly_avg, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(
            avg > 0, (this - avg) / np.where(avg > 0, avg, 1.0) * 100.0, np.where(this > 0, np.inf, 0.0)
        )
    return np.asarray(np.round(pct, _PCT_DECIMALS), dtype=np.float64)


def classify_trend(this_week: npt.ArrayLike, weekly_avg: npt.ArrayLike) -> npt.NDArray[np.object_] | str:
    """Trend label(s) of this week's count against a weekly average; a str for scalar inputs."""
    scalar = np.ndim(this_week) == 0 and np.ndim(weekly_avg) == 0
    this = np.atleast_1d(np.asarray(this_week, dtype=np.float64))
    avg = np.atleast_1d(np.asarray(weekly_avg, dtype=np.float64))
    this, avg = np.broadcast_arrays(this, avg)
    pct = change_pct(this, avg)
    low_volume = (avg <= LOW_VOLUME_AVG) & (this <= LOW_VOLUME_WEEK)
    labels = np.select(
        [
            low_volume,
            pct > LARGE_INCREASE_PCT,
            pct >= MODERATE_INCREASE_PCT,
            pct >= LARGE_DECREASE_PCT,
        ],
        ["limited_change", "large_increase", "moderate_increase", "limited_change"],
        default="large_decrease",
    ).astype(object)
    return str(labels[0]) if scalar else labels


def is_surge(this_week: npt.ArrayLike, avg_4w: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Surge flags: this week >= 2 x the 4-week weekly average, where that average is >= 1."""
    this = np.asarray(this_week, dtype=np.float64)
    avg = np.asarray(avg_4w, dtype=np.float64)
    return np.asarray((avg >= SURGE_MIN_AVG) & (this >= SURGE_FACTOR * avg), dtype=bool)


def weekly_windows(as_of: date) -> dict[str, tuple[date, date]]:
    """Inclusive (first, last) day of this week, the previous 4 weeks and the previous 52 weeks."""
    week_start = as_of - timedelta(days=6)
    return {
        "this_week": (week_start, as_of),
        "prev_4w": (week_start - timedelta(days=28), week_start - timedelta(days=1)),
        "prev_52w": (week_start - timedelta(days=364), week_start - timedelta(days=1)),
    }


def trend_flags(
    frame: pd.DataFrame,
    *,
    level: UnitLevel,
    as_of: date,
    corridor_km: float = CORRIDOR_KM,
    corridors: CorridorsLike = None,
) -> pd.DataFrame:
    """Trend and surge flags for every unit of ``level`` (units without events: limited change).

    ``frame`` is the analysis frame (at least ``event_date`` and the unit columns, or
    ``longitude``/``latitude`` for corridors). Pass the unfiltered frame: flags then do not
    depend on what else the user filtered in or out. ``corridors``: the corridor units
    (None: shipped; ignored for admin levels).
    """
    chosen = corridor_set(corridors) if level == "corridor" else None
    names = unit_names(level, chosen)
    windows = weekly_windows(as_of)
    days = _day_numbers(frame["event_date"])
    first_day = np.datetime64(windows["prev_52w"][0], "D").astype(np.int64)
    in_span = np.flatnonzero((days >= first_day) & (days <= np.datetime64(as_of, "D").astype(np.int64)))
    unit_index = pd.Index(names["unit_code"].astype(str))
    rows, keys = unit_keys(frame, level, unit_index, rows=in_span, corridor_km=corridor_km, corridors=chosen)
    member_days = days[rows]
    size = len(unit_index)

    def count(window: tuple[date, date]) -> npt.NDArray[np.float64]:
        lo = np.datetime64(window[0], "D").astype(np.int64)
        hi = np.datetime64(window[1], "D").astype(np.int64)
        inside = (member_days >= lo) & (member_days <= hi)
        return np.bincount(keys[inside], minlength=size).astype(np.float64)

    this_week = count(windows["this_week"])
    avg_4w = count(windows["prev_4w"]) / 4.0
    avg_52w = count(windows["prev_52w"]) / 52.0
    return pd.DataFrame(
        {
            "unit_code": names["unit_code"],
            "this_week": this_week.astype(np.int64),
            "avg_4w": avg_4w,
            "avg_52w": avg_52w,
            "change_4w_pct": change_pct(this_week, avg_4w),
            "change_52w_pct": change_pct(this_week, avg_52w),
            "trend_4w": classify_trend(this_week, avg_4w),
            "trend_52w": classify_trend(this_week, avg_52w),
            "surge": is_surge(this_week, avg_4w),
        },
        columns=list(TREND_COLUMNS),
    )


def _day_numbers(dates: pd.Series) -> npt.NDArray[np.int64]:
    """Days since 1970 of each date (NaT becomes a very small number and falls outside windows)."""
    stamps = dates.to_numpy()
    if stamps.dtype != np.dtype("datetime64[ns]"):
        stamps = pd.to_datetime(dates).to_numpy().astype("datetime64[ns]")
    return stamps.astype("datetime64[D]").astype(np.int64)
