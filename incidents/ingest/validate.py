"""Validate a staged table: parse every cell, check every row, collect every issue.

Validation never stops at the first problem (docs/architecture.md, 'Import pipeline'): the
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

from geodata.admin_units import distance_to_country_km, match_named_units, nearest_units
from geodata.admin_units import unit as unit_at
from geodata.assign import ASSIGNED_COLUMNS, AdminUnits, locate_admin_units
from geodata.gazetteer import find_places
from incidents.i18n import _
from incidents.ingest.issues import ForFlagged, IssueCollector, fill
from incidents.ingest.memo import ValidationMemo
from incidents.ingest.parse import parse_coordinates, parse_dates, parse_fatalities
from incidents.ingest.place_names import (
    NO_UNIT,
    PlaceCache,
    recognise_countries,
    resolve_countries,
    resolve_places,
)
from incidents.ingest.staged import STAGED_COLUMNS, ImportIssue, StagedTable
from incidents.model import (
    ACTOR_GROUPS,
    DATE_PRECISIONS,
    EVENT_TYPES,
    INCIDENT_COLUMNS,
    SOURCE_DATASETS,
    conform_incidents,
)
from incidents.vocabularies import derive_actor_group

DEFAULT_GEO_PRECISION: Final = 3
FINGERPRINT_PREFIX: Final = "fp-"
FINGERPRINT_HEX_CHARS: Final = 24
CIVILIAN_EVENT_TYPES: Final = ("violence_against_civilians", "abduction")
#: A point in another covered country than the row states, but at most this far (km) from the
#: stated country, stays in the stated country: the shipped admin-1 boundaries are generalised
#: (Natural Earth 10m), and of the gazetteer's places of Mali, Burkina Faso and Niger that they
#: put across a border, half lie within 1 km and 63 of 65 within 10 km of their own country.
BORDER_TOLERANCE_KM: Final = 10.0
#: The staged columns read as text; geo_precision and civilian_targeting arrive typed.
_TEXT_COLUMNS: Final = tuple(
    name for name in STAGED_COLUMNS if name not in ("geo_precision", "civilian_targeting")
)


@dataclass(frozen=True)
class ValidationResult:
    """Accepted canonical rows (batch_id/imported_at still empty), their lines, and all issues."""

    accepted: pd.DataFrame
    accepted_lines: pd.Series
    issues: list[ImportIssue] = field(default_factory=list)
    rows_read: int = 0
    rows_rejected: int = 0
    #: rows whose point lies outside the covered countries (skipped unless kept: ``keep_outside``)
    rows_outside_coverage: int = 0

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
    #: km, NaN when the point is the event's own; set for rows placed at an admin unit
    uncertainty: np.ndarray = field(default_factory=lambda: np.empty(0))
    #: unit positions a row placed at an admin unit belongs to (-1: let the point decide)
    placed_admin1: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    placed_admin2: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

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
        lambda: _("source_dataset is required (which data set the row comes from)"),
    )
    unknown = ~missing & ~_isin(dataset, SOURCE_DATASETS)
    issues.add(
        unknown,
        "source_dataset",
        "missing_required",
        "error",
        ForFlagged(
            lambda at: fill(
                _("source_dataset {value} is not one of {allowed}"),
                value=dataset.iloc[at].fillna(""),
                allowed=list(SOURCE_DATASETS),
            )
        ),
        value=dataset,
    )


def _check_dates(rows: _Rows, bad: np.ndarray, today: date, issues: IssueCollector) -> None:
    raw = rows.text["event_date"]
    issues.add(
        rows.missing["event_date"],
        "event_date",
        "missing_required",
        "error",
        lambda: _("event date is required"),
    )
    issues.add(
        bad,
        "event_date",
        "bad_date",
        "error",
        ForFlagged(
            lambda at: fill(
                _("cannot read date '{value}'; use e.g. 2022-09-12 or 12/09/2022"),
                value=raw.iloc[at].fillna(""),
            )
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
            lambda at: fill(
                _("date {date} is after today ({today})"),
                date=_at(rows.dates, at).dt.strftime("%Y-%m-%d").fillna(""),
                today=today.isoformat(),
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
            lambda at: fill(
                _("cannot read {column} '{value}' as decimal degrees"),
                column=column,
                value=raw.iloc[at].fillna(""),
            )
        )

    for column, raw, bad in (("latitude", raw_lat, bad_lat), ("longitude", raw_lon, bad_lon)):
        issues.add(bad, column, "bad_coordinate", "error", unreadable(column, raw), value=raw)
    no_lat, no_lon = rows.missing["latitude"], rows.missing["longitude"]
    issues.add(
        ~no_lat & no_lon,
        "longitude",
        "missing_required",
        "error",
        lambda: _("latitude given without longitude"),
    )
    issues.add(
        ~no_lon & no_lat,
        "latitude",
        "missing_required",
        "error",
        lambda: _("longitude given without latitude"),
    )
    both = ~np.isnan(lat) & ~np.isnan(lon)
    null_island = both & (lat == 0) & (lon == 0)
    issues.add(
        null_island,
        "latitude",
        "bad_coordinate",
        "error",
        lambda: _("0, 0 is a placeholder, not a place; give the real coordinates or leave them empty"),
        value=ForFlagged(lambda at: raw_lat.iloc[at] + ", " + raw_lon.iloc[at]),
    )
    return both & ~null_island


def _check_places(
    rows: _Rows, lookup: Callable[..., pd.DataFrame], places: PlaceCache | None, issues: IssueCollector
) -> np.ndarray:
    """Place rows without coordinates by name or admin unit; fill lat/lon/precision/uncertainty.

    Returns the placed mask. See :mod:`incidents.ingest.place_names` for the order of attempts.
    """
    no_coords = rows.missing["latitude"] & rows.missing["longitude"]
    location = rows.text["location"]
    admin_columns = ("reported_admin1", "reported_admin2", "reported_admin3")
    no_admin = np.logical_and.reduce([rows.missing[name] for name in admin_columns])
    nothing = rows.missing["location"] & no_admin
    issues.add(
        no_coords & nothing,
        "latitude",
        "missing_required",
        "error",
        lambda: _(
            "no coordinates, no place name and no admin unit: "
            "give latitude/longitude, a location or admin1/admin2"
        ),
    )
    todo = np.flatnonzero(no_coords & ~nothing)
    placed = np.zeros(len(rows), dtype=bool)
    if len(todo) == 0:
        return placed
    scope = resolve_countries(rows.text["reported_country"].iloc[todo])
    admin = pd.DataFrame({name: rows.text[name].iloc[todo] for name in admin_columns})
    found = resolve_places(location.iloc[todo], scope, lookup, places, admin)  # labelled by row position
    in_country = _(" in {iso3}")
    scope_note = scope.map(lambda iso3: in_country.format(iso3=iso3) if isinstance(iso3, str) else "").astype(
        "string"
    )
    status = found["status"].to_numpy(dtype=object)
    detail = found["detail"].astype("string")
    note = found["note"].astype("string")
    where = scope_note.fillna("")

    def flagged(state: str, extra: np.ndarray | None = None) -> np.ndarray:
        mask = np.zeros(len(rows), dtype=bool)
        chosen = status == state if extra is None else (status == state) & extra
        mask[todo[chosen]] = True
        return mask

    named = ~rows.missing["location"][todo]
    issues.add(
        flagged("not_found", named),
        "location",
        "missing_required",
        "error",
        ForFlagged(
            lambda at: fill(
                _("no coordinates, and place '{place}' is not in the gazetteer{where}{admin}"),
                place=location.iloc[at].fillna(""),
                where=where.loc[at],
                admin=_unplaced_admin(rows, at),
            )
        ),
        value=location,
    )
    issues.add(
        flagged("not_found", ~named),
        "reported_admin1",
        "missing_required",
        "error",
        ForFlagged(
            lambda at: fill(_("no coordinates and no place name{admin}"), admin=_unplaced_admin(rows, at))
        ),
        value=ForFlagged(lambda at: _admin_names(rows, at)),
    )
    issues.add(
        flagged("ambiguous"),
        "location",
        "ambiguous_place",
        "error",
        ForFlagged(
            lambda at: fill(
                _("{detail}; add latitude/longitude (or admin1/admin2) to the row"), detail=detail.loc[at]
            )
        ),
        value=location,
    )
    issues.add(
        flagged("found"),
        "location",
        "geocoded_from_name",
        "warning",
        ForFlagged(
            lambda at: fill(_("no coordinates; placed from the gazetteer at {detail}"), detail=detail.loc[at])
        ),
        value=location,
    )
    column = found["column"].to_numpy(dtype=object)
    radius = found["uncertainty_km"].fillna(0).round().astype("int64").astype("string")
    precision = found["geo_precision"].astype("int64").astype("string")
    for staged_column in ("reported_admin3", "reported_admin2", "reported_admin1"):
        issues.add(
            flagged("admin", column == staged_column),
            staged_column,
            "placed_at_admin_centroid",
            "warning",
            ForFlagged(
                lambda at: fill(
                    _(
                        "no coordinates; {note}; placed at {detail}, ± {radius} km "
                        "(geo_precision {precision})"
                    ),
                    note=note.loc[at].fillna(""),
                    detail=detail.loc[at],
                    radius=radius.loc[at],
                    precision=precision.loc[at],
                )
            ),
            value=rows.text[staged_column],
        )
    placed = flagged("found") | flagged("admin")
    at = np.flatnonzero(placed)
    rows.lat, rows.lon, rows.geo_precision = rows.lat.copy(), rows.lon.copy(), rows.geo_precision.copy()
    rows.lat[at] = found["latitude"].loc[at].to_numpy(dtype=float)
    rows.lon[at] = found["longitude"].loc[at].to_numpy(dtype=float)
    rows.geo_precision[at] = found["geo_precision"].loc[at].to_numpy(dtype=float)
    rows.uncertainty[at] = found["uncertainty_km"].loc[at].to_numpy(dtype=float)
    rows.placed_admin1[at] = found["admin1"].loc[at].to_numpy(dtype=np.int64)
    rows.placed_admin2[at] = found["admin2"].loc[at].to_numpy(dtype=np.int64)
    return placed


def _admin_names(rows: _Rows, at: np.ndarray) -> pd.Series:
    """``"Sahel / Soum / Djibo"``: the admin names a row gives, for messages."""
    parts = [rows.text[name].iloc[at] for name in ("reported_admin1", "reported_admin2", "reported_admin3")]
    joined = pd.concat(parts, axis=1).apply(
        lambda row: " / ".join(str(v) for v in row if pd.notna(v)), axis=1
    )
    return joined.astype("string").set_axis(at) if len(at) else pd.Series([], dtype="string")


def _unplaced_admin(rows: _Rows, at: np.ndarray) -> pd.Series:
    """``"; its admin units ('X / Y') match none the boundaries know"`` when the row names any."""
    names = _admin_names(rows, at)
    template = _("; its admin units ({names}) match none the boundaries know")
    return names.map(lambda text: template.format(names=repr(text)) if text else "")


def _spread(units: AdminUnits, positions: np.ndarray, size: int) -> AdminUnits:
    """Units of ``size`` rows: ``units`` at ``positions``, none elsewhere."""
    admin1, admin2 = np.full(size, -1, dtype=np.int64), np.full(size, -1, dtype=np.int64)
    admin1[positions], admin2[positions] = units.admin1, units.admin2
    return AdminUnits(admin1, admin2)


def _check_coverage(
    rows: _Rows, usable: np.ndarray, placed: np.ndarray, issues: IssueCollector
) -> tuple[AdminUnits, np.ndarray]:
    """Range, swap and coverage checks on file coordinates; spatial assignment of all placed rows.

    Returns the units and the mask of rows outside the coverage (skipped unless kept).
    """
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
        # A swap is suspected only when it lands in the row's stated country (any covered
        # country when the row states none we know): a genuine point in Somalia marked
        # "Somalia" is outside coverage, not a swapped Malian one.
        stated = recognise_countries(rows.text["reported_country"].iloc[swappable]).to_numpy(dtype=object)
        landed = swapped.column("country_iso3").to_numpy(dtype=object)
        covered = ~swapped.missing("country_iso3")
        same = np.array(
            [
                isinstance(a, str) and isinstance(b, str) and a == b
                for a, b in zip(landed, stated, strict=True)
            ],
            dtype=bool,
        )
        unknown = np.array([not isinstance(value, str) for value in stated], dtype=bool)
        suspect[swappable[covered & (same | unknown)]] = True

    def swapped_country(at: np.ndarray) -> pd.Series:
        found = swapped.take(np.searchsorted(swappable, at)).column("country")
        return found.set_axis(at).fillna("")

    issues.add(
        suspect,
        "latitude",
        "suspect_swapped_lat_lon",
        "error",
        ForFlagged(
            lambda at: fill(
                _(
                    "point (lat {lat}, lon {lon}) is outside coverage, but with latitude and longitude "
                    "swapped it falls in {country}, the row's country; swap the two columns if that is right"
                ),
                lat=_decimal_text(lat, at),
                lon=_decimal_text(lon, at),
                country=swapped_country(at),
            )
        ),
        value=ForFlagged(raw),
    )

    def beyond(column: str, values: np.ndarray, limit: int) -> ForFlagged:
        return ForFlagged(
            lambda at: fill(
                _("{column} {value} is outside -{limit}..{limit}"),
                column=column,
                value=_decimal_text(values, at),
                limit=limit,
            )
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
    skipped = in_range & outside & ~suspect
    return units, skipped


def _each(values: pd.Series, text: Callable[[str], str]) -> pd.Series:
    """``text(value)`` for each present value, ``""`` for missing ones (same index)."""
    return pd.Series(
        [text(value) if isinstance(value, str) else "" for value in values.astype(object)],
        index=values.index,
        dtype="string",
    )


def _report_outside(rows: _Rows, skipped: np.ndarray, keep: bool, issues: IssueCollector) -> None:
    """``outside_coverage`` at each row outside the covered countries: skipped, or kept when asked."""
    reported = rows.text["reported_country"]
    outcome = (
        _("kept (--keep-outside) with its reported country and no admin units")
        if keep
        else _("skipped, not stored (import with --keep-outside to keep such rows)")
    )
    file_says = _(" (file says {name})")
    issues.add(
        skipped,
        "latitude",
        "outside_coverage",
        "warning",
        ForFlagged(
            lambda at: fill(
                _("point (lat {lat}, lon {lon}) is not in any covered country{file_says}; {outcome}"),
                lat=_decimal_text(rows.lat, at),
                lon=_decimal_text(rows.lon, at),
                file_says=_each(reported.iloc[at], lambda name: file_says.format(name=repr(name))),
                outcome=outcome,
            )
        ),
        value=ForFlagged(
            lambda at: (
                rows.text["latitude"].iloc[at].fillna("") + ", " + rows.text["longitude"].iloc[at].fillna("")
            )
        ),
    )


def _check_country(rows: _Rows, units: AdminUnits, issues: IssueCollector) -> AdminUnits:
    """Reconcile each point's units with the row's stated country and the units it was placed at.

    Rows placed at an admin unit belong to that unit. A point in another covered country
    than the row states but within :data:`BORDER_TOLERANCE_KM` of the stated one stays in
    the stated country (its named admin units when they match, else the nearest ones);
    beyond that the coordinates win. Both are reported as ``country_mismatch``.
    """
    admin1, admin2 = units.admin1.copy(), units.admin2.copy()
    chosen1 = rows.placed_admin1 >= 0
    chosen2 = rows.placed_admin2 >= 0
    admin1[chosen1], admin2[chosen2] = rows.placed_admin1[chosen1], rows.placed_admin2[chosen2]
    admin2[rows.placed_admin2 == NO_UNIT] = -1  # placed at an admin-1 centre: no admin-2 unit
    units = AdminUnits(admin1, admin2)
    reported = rows.text["reported_country"]
    # Compare codes, not strings: each distinct reported name is resolved once.
    codes, uniques = reported.array.factorize(use_na_sentinel=True)
    assigned, vocabulary = units.factorize("country_iso3")
    position = {iso3: number for number, iso3 in enumerate(vocabulary)}
    reported_iso3 = resolve_countries(pd.Series(uniques, dtype="string")).astype(object).tolist()
    # -2: no covered country, never equal to an assigned one (-1 is "none assigned").
    reported_code = np.array(
        [position.get(iso3, -2) if isinstance(iso3, str) else -2 for iso3 in reported_iso3] + [-2],
        dtype=np.int64,
    )
    mismatch = (codes >= 0) & (assigned >= 0) & (reported_code[codes] != assigned)
    at = np.flatnonzero(mismatch)
    near = np.zeros(len(rows), dtype=bool)
    distance = np.full(len(rows), np.nan)
    before = units.take(at)
    stated = np.array([_iso3_or_blank(reported_iso3[code]) for code in codes[at]], dtype=object)
    known = np.zeros(len(rows), dtype=bool)
    known[at] = stated != ""
    for iso3 in sorted(set(stated) - {""}):  # only a covered stated country can be kept
        group = at[stated == iso3]
        distance[group] = distance_to_country_km(iso3, rows.lon[group], rows.lat[group])
        inside = group[distance[group] <= BORDER_TOLERANCE_KM]
        if len(inside):
            near[inside] = True
            new1, new2 = _units_in_country(rows, iso3, inside)
            admin1[inside], admin2[inside] = new1, new2
    units = AdminUnits(admin1, admin2)
    moved_from = pd.Series(pd.NA, index=range(len(rows)), dtype="string")
    if len(at):
        moved_from.iloc[at] = (
            before.column("country") + " (" + before.column("country_iso3") + ")"
        ).to_numpy()

    def kept(at: np.ndarray) -> pd.Series:
        found = units.take(at)
        where = found.column("admin1_name").fillna("")
        second = found.column("admin2_name")
        where = where + _each(second, lambda name: f", {name}")
        return fill(
            _(
                "file says '{stated}'; the point lies {distance} km from it, in {found}, within the "
                "{tolerance} km border tolerance of the generalised boundaries: kept in {country} ({where})"
            ),
            stated=reported.iloc[at].fillna(""),
            distance=pd.Series(distance[at], index=at).round(1).astype("string"),
            found=moved_from.iloc[at],
            tolerance=f"{BORDER_TOLERANCE_KM:g}",
            country=found.column("country").set_axis(at).fillna(""),
            where=where.set_axis(at),
        )

    def message(at: np.ndarray) -> pd.Series:
        found = units.take(at)
        beyond = _(", more than {tolerance} km from it").format(tolerance=f"{BORDER_TOLERANCE_KM:g}")
        return fill(
            _(
                "file says '{stated}' but the coordinates lie in {country} ({iso3}){beyond}; "
                "the coordinates win"
            ),
            stated=reported.iloc[at].fillna(""),
            country=found.column("country").set_axis(at).fillna(""),
            iso3=found.column("country_iso3").set_axis(at).fillna(""),
            beyond=pd.Series(np.where(known[at], beyond, ""), index=at),
        )

    issues.add(near, "reported_country", "country_mismatch", "warning", ForFlagged(kept), value=reported)
    issues.add(
        mismatch & ~near,
        "reported_country",
        "country_mismatch",
        "warning",
        ForFlagged(message),
        value=reported,
    )
    return units


def _iso3_or_blank(value: object) -> str:
    return value if isinstance(value, str) else ""


def _units_in_country(rows: _Rows, iso3: str, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Admin-1 and admin-2 positions in ``iso3`` for rows kept there: named units, else the nearest."""
    texts = [
        rows.text[name].iloc[at].astype(object).tolist() for name in ("reported_admin1", "reported_admin2")
    ]
    first = np.full(len(at), -1, dtype=np.int64)
    second = np.full(len(at), -1, dtype=np.int64)
    for number, (name1, name2) in enumerate(zip(*texts, strict=True)):
        named = match_named_units(
            iso3, name1 if isinstance(name1, str) else None, name2 if isinstance(name2, str) else None
        )
        if named.admin1 is not None and named.admin1.level == 1:
            first[number] = named.admin1.position
        if named.admin2 is not None and named.admin2.level == 2:
            second[number] = named.admin2.position
        elif named.admin1 is not None and named.admin1.level == 2:
            second[number] = named.admin1.position
    lon, lat = rows.lon[at], rows.lat[at]
    todo1 = first < 0
    if todo1.any():
        first[todo1] = nearest_units(1, iso3, lon[todo1], lat[todo1])
    names = [unit_at(1, int(position)).name if position >= 0 else None for position in first]
    todo2 = second < 0
    if todo2.any():
        second[todo2] = nearest_units(
            2, iso3, lon[todo2], lat[todo2], [name for name, todo in zip(names, todo2, strict=True) if todo]
        )
    return first, second


def _check_fatalities(rows: _Rows, bad: np.ndarray, issues: IssueCollector) -> None:
    raw = rows.text["fatalities"]
    issues.add(
        bad,
        "fatalities",
        "bad_fatalities",
        "error",
        ForFlagged(
            lambda at: fill(_("fatalities '{value}' is not a whole number"), value=raw.iloc[at].fillna(""))
        ),
        value=raw,
    )
    negative = (rows.fatalities < 0).to_numpy(dtype=bool, na_value=False)
    issues.add(
        negative,
        "fatalities",
        "negative_fatalities",
        "error",
        ForFlagged(
            lambda at: fill(
                _("fatalities {value} is negative; counts must be >= 0"), value=raw.iloc[at].fillna("")
            )
        ),
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
            lambda: _("fatalities empty: stored as 0, which here means unknown, not none"),
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
            lambda at: fill(
                _("event type '{label}' is not one of the known types; imported as 'other'"),
                label=label(at).fillna(""),
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
    rows: _Rows,
    units: AdminUnits,
    known_type: np.ndarray,
    keep: np.ndarray,
    staged: StagedTable,
    outside: np.ndarray | None = None,
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
        "event_type_reported",
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
    if outside is not None and outside[kept_at].any():  # kept outside rows: their reported country
        away = outside[kept_at]
        reported = out["reported_country"]
        out["country_iso3"] = out["country_iso3"].mask(away, recognise_countries(reported))
        out["country"] = out["country"].mask(away, reported)
    out["latitude"], out["longitude"] = pd.Series(rows.lat[kept_at]), pd.Series(rows.lon[kept_at])
    geo = rows.geo_precision[kept_at]
    out["geo_precision"] = pd.Series(np.where(np.isnan(geo), DEFAULT_GEO_PRECISION, geo))
    out["uncertainty_km"] = pd.Series(rows.uncertainty[kept_at])
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
    keep_outside: bool = False,
) -> ValidationResult:
    """Parse and check every row of ``staged``; accept rows without errors as canonical incidents.

    Rows whose point lies outside the covered countries are reported ``outside_coverage``
    and skipped (neither accepted nor rejected); ``keep_outside`` accepts them with their
    reported country and no admin units.

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
        np.full(len(frame), np.nan),
        np.full(len(frame), -1, dtype=np.int64),
        np.full(len(frame), -1, dtype=np.int64),
    )

    _check_source_dataset(rows, issues)
    _check_dates(rows, bad_date, today or date.today(), issues)
    usable = _check_coordinates(rows, bad_lat, bad_lon, issues)
    placed = _check_places(rows, gazetteer_lookup, memo.places if memo is not None else None, issues)
    units, outside = _check_coverage(rows, usable, placed, issues)
    _report_outside(rows, outside, keep_outside, issues)
    units = _check_country(rows, units, issues)
    _check_fatalities(rows, bad_fatalities, issues)
    known_type = _event_types(rows, issues)

    outside &= ~issues.rejected  # a row with an error is rejected, whatever its point
    keep = ~issues.rejected & (~outside | keep_outside)
    accepted = _build_accepted(rows, units, known_type, keep, staged, outside)
    return ValidationResult(
        accepted=accepted,
        accepted_lines=pd.Series(lines[keep], dtype="int64"),
        issues=issues.to_list(),
        rows_read=len(frame),
        rows_rejected=int(issues.rejected.sum()),
        rows_outside_coverage=int(outside.sum()),
    )
