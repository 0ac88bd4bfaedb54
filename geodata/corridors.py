"""Armed-group movement corridors: segments, lines, distances and buffers.

A corridor is an ordered list of waypoints (``corridors_waypoints.csv``). It is an
analytic aid, not an observed track: the order is our reading of the sources, and
some waypoints ("connectors") were added by us only to keep the line continuous.

Segment rule. Rows are taken in ``seq`` order; every row after the first adds the
segment that ends at it, so a corridor of n waypoints has n - 1 segments:

* a ``role = waypoint`` row is joined to the previous ``waypoint`` row (main line);
* a ``role = branch`` row is joined to the row named in its optional ``branch_from``
  column (a ``seq``), else to the geodesically nearest earlier row. For the shipped
  data this gives Kidal-Abeïbara-Tinzaouatène, Agadez-Arlit, Niono-Ségou,
  Boulkessi-Koutougou, Kompienga-Mandouri and Banikoara-Diapaga.

Connector rule. A waypoint is a connector when its ``connector`` flag is 1 or its
``named_in_sources`` is empty (no source names it for this corridor). A segment is a
connector segment (drawn dashed) when either end is a connector: no source then
names both of its ends.

Segments are stored as geodesics densified every :data:`DENSIFY_KM` km, so the line
drawn on the map is the line distances are measured to.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from numbers import Real
from pathlib import Path
from types import MappingProxyType
from typing import TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from pyproj import Transformer
from shapely.geometry import LineString, MultiLineString

from geodata.crs import SAHEL_METRIC_PROJ, WGS84, WGS84_GEOD
from geodata.errors import DataFileError
from geodata.io import read_table, read_vector
from geodata.messages import _, ngettext
from geodata.paths import DATA_DIR

WAYPOINTS_PATH: Path = DATA_DIR / "corridors_waypoints.csv"
REFERENCES_PATH: Path = DATA_DIR / "corridors_REFERENCES.md"
SEGMENTS_PATH: Path = DATA_DIR / "corridors.geojson"

WAYPOINT_COLUMNS: tuple[str, ...] = (
    "corridor_id",
    "corridor_name",
    "seq",
    "role",
    "place_id",
    "name",
    "lat",
    "lon",
    "named_in_sources",
    "connector",
    "armed_groups",
)
ROLES: tuple[str, ...] = ("waypoint", "branch")

SEGMENT_COLUMNS: tuple[str, ...] = (
    "corridor_id",
    "corridor_name",
    "segment",
    "from_name",
    "to_name",
    "from_place_id",
    "to_place_id",
    "connector",
    "branch",
    "length_km",
    "armed_groups",
    "sources",
    "segment_sources",
    "source_refs",
)
"""Properties of each feature of ``corridors.geojson``.

``branch`` is True for segments of a side branch; ``sources`` lists the S# ids of the
corridor (comma-separated); ``segment_sources`` the S# ids naming either end;
``source_refs`` one "S# — publisher — title <url>" line per corridor source.
"""

CORRIDOR_COLUMNS: tuple[str, ...] = (
    "corridor_id",
    "corridor_name",
    "armed_groups",
    "sources",
    "source_refs",
    "length_km",
)

DENSIFY_KM = 10.0
"""Vertex spacing of stored segments; chord-to-geodesic error is then below 1 m."""

_GEOD = WGS84_GEOD


# --------------------------------------------------------------------------- build


def build_corridor_segments(waypoints_csv: Path, references_md: Path | None = None) -> gpd.GeoDataFrame:
    """Build one feature per corridor segment from a waypoints CSV.

    Validates the file (columns, numeric and in-range lat/lon, integer unique ``seq``,
    known ``role``, at least two waypoints per corridor) and raises
    :class:`DataFileError` listing every problem found. ``references_md``
    (``corridors_REFERENCES.md``) adds the corridor's sources and their full
    references; without it ``sources`` holds only the ids named on waypoints.
    """
    frame = read_table(waypoints_csv, WAYPOINT_COLUMNS, dtype=dict.fromkeys(WAYPOINT_COLUMNS, "str"))
    waypoints = _validate_waypoints(waypoints_csv, frame)
    references = _parse_references(references_md) if references_md is not None else {}
    rows: list[dict[str, object]] = []
    for corridor_id, corridor in waypoints.groupby("corridor_id", sort=False):
        rows.extend(_corridor_segments(waypoints_csv, corridor, references.get(str(corridor_id))))
    return gpd.GeoDataFrame(rows, columns=[*SEGMENT_COLUMNS, "geometry"], geometry="geometry", crs=WGS84)


def _validate_waypoints(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """Parse types and collect every problem, so one run shows all fixes needed."""
    problems: list[str] = []
    frame = frame.assign(line=frame.index + 2)  # header is line 1
    for column in ("corridor_id", "corridor_name", "seq", "role", "place_id", "name", "lat", "lon"):
        for line in frame.loc[frame[column].isna(), "line"]:
            problems.append(_("line {line}: {column} is empty").format(line=line, column=column))
    parsed = {}
    for column, low, high in (("lat", -90, 90), ("lon", -180, 180), ("seq", -math.inf, math.inf)):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = frame[column].notna() & ~values.between(low, high)
        if column == "seq":
            bad |= values.notna() & (values != values.round())
        for line, value in zip(frame.loc[bad, "line"], frame.loc[bad, column], strict=True):
            message = (
                _("line {line}: {column} {value} is not an integer")
                if column == "seq"
                else _("line {line}: {column} {value} is not a number in {low}..{high}")
            )
            problems.append(message.format(line=line, column=column, value=repr(value), low=low, high=high))
        parsed[column] = values
    bad_role = frame["role"].notna() & ~frame["role"].isin(ROLES)
    for line, value in zip(frame.loc[bad_role, "line"], frame.loc[bad_role, "role"], strict=True):
        problems.append(
            _("line {line}: role {value} not in {allowed}").format(
                line=line, value=repr(value), allowed=list(ROLES)
            )
        )
    flag = frame["connector"].fillna("0").str.strip()
    bad_flag = ~flag.isin(["0", "1"])
    for line, value in zip(frame.loc[bad_flag, "line"], flag[bad_flag], strict=True):
        problems.append(
            _("line {line}: connector {value} not in ['0', '1'] (or empty)").format(
                line=line, value=repr(value)
            )
        )
    if problems:
        raise DataFileError(path, _summarise(problems))

    waypoints = frame.assign(
        lat=parsed["lat"],
        lon=parsed["lon"],
        seq=parsed["seq"].astype("int64"),
        named_in_sources=frame["named_in_sources"].fillna("").str.strip(),
        armed_groups=frame["armed_groups"].fillna(""),
        is_connector=(flag == "1") | frame["named_in_sources"].fillna("").str.strip().eq(""),
    )
    if "branch_from" not in waypoints.columns:
        waypoints["branch_from"] = pd.NA
    for corridor_id, corridor in waypoints.groupby("corridor_id", sort=False):
        problems.extend(_check_corridor(str(corridor_id), corridor))
    if problems:
        raise DataFileError(path, _summarise(problems))
    return waypoints  # groupby(sort=False) later keeps the file's corridor order


def _check_corridor(corridor_id: str, corridor: pd.DataFrame) -> list[str]:
    problems = []
    if len(corridor) < 2:
        problems.append(
            ngettext(
                "corridor {corridor} has {n} waypoint; at least 2 are needed",
                "corridor {corridor} has {n} waypoints; at least 2 are needed",
                len(corridor),
            ).format(corridor=repr(corridor_id), n=len(corridor))
        )
    duplicated = corridor["seq"][corridor["seq"].duplicated()]
    if len(duplicated):
        problems.append(
            _("corridor {corridor}: seq {seq} used more than once").format(
                corridor=repr(corridor_id), seq=sorted(set(duplicated))
            )
        )
    first = corridor.sort_values("seq").iloc[0]
    if first["role"] != "waypoint":
        problems.append(
            _("corridor {corridor}: the first row (seq {seq}) must be a waypoint").format(
                corridor=repr(corridor_id), seq=first["seq"]
            )
        )
    for column in ("corridor_name", "armed_groups"):
        if corridor[column].nunique() > 1:
            problems.append(
                _("corridor {corridor}: {column} differs between rows {values}").format(
                    corridor=repr(corridor_id), column=column, values=sorted(corridor[column].unique())
                )
            )
    return problems


def _summarise(problems: list[str], limit: int = 15) -> str:
    shown = "; ".join(problems[:limit])
    more = len(problems) - limit
    return shown + (_("; and {n} more").format(n=more) if more > 0 else "")


def _corridor_segments(
    path: Path, corridor: pd.DataFrame, references: _CorridorReferences | None
) -> list[dict[str, object]]:
    corridor = corridor.sort_values("seq").reset_index(drop=True)
    parents = _parent_rows(path, corridor)
    source_ids = set()
    for named in corridor["named_in_sources"]:
        source_ids.update(_split_sources(named))
    refs = ""
    if references is not None:
        source_ids.update(references.source_ids)
        refs = "\n".join(
            references.refs[sid] for sid in _sorted_sources(source_ids) if sid in references.refs
        )
    sources = ", ".join(_sorted_sources(source_ids))
    rows = []
    for child in range(1, len(corridor)):
        start, end = corridor.iloc[parents[child]], corridor.iloc[child]
        if (start["lon"], start["lat"]) == (end["lon"], end["lat"]):
            raise DataFileError(
                path,
                _("line {line}: {name} repeats the coordinates of {other}").format(
                    line=end["line"], name=repr(end["name"]), other=repr(start["name"])
                ),
            )
        geometry, length_m = _geodesic_line(start["lon"], start["lat"], end["lon"], end["lat"])
        named = _split_sources(start["named_in_sources"]) | _split_sources(end["named_in_sources"])
        rows.append(
            {
                "corridor_id": str(end["corridor_id"]),
                "corridor_name": str(end["corridor_name"]),
                "segment": child,
                "from_name": str(start["name"]),
                "to_name": str(end["name"]),
                "from_place_id": str(start["place_id"]),
                "to_place_id": str(end["place_id"]),
                "connector": bool(start["is_connector"] or end["is_connector"]),
                "branch": end["role"] == "branch",
                "length_km": round(length_m / 1000, 3),
                "armed_groups": str(end["armed_groups"]),
                "sources": sources,
                "segment_sources": ", ".join(_sorted_sources(named)),
                "source_refs": refs,
                "geometry": geometry,
            }
        )
    return rows


def _parent_rows(path: Path, corridor: pd.DataFrame) -> list[int]:
    """Row position each row is joined from (see the module docstring); -1 for the first."""
    parents = [-1]
    last_main = 0
    for child in range(1, len(corridor)):
        row = corridor.iloc[child]
        if row["role"] == "waypoint":
            parents.append(last_main)
            last_main = child
            continue
        if pd.notna(row["branch_from"]) and str(row["branch_from"]).strip():
            matches = corridor.index[corridor["seq"].astype(str) == str(row["branch_from"]).strip()]
            if len(matches) == 0 or matches[0] >= child:
                raise DataFileError(
                    path,
                    _("line {line}: branch_from {value} is not an earlier seq").format(
                        line=row["line"], value=repr(row["branch_from"])
                    ),
                )
            parents.append(int(matches[0]))
            continue
        earlier = corridor.iloc[:child]
        _forward, _back, distance = _GEOD.inv(
            earlier["lon"].to_numpy(),
            earlier["lat"].to_numpy(),
            np.full(child, row["lon"]),
            np.full(child, row["lat"]),
        )
        parents.append(int(np.argmin(distance)))
    return parents


def _geodesic_line(lon1: float, lat1: float, lon2: float, lat2: float) -> tuple[LineString, float]:
    length_m = _GEOD.inv(lon1, lat1, lon2, lat2)[2]
    inner = max(math.ceil(length_m / (DENSIFY_KM * 1000)) - 1, 0)
    middle = _GEOD.npts(lon1, lat1, lon2, lat2, inner) if inner else []
    return LineString([(lon1, lat1), *middle, (lon2, lat2)]), length_m


def _split_sources(named: str) -> set[str]:
    return {part.strip() for part in str(named).split(";") if part.strip()}


def _sorted_sources(ids: set[str]) -> list[str]:
    return sorted(ids, key=lambda sid: (int(sid[1:]) if sid[1:].isdigit() else math.inf, sid))


@dataclass(frozen=True)
class _CorridorReferences:
    source_ids: tuple[str, ...]
    refs: dict[str, str]


_SECTION = re.compile(r"^## (C\d+)\.", re.MULTILINE)
_SOURCES_LINE = re.compile(r"^\*\*Sources:\*\*(.*)$", re.MULTILINE)
_SOURCE_ID = re.compile(r"(?:^|;)\s*(S\d+) — ")
_SOURCE_ITEM = re.compile(r"^- \*\*(S\d+)\*\* — (.+?)\.? <(\S+)>\s*$", re.MULTILINE)


def _parse_references(path: Path) -> dict[str, _CorridorReferences]:
    """Corridor id -> its source ids and "S# — publisher — title <url>" texts."""
    if not path.is_file():
        raise DataFileError(path, _("file not found"))
    text = path.read_text(encoding="utf-8")
    refs = {sid: f"{sid} — {body} <{url}>" for sid, body, url in _SOURCE_ITEM.findall(text)}
    headings = list(_SECTION.finditer(text))
    corridors = {}
    for heading, following in zip(headings, [*headings[1:], None], strict=True):
        section = text[heading.end() : following.start() if following else len(text)]
        line = _SOURCES_LINE.search(section)
        ids = tuple(_SOURCE_ID.findall(line.group(1))) if line else ()
        corridors[heading.group(1)] = _CorridorReferences(ids, refs)
    if not corridors or not refs:
        raise DataFileError(
            path,
            _("no '## C#.' corridor sections or '- **S#** — ... <url>' source items found"),
            hint=_("Keep the layout of corridors_REFERENCES.md (see its first corridor)."),
        )
    return corridors


# --------------------------------------------------------------------------- load


def load_corridor_segments(path: Path | None = None) -> gpd.GeoDataFrame:
    """Return the shipped corridor segments (one feature per segment, EPSG:4326).

    Read once per path and cached; the caller gets a copy.
    """
    return _segments_cached(Path(path) if path is not None else SEGMENTS_PATH).copy()


def load_corridors(path: Path | None = None) -> gpd.GeoDataFrame:
    """Return one line per corridor with its total geodesic ``length_km``.

    The geometry is a LineString, or a MultiLineString when the corridor has
    branches (the pieces between junctions, in segment direction).
    """
    return _corridors_cached(Path(path) if path is not None else SEGMENTS_PATH).copy()


@lru_cache(maxsize=4)
def _segments_cached(path: Path) -> gpd.GeoDataFrame:
    segments = read_vector(path, SEGMENT_COLUMNS)
    if segments["connector"].dtype != bool or segments["branch"].dtype != bool:
        raise DataFileError(path, _("properties 'connector' and 'branch' must be JSON booleans"))
    segments["segment"] = segments["segment"].astype("int64")
    return segments.sort_values(["corridor_id", "segment"], key=_natural_key, kind="stable").reset_index(
        drop=True
    )


@lru_cache(maxsize=4)
def _corridors_cached(path: Path) -> gpd.GeoDataFrame:
    segments = _segments_cached(path)
    rows = []
    for corridor_id, corridor in segments.groupby("corridor_id", sort=False):
        merged = shapely.line_merge(MultiLineString(list(corridor.geometry)), directed=True)
        first = corridor.iloc[0]
        rows.append(
            {
                "corridor_id": corridor_id,
                "corridor_name": first["corridor_name"],
                "armed_groups": first["armed_groups"],
                "sources": first["sources"],
                "source_refs": first["source_refs"],
                "length_km": round(float(corridor["length_km"].sum()), 3),
                "geometry": merged,
            }
        )
    return gpd.GeoDataFrame(rows, columns=[*CORRIDOR_COLUMNS, "geometry"], geometry="geometry", crs=WGS84)


def _natural_key(column: pd.Series) -> pd.Series:
    """Sort "C2" before "C10"."""
    if column.name == "corridor_id":
        return column.str.extract(r"(\d+)$", expand=False).astype("float64").fillna(math.inf)
    return column


# ------------------------------------------------------------------ corridor sets


@dataclass(frozen=True)
class CorridorSet:
    """A hashable snapshot of corridor lines: the key of every corridor-dependent cache.

    One (Multi)LineString per corridor, held as WKB in EPSG:4326, with its id and name, in
    the order given. Two sets are equal only when ids, names and every coordinate are equal,
    so a result cached for one set of corridors (the shipped file, or a store's active
    versions) is never served for another, while the same geometry read twice (two reruns,
    two stores holding the shipped version 1) shares one entry. Build it with
    :func:`corridor_set`; GeoDataFrames themselves are never used as cache keys.
    """

    ids: tuple[str, ...]
    names: tuple[str, ...]
    wkb: tuple[bytes, ...] = field(repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def lines(self) -> gpd.GeoDataFrame:
        """One row per corridor: ``corridor_id``, ``corridor_name`` and the line (EPSG:4326)."""
        return gpd.GeoDataFrame(
            {"corridor_id": list(self.ids), "corridor_name": list(self.names)},
            geometry=gpd.GeoSeries(shapely.from_wkb(list(self.wkb)), crs=WGS84),
            crs=WGS84,
        )


CorridorsLike: TypeAlias = gpd.GeoDataFrame | CorridorSet | None
"""What corridor-dependent functions accept: corridor lines or segments (EPSG:4326, with
``corridor_id`` and optionally ``corridor_name``), an already built :class:`CorridorSet`,
or None for the shipped corridors (``corridors.geojson``). An empty frame means "no
corridors", never the shipped ones."""


def corridor_set(corridors: CorridorsLike = None) -> CorridorSet:
    """The hashable :class:`CorridorSet` of ``corridors`` (None: the shipped corridors).

    Segments (several rows per ``corridor_id``, as ``active_corridor_segments`` returns
    them) are merged into one line per corridor, in order of first appearance; a frame
    with one row per corridor keeps its geometry as is.
    """
    if isinstance(corridors, CorridorSet):
        return corridors
    if corridors is None:
        return _shipped_set()
    if "corridor_id" not in corridors.columns:
        raise ValueError(f"corridors needs a 'corridor_id' column; found {list(corridors.columns)}")
    if corridors.empty:
        return CorridorSet(ids=(), names=(), wkb=())
    if corridors.crs is None:
        raise ValueError("corridors has no CRS; expected EPSG:4326 lines")
    frame = corridors.to_crs(WGS84) if not corridors.crs.equals(WGS84) else corridors
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    ids = frame["corridor_id"].astype(str).to_numpy()
    names = _name_texts(frame["corridor_name"]) if "corridor_name" in frame.columns else [""] * len(ids)
    geometries = frame.geometry.to_numpy()
    order = list(dict.fromkeys(ids))
    lines, chosen_names = [], []
    for corridor_id in order:
        rows = np.flatnonzero(ids == corridor_id)
        # The first row's name that is given; a corridor with none is named by its id (not "nan").
        chosen_names.append(next((names[i] for i in rows if names[i]), str(corridor_id)))
        if len(rows) == 1:
            lines.append(geometries[rows[0]])
        else:  # segments: one line set per corridor, pieces joined at shared ends
            parts = shapely.get_parts(geometries[rows])
            lines.append(shapely.line_merge(MultiLineString(list(parts)), directed=True))
    return CorridorSet(
        ids=tuple(order),
        names=tuple(chosen_names),
        wkb=tuple(bytes(b) for b in shapely.to_wkb(np.asarray(lines, dtype=object))) if lines else (),
    )


def _name_texts(values: pd.Series) -> list[str]:
    """Each name as text; missing (None, NaN, pd.NA) or blank names become ""."""
    return ["" if _is_missing(v) or not str(v).strip() else str(v) for v in values]


def _is_missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


@lru_cache(maxsize=1)
def _shipped_set() -> CorridorSet:
    return corridor_set(_corridors_cached(SEGMENTS_PATH))


def corridor_buffers(width_km: float, corridors: CorridorsLike = None) -> Mapping[str, shapely.Geometry]:
    """corridor_id -> prepared buffer of ``width_km`` each side (see :func:`buffer_corridors_km`).

    Cached per (:class:`CorridorSet`, width): the corridor filter, the risk units and the
    corridor activity all test points against these same polygons. Read-only.
    """
    return _buffers_cached(corridor_set(corridors), float(width_km))


@lru_cache(maxsize=32)
def _buffers_cached(corridors: CorridorSet, width_km: float) -> Mapping[str, shapely.Geometry]:
    buffers = buffer_corridors_km(width_km, corridors)
    result = {}
    for corridor_id, geometry in zip(buffers["corridor_id"].astype(str), buffers.geometry, strict=True):
        shapely.prepare(geometry)
        result[corridor_id] = geometry
    return MappingProxyType(result)


# ------------------------------------------------------------------ distances


def distance_to_corridors_km(lon: ArrayLike, lat: ArrayLike, corridors: CorridorsLike = None) -> pd.DataFrame:
    """Return geodesic km from each point to each corridor, shape (points, corridors).

    Why this way: the nearest point on each line is found in the Sahel equidistant
    conic (shapely, vectorised), then converted back to lon/lat and measured on the
    WGS84 ellipsoid (``pyproj.Geod.inv``). The projection's 1-2 % scale error then
    only moves *which* point is nearest, which changes the distance to second order,
    so results match a brute-force geodesic search to well under 0.5 %.
    NaN coordinates give NaN distances; a pandas Series ``lon`` lends its index.
    ``corridors``: see :data:`CorridorsLike` (segments give one column per corridor).
    """
    lon_values, lat_values, index = _as_points(lon, lat)
    ids, projected = _projected_cached(corridor_set(corridors))
    valid = np.isfinite(lon_values) & np.isfinite(lat_values)
    distances = np.full((len(lon_values), len(ids)), np.nan)
    if valid.any():
        to_metric, to_wgs84 = _transformers()
        x, y = to_metric.transform(lon_values[valid], lat_values[valid])
        points = shapely.points(x, y)
        for column, line in enumerate(projected):  # one pass per corridor, vectorised over points
            nearest = shapely.get_coordinates(shapely.shortest_line(points, line))[1::2]
            near_lon, near_lat = to_wgs84.transform(nearest[:, 0], nearest[:, 1])
            distances[valid, column] = (
                _GEOD.inv(lon_values[valid], lat_values[valid], near_lon, near_lat)[2] / 1000
            )
    return pd.DataFrame(distances, index=index, columns=pd.Index(ids, name="corridor_id"))


def nearest_corridor(lon: ArrayLike, lat: ArrayLike, corridors: CorridorsLike = None) -> pd.DataFrame:
    """Return, per point, the nearest corridor's ``corridor_id`` and ``distance_km``."""
    distances = distance_to_corridors_km(lon, lat, corridors)
    values = distances.to_numpy()
    has_any = ~np.isnan(values).all(axis=1)
    best = np.argmin(np.where(np.isnan(values), np.inf, values), axis=1)
    ids = np.asarray(distances.columns, dtype=object)[best]
    return pd.DataFrame(
        {
            "corridor_id": pd.array(np.where(has_any, ids, None), dtype="str"),
            "distance_km": np.where(has_any, values[np.arange(len(values)), best], np.nan),
        },
        index=distances.index,
    )


def buffer_corridors_km(width_km: float, corridors: CorridorsLike = None) -> gpd.GeoDataFrame:
    """Return one buffer of ``width_km`` on each side per corridor, as EPSG:4326 polygons.

    Buffered in the Sahel equidistant conic, whose scale error (under 1.2 % between
    5 and 28 N) is the width error: a 25 km buffer is 24.7-25.3 km wide. ``corridors``:
    see :data:`CorridorsLike` (segments are merged into one line per corridor).
    """
    if (
        isinstance(width_km, bool)
        or not isinstance(width_km, Real)
        or not math.isfinite(width_km)
        or width_km <= 0
    ):
        raise ValueError(f"width_km must be a positive number of kilometres, got {width_km!r}")
    lines = corridor_set(corridors).lines()
    metric = lines.to_crs(SAHEL_METRIC_PROJ)
    buffered = metric.assign(width_km=float(width_km)).set_geometry(
        metric.buffer(width_km * 1000, quad_segs=16)
    )
    keep = [column for column in ("corridor_id", "corridor_name", "width_km") if column in buffered.columns]
    return buffered[[*keep, "geometry"]].to_crs(WGS84)


def _as_points(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    index = lon.index if isinstance(lon, pd.Series) else None
    lon_values = _float_array(lon, "lon")
    lat_values = _float_array(lat, "lat")
    if lon_values.shape != lat_values.shape:
        raise ValueError(f"lon and lat differ in length: {lon_values.shape[0]} and {lat_values.shape[0]}")
    with np.errstate(invalid="ignore"):
        bad = (np.abs(lat_values) > 90) | (np.abs(lon_values) > 180)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{int(bad.sum())} point(s) outside lon -180..180 / lat -90..90, "
            f"e.g. ({lon_values[first]}, {lat_values[first]}) at position {first}"
        )
    return lon_values, lat_values, index if index is not None else pd.RangeIndex(len(lon_values))


def _float_array(values: ArrayLike, name: str) -> np.ndarray:
    try:
        if isinstance(values, pd.Series | pd.Index):
            return pd.to_numeric(values).to_numpy(dtype="float64", na_value=np.nan)
        return np.atleast_1d(np.asarray(values, dtype="float64")).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric ({exc})") from exc


@lru_cache(maxsize=1)
def _transformers() -> tuple[Transformer, Transformer]:
    return (
        Transformer.from_crs(WGS84, SAHEL_METRIC_PROJ, always_xy=True),
        Transformer.from_crs(SAHEL_METRIC_PROJ, WGS84, always_xy=True),
    )


@lru_cache(maxsize=8)
def _projected_cached(corridors: CorridorSet) -> tuple[list[str], list[shapely.Geometry]]:
    metric = corridors.lines().to_crs(SAHEL_METRIC_PROJ)
    return list(corridors.ids), list(metric.geometry)


def within_corridor_km(
    corridor_id: str, width_km: float, lon: ArrayLike, lat: ArrayLike, corridors: CorridorsLike = None
) -> np.ndarray:
    """Which points lie within ``width_km`` of corridor ``corridor_id`` of ``corridors``.

    ``corridors`` defaults to the shipped corridors (see :data:`CorridorsLike`); an id not
    among them raises ``ValueError``. Point-in-buffer on a prepared polygon: a million
    points in a fraction of a second, where exact distances to every corridor would take
    tens of seconds. The buffer's width error is that of :func:`buffer_corridors_km` (about 1 %).
    """
    buffers = corridor_buffers(width_km, corridors)
    geometry = buffers.get(str(corridor_id))
    if geometry is None:
        raise ValueError(f"unknown corridor {corridor_id!r}; known: {sorted(buffers)}")
    x = np.asarray(lon, dtype="float64")
    y = np.asarray(lat, dtype="float64")
    return np.asarray(shapely.contains_xy(geometry, x, y), dtype=bool)
