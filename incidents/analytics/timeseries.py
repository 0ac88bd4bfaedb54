"""Time series for the Timeline page: counts per week or month, rolling means, milestones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final, Literal

import numpy as np
import pandas as pd

from incidents.analytics._common import (
    FREQS,
    UNKNOWN,
    check_choice,
    encode,
    period_numbers,
    period_starts,
    row_counts,
)

BY_COLUMNS: Final = ("event_type", "actor_group", "country_iso3")
MEASURES: Final = ("incidents", "fatalities")
ALL_GROUP: Final = "all"
#: Scope of key developments that concern the whole region (shown for any country).
SAHEL_SCOPE: Final = "SAHEL"


def _empty_series() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period_start": pd.Series(dtype="datetime64[ns]"),
            "group": pd.Series(dtype="string"),
            "value": pd.Series(dtype="int64"),
        }
    )


def incident_series(
    frame: pd.DataFrame,
    *,
    freq: Literal["W", "M"],
    by: Literal["event_type", "actor_group", "country_iso3"] | None,
    measure: Literal["incidents", "fatalities"],
) -> pd.DataFrame:
    """Long frame ``period_start, group, value``: one row per period and group.

    Every period from the first to the last one with data is present for every group
    that occurs (zeros where nothing happened), so stacked bars and rolling means do not
    skip quiet weeks. Weeks start on Monday, months on day 1. ``group`` is ``"all"``
    when ``by`` is None and ``"unknown"`` for missing values.
    """
    check_choice("freq", freq, FREQS)
    check_choice("by", by, (*BY_COLUMNS, None))
    check_choice("measure", measure, MEASURES)
    known = frame["event_date"].notna().to_numpy()
    all_known = bool(known.all())
    dates = frame["event_date"] if all_known else frame["event_date"][known]
    if len(dates) == 0:
        return _empty_series()
    numbers = period_numbers(dates, freq)
    first = int(numbers.min())
    offsets = numbers - first
    n_periods = int(offsets.max()) + 1

    if by is None:
        group_codes = np.zeros(len(offsets), dtype=np.int64)
        labels = np.asarray([ALL_GROUP], dtype=object)
    else:
        group_codes, labels = encode(frame[by])
        if not all_known:
            group_codes = group_codes[known]
        if (group_codes < 0).any():
            group_codes = np.where(group_codes < 0, len(labels), group_codes)
            labels = np.append(labels, UNKNOWN)
    n_groups = len(labels)

    weights = frame["fatalities"].to_numpy(dtype=np.float64) if measure == "fatalities" else row_counts(frame)
    if weights is not None and not all_known:
        weights = weights[known]
    cells = np.bincount(offsets * n_groups + group_codes, weights=weights, minlength=n_periods * n_groups)
    grid = np.rint(cells).astype(np.int64).reshape(n_periods, n_groups)
    # Groups that never occur (unused categories) would only add flat zero series.
    used = np.flatnonzero(np.bincount(group_codes, minlength=n_groups))
    grid = grid[:, used]
    starts = period_starts(np.arange(first, first + n_periods, dtype=np.int64), freq)
    return pd.DataFrame(
        {
            "period_start": np.repeat(starts, len(used)),
            "group": pd.array(np.tile(labels[used].astype(str), n_periods), dtype="string"),
            "value": grid.ravel(),
        }
    )


def series_totals(series: pd.DataFrame) -> pd.Series:
    """Total ``value`` per ``period_start`` of an :func:`incident_series` frame (all groups)."""
    totals = series.groupby("period_start", sort=True)["value"].sum()
    return totals.astype(np.int64)


def rolling_mean(totals: pd.Series, window: int) -> pd.Series:
    """Trailing mean over ``window`` periods; the first periods average what exists so far."""
    if window < 1:
        raise ValueError(f"window must be >= 1; got {window}")
    return totals.astype(np.float64).rolling(window, min_periods=1).mean()


def developments_in_range(
    developments: pd.DataFrame,
    start: date | pd.Timestamp,
    end: date | pd.Timestamp,
    countries: Sequence[str],
) -> pd.DataFrame:
    """Key developments dated ``start``..``end`` (inclusive) whose scope is SAHEL or a selected country."""
    scopes = {SAHEL_SCOPE, *(str(country).upper() for country in countries)}
    dates = developments["date"]
    keep = (
        (dates >= pd.Timestamp(start))
        & (dates <= pd.Timestamp(end))
        & developments["scope"].astype("string").str.upper().isin(scopes)
    )
    return developments[keep.to_numpy(dtype=bool, na_value=False)].reset_index(drop=True)
