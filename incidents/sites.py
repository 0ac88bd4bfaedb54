"""Reading and validating an organisation's sites and routes (site exposure: docs/architecture.md).

Analysts bring three kinds of file:

* a **site table** (CSV or XLSX): one site per row with a name, a type, a latitude and a
  longitude. English and French header names are accepted (``nom``, ``type de site``,
  ``lat``/``latitude``/``y``, ``lon``/``long``/``longitude``/``x``...), and coordinates may
  use decimal commas or hemisphere letters (parsed like incident coordinates);
* a **route table** (CSV or XLSX): ordered points, one per row, with a route name, a
  sequence number, latitude and longitude; each route becomes one LineString;
* a **GeoJSON** file of LineString features (routes) and/or Point features (sites).

Every row problem is collected with the incident import's issue model instead of stopping
at the first: :class:`~incidents.ingest.issues.IssueCollector` (vectorised masks) and its
:class:`~incidents.ingest.staged.ImportIssue` rows, with the import's reason codes
(docs/architecture.md, 'Reason codes'), at the physical line and under the file's own
column name. Rows with an error are left out, warnings keep the row. A file that cannot be
read as a whole raises :class:`~incidents.errors.SiteFileError` (nothing is returned).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from geodata.text import fold_accents
from incidents.errors import FileLevelError, SiteFileError, SiteValueError
from incidents.i18n import _, ngettext
from incidents.ingest.file_reader import read_raw_table
from incidents.ingest.issues import ForFlagged, IssueCollector
from incidents.ingest.load import DEFAULT_MAX_BYTES, load_bytes
from incidents.ingest.parse import parse_coordinates
from incidents.ingest.report import ISSUE_COLUMNS
from incidents.ingest.staged import ImportIssue

#: Columns of a sites frame (the store's ``sites`` table without batch and timestamps).
SITE_COLUMNS: Final = ("site_id", "name", "site_type", "kind", "latitude", "longitude", "geometry_wkt")
KINDS: Final = ("site", "route")
DEFAULT_SITE_TYPE: Final = "site"
DEFAULT_ROUTE_TYPE: Final = "route"
MAX_NAME_CHARS: Final = 200
#: Warn when a site lies outside this box (lon/lat): likely a typo or swapped coordinates.
COVERAGE_BOX: Final = (-20.0, 0.0, 30.0, 35.0)

#: Folded header name -> canonical column. Folding: lower case, accents, spaces/_/- removed.
HEADER_ALIASES: Final[Mapping[str, str]] = {
    **dict.fromkeys(("name", "sitename", "site", "nom", "nomdusite", "nomsite", "label", "libelle"), "name"),
    **dict.fromkeys(
        ("type", "sitetype", "typedesite", "typesite", "category", "categorie", "kind", "nature"), "site_type"
    ),
    **dict.fromkeys(("lat", "latitude", "y", "latdd", "latitudedd"), "latitude"),
    **dict.fromkeys(("lon", "lng", "long", "longitude", "x", "londd", "longitudedd"), "longitude"),
    **dict.fromkeys(
        ("route", "routename", "nomroute", "nomdelaroute", "itineraire", "nomitineraire", "trajet", "axe"),
        "route",
    ),
    **dict.fromkeys(("seq", "sequence", "order", "ordre", "point", "pointno", "no", "num", "numero"), "seq"),
}
GEOJSON_SUFFIXES: Final = (".geojson", ".json")


@dataclass(frozen=True)
class SiteRead:
    """What a file gave: accepted sites/routes (:data:`SITE_COLUMNS`), every issue, provenance."""

    frame: pd.DataFrame
    issues: tuple[ImportIssue, ...]  # in line order, as in the import report
    file_name: str
    sha256: str
    layout: str  # sites | routes | geojson
    rows_read: int

    @property
    def rows_rejected(self) -> int:
        """Rows (or GeoJSON features) with at least one error, left out of ``frame``."""
        return len({issue.line for issue in self.issues if issue.severity == "error"})

    def issues_frame(self) -> pd.DataFrame:
        """The issues as a table, with the import report's columns (:data:`ISSUE_COLUMNS`)."""
        return pd.DataFrame([issue.to_dict() for issue in self.issues], columns=list(ISSUE_COLUMNS))


# ---- public API ------------------------------------------------------------------------------


def read_sites(source: Path | bytes, *, file_name: str = "", max_bytes: int = DEFAULT_MAX_BYTES) -> SiteRead:
    """Read a site table, a route table or a GeoJSON file (chosen by extension and header).

    Raises :class:`~incidents.errors.SiteFileError` when the file as a whole is unusable
    (unreadable, no name/latitude/longitude columns, not a GeoJSON FeatureCollection...).
    """
    label = file_name or (source.name if isinstance(source, Path) else _("the file"))
    data = load_bytes(
        source,
        label,
        max_bytes,
        empty_hint=_("expected a CSV/XLSX table or a GeoJSON file"),
        error=SiteFileError,
    )
    sha256 = hashlib.sha256(data).hexdigest()
    suffix = Path(label).suffix.lower()
    if suffix in GEOJSON_SUFFIXES or data.lstrip()[:1] == b"{":
        frame, issues, rows = _read_geojson(data, label)
        return SiteRead(frame, tuple(issues), label, sha256, "geojson", rows)
    try:
        raw = read_raw_table(data, file_name=label, max_bytes=max_bytes)
    except FileLevelError as exc:  # re-raised as the sites' own error type
        raise SiteFileError(str(exc)) from exc
    columns = _map_headers(list(raw.frame.columns))
    table = raw.frame.rename(columns=columns)[list(dict.fromkeys(columns.values()))]
    table = table.reset_index(drop=True)
    collector = IssueCollector(raw.lines.to_numpy(), {canonical: own for own, canonical in columns.items()})
    # Rows the reader rejected are reported (and counted as read) like the table's own.
    rows_read = len(table) + raw.rows_rejected
    if "route" in table.columns and "seq" in table.columns:
        frame = _routes_from_table(table, collector, label)
        layout = "routes"
    else:
        frame = _sites_from_table(table, collector, label)
        layout = "sites"
    issues = sorted([*raw.rejected, *collector.to_list()], key=lambda issue: issue.line or 0)
    return SiteRead(frame, tuple(issues), label, sha256, layout, rows_read)


def site_from_values(name: str, site_type: str, latitude: float, longitude: float) -> pd.DataFrame:
    """A one-row sites frame from a form.

    Raises :class:`~incidents.errors.SiteValueError` (a ``ValueError`` too) naming the bad value.
    """
    clean_name = " ".join(str(name).split())
    if not clean_name:
        raise SiteValueError(_("the site needs a name"))
    if len(clean_name) > MAX_NAME_CHARS:
        raise SiteValueError(
            _("the name has {count} characters; at most {limit} are allowed").format(
                count=len(clean_name), limit=MAX_NAME_CHARS
            )
        )
    lat, lon = float(latitude), float(longitude)
    if not (np.isfinite(lat) and -90 <= lat <= 90):
        raise SiteValueError(_("latitude {value} is not a number in -90..90").format(value=repr(latitude)))
    if not (np.isfinite(lon) and -180 <= lon <= 180):
        raise SiteValueError(
            _("longitude {value} is not a number in -180..180").format(value=repr(longitude))
        )
    clean_type = " ".join(str(site_type).split()) or DEFAULT_SITE_TYPE
    return pd.DataFrame(
        {
            "site_id": ["S1"],
            "name": [clean_name],
            "site_type": [clean_type],
            "kind": ["site"],
            "latitude": [lat],
            "longitude": [lon],
            "geometry_wkt": [Point(lon, lat).wkt],
        }
    )


def empty_sites() -> pd.DataFrame:
    return _conform(pd.DataFrame({column: [] for column in SITE_COLUMNS}))


# ---- private steps ---------------------------------------------------------------------------


def _fold_header(name: str) -> str:
    plain = fold_accents(str(name)).lower()
    return "".join(ch for ch in plain if ch.isalnum())


def _map_headers(headers: list[str]) -> dict[str, str]:
    """Original header -> canonical column, first match wins; unknown headers are dropped."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        canonical = HEADER_ALIASES.get(_fold_header(header))
        if canonical is not None and canonical not in taken:
            mapping[header] = canonical
            taken.add(canonical)
    return mapping


def _require(table: pd.DataFrame, required: tuple[str, ...], label: str, what: str) -> None:
    missing = [column for column in required if column not in table.columns]
    if missing:
        accepted = {
            column: sorted(alias for alias, target in HEADER_ALIASES.items() if target == column)
            for column in missing
        }
        message = (
            _(
                "{file} has no {columns} column(s) for a routes table; "
                "accepted header names (case, accents and spaces ignored): {accepted}"
            )
            if what == "routes"
            else _(
                "{file} has no {columns} column(s) for a sites table; "
                "accepted header names (case, accents and spaces ignored): {accepted}"
            )
        )
        raise SiteFileError(message.format(file=label, columns=", ".join(missing), accepted=accepted))


def _decimal(values: pd.Series, at: np.ndarray) -> pd.Series:
    """The parsed numbers at ``at`` as text (``14.5``), for messages."""
    return pd.Series([repr(float(value)) for value in values.to_numpy()[at]], dtype="object")


def _around(raw: pd.Series, message: str, **fields: object) -> ForFlagged:
    """``message`` (translated, with a ``{value}`` field) quoting each flagged cell of ``raw``."""
    before, _sep, after = message.format(value="\x00", **fields).partition("\x00")
    return ForFlagged(lambda at: before + raw.iloc[at] + after)


def _coordinates(table: pd.DataFrame, issues: IssueCollector) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """(lat, lon, row has an error): empty, unreadable and out-of-range halves reported as errors;
    a point outside the Sahel box (swapped or not) as a warning."""
    lat, bad_lat = parse_coordinates(table["latitude"])
    lon, bad_lon = parse_coordinates(table["longitude"])
    error = np.zeros(len(table), dtype=bool)
    for column, values, bad, limit in (("latitude", lat, bad_lat, 90), ("longitude", lon, bad_lon, 180)):
        raw = table[column].astype("string")
        empty = raw.isna().to_numpy()
        unreadable = bad.to_numpy(dtype=bool)
        out = (values.notna() & ~values.between(-limit, limit)).to_numpy(dtype=bool)
        issues.add(empty, column, "missing_required", "error", _("{column} is empty").format(column=column))
        issues.add(
            unreadable,
            column,
            "bad_coordinate",
            "error",
            _around(raw, _("cannot read {column} '{value}' as decimal degrees"), column=column),
            value=raw,
        )
        issues.add(
            out,
            column,
            "coordinate_out_of_range",
            "error",
            _around(raw, _("{column} {value} is outside -{limit}..{limit}"), column=column, limit=limit),
            value=raw,
        )
        error |= empty | unreadable | out
    minx, miny, maxx, maxy = COVERAGE_BOX
    inside = (lon.between(minx, maxx) & lat.between(miny, maxy)).to_numpy(dtype=bool)
    swapped_inside = (lat.between(minx, maxx) & lon.between(miny, maxy)).to_numpy(dtype=bool)
    away = ~error & ~inside

    def where(at: np.ndarray) -> pd.Series:
        return _decimal(lat, at) + ", " + _decimal(lon, at)

    swapped = _("latitude and longitude look swapped ({point})")
    outside = _("the point lies outside the Sahel region the dashboard covers ({point})")
    issues.add(
        away & swapped_inside,
        "latitude",
        "suspect_swapped_lat_lon",
        "warning",
        ForFlagged(lambda at: [swapped.format(point=point) for point in where(at)]),
        value=ForFlagged(where),
    )
    issues.add(
        away & ~swapped_inside,
        "latitude",
        "outside_coverage",
        "warning",
        ForFlagged(lambda at: [outside.format(point=point) for point in where(at)]),
        value=ForFlagged(where),
    )
    return lat, lon, error


def _text_column(table: pd.DataFrame, column: str, default: str) -> pd.Series:
    if column not in table.columns:
        return pd.Series(default, index=table.index, dtype="string")
    text = table[column].astype("string").str.split().str.join(" ")
    return text.fillna(default).where(text.fillna("") != "", default).astype("string")


def _sites_from_table(table: pd.DataFrame, issues: IssueCollector, label: str) -> pd.DataFrame:
    _require(table, ("name", "latitude", "longitude"), label, "sites")
    lat, lon, error = _coordinates(table, issues)
    names = _text_column(table, "name", "")
    no_name = (names == "").to_numpy(dtype=bool)
    issues.add(no_name, "name", "missing_required", "error", _("name is empty"))
    error |= no_name
    names = names.str.slice(0, MAX_NAME_CHARS)
    keys = pd.DataFrame({"name": names.str.casefold(), "lat": lat.round(6), "lon": lon.round(6)})
    duplicate = keys.duplicated().to_numpy(dtype=bool) & ~error
    issues.add(
        duplicate,
        "name",
        "duplicate_in_file",
        "error",  # unlike an incident's repeat (a warning), a repeated site counts as rejected
        _around(names, _("site '{value}' at the same coordinates already appears above")),
        value=names,
    )
    keep = ~(error | duplicate)
    frame = pd.DataFrame(
        {
            "name": names[keep],
            "site_type": _text_column(table, "site_type", DEFAULT_SITE_TYPE)[keep],
            "kind": "site",
            "latitude": lat[keep],
            "longitude": lon[keep],
        }
    )
    frame["geometry_wkt"] = (
        shapely.to_wkt(
            shapely.points(frame["longitude"].to_numpy(), frame["latitude"].to_numpy()), rounding_precision=6
        )
        if len(frame)
        else pd.Series([], dtype=object)
    )
    return _conform(frame)


def _routes_from_table(table: pd.DataFrame, issues: IssueCollector, label: str) -> pd.DataFrame:
    """One LineString per route name, its points in ``seq`` order (routes in file order)."""
    _require(table, ("route", "seq", "latitude", "longitude"), label, "routes")
    lat, lon, error = _coordinates(table, issues)
    names = _text_column(table, "route", "")
    no_name = (names == "").to_numpy(dtype=bool)
    issues.add(no_name, "route", "missing_required", "error", _("route name is empty"))
    error |= no_name
    seq_text = table["seq"].astype("string")
    seq = pd.to_numeric(seq_text.str.replace(",", ".", regex=False), errors="coerce").astype("float64")
    bad_seq = (seq.isna() | ~np.isfinite(seq.fillna(0.0)) | (seq != seq.round())).to_numpy(dtype=bool)
    issues.add(
        bad_seq,
        "seq",
        "bad_sequence",
        "error",
        _around(seq_text.fillna(""), _("seq '{value}' is not a whole number")),
        value=seq_text,
    )
    error |= bad_seq
    points = pd.DataFrame(
        {
            "position": np.arange(len(table)),
            "route": names,
            "seq": seq,
            "lat": lat,
            "lon": lon,
            "type": _text_column(table, "site_type", DEFAULT_ROUTE_TYPE),
        }
    )[~error]
    # A seq used twice in a route: the later row (in file order) is left out.
    repeated = points.duplicated(["route", "seq"]).to_numpy(dtype=bool)
    repeated_at = np.zeros(len(table), dtype=bool)
    repeated_at[points["position"].to_numpy()[repeated]] = True

    def whole(at: np.ndarray) -> pd.Series:
        return pd.Series([str(int(value)) for value in seq.to_numpy()[at]], dtype="object")

    twice = _("route '{route}' uses seq {seq} twice; the later row is left out")
    issues.add(
        repeated_at,
        "seq",
        "bad_sequence",
        "error",
        ForFlagged(
            lambda at: [
                twice.format(route=route, seq=number)
                for route, number in zip(names.iloc[at], whole(at), strict=True)
            ]
        ),
        value=ForFlagged(whole),
    )
    points = points[~repeated]
    points = points.assign(order=pd.factorize(points["route"])[0]).sort_values(
        ["order", "seq"], kind="stable"
    )
    distinct = points.drop_duplicates(["order", "lat", "lon"]).groupby("order").size()
    first = points.groupby("order", sort=True).head(1).set_index("order")
    short = distinct.index[distinct.to_numpy() < 2]
    short_at = np.zeros(len(table), dtype=bool)
    short_at[first.loc[short, "position"].to_numpy()] = True
    counts = pd.Series(0, index=table.index, dtype="int64")
    counts.iloc[first.loc[short, "position"].to_numpy()] = distinct.loc[short].to_numpy()
    issues.add(
        short_at,
        "route",
        "route_too_short",
        "error",
        ForFlagged(
            lambda at: [
                ngettext(
                    "route '{route}' has {n} distinct point; a route needs at least 2",
                    "route '{route}' has {n} distinct points; a route needs at least 2",
                    int(count),
                ).format(route=route, n=int(count))
                for route, count in zip(names.iloc[at], counts.iloc[at], strict=True)
            ]
        ),
        value=names,
    )
    points = points[~points["order"].isin(short)]
    first = first.drop(index=short)
    if points.empty:
        return empty_sites()
    lines = shapely.linestrings(
        points["lon"].to_numpy(), points["lat"].to_numpy(), indices=pd.factorize(points["order"])[0]
    )
    frame = pd.DataFrame(
        {
            "name": first["route"].str.slice(0, MAX_NAME_CHARS).to_numpy(),
            "site_type": first["type"].to_numpy(),
            "kind": "route",
            "latitude": first["lat"].to_numpy(dtype="float64"),
            "longitude": first["lon"].to_numpy(dtype="float64"),
            "geometry_wkt": shapely.to_wkt(lines, rounding_precision=6),
        }
    )
    return _conform(frame)


def _route_row(name: str, site_type: str, coords: list[tuple[float, float]]) -> dict[str, Any]:
    """A route row: its line, and its first point as the representative lat/lon."""
    return {
        "name": name[:MAX_NAME_CHARS],
        "site_type": site_type or DEFAULT_ROUTE_TYPE,
        "kind": "route",
        "latitude": float(coords[0][1]),
        "longitude": float(coords[0][0]),
        "geometry_wkt": shapely.to_wkt(shapely.linestrings(coords), rounding_precision=6),
    }


@dataclass(frozen=True)
class _FeatureProblem:
    """Why one GeoJSON feature was left out (reported on its feature number)."""

    code: str
    message: str
    value: str | None = None


def _read_geojson(data: bytes, label: str) -> tuple[pd.DataFrame, list[ImportIssue], int]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SiteFileError(_("{file} is not valid GeoJSON: {error}").format(file=label, error=exc)) from exc
    if not isinstance(document, dict):
        raise SiteFileError(
            _("{file} is not a GeoJSON object (found {found})").format(
                file=label, found=type(document).__name__
            )
        )
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise SiteFileError(_("{file}: the FeatureCollection has no 'features' list").format(file=label))
    elif kind == "Feature":
        features = [document]
    elif kind in ("LineString", "Point"):
        features = [{"type": "Feature", "geometry": document, "properties": {}}]
    else:
        raise SiteFileError(
            _("{file}: GeoJSON type {kind} is not one of {allowed}").format(
                file=label, kind=repr(kind), allowed="['FeatureCollection', 'Feature', 'LineString', 'Point']"
            )
        )
    rows = []
    problems: list[_FeatureProblem | None] = []
    for number, feature in enumerate(features, start=1):
        outcome = _geojson_row(number, feature)
        if isinstance(outcome, _FeatureProblem):
            problems.append(outcome)
        else:
            problems.append(None)
            rows.append(outcome)
    # Each feature's line is its number in the file (1 = the first feature).
    issues = IssueCollector(np.arange(1, len(features) + 1))
    codes = np.array([problem.code if problem else "" for problem in problems], dtype=object)
    messages = [problem.message if problem else "" for problem in problems]
    values = [problem.value if problem else None for problem in problems]
    for code in dict.fromkeys(code for code in codes if code):
        issues.add(
            codes == code,
            "geometry",
            code,
            "error",
            ForFlagged(lambda at: [messages[i] for i in at]),
            value=ForFlagged(lambda at: [values[i] for i in at]),
        )
    frame = pd.DataFrame(rows, columns=["name", "site_type", "kind", "latitude", "longitude", "geometry_wkt"])
    return _conform(frame), issues.to_list(), len(features)


def _geojson_row(number: int, feature: object) -> dict[str, Any] | _FeatureProblem:
    """One feature as a sites row, or why it cannot be one."""
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    raw_props = feature.get("properties") if isinstance(feature, dict) else None
    props = {_fold_header(k): v for k, v in raw_props.items()} if isinstance(raw_props, dict) else {}
    name = next(
        (
            str(props[k]).strip()
            for k in ("name", "nom", "route", "routename", "site", "sitename")
            if props.get(k) not in (None, "")
        ),
        f"route {number}",
    )
    site_type = next(
        (
            str(props[k]).strip()
            for k in ("type", "sitetype", "category", "categorie")
            if props.get(k) not in (None, "")
        ),
        "",
    )
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    try:
        if kind == "LineString":
            points = [(float(c[0]), float(c[1])) for c in coords]  # type: ignore[union-attr]
        elif kind == "Point":
            points = [(float(coords[0]), float(coords[1]))]  # type: ignore[index]
        else:
            return _FeatureProblem(
                "unsupported_geometry",
                _("feature {number}: geometry {kind} is not a LineString or Point").format(
                    number=number, kind=repr(kind)
                ),
                str(kind),
            )
    except (TypeError, ValueError, IndexError):
        return _FeatureProblem(
            "bad_coordinate",
            _("feature {number}: coordinates are not [lon, lat] numbers").format(number=number),
        )
    finite = all(np.isfinite(x) and np.isfinite(y) for x, y in points)
    if not finite or any(abs(x) > 180 or abs(y) > 90 for x, y in points):
        return _FeatureProblem(
            "coordinate_out_of_range",
            _("feature {number}: a coordinate lies outside lon -180..180 / lat -90..90").format(
                number=number
            ),
        )
    if kind == "Point":
        lon, lat = points[0]
        return {
            "name": name[:MAX_NAME_CHARS],
            "site_type": site_type or DEFAULT_SITE_TYPE,
            "kind": "site",
            "latitude": lat,
            "longitude": lon,
            "geometry_wkt": shapely.to_wkt(Point(lon, lat), rounding_precision=6),
        }
    if len(dict.fromkeys(points)) < 2:
        return _FeatureProblem(
            "route_too_short",
            _("feature {number} ({name}) has fewer than 2 distinct points").format(
                number=number, name=repr(name)
            ),
            name,
        )
    return _route_row(name, site_type, points)


def _conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Column order and dtypes of :data:`SITE_COLUMNS`; ``site_id`` numbered S1, S2... when absent."""
    frame = frame.reset_index(drop=True)
    if "site_id" not in frame.columns:
        frame.insert(0, "site_id", [f"S{i}" for i in range(1, len(frame) + 1)])
    return pd.DataFrame(
        {
            "site_id": frame["site_id"].astype("string"),
            "name": frame["name"].astype("string"),
            "site_type": frame["site_type"].astype("string"),
            "kind": frame["kind"].astype("string"),
            "latitude": pd.to_numeric(frame["latitude"]).astype("float64"),
            "longitude": pd.to_numeric(frame["longitude"]).astype("float64"),
            "geometry_wkt": frame["geometry_wkt"].astype("string"),
        }
    )
