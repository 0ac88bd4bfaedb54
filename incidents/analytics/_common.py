"""Vectorised building blocks shared by the analytics modules.

Everything here works on integer codes with ``numpy.bincount``: a million-row analysis
frame aggregates in milliseconds, and category columns are never expanded to Python
strings row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

LEVELS: Final = ("admin1", "admin2")
FREQS: Final = ("W", "M")
UNKNOWN: Final = "unknown"
#: 1970-01-01 was a Thursday; shifting by 3 days makes week numbers start on Mondays.
_MONDAY_SHIFT: Final = 3
_NS_PER_DAY: Final = 86_400_000_000_000

UNIT_COLUMNS: Final = ("unit_code", "unit_name", "country_iso3", "incidents", "fatalities", "civilian_events")
#: Column of a pre-grouped frame (the database's answer, ``incidents.store.filtered_sql``): how many
#: incidents each row stands for. In such a frame ``fatalities`` holds their sum and
#: ``civilian_targeting`` how many of them targeted civilians. Absent: each row is one incident.
INCIDENT_COUNT: Final = "incident_count"


def check_choice(name: str, value: object, allowed: Sequence[object]) -> None:
    """Raise ValueError quoting the bad value and the allowed set."""
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; allowed: {list(allowed)}")


def encode(series: pd.Series) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]]:
    """Integer code per row (-1 for missing) and the label of each code, as strings.

    Categorical columns reuse their codes (no hashing); other columns are factorised.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.int64)
        labels = series.cat.categories.astype(str).to_numpy(dtype=object)
    else:
        raw_codes, uniques = pd.factorize(series, use_na_sentinel=True)
        codes = np.asarray(raw_codes, dtype=np.int64)
        labels = pd.Index(uniques).astype(str).to_numpy(dtype=object)
    return codes, labels


def row_counts(frame: pd.DataFrame) -> npt.NDArray[np.float64] | None:
    """Incidents per row of a pre-grouped frame (:data:`INCIDENT_COUNT`), None for one row per incident.

    The analytics count with these as ``bincount`` weights, so a frame grouped by the database
    and the rows it was grouped from give the same figures.
    """
    if INCIDENT_COUNT not in frame.columns:
        return None
    return frame[INCIDENT_COUNT].to_numpy(dtype=np.float64)


def incident_total(frame: pd.DataFrame) -> int:
    """How many incidents ``frame`` holds: its rows, or the sum of a pre-grouped frame's counts."""
    counts = row_counts(frame)
    return len(frame) if counts is None else int(counts.sum())


def incidents_by(frame: pd.DataFrame, column: str) -> pd.Series:
    """Incidents per value of ``column`` (rows, or a pre-grouped frame's counts), values that occur only."""
    codes, labels = encode(frame[column])
    valid = codes >= 0
    counts = row_counts(frame)
    totals = np.bincount(
        codes[valid], weights=None if counts is None else counts[valid], minlength=len(labels)
    )
    present = np.flatnonzero(totals)
    found = pd.Series(np.rint(totals[present]).astype(np.int64), index=labels[present].astype(str))
    return found.sort_index()


def first_positions(codes: npt.NDArray[np.int64], size: int) -> npt.NDArray[np.int64]:
    """Row of the first occurrence of each code in ``range(size)`` (-1 when absent)."""
    first = np.full(size, -1, dtype=np.int64)
    valid = codes >= 0
    rows = np.flatnonzero(valid)
    # Fancy assignment keeps the last write: writing in reverse leaves the first row.
    first[codes[rows][::-1]] = rows[::-1]
    return first


def labels_at(series: pd.Series, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
    """String value of ``series`` at each row position ("" for missing)."""
    picked = series.iloc[rows]
    return picked.astype(object).where(picked.notna(), "").astype(str).to_numpy(dtype=object)


def period_numbers(dates: pd.Series, freq: str) -> npt.NDArray[np.int64]:
    """Month or Monday-week number of each date since 1970 (NaT rows must be dropped first).

    Works on the int64 nanoseconds: numpy's datetime64[M] conversion costs ~40 ms per
    million rows, so months come from a per-day lookup table over the (short) date span.
    """
    stamps = dates.to_numpy()
    if stamps.dtype != np.dtype("datetime64[ns]"):
        stamps = stamps.astype("datetime64[ns]")
    days = stamps.view(np.int64) // _NS_PER_DAY
    if freq != "M":
        return (days + _MONDAY_SHIFT) // 7
    if len(days) == 0:
        return days
    first, last = int(days.min()), int(days.max())
    lookup = np.arange(first, last + 1, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]")
    return lookup.astype(np.int64)[days - first]


def period_starts(numbers: npt.NDArray[np.int64], freq: str) -> npt.NDArray[np.datetime64]:
    """First day (midnight, datetime64[ns]) of each period number from :func:`period_numbers`."""
    if freq == "M":
        return numbers.astype("datetime64[M]").astype("datetime64[ns]")
    return (numbers * 7 - _MONDAY_SHIFT).astype("datetime64[D]").astype("datetime64[ns]")


def unit_totals(frame: pd.DataFrame, level: str) -> pd.DataFrame:
    """Incidents, fatalities and civilian-targeting events per unit that has incidents.

    Rows whose unit code is missing (points outside the boundary layers) are left out.
    Columns: :data:`UNIT_COLUMNS`, in no particular row order.
    """
    check_choice("level", level, LEVELS)
    codes, labels = encode(frame[f"{level}_code"])
    size = len(labels)
    valid = codes >= 0
    all_valid = bool(valid.all())
    keys = codes if all_valid else codes[valid]
    fatalities = frame["fatalities"].to_numpy(dtype=np.float64)
    civilian = frame["civilian_targeting"].to_numpy(dtype=np.float64)
    counts = row_counts(frame)
    if not all_valid:
        fatalities, civilian = fatalities[valid], civilian[valid]
        counts = None if counts is None else counts[valid]
    incidents = np.rint(np.bincount(keys, weights=counts, minlength=size)).astype(np.int64)
    present = np.flatnonzero(incidents)
    rows = first_positions(codes, size)[present]
    return pd.DataFrame(
        {
            "unit_code": pd.array(labels[present].astype(str), dtype="string"),
            "unit_name": pd.array(labels_at(frame[f"{level}_name"], rows).astype(str), dtype="string"),
            "country_iso3": pd.array(labels_at(frame["country_iso3"], rows).astype(str), dtype="string"),
            "incidents": incidents[present].astype(np.int64),
            "fatalities": np.rint(np.bincount(keys, weights=fatalities, minlength=size)[present]).astype(
                np.int64
            ),
            "civilian_events": np.rint(np.bincount(keys, weights=civilian, minlength=size)[present]).astype(
                np.int64
            ),
        },
        columns=list(UNIT_COLUMNS),
    )
