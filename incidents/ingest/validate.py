"""Validate a staged table: parse every cell, check every row, collect every issue.

Validation never stops at the first problem (the pandera model, DESIGN.md §7): the
analyst fixing a file wants all of its problems in one report, each at its physical
line and under the column name of *their* file. Rows with an error are rejected;
rows with only warnings are accepted. Every check is vectorised over rows; only place
names are looked up in a loop, once per distinct name.

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

from geodata.assign import ASSIGNED_COLUMNS, assign_admin_units
from geodata.gazetteer import find_places
from incidents.ingest.geocode import resolve_countries, resolve_places
from incidents.ingest.issues import IssueCollector
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
    "source_dataset", "source_event_id", "event_date", "date_precision", "latitude", "longitude",
    "location", "reported_country", "reported_admin1", "reported_admin2", "event_type",
    "event_type_reported", "sub_event_type", "actor1", "actor2", "actor_group", "fatalities",
    "notes", "source",
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
    """A column as stripped pandas strings with blanks as <NA>; all <NA> when absent."""
    if name not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    strings = frame[name].astype("string").str.strip()
    return strings.mask(strings == "")


@dataclass
class _Rows:
    """Parsed columns of the staged frame, shared by the checks."""

    text: dict[str, pd.Series]
    dates: pd.Series
    lat: pd.Series
    lon: pd.Series
    fatalities: pd.Series
    geo_precision: pd.Series
    assigned: pd.DataFrame


def _check_source_dataset(rows: _Rows, issues: IssueCollector) -> None:
    dataset = rows.text["source_dataset"]
    issues.add(dataset.isna(), "source_dataset", "missing_required", "error",
               "source_dataset is required (which data set the row comes from)")
    unknown = dataset.notna() & ~dataset.isin(SOURCE_DATASETS)
    issues.add(unknown, "source_dataset", "missing_required", "error",
               lambda: "source_dataset " + dataset.fillna("") + f" is not one of {list(SOURCE_DATASETS)}",
               value=dataset)


def _check_dates(rows: _Rows, bad: pd.Series, today: date, issues: IssueCollector) -> None:
    raw = rows.text["event_date"]
    issues.add(raw.isna(), "event_date", "missing_required", "error", "event date is required")
    issues.add(bad, "event_date", "bad_date", "error",
               lambda: "cannot read date '" + raw.fillna("") + "'; use e.g. 2022-09-12 or 12/09/2022",
               value=raw)
    future = rows.dates > pd.Timestamp(today)
    issues.add(future, "event_date", "future_date", "error",
               lambda: "date " + rows.dates.dt.strftime("%Y-%m-%d").fillna("") + f" is after today ({today})",
               value=raw)


def _check_coordinates(
    rows: _Rows, bad_lat: pd.Series, bad_lon: pd.Series, issues: IssueCollector
) -> pd.Series:
    """Report unreadable/out-of-range/missing halves; return the mask of usable file coordinates."""
    raw_lat, raw_lon = rows.text["latitude"], rows.text["longitude"]
    lat, lon = rows.lat, rows.lon
    for column, raw, bad in (("latitude", raw_lat, bad_lat), ("longitude", raw_lon, bad_lon)):
        issues.add(bad, column, "bad_coordinate", "error",
                   lambda column=column, raw=raw:
                   f"cannot read {column} '" + raw.fillna("") + "' as decimal degrees",
                   value=raw)
    lat_only = raw_lat.notna() & raw_lon.isna()
    lon_only = raw_lon.notna() & raw_lat.isna()
    issues.add(lat_only, "longitude", "missing_required", "error", "latitude given without longitude")
    issues.add(lon_only, "latitude", "missing_required", "error", "longitude given without latitude")
    both = lat.notna() & lon.notna()
    null_island = both & (lat == 0) & (lon == 0)
    issues.add(null_island, "latitude", "bad_coordinate", "error",
               "0, 0 is a placeholder, not a place; give the real coordinates or leave them empty",
               value=lambda: raw_lat + ", " + raw_lon)
    return both & ~null_island


def _check_places(rows: _Rows, lookup: Callable[..., pd.DataFrame], issues: IssueCollector) -> pd.Series:
    """Place rows without coordinates by name; fill lat/lon/geo_precision; return the placed mask."""
    no_coords = rows.text["latitude"].isna() & rows.text["longitude"].isna()
    location = rows.text["location"]
    issues.add(no_coords & location.isna(), "latitude", "missing_required", "error",
               "no coordinates and no place name: give latitude/longitude or a location")
    todo = no_coords & location.notna()
    placed = pd.Series(False, index=rows.lat.index)
    if not todo.any():
        return placed
    scope = resolve_countries(rows.text["reported_country"][todo])
    found = resolve_places(location[todo], scope, lookup)
    scope_note = scope.map(lambda iso3: f" in {iso3}" if isinstance(iso3, str) else "").astype("string")
    status = found["status"].reindex(rows.lat.index)
    detail = found["detail"].reindex(rows.lat.index).astype("string")
    where = scope_note.reindex(rows.lat.index).fillna("")
    issues.add(status == "not_found", "location", "missing_required", "error",
               "no coordinates, and place '" + location.fillna("") + "' is not in the gazetteer" + where,
               value=location)
    issues.add(status == "ambiguous", "location", "ambiguous_place", "error",
               detail + "; add latitude/longitude to the row", value=location)
    ok = (status == "found").fillna(False).astype(bool)
    issues.add(ok, "location", "geocoded_from_name", "warning",
               "no coordinates; placed from the gazetteer at " + detail, value=location)
    rows.lat = rows.lat.where(~ok, found["latitude"].reindex(rows.lat.index))
    rows.lon = rows.lon.where(~ok, found["longitude"].reindex(rows.lat.index))
    rows.geo_precision = rows.geo_precision.where(~ok, found["geo_precision"].reindex(rows.lat.index))
    return ok


def _check_coverage(rows: _Rows, usable: pd.Series, placed: pd.Series, issues: IssueCollector) -> None:
    """Range, swap and coverage checks on file coordinates; spatial assignment of all placed rows."""
    lat, lon = rows.lat, rows.lon
    def raw() -> pd.Series:
        return rows.text["latitude"].fillna("") + ", " + rows.text["longitude"].fillna("")

    in_range = usable & (lat.abs() <= 90) & (lon.abs() <= 180)
    locate = in_range | placed
    assigned = assign_admin_units(lon.where(locate).to_numpy(float), lat.where(locate).to_numpy(float))
    assigned.index = lat.index
    outside = usable & assigned["country_iso3"].isna()
    swappable = outside & (lon.abs() <= 90) & (lat.abs() <= 180)
    # Only the swappable points are located again (usually none): a second full-length
    # assignment of NaN points cost as much as the first.
    swapped = pd.DataFrame(
        {name: pd.Series(pd.NA, index=lat.index, dtype="string") for name in ("country_iso3", "country")}
    )
    if swappable.any():
        found = assign_admin_units(lat[swappable].to_numpy(float), lon[swappable].to_numpy(float))
        found.index = lat.index[swappable.to_numpy()]
        swapped = found.reindex(lat.index)
    suspect = swappable & swapped["country_iso3"].notna()
    issues.add(suspect, "latitude", "suspect_swapped_lat_lon", "error",
               lambda: "point (lat " + lat.astype("string").fillna("")
               + ", lon " + lon.astype("string").fillna("")
               + ") is outside coverage, but with latitude and longitude swapped it falls in "
               + swapped["country"].fillna("") + "; swap the two columns if that is right",
               value=raw)
    for column, values, limit in (("latitude", lat, 90), ("longitude", lon, 180)):
        out = values.notna() & ~suspect & (values.abs() > limit)  # even when the other half is bad
        issues.add(out, column, "coordinate_out_of_range", "error",
                   lambda column=column, values=values, limit=limit:
                   f"{column} " + values.astype("string").fillna("") + f" is outside -{limit}..{limit}",
                   value=rows.text[column])
    issues.add(in_range & outside & ~suspect, "latitude", "outside_coverage", "warning",
               "point is not in any covered country; kept without country/admin units", value=raw)
    rows.assigned = assigned


def _check_country(rows: _Rows, issues: IssueCollector) -> None:
    reported = rows.text["reported_country"]
    assigned = rows.assigned["country_iso3"]
    reported_iso3 = resolve_countries(reported)
    mismatch = reported.notna() & assigned.notna() & (reported_iso3.isna() | (reported_iso3 != assigned))
    issues.add(mismatch.fillna(False).astype(bool), "reported_country", "country_mismatch", "warning",
               lambda: "file says '" + reported.fillna("") + "' but the coordinates lie in "
               + rows.assigned["country"].fillna("") + " (" + assigned.fillna("") + "); the coordinates win",
               value=reported)


def _check_fatalities(rows: _Rows, bad: pd.Series, issues: IssueCollector) -> None:
    raw = rows.text["fatalities"]
    issues.add(bad, "fatalities", "bad_fatalities", "error",
               lambda: "fatalities '" + raw.fillna("") + "' is not a whole number", value=raw)
    negative = (rows.fatalities < 0).fillna(False).astype(bool)
    issues.add(negative, "fatalities", "negative_fatalities", "error",
               lambda: "fatalities " + raw.fillna("") + " is negative; counts must be >= 0", value=raw)


def _event_types(rows: _Rows, issues: IssueCollector) -> pd.Series:
    mapped = rows.text["event_type"]
    label = rows.text["event_type_reported"].fillna(mapped.where(~mapped.isin(EVENT_TYPES)))
    unknown = ~mapped.isin(EVENT_TYPES).fillna(False).astype(bool)
    column = "event_type_reported" if "event_type_reported" in issues.source_columns else "event_type"
    issues.add(unknown & label.notna(), column, "unknown_event_type", "warning",
               lambda: "event type '" + label.fillna("")
               + "' is not one of the known types; imported as 'other'",
               value=label)
    return mapped.where(~unknown, "other")


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
        + "|" + degrees("latitude") + "|" + degrees("longitude")
        + "|" + norm("event_type") + "|" + norm("actor1") + "|" + norm("actor2")
        + "|" + frame["fatalities"].astype("string").fillna("")
        + "|" + norm("location")
    )
    digests = [hashlib.sha1(value.encode("utf-8")).hexdigest()[:FINGERPRINT_HEX_CHARS] for value in key]
    return pd.Series([FINGERPRINT_PREFIX + digest for digest in digests], index=frame.index, dtype="string")


def _build_accepted(
    rows: _Rows, event_type: pd.Series, keep: np.ndarray, staged: StagedTable
) -> pd.DataFrame:
    frame = staged.frame.reset_index(drop=True)
    text = rows.text
    out = pd.DataFrame(index=rows.lat.index)
    for name in ("source_dataset", "source_event_id", "reported_country", "reported_admin1",
                 "reported_admin2", "location", "sub_event_type", "actor1", "actor2", "notes", "source"):
        out[name] = text[name]
    out["event_date"] = rows.dates
    precision = text["date_precision"]
    out["date_precision"] = precision.where(precision.isin(DATE_PRECISIONS).fillna(False).astype(bool), "day")
    for name in ASSIGNED_COLUMNS:
        out[name] = rows.assigned[name]
    out["latitude"], out["longitude"] = rows.lat, rows.lon
    out["geo_precision"] = rows.geo_precision.fillna(DEFAULT_GEO_PRECISION)
    out["event_type"] = event_type
    out["fatalities"] = rows.fatalities
    out = out[keep]
    group = text["actor_group"][keep]
    known = group.isin(ACTOR_GROUPS).fillna(False).astype(bool)
    if known.all():  # adapters derive the group already: do not classify every actor again
        out["actor_group"] = group
    else:
        unknown = ~known
        # object dtype: mapping an all-<NA> arrow string column yields a float column (pandas 3)
        derived = derive_actor_group(
            out.loc[unknown, "actor1"].astype(object), out.loc[unknown, "actor2"].astype(object)
        )
        out["actor_group"] = group.where(known, derived.reindex(group.index))
    if "civilian_targeting" in frame.columns:
        targeting = frame["civilian_targeting"][keep].astype("boolean")
    else:
        targeting = pd.Series(pd.NA, index=out.index, dtype="boolean")
    out["civilian_targeting"] = targeting.fillna(out["event_type"].isin(CIVILIAN_EVENT_TYPES)).astype(bool)
    missing_id = out["source_event_id"].isna()
    if missing_id.any():
        out.loc[missing_id, "source_event_id"] = fingerprint(out[missing_id])
    incident_id = out["source_dataset"] + ":" + out["source_event_id"]
    # conform_incidents checks ids are unique; in-file duplicates are dedupe's business,
    # so conform with placeholder ids and put the real ones back.
    placeholder = pd.Series(np.arange(len(out)).astype(str), index=out.index, dtype="string")
    conformed = conform_incidents(out.assign(incident_id=placeholder))
    conformed["incident_id"] = incident_id.to_numpy()
    return conformed[list(INCIDENT_COLUMNS)]


def validate_staged(
    staged: StagedTable,
    *,
    today: date | None = None,
    dayfirst: bool = True,
    gazetteer_lookup: Callable[..., pd.DataFrame] = find_places,
) -> ValidationResult:
    """Parse and check every row of ``staged``; accept rows without errors as canonical incidents.

    ``today`` bounds ``future_date`` (default: the system date); ``dayfirst`` reads
    ``01/02/2022`` as 1 February; ``gazetteer_lookup(name, country_iso3)`` places rows
    that have a place name but no coordinates (:func:`geodata.gazetteer.find_places`).
    """
    frame = staged.frame.reset_index(drop=True)
    issues = IssueCollector(np.asarray(staged.lines, dtype=np.int64), staged.source_columns)
    text = {name: _text(frame, name) for name in _TEXT_COLUMNS}
    dates, bad_date = parse_dates(text["event_date"], dayfirst=dayfirst)
    lat, bad_lat = parse_coordinates(text["latitude"])
    lon, bad_lon = parse_coordinates(text["longitude"])
    fatalities, bad_fatalities = parse_fatalities(text["fatalities"])
    if "geo_precision" in frame.columns:
        geo = pd.to_numeric(frame["geo_precision"], errors="coerce").astype("Float64")
        geo = geo.where(geo.isin([1, 2, 3]).fillna(False).astype(bool))
    else:
        geo = pd.Series(np.nan, index=frame.index, dtype="Float64")
    rows = _Rows(text, dates, lat, lon, fatalities, geo, pd.DataFrame())

    _check_source_dataset(rows, issues)
    _check_dates(rows, bad_date, today or date.today(), issues)
    usable = _check_coordinates(rows, bad_lat, bad_lon, issues)
    placed = _check_places(rows, gazetteer_lookup, issues)
    _check_coverage(rows, usable, placed, issues)
    _check_country(rows, issues)
    _check_fatalities(rows, bad_fatalities, issues)
    event_type = _event_types(rows, issues)

    keep = ~issues.rejected
    accepted = _build_accepted(rows, event_type, keep, staged)
    accepted_lines = pd.Series(np.asarray(staged.lines, dtype=np.int64)[keep], dtype="int64")
    return ValidationResult(
        accepted=accepted,
        accepted_lines=accepted_lines,
        issues=issues.to_list(),
        rows_read=len(frame),
        rows_rejected=int(issues.rejected.sum()),
    )
