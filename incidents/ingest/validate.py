"""Validate a staged table: parse every cell, check every row, collect every issue.

Validation never stops at the first problem (the pandera model, DESIGN.md §7): the
analyst fixing a file wants all of its problems in one report, each at its physical
line and under the column name of *their* file. Rows with an error are rejected;
rows with only warnings are accepted. Every check is vectorised over rows; only place
names are looked up in a loop, once per distinct name. Cells are parsed once per distinct
value, checks work on NumPy masks, and issue messages are built for flagged rows only, so
a clean million-row file costs little more than its parsing and spatial assignment.

Decisions worth knowing (also in the report messages):

* ``suspect_swapped_lat_lon`` (error): the point as given is outside coverage (or out of
  range) but the swapped point lies in a covered country. Mali (lat 15, lon -2) swapped
  lands in the Gulf of Guinea, so a swap is unmistakable here; a point that is inside
  coverage as given is never second-guessed.
* ``0, 0`` is a spreadsheet placeholder, not a place: reported as ``bad_coordinate``.
* Coordinates without ``geo_precision`` get 3 (region-level), the cautious choice also
  used for UCDP's unknown codes; placing by name gives 2 or 3 (see ``geocode``).
* A row without an event type *label* becomes ``other`` silently; a label the adapter
  could not map becomes ``other`` with an ``unknown_event_type`` warning.
* ``civilian_targeting`` left empty by the adapter is true for violence against civilians
  and abductions, false otherwise.
* Rows without ``source_event_id`` get a content fingerprint (``fp-`` + sha1 of the
  normalised date, point, type, actors, fatalities and place), so importing the same
  file twice finds every row already stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geodata.assign import ASSIGNED_COLUMNS, AdminUnits, locate_admin_units
from geodata.gazetteer import find_places
from incidents.ingest.geocode import PlaceCache, resolve_countries, resolve_places
from incidents.ingest.issues import ForFlagged, IssueCollector
from incidents.ingest.memo import ValidationMemo
from incidents.ingest.parse import parse_coordinates, parse_dates, parse_fatalities
from incidents.ingest.staged import ImportIssue, StagedTable
from incidents.mappings import derive_actor_group
from incidents.model import (
    ACTOR_GROUPS,
    DATE_PRECISIONS,
    EVENT_TYPES,
    INCIDENT_COLUMNS,
    SOURCE_DATASETS,
    conform_incidents,
)

DEFAULT_GEO_PRECISION: Final = 3
FINGERPRINT_PREFIX: Final = "fp-"
FINGERPRINT_HEX_CHARS: Final = 24
CIVILIAN_EVENT_TYPES: Final = ("violence_against_civilians", "abduction")
_TEXT_COLUMNS: Final = (
    "source_dataset",
    "source_event_id",
    "event_date",
    "date_precision",
    "latitude",
    "longitude",
    "location",
    "reported_country",
    "reported_admin1",
    "reported_admin2",
    "event_type",
    "event_type_reported",
    "sub_event_type",
    "actor1",
    "actor2",
    "actor_group",
    "fatalities",
    "notes",
    "source",
)


@dataclass(frozen=True)
class ValidationResult:
    """Accepted canonical rows (batch_id/imported_at still empty), their lines, and all issues."""

    accepted: pd.DataFrame
    accepted_lines: pd.Series
    issues: list[ImportIssue] = field(default_factory=list)
    rows_read: int = 0
    rows_rejected: int = 0

    @property
    def rows_accepted(self) -> int:
        return len(self.accepted)


def _text(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column as stripped pandas strings with blanks as <NA>; all <NA> when absent.

    Stripped on the Arrow data (what ``str.strip`` does, without pandas' overhead). Readers
    already strip cells and blank empty ones, so when nothing changes the column itself is
    returned and the stripped copy dropped: 19 columns of a large file are not held twice.
    """
    if name not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    strings = frame[name].astype("string")
    if not isinstance(strings.array, pd.arrays.ArrowStringArray):  # python-backed strings
        stripped = strings.str.strip()
        return stripped.mask(stripped == "")
    data = strings.array.__arrow_array__()
    trimmed = pc.utf8_trim_whitespace(data)
    lengths = pc.binary_length(trimmed)
    blank = bool(pc.any(pc.equal(lengths, 0)).as_py())
    # Stripping only shortens cells, so equal total lengths mean no cell changed.
    if not blank and pc.sum(lengths).as_py() == pc.sum(pc.binary_length(data)).as_py():
        return strings
    if blank:
        trimmed = pc.if_else(pc.equal(lengths, 0), pa.scalar(None, type=trimmed.type), trimmed)
    return pd.Series(pd.arrays.ArrowStringArray(trimmed), index=frame.index, name=strings.name)


def _missing(values: pd.Series) -> np.ndarray:
    return values.isna().to_numpy(dtype=bool)


def _isin(values: pd.Series, allowed: tuple[str, ...]) -> np.ndarray:
    """Mask of cells in ``allowed`` (<NA> is not)."""
    return values.isin(list(allowed)).to_numpy(dtype=bool, na_value=False)


def _at(values: np.ndarray, positions: np.ndarray) -> pd.Series:
    """``values[positions]`` as a Series labelled by position (so per-row pieces align)."""
    return pd.Series(values[positions], index=positions)


def _decimal_text(values: np.ndarray, positions: np.ndarray) -> pd.Series:
    return _at(values, positions).astype("string").fillna("")


def _parse_distinct(
    text: pd.Series, parse: Callable[[pd.Series], tuple[pd.Series, pd.Series]]
) -> tuple[pd.Series, np.ndarray]:
    """``parse(text)`` computed once per distinct cell: (values, bad mask) for every row.

    The parsers work cell by cell, so parsing each distinct value (plus one <NA>) and
    spreading the results by position gives the same answer; a million rows hold a few
    thousand dates, counts or coordinates.
    """
    codes, uniques = text.array.factorize(use_na_sentinel=True)
    distinct = pd.concat(
        [pd.Series(uniques, dtype="string"), pd.Series([pd.NA], dtype="string")], ignore_index=True
    )
    values, bad = parse(distinct)
    rows = np.where(codes < 0, len(uniques), codes)
    return pd.Series(values.array.take(rows)), bad.to_numpy(dtype=bool)[rows]


@dataclass
class _Rows:
    """Parsed columns of the staged frame, shared by the checks (NumPy arrays by row position)."""

    text: dict[str, pd.Series]
    missing: dict[str, np.ndarray]
    dates: np.ndarray  # datetime64[ns]
    lat: np.ndarray
    lon: np.ndarray
    fatalities: pd.Series  # Int64
    geo_precision: np.ndarray  # float, NaN when not given

    def __len__(self) -> int:
        return len(self.lat)


def _check_source_dataset(rows: _Rows, issues: IssueCollector) -> None:
    dataset = rows.text["source_dataset"]
    missing = rows.missing["source_dataset"]
    issues.add(
        missing,
        "source_dataset",
        "missing_required",
        "error",
        "source_dataset is required (which data set the row comes from)",
    )
    unknown = ~missing & ~_isin(dataset, SOURCE_DATASETS)
    issues.add(
        unknown,
        "source_dataset",
        "missing_required",
        "error",
        ForFlagged(
            lambda at: (
                "source_dataset " + dataset.iloc[at].fillna("") + f" is not one of {list(SOURCE_DATASETS)}"
            )
        ),
        value=dataset,
    )


def _check_dates(rows: _Rows, bad: np.ndarray, today: date, issues: IssueCollector) -> None:
    raw = rows.text["event_date"]
    issues.add(
        rows.missing["event_date"], "event_date", "missing_required", "error", "event date is required"
    )
    issues.add(
        bad,
        "event_date",
        "bad_date",
        "error",
        ForFlagged(
            lambda at: "cannot read date '" + raw.iloc[at].fillna("") + "'; use e.g. 2022-09-12 or 12/09/2022"
        ),
        value=raw,
    )
    future = rows.dates > pd.Timestamp(today).to_datetime64()  # NaT compares False
    issues.add(
        future,
        "event_date",
        "future_date",
        "error",
        ForFlagged(
            lambda at: (
                "date "
                + _at(rows.dates, at).dt.strftime("%Y-%m-%d").fillna("")
                + f" is after today ({today})"
            )
        ),
        value=raw,
    )


def _check_coordinates(
    rows: _Rows, bad_lat: np.ndarray, bad_lon: np.ndarray, issues: IssueCollector
) -> np.ndarray:
    """Report unreadable/out-of-range/missing halves; return the mask of usable file coordinates."""
    raw_lat, raw_lon = rows.text["latitude"], rows.text["longitude"]
    lat, lon = rows.lat, rows.lon

    def unreadable(column: str, raw: pd.Series) -> ForFlagged:
        return ForFlagged(
            lambda at: f"cannot read {column} '" + raw.iloc[at].fillna("") + "' as decimal degrees"
        )

    for column, raw, bad in (("latitude", raw_lat, bad_lat), ("longitude", raw_lon, bad_lon)):
        issues.add(bad, column, "bad_coordinate", "error", unreadable(column, raw), value=raw)
    no_lat, no_lon = rows.missing["latitude"], rows.missing["longitude"]
    issues.add(~no_lat & no_lon, "longitude", "missing_required", "error", "latitude given without longitude")
    issues.add(~no_lon & no_lat, "latitude", "missing_required", "error", "longitude given without latitude")
    both = ~np.isnan(lat) & ~np.isnan(lon)
    null_island = both & (lat == 0) & (lon == 0)
    issues.add(
        null_island,
        "latitude",
        "bad_coordinate",
        "error",
        "0, 0 is a placeholder, not a place; give the real coordinates or leave them empty",
        value=ForFlagged(lambda at: raw_lat.iloc[at] + ", " + raw_lon.iloc[at]),
    )
    return both & ~null_island


def _check_places(
    rows: _Rows, lookup: Callable[..., pd.DataFrame], places: PlaceCache | None, issues: IssueCollector
) -> np.ndarray:
    """Place rows without coordinates by name; fill lat/lon/geo_precision; return the placed mask."""
    no_coords = rows.missing["latitude"] & rows.missing["longitude"]
    location = rows.text["location"]
    no_location = rows.missing["location"]
    issues.add(
        no_coords & no_location,
        "latitude",
        "missing_required",
        "error",
        "no coordinates and no place name: give latitude/longitude or a location",
    )
    todo = np.flatnonzero(no_coords & ~no_location)
    placed = np.zeros(len(rows), dtype=bool)
    if len(todo) == 0:
        return placed
    scope = resolve_countries(rows.text["reported_country"].iloc[todo])
    found = resolve_places(location.iloc[todo], scope, lookup, places)  # labelled by row position
    scope_note = scope.map(lambda iso3: f" in {iso3}" if isinstance(iso3, str) else "").astype("string")
    status = found["status"].to_numpy(dtype=object)
    detail = found["detail"].astype("string")
    where = scope_note.fillna("")

    def flagged(state: str) -> np.ndarray:
        mask = np.zeros(len(rows), dtype=bool)
        mask[todo[status == state]] = True
        return mask

    issues.add(
        flagged("not_found"),
        "location",
        "missing_required",
        "error",
        ForFlagged(
            lambda at: (
                "no coordinates, and place '"
                + location.iloc[at].fillna("")
                + "' is not in the gazetteer"
                + where.loc[at]
            )
        ),
        value=location,
    )
    issues.add(
        flagged("ambiguous"),
        "location",
        "ambiguous_place",
        "error",
        ForFlagged(lambda at: detail.loc[at] + "; add latitude/longitude to the row"),
        value=location,
    )
    placed = flagged("found")
    issues.add(
        placed,
        "location",
        "geocoded_from_name",
        "warning",
        ForFlagged(lambda at: "no coordinates; placed from the gazetteer at " + detail.loc[at]),
        value=location,
    )
    at = np.flatnonzero(placed)
    rows.lat, rows.lon, rows.geo_precision = rows.lat.copy(), rows.lon.copy(), rows.geo_precision.copy()
    rows.lat[at] = found["latitude"].loc[at].to_numpy(dtype=float)
    rows.lon[at] = found["longitude"].loc[at].to_numpy(dtype=float)
    rows.geo_precision[at] = found["geo_precision"].loc[at].to_numpy(dtype=float)
    return placed


def _spread(units: AdminUnits, positions: np.ndarray, size: int) -> AdminUnits:
    """Units of ``size`` rows: ``units`` at ``positions``, none elsewhere."""
    admin1, admin2 = np.full(size, -1, dtype=np.int64), np.full(size, -1, dtype=np.int64)
    admin1[positions], admin2[positions] = units.admin1, units.admin2
    return AdminUnits(admin1, admin2)


def _check_coverage(
    rows: _Rows, usable: np.ndarray, placed: np.ndarray, issues: IssueCollector
) -> AdminUnits:
    """Range, swap and coverage checks on file coordinates; spatial assignment of all placed rows."""
    lat, lon = rows.lat, rows.lon
    raw_lat, raw_lon = rows.text["latitude"], rows.text["longitude"]

    def raw(at: np.ndarray) -> pd.Series:
        return raw_lat.iloc[at].fillna("") + ", " + raw_lon.iloc[at].fillna("")

    with np.errstate(invalid="ignore"):
        in_range = usable & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    # Rows without a usable point get no unit: locating only the others gives the same answer.
    locate = np.flatnonzero(in_range | placed)
    units = _spread(locate_admin_units(lon[locate], lat[locate]), locate, len(rows))
    outside = usable & units.missing("country_iso3")
    with np.errstate(invalid="ignore"):
        swappable = np.flatnonzero(outside & (np.abs(lon) <= 90) & (np.abs(lat) <= 180))
    # Only the swappable points are located again (usually none).
    suspect = np.zeros(len(rows), dtype=bool)
    swapped = AdminUnits(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    if len(swappable):
        swapped = locate_admin_units(lat[swappable], lon[swappable])
        suspect[swappable[~swapped.missing("country_iso3")]] = True

    def swapped_country(at: np.ndarray) -> pd.Series:
        found = swapped.take(np.searchsorted(swappable, at)).column("country")
        return found.set_axis(at).fillna("")

    issues.add(
        suspect,
        "latitude",
        "suspect_swapped_lat_lon",
        "error",
        ForFlagged(
            lambda at: (
                "point (lat "
                + _decimal_text(lat, at)
                + ", lon "
                + _decimal_text(lon, at)
                + ") is outside coverage, but with latitude and longitude swapped it falls in "
                + swapped_country(at)
                + "; swap the two columns if that is right"
            )
        ),
        value=ForFlagged(raw),
    )

    def beyond(column: str, values: np.ndarray, limit: int) -> ForFlagged:
        return ForFlagged(
            lambda at: f"{column} " + _decimal_text(values, at) + f" is outside -{limit}..{limit}"
        )

    for column, values, limit in (("latitude", lat, 90), ("longitude", lon, 180)):
        with np.errstate(invalid="ignore"):
            out = ~np.isnan(values) & ~suspect & (np.abs(values) > limit)  # even when the other half is bad
        issues.add(
            out,
            column,
            "coordinate_out_of_range",
            "error",
            beyond(column, values, limit),
            value=rows.text[column],
        )
    issues.add(
        in_range & outside & ~suspect,
        "latitude",
        "outside_coverage",
        "warning",
        "point is not in any covered country; kept without country/admin units",
        value=ForFlagged(raw),
    )
    return units


def _check_country(rows: _Rows, units: AdminUnits, issues: IssueCollector) -> None:
    reported = rows.text["reported_country"]
    # Compare codes, not strings: each distinct reported name is resolved once.
    codes, uniques = reported.array.factorize(use_na_sentinel=True)
    assigned, vocabulary = units.factorize("country_iso3")
    position = {iso3: number for number, iso3 in enumerate(vocabulary)}
    reported_iso3 = resolve_countries(pd.Series(uniques, dtype="string"))
    # -2: no covered country, never equal to an assigned one (-1 is "none assigned").
    reported_code = np.array(
        [position.get(iso3, -2) if isinstance(iso3, str) else -2 for iso3 in reported_iso3.astype(object)]
        + [-2],
        dtype=np.int64,
    )
    mismatch = (codes >= 0) & (assigned >= 0) & (reported_code[codes] != assigned)

    def message(at: np.ndarray) -> pd.Series:
        found = units.take(at)
        return (
            "file says '"
            + reported.iloc[at].fillna("")
            + "' but the coordinates lie in "
            + found.column("country").set_axis(at).fillna("")
            + " ("
            + found.column("country_iso3").set_axis(at).fillna("")
            + "); the coordinates win"
        )

    issues.add(
        mismatch, "reported_country", "country_mismatch", "warning", ForFlagged(message), value=reported
    )


def _check_fatalities(rows: _Rows, bad: np.ndarray, issues: IssueCollector) -> None:
    raw = rows.text["fatalities"]
    issues.add(
        bad,
        "fatalities",
        "bad_fatalities",
        "error",
        ForFlagged(lambda at: "fatalities '" + raw.iloc[at].fillna("") + "' is not a whole number"),
        value=raw,
    )
    negative = (rows.fatalities < 0).to_numpy(dtype=bool, na_value=False)
    issues.add(
        negative,
        "fatalities",
        "negative_fatalities",
        "error",
        ForFlagged(lambda at: "fatalities " + raw.iloc[at].fillna("") + " is negative; counts must be >= 0"),
        value=raw,
    )
    # An empty count is unknown, not zero (ACLED and UCDP always fill theirs), but the store
    # keeps fatalities NOT NULL: say so at each such row of a file that has the column.
    if "fatalities" in issues.source_columns:
        issues.add(
            rows.missing["fatalities"],
            "fatalities",
            "fatalities_unknown",
            "warning",
            "fatalities empty: stored as 0, which here means unknown, not none",
        )


def _event_types(rows: _Rows, issues: IssueCollector) -> np.ndarray:
    """Warn about unknown event types; return the mask of rows with a known one (others: ``other``)."""
    mapped = rows.text["event_type"]
    reported = rows.text["event_type_reported"]
    known = _isin(mapped, EVENT_TYPES)
    # The label quoted: the source's own, else the adapter's value when it is not canonical.
    has_label = ~rows.missing["event_type_reported"] | (~rows.missing["event_type"] & ~known)

    def label(at: np.ndarray) -> pd.Series:
        return reported.iloc[at].fillna(mapped.iloc[at].where(~known[at]))

    column = "event_type_reported" if "event_type_reported" in issues.source_columns else "event_type"
    issues.add(
        ~known & has_label,
        column,
        "unknown_event_type",
        "warning",
        ForFlagged(
            lambda at: (
                "event type '" + label(at).fillna("") + "' is not one of the known types; imported as 'other'"
            )
        ),
        value=ForFlagged(label),
    )
    return known


def fingerprint(frame: pd.DataFrame) -> pd.Series:
    """Content id for rows whose source has none: same content, same id, on every import.

    Hashes the normalised date, point (4 dp, ~11 m), event type, actors, fatalities and
    place name. Two genuinely distinct events identical in all of these collapse into one.
    """

    def norm(column: str) -> pd.Series:
        text = frame[column].astype("string").str.lower().str.replace(r"\s+", " ", regex=True)
        return text.str.strip().fillna("")

    def degrees(column: str) -> pd.Series:  # 4 dp as an integer: no float formatting per row
        return (frame[column] * 10_000).round().astype("int64").astype("string")

    key = (
        frame["event_date"].dt.strftime("%Y-%m-%d").fillna("")
        + "|"
        + degrees("latitude")
        + "|"
        + degrees("longitude")
        + "|"
        + norm("event_type")
        + "|"
        + norm("actor1")
        + "|"
        + norm("actor2")
        + "|"
        + frame["fatalities"].astype("string").fillna("")
        + "|"
        + norm("location")
    )
    digests = [hashlib.sha1(value.encode("utf-8")).hexdigest()[:FINGERPRINT_HEX_CHARS] for value in key]
    return pd.Series([FINGERPRINT_PREFIX + digest for digest in digests], index=frame.index, dtype="string")


def _build_accepted(
    rows: _Rows, units: AdminUnits, known_type: np.ndarray, keep: np.ndarray, staged: StagedTable
) -> pd.DataFrame:
    """The kept rows as canonical incidents; every column is taken once, for kept rows only."""
    frame = staged.frame.reset_index(drop=True)
    every_row = bool(keep.all())
    kept_at = np.flatnonzero(keep)
    size = len(kept_at)

    def kept(values: pd.Series) -> pd.Series:  # no copy when every row is kept
        return values if every_row else values.iloc[kept_at].reset_index(drop=True)

    text = rows.text
    out: dict[str, pd.Series] = {}
    for name in (
        "source_dataset",
        "source_event_id",
        "reported_country",
        "reported_admin1",
        "reported_admin2",
        "location",
        "sub_event_type",
        "actor1",
        "actor2",
        "notes",
        "source",
    ):
        out[name] = kept(text[name])
    out["event_date"] = pd.Series(rows.dates[kept_at])
    precision = kept(text["date_precision"])
    out["date_precision"] = precision.where(_isin(precision, DATE_PRECISIONS), "day")
    kept_units = units.take(kept_at)
    for name in ASSIGNED_COLUMNS:
        out[name] = kept_units.column(name)
    out["latitude"], out["longitude"] = pd.Series(rows.lat[kept_at]), pd.Series(rows.lon[kept_at])
    geo = rows.geo_precision[kept_at]
    out["geo_precision"] = pd.Series(np.where(np.isnan(geo), DEFAULT_GEO_PRECISION, geo))
    mapped = kept(text["event_type"])
    out["event_type"] = mapped.where(known_type[kept_at], "other")
    out["fatalities"] = kept(rows.fatalities)
    group = kept(text["actor_group"])
    known = _isin(group, ACTOR_GROUPS)
    if known.all():  # adapters derive the group already: do not classify every actor again
        out["actor_group"] = group
    else:
        unknown = ~known
        # object dtype: mapping an all-<NA> arrow string column yields a float column (pandas 3)
        derived = derive_actor_group(
            out["actor1"][unknown].astype(object), out["actor2"][unknown].astype(object)
        )
        out["actor_group"] = group.where(known, derived.reindex(group.index))
    if "civilian_targeting" in frame.columns:
        targeting = kept(frame["civilian_targeting"]).astype("boolean")
    else:
        targeting = pd.Series(pd.NA, index=range(size), dtype="boolean")
    out["civilian_targeting"] = targeting.fillna(out["event_type"].isin(CIVILIAN_EVENT_TYPES)).astype(bool)
    accepted = pd.DataFrame(out)
    del out
    missing_id = accepted["source_event_id"].isna()
    if missing_id.any():
        accepted.loc[missing_id, "source_event_id"] = fingerprint(accepted[missing_id])
    incident_id = accepted["source_dataset"] + ":" + accepted["source_event_id"]
    # In-file duplicates are dedupe's business: conform without the unique-id check, with
    # placeholder ids (conform derives nothing from them), and put the real ones back.
    placeholder = pd.arrays.ArrowStringArray(pc.cast(pa.array(np.arange(size)), pa.large_string()))
    conformed = conform_incidents(
        accepted.assign(incident_id=pd.Series(placeholder, index=accepted.index)), unique_ids=False
    )
    del accepted
    # The column's dtype is what assigning the ids' object array gives: pandas' "str" (object
    # when there are no rows); astype gives the same "str" column without a round trip via Python.
    conformed["incident_id"] = incident_id.astype("str") if size else incident_id.to_numpy()
    return conformed[list(INCIDENT_COLUMNS)]


def _geo_precision(frame: pd.DataFrame) -> np.ndarray:
    """geo_precision 1/2/3 as floats, NaN when absent or anything else."""
    if "geo_precision" not in frame.columns:
        return np.full(len(frame), np.nan)
    geo = pd.to_numeric(frame["geo_precision"], errors="coerce").astype("Float64")
    values = geo.to_numpy(dtype=float, na_value=np.nan, copy=True)
    values[~((values == 1) | (values == 2) | (values == 3))] = np.nan
    return values


def validate_staged(
    staged: StagedTable,
    *,
    today: date | None = None,
    dayfirst: bool = True,
    gazetteer_lookup: Callable[..., pd.DataFrame] = find_places,
    memo: ValidationMemo | None = None,
) -> ValidationResult:
    """Parse and check every row of ``staged``; accept rows without errors as canonical incidents.

    ``today`` bounds ``future_date`` (default: the system date); ``dayfirst`` reads
    ``01/02/2022`` as 1 February; ``gazetteer_lookup(name, country_iso3)`` places rows
    that have a place name but no coordinates (:func:`geodata.gazetteer.find_places`).

    Every check looks at one row alone, so the chunks of a file, validated in order with
    one ``memo`` (:class:`~incidents.ingest.memo.ValidationMemo`), give the whole file's answer.
    """
    frame = staged.frame.reset_index(drop=True)
    lines = np.asarray(staged.lines, dtype=np.int64)
    issues = IssueCollector(lines, staged.source_columns)
    text = {name: _text(frame, name) for name in _TEXT_COLUMNS}
    read_dates = memo.parse_dates if memo is not None else parse_dates
    dates, bad_date = _parse_distinct(text["event_date"], lambda cells: read_dates(cells, dayfirst=dayfirst))
    lat, bad_lat = _parse_distinct(text["latitude"], parse_coordinates)
    lon, bad_lon = _parse_distinct(text["longitude"], parse_coordinates)
    fatalities, bad_fatalities = _parse_distinct(text["fatalities"], parse_fatalities)
    rows = _Rows(
        text,
        {name: _missing(values) for name, values in text.items()},
        dates.to_numpy(dtype="datetime64[ns]"),
        lat.to_numpy(dtype=float, na_value=np.nan),
        lon.to_numpy(dtype=float, na_value=np.nan),
        fatalities,
        _geo_precision(frame),
    )

    _check_source_dataset(rows, issues)
    _check_dates(rows, bad_date, today or date.today(), issues)
    usable = _check_coordinates(rows, bad_lat, bad_lon, issues)
    placed = _check_places(rows, gazetteer_lookup, memo.places if memo is not None else None, issues)
    units = _check_coverage(rows, usable, placed, issues)
    _check_country(rows, units, issues)
    _check_fatalities(rows, bad_fatalities, issues)
    known_type = _event_types(rows, issues)

    keep = ~issues.rejected
    accepted = _build_accepted(rows, units, known_type, keep, staged)
    return ValidationResult(
        accepted=accepted,
        accepted_lines=pd.Series(lines[keep], dtype="int64"),
        issues=issues.to_list(),
        rows_read=len(frame),
        rows_rejected=int(issues.rejected.sum()),
    )
