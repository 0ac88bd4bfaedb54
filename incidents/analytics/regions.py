"""Per-region figures for the choropleth map and the region drill-down."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from incidents.analytics._common import (
    FREQS,
    LEVELS,
    check_choice,
    period_numbers,
    period_starts,
    row_counts,
    unit_totals,
)

SUMMARY_COLUMNS = (
    "unit_code",
    "unit_name",
    "country_iso3",
    "incidents",
    "fatalities",
    "civilian_events",
    "area_km2",
    "incidents_per_10k_km2",
    "incidents_per_30_days",
)
TREND_COLUMNS = ("period_start", "incidents", "fatalities")


def unit_summary(
    frame: pd.DataFrame,
    level: Literal["admin1", "admin2"],
    areas: pd.Series,
    period_days: int,
) -> pd.DataFrame:
    """One row per unit with incidents, with density and pace of incidents.

    ``areas`` is :func:`geodata.areas.unit_areas_km2` of the same level (a unit missing
    from it gets NaN area and rate); ``period_days`` is the length of the filtered period,
    so ``incidents_per_30_days`` compares windows of different lengths. Units without
    incidents are omitted: the map draws them as zero.
    """
    check_choice("level", level, LEVELS)
    if period_days <= 0:
        raise ValueError(f"period_days must be > 0; got {period_days}")
    summary = unit_totals(frame, level)
    area = areas.reindex(summary["unit_code"].astype(object)).to_numpy(dtype=np.float64)
    incidents = summary["incidents"].to_numpy(dtype=np.float64)
    summary["area_km2"] = area
    with np.errstate(divide="ignore", invalid="ignore"):
        summary["incidents_per_10k_km2"] = np.where(area > 0, incidents / area * 10_000.0, np.nan)
    summary["incidents_per_30_days"] = incidents / period_days * 30.0
    summary = summary.sort_values("unit_code", kind="stable").reset_index(drop=True)
    return summary[list(SUMMARY_COLUMNS)]


def unit_trend(
    frame: pd.DataFrame,
    level: Literal["admin1", "admin2"],
    unit_code: str,
    freq: Literal["W", "M"] = "M",
) -> pd.DataFrame:
    """Incidents and fatalities per period in one unit, zero-filled from first to last period."""
    check_choice("level", level, LEVELS)
    check_choice("freq", freq, FREQS)
    in_unit = frame[f"{level}_code"].eq(unit_code).to_numpy(dtype=bool, na_value=False)
    dates = frame["event_date"][in_unit]
    known = dates.notna().to_numpy()
    numbers = period_numbers(dates[known], freq)
    if len(numbers) == 0:
        return pd.DataFrame(
            {
                "period_start": pd.Series(dtype="datetime64[ns]"),
                "incidents": pd.Series(dtype="int64"),
                "fatalities": pd.Series(dtype="int64"),
            }
        )
    fatalities = frame["fatalities"].to_numpy(dtype=np.float64)[in_unit][known]
    counts = row_counts(frame)
    weights = None if counts is None else counts[in_unit][known]
    first = int(numbers.min())
    offsets = numbers - first
    size = int(offsets.max()) + 1
    return pd.DataFrame(
        {
            "period_start": period_starts(np.arange(first, first + size, dtype=np.int64), freq),
            "incidents": np.rint(np.bincount(offsets, weights=weights, minlength=size)).astype(np.int64),
            "fatalities": np.rint(np.bincount(offsets, weights=fatalities, minlength=size)).astype(np.int64),
        }
    )
