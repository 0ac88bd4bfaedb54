"""Find rows already in the file, already in the store, or probably the same event from another source.

Decisions:

* ``duplicate_in_file`` and ``duplicate_in_store`` are **warnings** and the rows are
  *skipped*: they are counted in ``rows_duplicate``, never in ``rows_rejected`` (the import
  report counts them separately: docs/architecture.md, 'Import report'), so re-importing a file
  reports every row as a duplicate and changes nothing. An id already stored is
  ``duplicate_in_store`` at every occurrence; among the rest, the first occurrence in the
  file is kept and later ones are ``duplicate_in_file``.
* ``possible_duplicate`` is a **warning** and the row is *kept*: same event type, within
  :data:`POSSIBLE_DUPLICATE_DAYS` day(s) and :data:`POSSIBLE_DUPLICATE_KM` km of a stored
  incident from another source data set (ACLED and UCDP often code the same attack).

The proximity search scales to a million rows on each side: both sides are keyed by
(event type, day, grid cell) with cells at least twice the search radius wide, so each
candidate needs to look in only 2×2 cells × 3 days; exact geodesic (WGS84) distances are
computed for the few pairs that share a key. Matches listed in a message are ordered by
distance, then as the store lists incidents (date, id): never by grid geometry, which
depends on the rows checked together.

A file may be checked in chunks, in file order (:class:`FileDuplicates`), with the same
result as checked whole: the ids kept by earlier chunks and their lines are carried over,
and stored incidents are loaded once per day range for all chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geodata.crs import geodesic_km
from incidents.i18n import _
from incidents.ingest.issues import ForFlagged, IssueCollector, fill
from incidents.ingest.staged import ImportIssue
from incidents.model import EVENT_TYPES

if TYPE_CHECKING:
    from incidents.store import IncidentStore

POSSIBLE_DUPLICATE_KM: Final = 5.0
POSSIBLE_DUPLICATE_DAYS: Final = 1
MAX_MATCHES_LISTED: Final = 3
#: Latitude beyond which grid cells are sized as at this latitude (longitudes converge).
MAX_GRID_LATITUDE: Final = 85.0
#: Mean Earth radius: sizes the grid cells only (1 % wider than needed); distances are geodesic.
EARTH_RADIUS_KM: Final = 6371.0088


@dataclass(frozen=True)
class DedupeResult:
    """Rows to commit (with their lines), the duplicate/possible-duplicate issues, and the count skipped."""

    kept: pd.DataFrame
    kept_lines: pd.Series
    issues: list[ImportIssue] = field(default_factory=list)
    rows_duplicate: int = 0


def _large_strings(values: pd.Series) -> pa.ChunkedArray:
    """Ids as Arrow large strings; an Arrow-backed column keeps its chunks (no copy of a million ids)."""
    strings = values.astype("string").array
    if isinstance(strings, pd.arrays.ArrowStringArray):
        return strings.__arrow_array__().cast(pa.large_string())
    return pa.chunked_array([pa.array(strings)], type=pa.large_string())


class _KeptIds:
    """Ids kept by earlier chunks of a file, with the line of each (its first occurrence)."""

    def __init__(self) -> None:
        self._ids: list[pa.ChunkedArray] = []
        self._lines: list[np.ndarray] = []

    def lines_of(self, distinct: pd.Series) -> np.ndarray:
        """Line at which each of these distinct ids was kept, -1 for ids not kept before."""
        found = np.full(len(distinct), -1, dtype=np.int64)
        if not self._ids or distinct.empty:
            return found
        # Probe what was kept against this chunk's ids: the hash table is built on the
        # (smaller) chunk, not rebuilt on everything kept so far.
        kept = pa.chunked_array([chunk for ids in self._ids for chunk in ids.chunks], type=pa.large_string())
        where = pc.fill_null(pc.index_in(kept, value_set=_large_strings(distinct)), -1).to_numpy()
        hit = where >= 0
        found[where[hit]] = np.concatenate(self._lines)[hit]
        return found

    def add(self, ids: pd.Series, lines: np.ndarray) -> None:
        present = ids.notna().to_numpy(dtype=bool)
        if present.any():
            self._ids.append(_large_strings(ids[present] if not present.all() else ids))
            self._lines.append(np.asarray(lines, dtype=np.int64)[present])


def _stored_ids(
    store: IncidentStore, distinct: pd.Series, store_empty: Callable[[], bool] | None = None
) -> set[str]:
    """Which of these distinct ids the store holds (asked only when it holds any incident)."""
    if distinct.empty or (store_empty() if store_empty else store.count_incidents() == 0):
        return set()
    return store.existing_incident_ids(distinct.tolist())


def _exact_duplicates(
    candidates: pd.DataFrame,
    lines: np.ndarray,
    store: IncidentStore,
    issues: IssueCollector,
    earlier: _KeptIds | None = None,
    store_empty: Callable[[], bool] | None = None,
) -> np.ndarray:
    """Mask of rows to skip: ids already stored, then repeats within the file.

    ``earlier`` holds what the file's earlier chunks kept; ``store_empty`` answers once
    per file whether the store holds anything.
    """
    ids = candidates["incident_id"].astype("string").reset_index(drop=True)
    # One hash pass gives every row the number of its distinct id (-1: missing id).
    codes, uniques = ids.array.factorize(use_na_sentinel=True)
    distinct = pd.Series(uniques, dtype="string")
    earlier_line = earlier.lines_of(distinct) if earlier is not None else np.full(len(uniques), -1)
    kept_before = earlier_line >= 0
    # An id an earlier chunk kept was not stored: only the others are asked about.
    stored = _stored_ids(store, distinct[~kept_before] if kept_before.any() else distinct, store_empty)
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
        ForFlagged(
            lambda at: fill(
                _("incident {incident} is already stored; row skipped"), incident=ids.iloc[at].fillna("")
            )
        ),
        value=ids,
    )
    # An id is stored at all of its rows or at none, so the rest are first occurrences or repeats.
    positions = np.arange(len(ids))
    first = np.full(len(uniques) + 1, len(ids), dtype=np.int64)
    np.minimum.at(first, slot, positions)
    # The line an id first appeared at: in an earlier chunk, else in this one.
    first_line = np.where(kept_before, earlier_line, lines[first[:-1]])
    seen_before = np.append(kept_before, False)[slot]
    repeat = valid & ~in_store & (seen_before | (first[slot] != positions))

    def message(at: np.ndarray) -> pd.Series:
        line = pd.Series(first_line[codes[at]], index=at).astype("string")
        return fill(_("incident {incident} already appears at line {line}"), incident=ids.iloc[at], line=line)

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


@dataclass(frozen=True)
class _StoredGrid:
    """Stored incidents keyed by (event type, day, grid cell) and sorted, ready to be searched.

    Built on rows ``start:stop`` of a stored frame; positions it returns are in that frame.
    ``max_lat`` bounds the candidates it can search for (cells are sized for it).
    """

    start: int
    stop: int
    max_lat: float
    height: float
    width: float
    keys: np.ndarray  # sorted
    order: np.ndarray  # row (from start) of each sorted key
    lat: np.ndarray
    lon: np.ndarray


def _event_codes(frame: pd.DataFrame) -> tuple[np.ndarray, ...]:
    codes = {name: number for number, name in enumerate(EVENT_TYPES)}
    type_code = frame["event_type"].map(codes).fillna(len(codes)).to_numpy(dtype=np.int64)
    day = frame["event_date"].to_numpy("datetime64[D]").astype(np.int64)
    return type_code, day, frame["latitude"].to_numpy(float), frame["longitude"].to_numpy(float)


def _grid_latitude(*latitudes: np.ndarray) -> float:
    """Latitude the cells are sized for: one degree beyond the farthest point from the equator."""
    return min(MAX_GRID_LATITUDE, float(np.nanmax(np.abs(np.concatenate(latitudes)))) + 1.0)


def _index_stored(stored: pd.DataFrame, start: int, max_lat: float, km: float) -> _StoredGrid:
    height = np.degrees(2.02 * km / EARTH_RADIUS_KM)  # cells a little over 2 radii tall and wide
    width = height / np.cos(np.radians(max_lat))
    s_type, s_day, s_lat, s_lon = _event_codes(stored)
    s_row, s_col, _fraction = _grid_keys(s_lat, s_lon, height, width)
    s_key = _encode(s_type, s_day, s_row, s_col)
    order = np.argsort(s_key, kind="stable")
    return _StoredGrid(start, start + len(stored), max_lat, height, width, s_key[order], order, s_lat, s_lon)


def _search(
    candidates: pd.DataFrame, grid: _StoredGrid, km: float, days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(candidate position, stored position, distance km) of same-type pairs within ``km`` and ``days``."""
    c_type, c_day, c_lat, c_lon = _event_codes(candidates)
    c_row, c_col, frac = _grid_keys(c_lat, c_lon, grid.height, grid.width)
    # The search disc reaches at most one neighbour per axis: the one on the nearer side.
    row_step = np.where(frac[0] < 0.5, -1, 1)
    col_step = np.where(frac[1] < 0.5, -1, 1)
    pair_c, pair_s = [], []
    positions = np.arange(len(candidates))
    for day_offset in range(-days, days + 1):
        for dr in (0, 1):
            for dc in (0, 1):
                key = _encode(c_type, c_day + day_offset, c_row + dr * row_step, c_col + dc * col_step)
                left = np.searchsorted(grid.keys, key, side="left")
                right = np.searchsorted(grid.keys, key, side="right")
                counts = right - left
                if not counts.any():
                    continue
                which = np.repeat(positions, counts)
                starts = np.repeat(left - np.cumsum(counts) + counts, counts)
                pair_c.append(which)
                pair_s.append(grid.order[starts + np.arange(len(which))])
    if not pair_c:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    cand, store_pos = np.concatenate(pair_c), np.concatenate(pair_s)
    distance = geodesic_km(c_lat[cand], c_lon[cand], grid.lat[store_pos], grid.lon[store_pos])
    near = distance <= km
    return cand[near], store_pos[near] + grid.start, distance[near]


def find_proximity_pairs(
    candidates: pd.DataFrame,
    stored: pd.DataFrame,
    *,
    km: float = POSSIBLE_DUPLICATE_KM,
    days: int = POSSIBLE_DUPLICATE_DAYS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(candidate position, stored position, distance km) of same-type pairs within ``km`` and ``days``."""
    if candidates.empty or stored.empty:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    max_lat = _grid_latitude(candidates["latitude"].to_numpy(float), stored["latitude"].to_numpy(float))
    return _search(candidates, _index_stored(stored, 0, max_lat, km), km, days)


class _StoredNearby:
    """Stored incidents around the file's dates: each day range loaded once, the grid reused.

    Chunks of a file in random date order each span most of its range: without this the
    store would be read, and the same grid built, once per chunk. Frames are kept in the
    store's order (date, then id), extended at either end as chunks reach new days.
    """

    def __init__(self, store: IncidentStore) -> None:
        self.store = store
        self.frame = pd.DataFrame()
        self._days = np.empty(0, dtype="datetime64[D]")
        self._span: tuple[date, date] | None = None
        self._grid: _StoredGrid | None = None

    def _load(self, since: date, until: date) -> pd.DataFrame:
        return self.store.load_nearby_fields(since, until)

    def _cover(self, since: date, until: date) -> None:
        if self._span is None:
            parts, self._span = [self._load(since, until)], (since, until)
        else:
            first, last = self._span
            before = [self._load(since, first - timedelta(days=1))] if since < first else []
            after = [self._load(last + timedelta(days=1), until)] if until > last else []
            if not before and not after:
                return
            parts, self._span = [*before, self.frame, *after], (min(since, first), max(until, last))
        parts = [part for part in parts if len(part)]
        if parts:
            self.frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        self._days = self.frame["event_date"].to_numpy("datetime64[D]") if len(self.frame) else self._days
        self._grid = None  # positions moved

    def pairs(
        self, candidates: pd.DataFrame, since: date, until: date
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:func:`find_proximity_pairs` for ``candidates`` dated ``since..until``; positions in ``frame``."""
        self._cover(since, until)
        start = int(np.searchsorted(self._days, np.datetime64(since, "D"), side="left"))
        stop = int(np.searchsorted(self._days, np.datetime64(until, "D"), side="right"))
        if start == stop or candidates.empty:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, np.empty(0)
        c_lat = candidates["latitude"].to_numpy(float)
        grid = self._grid
        # Any grid over these days whose cells suit these latitudes finds the same pairs.
        if grid is None or not (
            grid.start <= start and stop <= grid.stop and grid.max_lat >= _grid_latitude(c_lat)
        ):
            stored = self.frame.iloc[start:stop]
            max_lat = _grid_latitude(c_lat, stored["latitude"].to_numpy(float))
            grid = self._grid = _index_stored(stored, start, max_lat, POSSIBLE_DUPLICATE_KM)
        return _search(candidates, grid, POSSIBLE_DUPLICATE_KM, POSSIBLE_DUPLICATE_DAYS)


def _possible_duplicates(kept: pd.DataFrame, nearby: _StoredNearby, issues: IssueCollector) -> None:
    dates = kept["event_date"]
    if kept.empty or dates.isna().all():
        return
    span = timedelta(days=POSSIBLE_DUPLICATE_DAYS)
    cand, stored_pos, distance = nearby.pairs(kept, (dates.min() - span).date(), (dates.max() + span).date())
    if len(cand) == 0:
        return
    stored = nearby.frame
    kept_source = kept["source_dataset"].to_numpy(dtype=object)
    other_source = kept_source[cand] != stored["source_dataset"].iloc[stored_pos].to_numpy(dtype=object)
    cand, stored_pos, distance = cand[other_source], stored_pos[other_source], distance[other_source]
    if len(cand) == 0:
        return
    away = _("{incident} ({date}, {km} km away)")
    pairs = pd.DataFrame(
        {
            "cand": cand,
            "text": [
                away.format(incident=incident, date=f"{when:%Y-%m-%d}", km=f"{km:.1f}")
                for incident, when, km in zip(
                    stored["incident_id"].iloc[stored_pos].to_numpy(dtype=object),
                    stored["event_date"].to_numpy()[stored_pos].astype("datetime64[D]").tolist(),
                    distance,
                    strict=True,
                )
            ],
            "distance": distance,
            "stored": stored_pos,
        }
    ).sort_values(["cand", "distance", "stored"], kind="stable")
    grouped = pairs.groupby("cand", sort=True)["text"]
    listed = grouped.apply(lambda texts: "; ".join(texts.head(MAX_MATCHES_LISTED)))
    more = grouped.size() - MAX_MATCHES_LISTED
    and_more = _("; and {n} more")
    listed = listed + more.map(lambda n: and_more.format(n=n) if n > 0 else "")
    mask = np.zeros(len(kept), dtype=bool)
    mask[listed.index.to_numpy()] = True
    messages = pd.Series("", index=range(len(kept)), dtype="string")
    messages.iloc[listed.index.to_numpy()] = (
        fill(
            _("same event type within 1 day and 5 km of stored incident(s) from another source: {matches}"),
            matches=listed,
        )  # type: ignore[union-attr]
    ).to_numpy()
    issues.add(
        mask,
        None,
        "possible_duplicate",
        "warning",
        messages + _("; row kept"),
        value=kept["incident_id"].astype("string").reset_index(drop=True),
    )


class FileDuplicates:
    """The duplicate checks of one file, chunk by chunk in file order, with the whole file's answer.

    Carries what a later chunk needs from earlier ones: the ids they kept and the line of
    each (a repeat is ``duplicate_in_file`` quoting it; rows validation rejected never get
    here, so they never count), whether the store held any incident when first asked, and
    the stored incidents loaded for ``possible_duplicate``. The store is read, never written:
    an id an earlier chunk kept is a repeat even if the store shows it by then.
    """

    def __init__(self, store: IncidentStore, *, source_columns: Mapping[str, str] | None = None) -> None:
        self.store = store
        self.source_columns = dict(source_columns or {})
        self._kept = _KeptIds()
        self._nearby = _StoredNearby(store)
        self._store_empty: bool | None = None

    def _is_store_empty(self) -> bool:
        if self._store_empty is None:
            self._store_empty = self.store.count_incidents() == 0
        return self._store_empty

    def check(self, candidates: pd.DataFrame, lines: pd.Series | np.ndarray) -> DedupeResult:
        """Split the next chunk's validated rows into rows to commit and duplicates to skip."""
        frame = candidates.reset_index(drop=True)
        line_values = np.asarray(lines, dtype=np.int64)
        issues = IssueCollector(line_values, self.source_columns)
        skip = _exact_duplicates(frame, line_values, self.store, issues, self._kept, self._is_store_empty)
        kept = frame[~skip].reset_index(drop=True) if skip.any() else frame  # no copy when nothing is skipped
        kept_lines = pd.Series(line_values[~skip], dtype="int64")
        self._kept.add(kept["incident_id"], kept_lines.to_numpy())
        possible = IssueCollector(kept_lines.to_numpy(), self.source_columns)
        _possible_duplicates(kept, self._nearby, possible)
        all_issues = sorted(issues.to_list() + possible.to_list(), key=lambda issue: issue.line or 0)
        return DedupeResult(
            kept=kept, kept_lines=kept_lines, issues=all_issues, rows_duplicate=int(skip.sum())
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
    return FileDuplicates(store, source_columns=source_columns).check(candidates, lines)
