"""Reading and validating an organisation's sites and routes (site exposure: docs/architecture.md).

Analysts bring three kinds of file:

* a **site table** (CSV or XLSX): one site per row with a name, a type, a latitude and a
  longitude. English and French header names are accepted (``nom``, ``type de site``,
  ``lat``/``latitude``/``y``, ``lon``/``long``/``longitude``/``x``...), and coordinates may
  use decimal commas or hemisphere letters (parsed like incident coordinates);
* a **route table** (CSV or XLSX): ordered points, one per row, with a route name, a
  sequence number, latitude and longitude; each route becomes one LineString;
* a **GeoJSON** file of LineString features (routes) and/or Point features (sites).

Every row problem is collected, as in the incident import report, instead of stopping at
the first: rows with an error are left out, warnings keep the row. A file that cannot be
read as a whole raises :class:`SiteFileError` (nothing is returned).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point

from geodata.text import fold_accents
from incidents.errors import FileLevelError
from incidents.ingest.file_reader import DEFAULT_MAX_BYTES, read_raw_table
from incidents.ingest.parse import parse_coordinates

#: Columns of a sites frame (the store's ``sites`` table without batch and timestamps).
SITE_COLUMNS: Final = ("site_id", "name", "site_type", "kind", "latitude", "longitude", "geometry_wkt")
KINDS: Final = ("site", "route")
DEFAULT_SITE_TYPE: Final = "site"
DEFAULT_ROUTE_TYPE: Final = "route"
MAX_NAME_CHARS: Final = 200
#: Warn when a site lies outside this box (lon/lat): likely a typo or swapped coordinates.
COVERAGE_BOX: Final = (-20.0, 0.0, 30.0, 35.0)

SiteIssueCode = Literal[
    "missing_required",
    "bad_coordinate",
    "coordinate_out_of_range",
    "suspect_swapped_lat_lon",
    "outside_coverage",
    "duplicate_in_file",
    "route_too_short",
    "bad_sequence",
    "unsupported_geometry",
    # Rows the table reader rejects (incidents.ingest.file_reader): cut off, a cell too long, a NUL.
    "truncated_row",
    "cell_too_long",
    "nul_byte",
]
SITE_ISSUE_CODES: Final = SiteIssueCode.__args__  # type: ignore[attr-defined]

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


class SiteFileError(FileLevelError):
    """A whole sites or routes file cannot be read; nothing was taken from it."""


@dataclass(frozen=True)
class SiteIssue:
    """One problem with one row (``line`` is the physical line, header = 1; feature number for GeoJSON)."""

    line: int | None
    column: str | None
    code: str
    severity: Literal["error", "warning"]
    message: str
    value: str | None = None

    def __post_init__(self) -> None:
        if self.code not in SITE_ISSUE_CODES:
            raise ValueError(f"unknown site issue code {self.code!r}; allowed: {list(SITE_ISSUE_CODES)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SiteRead:
    """What a file gave: accepted sites/routes (:data:`SITE_COLUMNS`), every issue, provenance."""

    frame: pd.DataFrame
    issues: tuple[SiteIssue, ...]
    file_name: str
    sha256: str
    layout: str  # sites | routes | geojson
    rows_read: int

    @property
    def rows_rejected(self) -> int:
        """Rows (or GeoJSON features) with at least one error, left out of ``frame``."""
        return len({issue.line for issue in self.issues if issue.severity == "error"})

    def issues_frame(self) -> pd.DataFrame:
        columns = ["line", "column", "code", "severity", "message", "value"]
        return pd.DataFrame([issue.to_dict() for issue in self.issues], columns=columns)


# ---- public API ------------------------------------------------------------------------------


def read_sites(source: Path | bytes, *, file_name: str = "", max_bytes: int = DEFAULT_MAX_BYTES) -> SiteRead:
    """Read a site table, a route table or a GeoJSON file (chosen by extension and header).

    Raises :class:`SiteFileError` when the file as a whole is unusable (unreadable, no
    name/latitude/longitude columns, not a GeoJSON FeatureCollection...).
    """
    label = file_name or (source.name if isinstance(source, Path) else "the file")
    data = _read_bytes(source, label, max_bytes)
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
    lines = raw.lines.reset_index(drop=True)
    table = table.reset_index(drop=True)
    # Rows the reader rejected are reported (and counted as read) like the table's own.
    unread = [SiteIssue(i.line, i.column, i.code, "error", i.message, i.value) for i in raw.rejected]
    rows_read = len(table) + raw.rows_rejected
    if "route" in table.columns and "seq" in table.columns:
        frame, issues = _routes_from_table(table, lines, label)
        issues = sorted([*unread, *issues], key=lambda issue: issue.line or 0)
        return SiteRead(frame, tuple(issues), label, sha256, "routes", rows_read)
    frame, issues = _sites_from_table(table, lines, label)
    issues = sorted([*unread, *issues], key=lambda issue: issue.line or 0)
    return SiteRead(frame, tuple(issues), label, sha256, "sites", rows_read)


def site_from_values(name: str, site_type: str, latitude: float, longitude: float) -> pd.DataFrame:
    """A one-row sites frame from a form (raises ``ValueError`` naming the bad value)."""
    clean_name = " ".join(str(name).split())
    if not clean_name:
        raise ValueError("the site needs a name")
    if len(clean_name) > MAX_NAME_CHARS:
        raise ValueError(f"the name has {len(clean_name)} characters; at most {MAX_NAME_CHARS} are allowed")
    lat, lon = float(latitude), float(longitude)
    if not (np.isfinite(lat) and -90 <= lat <= 90):
        raise ValueError(f"latitude {latitude!r} is not a number in -90..90")
    if not (np.isfinite(lon) and -180 <= lon <= 180):
        raise ValueError(f"longitude {longitude!r} is not a number in -180..180")
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


def _read_bytes(source: Path | bytes, label: str, max_bytes: int) -> bytes:
    if isinstance(source, bytes):
        data = source
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise SiteFileError(f"cannot read {label}: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise SiteFileError(f"{label} is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB")
    if not data.strip():
        raise SiteFileError(f"{label} is empty: expected a CSV/XLSX table or a GeoJSON file")
    return data


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
        raise SiteFileError(
            f"{label} has no {', '.join(missing)} column(s) for a {what} table; "
            f"accepted header names (case, accents and spaces ignored): {accepted}"
        )


def _coordinates(
    table: pd.DataFrame, lines: pd.Series, issues: list[SiteIssue]
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(lat, lon, row has an error); coordinate issues appended to ``issues``."""
    lat, bad_lat = parse_coordinates(table["latitude"])
    lon, bad_lon = parse_coordinates(table["longitude"])
    error = pd.Series(False, index=table.index)
    for column, bad in (("latitude", bad_lat), ("longitude", bad_lon)):
        raw = table[column]
        for i in np.flatnonzero(raw.isna().to_numpy()):
            issues.append(SiteIssue(int(lines[i]), column, "missing_required", "error", f"{column} is empty"))
        for i in np.flatnonzero(bad.to_numpy()):
            issues.append(
                SiteIssue(
                    int(lines[i]),
                    column,
                    "bad_coordinate",
                    "error",
                    f"{column} {raw[i]!r} is not a decimal number of degrees",
                    str(raw[i]),
                )
            )
        error |= raw.isna() | bad
    out_lat = lat.notna() & ~lat.between(-90, 90)
    out_lon = lon.notna() & ~lon.between(-180, 180)
    for column, out, raw in (
        ("latitude", out_lat, table["latitude"]),
        ("longitude", out_lon, table["longitude"]),
    ):
        limit = 90 if column == "latitude" else 180
        for i in np.flatnonzero(out.to_numpy()):
            issues.append(
                SiteIssue(
                    int(lines[i]),
                    column,
                    "coordinate_out_of_range",
                    "error",
                    f"{column} {raw[i]!r} is outside -{limit}..{limit}",
                    str(raw[i]),
                )
            )
    error |= out_lat | out_lon
    ok = ~error
    minx, miny, maxx, maxy = COVERAGE_BOX
    inside = lon.between(minx, maxx) & lat.between(miny, maxy)
    swapped_inside = lat.between(minx, maxx) & lon.between(miny, maxy)
    for i in np.flatnonzero((ok & ~inside).to_numpy()):
        if bool(swapped_inside[i]):
            code, message = "suspect_swapped_lat_lon", "latitude and longitude look swapped"
        else:
            code, message = "outside_coverage", "the point lies outside the Sahel region the dashboard covers"
        issues.append(
            SiteIssue(
                int(lines[i]),
                "latitude",
                code,
                "warning",
                f"{message} ({lat[i]}, {lon[i]})",
                f"{lat[i]}, {lon[i]}",
            )
        )
    return lat, lon, error


def _text_column(table: pd.DataFrame, column: str, default: str) -> pd.Series:
    if column not in table.columns:
        return pd.Series(default, index=table.index, dtype="string")
    text = table[column].astype("string").str.split().str.join(" ")
    return text.fillna(default).where(text.fillna("") != "", default).astype("string")


def _sites_from_table(
    table: pd.DataFrame, lines: pd.Series, label: str
) -> tuple[pd.DataFrame, list[SiteIssue]]:
    _require(table, ("name", "latitude", "longitude"), label, "sites")
    issues: list[SiteIssue] = []
    lat, lon, error = _coordinates(table, lines, issues)
    names = _text_column(table, "name", "")
    for i in np.flatnonzero((names == "").to_numpy()):
        issues.append(SiteIssue(int(lines[i]), "name", "missing_required", "error", "name is empty"))
    error |= names == ""
    names = names.str.slice(0, MAX_NAME_CHARS)
    keys = pd.DataFrame({"name": names.str.casefold(), "lat": lat.round(6), "lon": lon.round(6)})
    duplicate = keys.duplicated() & ~error
    for i in np.flatnonzero(duplicate.to_numpy()):
        issues.append(
            SiteIssue(
                int(lines[i]),
                "name",
                "duplicate_in_file",
                "error",
                f"site {names[i]!r} at the same coordinates already appears above",
                names[i],
            )
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
    return _conform(frame), _sorted(issues)


def _routes_from_table(
    table: pd.DataFrame, lines: pd.Series, label: str
) -> tuple[pd.DataFrame, list[SiteIssue]]:
    _require(table, ("route", "seq", "latitude", "longitude"), label, "routes")
    issues: list[SiteIssue] = []
    lat, lon, error = _coordinates(table, lines, issues)
    names = _text_column(table, "route", "")
    for i in np.flatnonzero((names == "").to_numpy()):
        issues.append(SiteIssue(int(lines[i]), "route", "missing_required", "error", "route name is empty"))
    error |= names == ""
    seq = pd.to_numeric(table["seq"].astype("string").str.replace(",", ".", regex=False), errors="coerce")
    bad_seq = seq.isna() | (seq != seq.round())
    for i in np.flatnonzero(bad_seq.to_numpy()):
        issues.append(
            SiteIssue(
                int(lines[i]),
                "seq",
                "bad_sequence",
                "error",
                f"seq {table['seq'][i]!r} is not a whole number",
                None if pd.isna(table["seq"][i]) else str(table["seq"][i]),
            )
        )
    error |= bad_seq
    points = pd.DataFrame(
        {
            "route": names,
            "seq": seq,
            "lat": lat,
            "lon": lon,
            "line": lines,
            "type": _text_column(table, "site_type", DEFAULT_ROUTE_TYPE),
        }
    )[~error.to_numpy()]
    rows = []
    for route, group in points.groupby("route", sort=False):
        group = group.sort_values("seq", kind="stable")
        repeated = group["seq"].duplicated()
        for line, value in zip(group.loc[repeated, "line"], group.loc[repeated, "seq"], strict=True):
            issues.append(
                SiteIssue(
                    int(line),
                    "seq",
                    "bad_sequence",
                    "error",
                    f"route {route!r} uses seq {int(value)} twice; the later row is left out",
                    str(int(value)),
                )
            )
        group = group[~repeated]
        coords = list(zip(group["lon"], group["lat"], strict=True))
        distinct = list(dict.fromkeys(coords))
        if len(distinct) < 2:
            issues.append(
                SiteIssue(
                    int(group["line"].iloc[0]) if len(group) else None,
                    "route",
                    "route_too_short",
                    "error",
                    f"route {route!r} has {len(distinct)} distinct point(s); a route needs at least 2",
                    str(route),
                )
            )
            continue
        rows.append(_route_row(str(route), str(group["type"].iloc[0]), coords))
    return _conform(
        pd.DataFrame(rows, columns=["name", "site_type", "kind", "latitude", "longitude", "geometry_wkt"])
    ), _sorted(issues)


def _route_row(name: str, site_type: str, coords: list[tuple[float, float]]) -> dict[str, Any]:
    """A route row: its line, and its first point as the representative lat/lon."""
    line = LineString(coords)
    return {
        "name": name[:MAX_NAME_CHARS],
        "site_type": site_type or DEFAULT_ROUTE_TYPE,
        "kind": "route",
        "latitude": float(coords[0][1]),
        "longitude": float(coords[0][0]),
        "geometry_wkt": shapely.to_wkt(line, rounding_precision=6),
    }


def _read_geojson(data: bytes, label: str) -> tuple[pd.DataFrame, list[SiteIssue], int]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SiteFileError(f"{label} is not valid GeoJSON: {exc}") from exc
    if not isinstance(document, dict):
        raise SiteFileError(f"{label} is not a GeoJSON object (found {type(document).__name__})")
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise SiteFileError(f"{label}: the FeatureCollection has no 'features' list")
    elif kind == "Feature":
        features = [document]
    elif kind in ("LineString", "Point"):
        features = [{"type": "Feature", "geometry": document, "properties": {}}]
    else:
        raise SiteFileError(
            f"{label}: GeoJSON type {kind!r} is not one of "
            "['FeatureCollection', 'Feature', 'LineString', 'Point']"
        )
    issues: list[SiteIssue] = []
    rows = []
    for number, feature in enumerate(features, start=1):
        row = _geojson_row(number, feature, issues)
        if row is not None:
            rows.append(row)
    frame = pd.DataFrame(rows, columns=["name", "site_type", "kind", "latitude", "longitude", "geometry_wkt"])
    return _conform(frame), _sorted(issues), len(features)


def _geojson_row(number: int, feature: object, issues: list[SiteIssue]) -> dict[str, Any] | None:
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
            issues.append(
                SiteIssue(
                    number,
                    "geometry",
                    "unsupported_geometry",
                    "error",
                    f"feature {number}: geometry {kind!r} is not a LineString or Point",
                    str(kind),
                )
            )
            return None
    except (TypeError, ValueError, IndexError):
        issues.append(
            SiteIssue(
                number,
                "geometry",
                "bad_coordinate",
                "error",
                f"feature {number}: coordinates are not [lon, lat] numbers",
            )
        )
        return None
    finite = all(np.isfinite(x) and np.isfinite(y) for x, y in points)
    if not finite or any(abs(x) > 180 or abs(y) > 90 for x, y in points):
        issues.append(
            SiteIssue(
                number,
                "geometry",
                "coordinate_out_of_range",
                "error",
                f"feature {number}: a coordinate lies outside lon -180..180 / lat -90..90",
            )
        )
        return None
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
    distinct = list(dict.fromkeys(points))
    if len(distinct) < 2:
        issues.append(
            SiteIssue(
                number,
                "geometry",
                "route_too_short",
                "error",
                f"feature {number} ({name!r}) has fewer than 2 distinct points",
                name,
            )
        )
        return None
    return _route_row(name, site_type or DEFAULT_ROUTE_TYPE, points)


def _conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Column order and dtypes of :data:`SITE_COLUMNS`; ``site_id`` numbered S1, S2... when absent."""
    frame = frame.reset_index(drop=True)
    if "site_id" not in frame.columns:
        frame.insert(0, "site_id", [f"S{i}" for i in range(1, len(frame) + 1)])
    result = pd.DataFrame(
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
    return result


def _sorted(issues: list[SiteIssue]) -> list[SiteIssue]:
    return sorted(issues, key=lambda issue: (issue.line if issue.line is not None else 0, issue.column or ""))
