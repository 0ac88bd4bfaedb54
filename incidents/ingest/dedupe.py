"""Find rows already in the file, already in the store, or probably the same event from another source.

Decisions:

* ``duplicate_in_file`` and ``duplicate_in_store`` are **warnings** and the rows are
  *skipped*: they are counted in ``rows_duplicate``, never in ``rows_rejected`` (DESIGN.md §4
  counts them separately), so re-importing a file reports every row as a duplicate and
  changes nothing. An id already stored is ``duplicate_in_store`` at every occurrence; among
  the rest, the first occurrence in the file is kept and later ones are ``duplicate_in_file``.
* ``possible_duplicate`` is a **warning** and the row is *kept*: same event type, within
  :data:`POSSIBLE_DUPLICATE_DAYS` day(s) and :data:`POSSIBLE_DUPLICATE_KM` km of a stored
  incident from another source data set (ACLED and UCDP often code the same attack).

The proximity search scales to a million rows on each side: both sides are keyed by
(event type, day, grid cell) with cells at least twice the search radius wide, so each
candidate needs to look in only 2×2 cells × 3 days; exact great-circle distances are
computed for the few pairs that share a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from incidents.ingest.geocode import EARTH_RADIUS_KM, haversine_km
from incidents.ingest.issues import ForFlagged, IssueCollector
from incidents.ingest.staged import ImportIssue
from incidents.model import EVENT_TYPES

if TYPE_CHECKING:
    from incidents.store import IncidentStore

POSSIBLE_DUPLICATE_KM: Final = 5.0
POSSIBLE_DUPLICATE_DAYS: Final = 1
MAX_MATCHES_LISTED: Final = 3
#: Latitude beyond which grid cells are sized as at this latitude (longitudes converge).
MAX_GRID_LATITUDE: Final = 85.0


@dataclass(frozen=True)
class DedupeResult:
    """Rows to commit (with their lines), the duplicate/possible-duplicate issues, and the count skipped."""

    kept: pd.DataFrame
    kept_lines: pd.Series
    issues: list[ImportIssue] = field(default_factory=list)
    rows_duplicate: int = 0


def _stored_ids(store: IncidentStore, distinct: pd.Series) -> set[str]:
    """Which of these distinct ids the store holds (asked only when it holds any incident)."""
    if distinct.empty or store.count_incidents() == 0:
        return set()
    return store.existing_incident_ids(distinct.tolist())


def _exact_duplicates(
    candidates: pd.DataFrame, lines: np.ndarray, store: IncidentStore, issues: IssueCollector
) -> np.ndarray:
    """Mask of rows to skip: ids already stored, then repeats within the file."""
    ids = candidates["incident_id"].astype("string").reset_index(drop=True)
    # One hash pass gives every row the number of its distinct id (-1: missing id).
    codes, uniques = ids.array.factorize(use_na_sentinel=True)
    distinct = pd.Series(uniques, dtype="string")
    stored = _stored_ids(store, distinct)
    valid = codes >= 0
    slot = np.where(valid, codes, len(uniques))  # missing ids share one extra slot
    if stored:
        stored_code = np.append(distinct.isin(list(stored)).to_numpy(dtype=bool, na_value=False), False)
        in_store = stored_code[slot]
    else:
        in_store = np.zeros(len(ids), dtype=bool)
    issues.add(
        in_store,
        "source_event_id",
        "duplicate_in_store",
        "warning",
        ForFlagged(lambda at: "incident " + ids.iloc[at].fillna("") + " is already stored; row skipped"),
        value=ids,
    )
    # An id is stored at all of its rows or at none, so the rest are first occurrences or repeats.
    positions = np.arange(len(ids))
    first = np.full(len(uniques) + 1, len(ids), dtype=np.int64)
    np.minimum.at(first, slot, positions)
    repeat = valid & ~in_store & (first[slot] != positions)

    def message(at: np.ndarray) -> pd.Series:
        first_line = pd.Series(lines[first[codes[at]]], index=at).astype("string")
        return "incident " + ids.iloc[at] + " already appears at line " + first_line

    issues.add(repeat, "source_event_id", "duplicate_in_file", "warning", ForFlagged(message), value=ids)
    return in_store | repeat


def _grid_keys(
    lat: np.ndarray, lon: np.ndarray, height: float, width: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell row/column (and the fraction within the cell) for every point."""
    fy, fx = (lat + 90.0) / height, (lon + 180.0) / width
    return np.floor(fy).astype(np.int64), np.floor(fx).astype(np.int64), np.stack([fy % 1, fx % 1])


def _encode(type_code: np.ndarray, day: np.ndarray, row: np.ndarray, col: np.ndarray) -> np.ndarray:
    # Bits: col 20, row 20, day 20 (offset), type 3 — plenty for a 10 km grid and 2,800 years.
    return (((type_code.astype(np.int64) << 20 | (day + 2**19)) << 20 | row) << 20) | col


def find_proximity_pairs(
    candidates: pd.DataFrame,
    stored: pd.DataFrame,
    *,
    km: float = POSSIBLE_DUPLICATE_KM,
    days: int = POSSIBLE_DUPLICATE_DAYS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(candidate position, stored position, distance km) of same-type pairs within ``km`` and ``days``."""
    empty = np.empty(0, dtype=np.int64)
    if candidates.empty or stored.empty:
        return empty, empty, np.empty(0)
    codes = {name: number for number, name in enumerate(EVENT_TYPES)}

    def prepare(frame: pd.DataFrame) -> tuple[np.ndarray, ...]:
        type_code = frame["event_type"].map(codes).fillna(len(codes)).to_numpy(dtype=np.int64)
        day = frame["event_date"].to_numpy("datetime64[D]").astype(np.int64)
        return type_code, day, frame["latitude"].to_numpy(float), frame["longitude"].to_numpy(float)

    c_type, c_day, c_lat, c_lon = prepare(candidates)
    s_type, s_day, s_lat, s_lon = prepare(stored)
    max_lat = min(MAX_GRID_LATITUDE, float(np.nanmax(np.abs(np.concatenate([c_lat, s_lat])))) + 1.0)
    height = np.degrees(2.02 * km / EARTH_RADIUS_KM)  # cells a little over 2 radii tall and wide
    width = height / np.cos(np.radians(max_lat))
    s_row, s_col, _ = _grid_keys(s_lat, s_lon, height, width)
    s_key = _encode(s_type, s_day, s_row, s_col)
    order = np.argsort(s_key, kind="stable")
    s_sorted = s_key[order]

    c_row, c_col, frac = _grid_keys(c_lat, c_lon, height, width)
    # The search disc reaches at most one neighbour per axis: the one on the nearer side.
    row_step = np.where(frac[0] < 0.5, -1, 1)
    col_step = np.where(frac[1] < 0.5, -1, 1)
    pair_c, pair_s = [], []
    positions = np.arange(len(candidates))
    for day_offset in range(-days, days + 1):
        for dr in (0, 1):
            for dc in (0, 1):
                key = _encode(c_type, c_day + day_offset, c_row + dr * row_step, c_col + dc * col_step)
                left = np.searchsorted(s_sorted, key, side="left")
                right = np.searchsorted(s_sorted, key, side="right")
                counts = right - left
                if not counts.any():
                    continue
                which = np.repeat(positions, counts)
                starts = np.repeat(left - np.cumsum(counts) + counts, counts)
                pair_c.append(which)
                pair_s.append(order[starts + np.arange(len(which))])
    if not pair_c:
        return empty, empty, np.empty(0)
    cand, store_pos = np.concatenate(pair_c), np.concatenate(pair_s)
    distance = haversine_km(c_lat[cand], c_lon[cand], s_lat[store_pos], s_lon[store_pos])
    near = distance <= km
    return cand[near], store_pos[near], distance[near]


def _possible_duplicates(kept: pd.DataFrame, store: IncidentStore, issues: IssueCollector) -> None:
    dates = kept["event_date"]
    if kept.empty or dates.isna().all():
        return
    span = timedelta(days=POSSIBLE_DUPLICATE_DAYS)
    stored = store.load_incidents(since=(dates.min() - span).date(), until=(dates.max() + span).date())
    cand, stored_pos, distance = find_proximity_pairs(kept, stored)
    kept_source = kept["source_dataset"].to_numpy(dtype=object)
    other_source = kept_source[cand] != stored["source_dataset"].to_numpy(dtype=object)[stored_pos]
    cand, stored_pos, distance = cand[other_source], stored_pos[other_source], distance[other_source]
    if len(cand) == 0:
        return
    pairs = pd.DataFrame(
        {
            "cand": cand,
            "text": [
                f"{incident} ({when:%Y-%m-%d}, {km:.1f} km away)"
                for incident, when, km in zip(
                    stored["incident_id"].to_numpy(dtype=object)[stored_pos],
                    stored["event_date"].to_numpy()[stored_pos].astype("datetime64[D]").tolist(),
                    distance,
                    strict=True,
                )
            ],
            "distance": distance,
        }
    ).sort_values(["cand", "distance"], kind="stable")
    grouped = pairs.groupby("cand", sort=True)["text"]
    listed = grouped.apply(lambda texts: "; ".join(texts.head(MAX_MATCHES_LISTED)))
    more = grouped.size() - MAX_MATCHES_LISTED
    listed = listed + more.map(lambda n: f"; and {n} more" if n > 0 else "")
    mask = np.zeros(len(kept), dtype=bool)
    mask[listed.index.to_numpy()] = True
    messages = pd.Series("", index=range(len(kept)), dtype="string")
    messages.iloc[listed.index.to_numpy()] = (
        "same event type within 1 day and 5 km of stored incident(s) from another source: " + listed
    ).to_numpy()
    issues.add(
        mask,
        None,
        "possible_duplicate",
        "warning",
        messages + "; row kept",
        value=kept["incident_id"].astype("string").reset_index(drop=True),
    )


def find_duplicates(
    candidates: pd.DataFrame,
    lines: pd.Series,
    store: IncidentStore,
    *,
    source_columns: Mapping[str, str] | None = None,
) -> DedupeResult:
    """Split validated rows into rows to commit and duplicates to skip, with their issues.

    ``candidates`` is canonical (``ValidationResult.accepted``), ``lines`` its physical
    lines; ``source_columns`` names the file's id column in the report (optional).
    """
    frame = candidates.reset_index(drop=True)
    line_values = np.asarray(lines, dtype=np.int64)
    issues = IssueCollector(line_values, source_columns)
    skip = _exact_duplicates(frame, line_values, store, issues)
    kept = frame[~skip].reset_index(drop=True) if skip.any() else frame  # no copy when nothing is skipped
    kept_lines = pd.Series(line_values[~skip], dtype="int64")
    possible = IssueCollector(kept_lines.to_numpy(), source_columns)
    _possible_duplicates(kept, store, possible)
    all_issues = sorted(issues.to_list() + possible.to_list(), key=lambda issue: issue.line or 0)
    return DedupeResult(kept=kept, kept_lines=kept_lines, issues=all_issues, rows_duplicate=int(skip.sum()))
