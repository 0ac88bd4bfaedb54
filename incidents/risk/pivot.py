"""Before/after a key development: did the incident rate of each unit change? (docs/methodology.md)

For one unit, the counts in the window before the pivot date (``before`` over ``days_before``
days) and from the pivot on (``after`` over ``days_after`` days) are treated as Poisson. Given
their total ``n``, ``after`` is Binomial(n, p) with

    p = R·days_after / (days_before + R·days_after),   R = rate_after / rate_before,

so an exact (Clopper–Pearson) interval for ``p`` maps to an exact interval for the rate
ratio ``R = p / (1 − p) · days_before / days_after``. Nothing here says *why* a rate changed:
a unit is "significant" only when its interval excludes 1, i.e. the rate after the date
differs from the rate before by more than chance alone would explain.

Windows (both inclusive, of equal length ``window_days`` unless cut by the data's end):

* before: ``pivot − window_days`` … ``pivot − 1``
* after:  ``pivot`` … ``pivot + window_days − 1`` (the pivot day itself counts as *after*)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

import numpy as np
import pandas as pd

from geodata.corridors import CorridorsLike, corridor_set
from incidents.errors import PivotError
from incidents.i18n import _
from incidents.risk.units import UnitLevel, unit_membership, unit_names
from incidents.settings import CORRIDOR_KM

DEFAULT_PIVOT: Final = date(2025, 9, 20)
"""France suspends counter-terrorism cooperation with Mali (key developments table)."""
DEFAULT_WINDOW_DAYS: Final = 90
DEFAULT_CONFIDENCE: Final = 0.95
PIVOT_COLUMNS: Final = (
    "unit_code",
    "unit_name",
    "country_iso3",
    "events_before",
    "events_after",
    "rate_ratio",
    "ci_low",
    "ci_high",
    "significant",
)


@dataclass(frozen=True)
class PivotWindows:
    """The two inclusive date windows compared, and their lengths in days."""

    before_start: date
    before_end: date
    after_start: date
    after_end: date

    @property
    def days_before(self) -> int:
        return (self.before_end - self.before_start).days + 1

    @property
    def days_after(self) -> int:
        return (self.after_end - self.after_start).days + 1

    @property
    def truncated(self) -> bool:
        """True when the data end cut the after window short of the before window's length."""
        return self.days_after < self.days_before


def pivot_windows(
    pivot: date, window_days: int = DEFAULT_WINDOW_DAYS, *, data_until: date | None = None
) -> PivotWindows:
    """Before ``[pivot − window_days, pivot − 1]`` and after ``[pivot, pivot + window_days − 1]``.

    ``data_until`` (the last date the data covers) cuts the after window so that days
    without data are not counted as days without incidents, which would bias the ratio
    towards a fall. Raises :class:`PivotError` when no after day remains.
    """
    if isinstance(window_days, bool) or not isinstance(window_days, int | np.integer) or window_days < 1:
        raise PivotError(f"window_days must be a whole number of days >= 1; got {window_days!r}")
    pivot = pd.Timestamp(pivot).date()
    days = int(window_days)
    after_end = pivot + timedelta(days=days - 1)
    if data_until is not None:
        data_until = pd.Timestamp(data_until).date()
        if data_until < pivot:
            raise PivotError(
                _(
                    "the data end on {data_until}, before the pivot date {pivot}: there is no 'after' "
                    "window to compare"
                ).format(data_until=data_until.isoformat(), pivot=pivot.isoformat())
            )
        after_end = min(after_end, data_until)
    return PivotWindows(
        before_start=pivot - timedelta(days=days),
        before_end=pivot - timedelta(days=1),
        after_start=pivot,
        after_end=after_end,
    )


def _check_confidence(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise PivotError(f"confidence must be between 0 and 1 (e.g. 0.95); got {confidence!r}")
    return float(confidence)


def _check_counts(before: int, after: int, days_before: int, days_after: int) -> None:
    for name, value, low in (
        ("before", before, 0),
        ("after", after, 0),
        ("days_before", days_before, 1),
        ("days_after", days_after, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise PivotError(f"{name} must be a whole number >= {low}; got {value!r}")


def rate_ratio_ci(
    before: int,
    after: int,
    *,
    days_before: int,
    days_after: int,
    confidence: float = DEFAULT_CONFIDENCE,
) -> tuple[float, float, float]:
    """Rate ratio (after/before, per day) and its exact conditional-binomial interval.

    Clopper–Pearson bounds for ``after / (before + after)`` are converted with the exposure
    ratio ``days_before / days_after``. Edge cases, which follow from the same formula:

    * ``before == 0 < after``: ratio ``inf``, upper bound ``inf``, lower bound finite (> 0);
    * ``after == 0 < before``: ratio ``0``, lower bound ``0``, upper bound finite;
    * both ``0``: no information, all three ``nan``.
    """
    _check_counts(before, after, days_before, days_after)
    level = _check_confidence(confidence)
    before, after = int(before), int(after)
    total = before + after
    if total == 0:
        return math.nan, math.nan, math.nan
    from scipy.stats import beta  # 0.8 s to import: only the commands that compare periods pay it

    alpha = 1.0 - level
    p_low = 0.0 if after == 0 else float(beta.ppf(alpha / 2, after, total - after + 1))
    p_high = 1.0 if after == total else float(beta.ppf(1 - alpha / 2, after + 1, total - after))
    exposure = days_before / days_after
    ratio = math.inf if before == 0 else (after / days_after) / (before / days_before)
    return ratio, _odds(p_low) * exposure, _odds(p_high) * exposure


def _odds(p: float) -> float:
    return math.inf if p >= 1.0 else p / (1.0 - p)


def before_after(
    frame: pd.DataFrame,
    *,
    pivot: date = DEFAULT_PIVOT,
    window_days: int = DEFAULT_WINDOW_DAYS,
    level: UnitLevel,
    corridor_km: float = CORRIDOR_KM,
    data_until: date | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    corridors: CorridorsLike = None,
) -> pd.DataFrame:
    """Incidents per unit in the windows of :func:`pivot_windows`, with rate ratios and intervals.

    ``frame`` holds incidents (``event_date`` plus the unit columns of ``level``), already
    filtered by the caller (countries, event types, ...). One row per unit with at least
    one event in either window, columns :data:`PIVOT_COLUMNS`, sorted by rate ratio (largest
    rise first; units with no events before come first, as their ratio is infinite).
    ``significant`` is True only when the interval excludes 1. The windows used are in
    ``result.attrs["windows"]``. ``corridors``: the corridor units (the store's active
    corridors; None: shipped; ignored for admin levels). This measures change after the
    date, not its cause.
    """
    windows = pivot_windows(pivot, window_days, data_until=data_until)
    _check_confidence(confidence)
    chosen = corridor_set(corridors) if level == "corridor" else None
    membership = unit_membership(frame, level, corridor_km=corridor_km, corridors=chosen)
    dates = frame["event_date"].to_numpy(dtype="datetime64[ns]")[membership["row"].to_numpy()]
    before_mask = (dates >= np.datetime64(windows.before_start)) & (
        dates <= np.datetime64(windows.before_end)
    )
    after_mask = (dates >= np.datetime64(windows.after_start)) & (dates <= np.datetime64(windows.after_end))
    counts = (
        pd.DataFrame(
            {
                "unit_code": membership["unit_code"].astype(str).to_numpy(),
                "events_before": before_mask.astype(np.int64),
                "events_after": after_mask.astype(np.int64),
            }
        )
        .loc[before_mask | after_mask]
        .groupby("unit_code", sort=True)[["events_before", "events_after"]]
        .sum()
        .reset_index()
    )
    names = unit_names(level, chosen)
    names["unit_code"] = names["unit_code"].astype(str)
    result = counts.merge(names, on="unit_code", how="left")
    result["unit_name"] = result["unit_name"].fillna(result["unit_code"])
    intervals = [
        rate_ratio_ci(
            int(b),
            int(a),
            days_before=windows.days_before,
            days_after=windows.days_after,
            confidence=confidence,
        )
        for b, a in zip(result["events_before"], result["events_after"], strict=True)
    ]
    stats = np.array(intervals, dtype=np.float64).reshape(-1, 3)
    result["rate_ratio"], result["ci_low"], result["ci_high"] = stats[:, 0], stats[:, 1], stats[:, 2]
    result["significant"] = (result["ci_low"] > 1.0) | (result["ci_high"] < 1.0)  # NaN compares False
    for column in ("unit_code", "unit_name", "country_iso3"):
        result[column] = result[column].astype("string")
    result = result.sort_values(
        ["rate_ratio", "unit_code"], ascending=[False, True], na_position="last", kind="stable"
    ).reset_index(drop=True)
    result = result[list(PIVOT_COLUMNS)]
    result.attrs["windows"] = windows
    return result
