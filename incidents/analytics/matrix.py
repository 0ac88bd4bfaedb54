"""Region × month matrix for the Risk page heatmap."""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
import pandas as pd

from incidents.analytics._common import (
    LEVELS,
    check_choice,
    encode,
    first_positions,
    labels_at,
    period_numbers,
    period_starts,
    row_counts,
)

MATRIX_MEASURES: Final = ("incidents", "fatalities", "rate")
MATRIX_SORTS: Final = ("total", "name", "recent")
RECENT_MONTHS: Final = 3


def _unit_labels(names: np.ndarray, countries: np.ndarray, codes: np.ndarray) -> list[str]:
    """``"Name (ISO3)"``; homonyms in the same country get their code added so rows stay unique."""
    labels = [f"{name} ({iso3})" for name, iso3 in zip(names, countries, strict=True)]
    counts = pd.Series(labels).value_counts()
    return [
        f"{name} ({iso3}, {code})" if counts[label] > 1 else label
        for label, name, iso3, code in zip(labels, names, countries, codes, strict=True)
    ]


def region_month_matrix(
    frame: pd.DataFrame,
    *,
    level: Literal["admin1", "admin2"],
    measure: Literal["incidents", "fatalities", "rate"],
    areas: pd.Series,
    sort: Literal["total", "name", "recent"],
    months: pd.PeriodIndex | None = None,
) -> pd.DataFrame:
    """Units (rows, labelled ``"Name (ISO3)"``) by month start (columns) of ``measure``.

    ``rate`` is incidents per 10,000 km² (``areas`` from :func:`geodata.areas.unit_areas_km2`;
    NaN for a unit without area). ``months`` fixes the columns (incidents outside them are
    ignored); otherwise every month from first to last incident. Rows are units with at
    least one incident in those months, sorted by total (descending), name, or the last
    three months' total (descending). An empty selection gives an empty frame.
    """
    check_choice("level", level, LEVELS)
    check_choice("measure", measure, MATRIX_MEASURES)
    check_choice("sort", sort, MATRIX_SORTS)

    unit_codes, unit_labels = encode(frame[f"{level}_code"])
    dated = frame["event_date"].notna().to_numpy()
    keep = (unit_codes >= 0) & dated
    if dated.all():
        month_numbers = period_numbers(frame["event_date"], "M")
    else:
        month_numbers = np.full(len(frame), -1, dtype=np.int64)
        month_numbers[dated] = period_numbers(frame["event_date"][dated], "M")

    if months is not None:
        month_index = pd.PeriodIndex(months).asfreq("M")
        wanted = np.asarray([p.year * 12 + p.month - 1 - 1970 * 12 for p in month_index], dtype=np.int64)
        first, n_months = (int(wanted.min()), int(wanted.max() - wanted.min()) + 1) if len(wanted) else (0, 0)
        keep &= (month_numbers >= first) & (month_numbers < first + n_months)
        if n_months != len(wanted):  # months with gaps: drop incidents in the gaps
            keep &= np.isin(month_numbers, wanted)
    elif keep.any():
        wanted = None
        first = int(month_numbers[keep].min())
        n_months = int(month_numbers[keep].max()) - first + 1
    else:
        return pd.DataFrame()

    columns = pd.DatetimeIndex(period_starts(np.arange(first, first + n_months, dtype=np.int64), "M"))
    if not keep.any() or n_months == 0:
        if wanted is not None:
            return pd.DataFrame(columns=columns[wanted - first], dtype=np.float64)
        return pd.DataFrame()

    all_rows = bool(keep.all())
    rows = slice(None) if all_rows else np.flatnonzero(keep)
    n_units = len(unit_labels)
    kept_units = unit_codes[rows]
    cell = kept_units * n_months + (month_numbers[rows] - first)
    per_row = frame["fatalities"].to_numpy(dtype=np.float64) if measure == "fatalities" else row_counts(frame)
    weights = None if per_row is None else per_row[rows]
    grid = np.bincount(cell, weights=weights, minlength=n_units * n_months).reshape(n_units, n_months)
    present = np.flatnonzero(np.bincount(kept_units, minlength=n_units))
    grid = grid[present].astype(np.float64)
    if wanted is not None:
        grid = grid[:, wanted - first]
        columns = columns[wanted - first]

    codes = unit_labels[present].astype(str)
    if measure == "rate":
        area = areas.reindex(codes).to_numpy(dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            grid = np.where((area > 0)[:, None], grid / area[:, None] * 10_000.0, np.nan)

    first_rows = first_positions(unit_codes, n_units)[present]
    names = labels_at(frame[f"{level}_name"], first_rows)
    countries = labels_at(frame["country_iso3"], first_rows)
    index = pd.Index(_unit_labels(names, countries, codes), name="unit")
    matrix = pd.DataFrame(grid, index=index, columns=pd.DatetimeIndex(columns, name="month"))
    if measure != "rate":
        matrix = matrix.astype(np.int64)

    if sort == "name":
        order = np.argsort(np.asarray([label.casefold() for label in index]), kind="stable")
    else:
        scored = grid if sort == "total" else grid[:, -RECENT_MONTHS:]
        score = np.nan_to_num(scored).sum(axis=1)
        total = np.nan_to_num(grid).sum(axis=1)
        # Descending score, then descending total, then name, deterministic for ties.
        order = np.lexsort((np.asarray([label.casefold() for label in index]), -total, -score))
    return matrix.iloc[order]
