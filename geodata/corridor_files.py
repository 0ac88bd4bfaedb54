"""Read uploaded corridor files into corridor segments (one feature per segment).

Three formats are accepted, chosen by file name:

* GeoJSON (``.geojson``/``.json``): a FeatureCollection, a Feature or a bare geometry of
  LineString/MultiLineString. Each LineString (each part of a MultiLineString) becomes one
  segment, in file order. Properties are optional: ``corridor_id``, ``corridor_name`` (or
  ``name``), ``from_name``, ``to_name``, ``armed_groups``, ``sources``, ``source_refs``,
  ``connector``.
* KML (``.kml``): every LineString of every Placemark (also inside MultiGeometry) becomes
  one segment; the placemark ``<name>`` names it. Points and polygons are ignored. The XML
  is parsed with :mod:`xml.etree.ElementTree` after rejecting any DOCTYPE or ENTITY
  declaration (the "billion laughs" and external-entity attacks need one): ``defusedxml``
  is not a dependency, and uploaded content is only parsed, never executed.
* waypoint CSV (``.csv``): the layout of ``geodata/data/corridors_waypoints.csv``, built
  with :func:`geodata.corridors.build_corridor_segments` (same segment and connector rules).

Lines from GeoJSON and KML are kept as drawn (straight in longitude/latitude between
vertices); waypoint CSVs give densified geodesics like the shipped corridors. Every
result has the columns of :data:`geodata.corridors.SEGMENT_COLUMNS` plus ``geometry``
in EPSG:4326, with ``length_km`` measured on the WGS84 ellipsoid.
"""

from __future__ import annotations

import json
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath
from typing import Any, Final

import geopandas as gpd
import shapely
from shapely.geometry import LineString, shape

from geodata.corridors import SEGMENT_COLUMNS, build_corridor_segments
from geodata.crs import WGS84, WGS84_GEOD
from geodata.errors import CorridorFileError, DataFileError
from geodata.messages import _

MAX_FILE_BYTES: Final = 20 * 1024 * 1024
FORMATS: Final = {".geojson": "geojson", ".json": "geojson", ".kml": "kml", ".csv": "waypoints"}
LINE_TYPES: Final = ("LineString", "MultiLineString")

_GEOD = WGS84_GEOD
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_TEXT_PROPERTIES: Final = ("corridor_id", "from_name", "to_name", "armed_groups", "sources", "source_refs")


def read_corridor_file(name: str, content: bytes) -> gpd.GeoDataFrame:
    """Parse an uploaded corridor file (format from the extension of ``name``) into segments.

    Raises :class:`CorridorFileError` naming the file and what is wrong.
    """
    suffix = PurePath(name).suffix.lower()
    if suffix not in FORMATS:
        raise CorridorFileError(
            name,
            _("extension {extension} not in {allowed}").format(
                extension=repr(suffix or _("(none)")), allowed=sorted(FORMATS)
            ),
        )
    if len(content) > MAX_FILE_BYTES:
        raise CorridorFileError(
            name,
            _("file is {size} bytes; the limit is {limit}").format(
                size=f"{len(content):,}", limit=f"{MAX_FILE_BYTES:,}"
            ),
        )
    if not content.strip():
        raise CorridorFileError(name, _("file is empty"))
    kind = FORMATS[suffix]
    if kind == "geojson":
        return parse_geojson(content, name)
    if kind == "kml":
        return parse_kml(content, name)
    return parse_waypoint_csv(content, name)


# ------------------------------------------------------------------------------ GeoJSON


def parse_geojson(content: bytes | str, name: str = "upload.geojson") -> gpd.GeoDataFrame:
    """Segments from GeoJSON LineString/MultiLineString features (properties optional)."""
    try:
        document = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorridorFileError(name, _("not valid JSON ({error})").format(error=exc)) from exc
    if not isinstance(document, dict):
        raise CorridorFileError(
            name, _("top level is a JSON {kind}, not an object").format(kind=type(document).__name__)
        )
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise CorridorFileError(name, _("FeatureCollection has no 'features' list"))
    elif kind == "Feature":
        features = [document]
    elif kind in LINE_TYPES:
        features = [{"type": "Feature", "geometry": document, "properties": {}}]
    else:
        raise CorridorFileError(
            name,
            _("GeoJSON type {kind} not in {allowed}").format(
                kind=repr(kind), allowed=f"['FeatureCollection', 'Feature', *{list(LINE_TYPES)}]"
            ),
        )
    pieces: list[tuple[LineString, Mapping[str, Any]]] = []
    problems: list[str] = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            problems.append(_("feature {number} is not an object").format(number=number))
            continue
        geometry = feature.get("geometry")
        geom_type = geometry.get("type") if isinstance(geometry, dict) else None
        if geom_type not in LINE_TYPES:
            problems.append(
                _("feature {number}: geometry type {kind} not in {allowed}").format(
                    number=number, kind=repr(geom_type), allowed=list(LINE_TYPES)
                )
            )
            continue
        try:
            geom = shape(geometry)
        except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException) as exc:
            problems.append(
                _("feature {number}: unreadable coordinates ({error})").format(number=number, error=exc)
            )
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            properties = {}
        for part in _parts(geom):
            pieces.append((part, properties))
    if problems:
        raise CorridorFileError(name, _summarise(problems))
    return _segments_from_lines(name, pieces)


# ---------------------------------------------------------------------------------- KML


def parse_kml(content: bytes | str, name: str = "upload.kml") -> gpd.GeoDataFrame:
    """Segments from the LineStrings of KML placemarks; DOCTYPE/ENTITY declarations are refused."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    if b"\x00" in raw:  # UTF-16/32 would hide a declaration from the check below
        raise CorridorFileError(name, _("the KML is not UTF-8 text (found NUL bytes)"))
    if _DECLARATION.search(raw):
        raise CorridorFileError(
            name,
            _(
                "the KML declares a DOCTYPE or ENTITY, which is refused "
                "(entity expansion can exhaust a server)"
            ),
            hint=_("Export the KML again without a DOCTYPE; Google Earth and QGIS never write one."),
        )
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise CorridorFileError(name, _("not well-formed XML ({error})").format(error=exc)) from exc
    pieces: list[tuple[LineString, Mapping[str, Any]]] = []
    problems: list[str] = []
    for number, placemark in enumerate(_elements(root, "Placemark"), start=1):
        label = _child_text(placemark, "name") or f"placemark {number}"
        properties: dict[str, Any] = {"corridor_name": label}
        for data in _elements(placemark, "Data"):
            key = data.get("name")
            if key:
                properties[key] = _child_text(data, "value")
        for line in _elements(placemark, "LineString"):
            text = _child_text(line, "coordinates")
            try:
                coords = _kml_coordinates(text)
            except ValueError as exc:
                problems.append(_("{placemark}: {error}").format(placemark=repr(label), error=exc))
                continue
            pieces.append((LineString(coords), properties))
    if problems:
        raise CorridorFileError(name, _summarise(problems))
    if not pieces:
        raise CorridorFileError(
            name, _("no Placemark with a LineString found (points and polygons are ignored)")
        )
    return _segments_from_lines(name, pieces)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _elements(root: ET.Element, tag: str) -> Iterable[ET.Element]:
    return (element for element in root.iter() if isinstance(element.tag, str) and _local(element.tag) == tag)


def _child_text(element: ET.Element, tag: str) -> str:
    for child in element:
        if isinstance(child.tag, str) and _local(child.tag) == tag:
            return (child.text or "").strip()
    return ""


def _kml_coordinates(text: str) -> list[tuple[float, float]]:
    coords = []
    for token in text.split():
        parts = token.split(",")
        if len(parts) not in (2, 3):
            raise ValueError(_("coordinate {token} is not 'lon,lat[,alt]'").format(token=repr(token)))
        try:
            coords.append((float(parts[0]), float(parts[1])))
        except ValueError as exc:
            raise ValueError(_("coordinate {token} is not numeric").format(token=repr(token))) from exc
    if len(coords) < 2:
        raise ValueError(
            _("a LineString needs at least 2 coordinates, found {count}").format(count=len(coords))
        )
    return coords


# --------------------------------------------------------------------------- waypoints


def parse_waypoint_csv(content: bytes, name: str = "upload.csv") -> gpd.GeoDataFrame:
    """Segments from a CSV in the shipped waypoint layout (same rules as the shipped corridors)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "waypoints.csv"
        path.write_bytes(content)
        try:
            segments = build_corridor_segments(path)
        except DataFileError as exc:
            raise CorridorFileError(name, exc.problem) from exc
    return segments.reset_index(drop=True)


# ------------------------------------------------------------------------------ common


def _parts(geometry: shapely.Geometry) -> list[LineString]:
    if geometry.geom_type == "MultiLineString":
        return list(geometry.geoms)
    return [geometry]


def _segments_from_lines(name: str, pieces: list[tuple[LineString, Mapping[str, Any]]]) -> gpd.GeoDataFrame:
    """Check each line (two distinct points, lon/lat in range) and build the segment rows."""
    if not pieces:
        raise CorridorFileError(name, _("no LineString or MultiLineString features found"))
    problems = []
    rows = []
    for number, (line, properties) in enumerate(pieces, start=1):
        coords = shapely.get_coordinates(line)
        if len(coords) < 2 or line.length == 0:
            problems.append(_("line {number} has fewer than 2 distinct points").format(number=number))
            continue
        bad = (abs(coords[:, 0]) > 180) | (abs(coords[:, 1]) > 90)
        if bad.any():
            x, y = coords[bad][0]
            problems.append(
                _("line {number}: coordinate ({x}, {y}) outside lon -180..180 / lat -90..90").format(
                    number=number, x=x, y=y
                )
            )
            continue
        line2d = LineString(coords[:, :2])
        text = {key: _text(properties.get(key)) for key in _TEXT_PROPERTIES}
        rows.append(
            {
                **text,
                "corridor_name": _text(properties.get("corridor_name") or properties.get("name")),
                "segment": number,
                "from_name": text["from_name"] or f"point {number}a",
                "to_name": text["to_name"] or f"point {number}b",
                "from_place_id": "",
                "to_place_id": "",
                "connector": _flag(properties.get("connector")),
                "branch": False,
                "length_km": round(_GEOD.geometry_length(line2d) / 1000, 3),
                "segment_sources": "",
                "geometry": line2d,
            }
        )
    if problems:
        raise CorridorFileError(name, _summarise(problems))
    return gpd.GeoDataFrame(rows, columns=[*SEGMENT_COLUMNS, "geometry"], geometry="geometry", crs=WGS84)


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _flag(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes") if value is not None else False


def _summarise(problems: list[str], limit: int = 10) -> str:
    shown = "; ".join(problems[:limit])
    more = len(problems) - limit
    return shown + (_("; and {n} more").format(n=more) if more > 0 else "")
