"""Vectorised assignment of points to country, admin-1 and admin-2 units.

Exactly one unit per point, never a loop per point. Three ideas make it fast and exact:

* Boundary polygons are cut into pieces on a regular grid before indexing (the idea
  behind PostGIS ``ST_Subdivide``): point-in-polygon cost is dominated by polygon detail,
  and small pieces are cheap to test.
* Points on a shared border touch two units; a naive ``sjoin`` returns both rows. Here
  every candidate pair is ranked and the first kept per point, deterministically.
* Large batches first look their point up in a table of grid cells (:class:`_CellTable`):
  a cell whose box, shrunk by :data:`CELL_MARGIN_DEGREES`, meets exactly one piece that
  covers it answers for every point inside that shrunk box with plain array arithmetic;
  a cell whose shrunk box meets no piece answers "no unit". These answers are the ones the
  piece index gives (no other piece can contain such a point), so only points in mixed
  cells, near cell edges or with non-finite coordinates go through the STRtree.

Building the pieces and the table costs about a second per process; :mod:`geodata.assign_cache`
keeps them on disk, keyed on the layer's geometries and on this module, so only the first
process on a machine pays it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import shapely

from geodata import assign_cache
from geodata.boundaries import ADMIN1_FILE, ADMIN2_FILE, load_admin1, load_admin2

#: Grid cell size (degrees) for cutting polygons; measured best between 0.5 and 1.
GRID_DEGREES: Final = 0.5
#: Admin-2 layer has slivers along country edges (different source than admin-1):
#: points within this distance (degrees, ~5 km) of their country's admin-2 units snap to the nearest.
ADMIN2_SNAP_DEGREES: Final = 0.05
#: Cell size (degrees) of the lookup table; a power of two, so cell edges are exact in binary.
CELL_DEGREES: Final = 1 / 32
#: The table is built from cells 2**CELL_REFINEMENTS times larger, split only where mixed.
CELL_REFINEMENTS: Final = 4
#: Points closer than this (degrees, ~1 cm) to their cell's edge take the STRtree path.
CELL_MARGIN_DEGREES: Final = 1e-7
#: Batches smaller than this do not build the lookup table (building both layers' tables
#: costs about as much as querying the STRtree for this many points); once built, or loaded
#: from the on-disk cache, every batch uses it. The answers are the same either way.
CELL_TABLE_MIN_POINTS: Final = 200_000
#: Lookup-table value of a cell that must go through the STRtree.
_MIXED: Final = -2

ASSIGNED_COLUMNS: Final = (
    "country_iso3",
    "country",
    "admin1_code",
    "admin1_name",
    "admin2_code",
    "admin2_name",
)
#: Which layer (1 or 2) and which of its columns each assigned column comes from.
_SOURCES: Final = {
    "country_iso3": (1, "iso3"),
    "country": (1, "country"),
    "admin1_code": (1, "admin1_code"),
    "admin1_name": (1, "admin1_name"),
    "admin2_code": (2, "admin2_code"),
    "admin2_name": (2, "admin2_name"),
}


@dataclass(frozen=True)
class _CellGrid:
    """Where points fall on the global lookup grid (cell k spans k..k+1 times CELL_DEGREES)."""

    kx: npt.NDArray[np.float64]  # floor(lon / CELL_DEGREES); NaN for NaN
    ky: npt.NDArray[np.float64]
    in_box: npt.NDArray[np.bool_]  # inside the cell's box shrunk by CELL_MARGIN_DEGREES
    finite: npt.NDArray[np.bool_]


def _cell_edges(k: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Shrunk box edges of cells ``k`` (exact multiples of the cell size, then the margin)."""
    return k * CELL_DEGREES + CELL_MARGIN_DEGREES, (k + 1) * CELL_DEGREES - CELL_MARGIN_DEGREES


def _cell_grid(lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]) -> _CellGrid:
    with np.errstate(all="ignore"):  # NaN and huge coordinates are sorted out by the tables
        kx, ky = np.floor(lon / CELL_DEGREES), np.floor(lat / CELL_DEGREES)
        lo_x, hi_x = _cell_edges(kx)
        lo_y, hi_y = _cell_edges(ky)
        # The same float edges the table's boxes were built from: the comparisons are exact.
        in_box = (lon >= lo_x) & (lon <= hi_x) & (lat >= lo_y) & (lat <= hi_y)
    return _CellGrid(kx, ky, in_box, np.isfinite(lon) & np.isfinite(lat))


@dataclass(frozen=True)
class _CellTable:
    """Unit (or -1, or :data:`_MIXED`) of every lookup cell from cell (kx0, ky0) on."""

    kx0: float
    ky0: float
    unit: npt.NDArray[np.int16]  # shape (rows, columns); small, so lookups stay in cache

    def lookup(self, grid: _CellGrid) -> npt.NDArray[np.int64]:
        """Unit per point, -1 for none, :data:`_MIXED` where the STRtree must decide."""
        rows, cols = self.unit.shape
        with np.errstate(all="ignore"):
            ix, iy = grid.kx - self.kx0, grid.ky - self.ky0
            on_table = (ix >= 0) & (ix < cols) & (iy >= 0) & (iy < rows)  # False for NaN and inf
            cell = np.where(on_table & grid.in_box, iy * cols + ix, -1).astype(np.intp)
        result = np.where(cell >= 0, self.unit.ravel()[np.maximum(cell, 0)], _MIXED).astype(np.int64)
        # The table spans the layer's bounds plus one whole cell on each side: a finite point
        # beyond it is far from every piece. NaN and infinite ones are left to the STRtree.
        result[~on_table & grid.finite] = -1
        return result


@dataclass
class _GridIndex:
    """Polygon pieces, the unit each piece belongs to, and an STRtree over the pieces."""

    tree: shapely.STRtree
    piece_unit: npt.NDArray[np.int64]
    _cells: _CellTable | None = field(default=None, repr=False)

    @property
    def cells(self) -> _CellTable:
        """The lookup table, built on first use (a few tenths of a second per layer) unless given."""
        if self._cells is None:
            self._cells = _build_cell_table(self)
        return self._cells

    @property
    def has_cells(self) -> bool:
        return self._cells is not None


def _classify_boxes(
    index: _GridIndex,
    lo_x: npt.NDArray[np.float64],
    lo_y: npt.NDArray[np.float64],
    hi_x: npt.NDArray[np.float64],
    hi_y: npt.NDArray[np.float64],
) -> npt.NDArray[np.int64]:
    """For each box: the unit of the one piece that meets and covers it, -1 if none meets it, else mixed."""
    boxes = shapely.box(lo_x, lo_y, hi_x, hi_y)
    box_idx, piece_idx = index.tree.query(boxes, predicate="intersects")
    counts = np.bincount(box_idx, minlength=len(boxes))
    unit = np.full(len(boxes), _MIXED, dtype=np.int64)
    unit[counts == 0] = -1
    single = counts[box_idx] == 1
    lone_box, lone_piece = box_idx[single], piece_idx[single]
    covered = shapely.covers(index.tree.geometries[lone_piece], boxes[lone_box])
    unit[lone_box[covered]] = index.piece_unit[lone_piece[covered]]
    return unit


def _build_cell_table(index: _GridIndex) -> _CellTable:
    """Classify coarse cells, then split mixed cells in four, :data:`CELL_REFINEMENTS` times."""
    pieces = index.tree.geometries
    shapely.prepare(pieces)  # each piece is tested against many boxes
    minx, miny, maxx, maxy = shapely.total_bounds(pieces)
    split = 2**CELL_REFINEMENTS
    coarse = CELL_DEGREES * split
    # Whole coarse cells, one more on each side than the bounds need.
    cx0, cy0 = np.floor(minx / coarse) - 1, np.floor(miny / coarse) - 1
    cols = int(np.floor(maxx / coarse) - cx0) + 2
    rows = int(np.floor(maxy / coarse) - cy0) + 2
    unit = np.full((rows, cols), _MIXED, dtype=np.int64)
    todo_y, todo_x = np.divmod(np.arange(rows * cols), cols)
    for level in range(CELL_REFINEMENTS + 1):
        if level:
            unit = unit.repeat(2, axis=0).repeat(2, axis=1)
            todo_y, todo_x = np.nonzero(unit == _MIXED)  # the four children of each mixed cell
        # Cell indices at this level, in units of this level's cell size.
        scale = split // 2**level
        kx, ky = cx0 * split // scale + todo_x, cy0 * split // scale + todo_y
        size = CELL_DEGREES * scale
        unit[todo_y, todo_x] = _classify_boxes(
            index,
            kx * size + CELL_MARGIN_DEGREES,
            ky * size + CELL_MARGIN_DEGREES,
            (kx + 1) * size - CELL_MARGIN_DEGREES,
            (ky + 1) * size - CELL_MARGIN_DEGREES,
        )
    return _CellTable(float(cx0 * split), float(cy0 * split), unit.astype(np.int16))


def _subdivide(geometries: npt.NDArray[np.object_], cell: float) -> _GridIndex:
    pieces: list[shapely.Geometry] = []
    owners: list[int] = []
    for unit, geometry in enumerate(geometries):
        minx, miny, maxx, maxy = geometry.bounds
        xs = np.arange(np.floor(minx / cell) * cell, maxx, cell)
        ys = np.arange(np.floor(miny / cell) * cell, maxy, cell)
        gx, gy = np.meshgrid(xs, ys)
        boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + cell, gy.ravel() + cell)
        parts = shapely.intersection(geometry, boxes)
        parts = parts[~shapely.is_empty(parts)]
        pieces.extend(parts)
        owners.extend([unit] * len(parts))
    return _GridIndex(shapely.STRtree(np.asarray(pieces)), np.asarray(owners, dtype=np.int64))


@dataclass(frozen=True)
class _Layer:
    """A boundary layer, its piece index and its attribute columns as Arrow strings."""

    index: _GridIndex
    frame: gpd.GeoDataFrame
    columns: dict[str, pa.Array]


@lru_cache(maxsize=1)
def _builder_fingerprint() -> Mapping[str, object] | None:
    """Everything besides the geometries that the pieces and the cell table depend on.

    This module's source stands in for the building code, so editing it never leaves a
    stale cache behind. The shapely and GEOS versions are included because another
    intersection algorithm may cut the pieces a hair differently. ``None`` (no caching)
    if the source cannot be read.
    """
    try:
        source = Path(__file__).read_bytes()
    except OSError:
        return None
    return {
        "GRID_DEGREES": GRID_DEGREES,
        "CELL_DEGREES": CELL_DEGREES,
        "CELL_MARGIN_DEGREES": CELL_MARGIN_DEGREES,
        "CELL_REFINEMENTS": CELL_REFINEMENTS,
        "builder_sha256": hashlib.sha256(source).hexdigest(),
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "numpy": np.__version__,
    }


def _grid_index(geometries: npt.NDArray[np.object_], label: str) -> _GridIndex:
    """The layer's pieces and cell table: loaded from the on-disk cache, else built (and stored).

    When the cache can be written, the cell table is built at once so that the next process
    gets it too; otherwise it stays lazy, as without a cache.
    """
    fingerprint = _builder_fingerprint()
    if fingerprint is None:
        return _subdivide(geometries, GRID_DEGREES)
    key = assign_cache.cache_key(geometries, fingerprint)
    cached = assign_cache.load_lookup(label, key, len(geometries))
    if cached is not None:
        cells = _CellTable(cached.kx0, cached.ky0, cached.cell_unit)
        return _GridIndex(shapely.STRtree(cached.pieces), cached.piece_unit, cells)
    index = _subdivide(geometries, GRID_DEGREES)
    if assign_cache.writable_cache_dir() is not None:
        table = index.cells
        lookup = assign_cache.LayerLookup(
            index.tree.geometries, index.piece_unit, table.unit, table.kx0, table.ky0
        )
        assign_cache.store_lookup(label, key, lookup)
    return index


def _layer(frame: gpd.GeoDataFrame, label: str) -> _Layer:
    columns = {
        name: pa.array(frame[name].to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
        for name in frame.columns
        if name != "geometry"
    }
    return _Layer(_grid_index(frame.geometry.to_numpy(), label), frame, columns)


@lru_cache(maxsize=4)
def _layer_at(path: Path, level: int) -> _Layer:
    return _layer(load_admin1(path) if level == 1 else load_admin2(path), f"{path.stem}_level{level}")


def _admin1_layer() -> _Layer:
    return _layer_at(ADMIN1_FILE, 1)


def _admin2_layer() -> _Layer:
    return _layer_at(ADMIN2_FILE, 2)


def _first_unit_per_point(index: _GridIndex, points: npt.NDArray[np.object_]) -> npt.NDArray[np.int64]:
    """Unit position for each point (-1 where none); lowest unit wins on shared borders."""
    point_idx, piece_idx = index.tree.query(points, predicate="intersects")
    units = index.piece_unit[piece_idx]
    order = np.lexsort((units, point_idx))
    point_idx, units = point_idx[order], units[order]
    first = np.unique(point_idx, return_index=True)[1]
    result = np.full(len(points), -1, dtype=np.int64)
    result[point_idx[first]] = units[first]
    return result


def _units(
    index: _GridIndex, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], grid: _CellGrid | None
) -> npt.NDArray[np.int64]:
    """:func:`_first_unit_per_point` for every lon/lat, through the cell table when ``grid`` is given."""
    if grid is None:
        return _first_unit_per_point(index, shapely.points(lon, lat))
    unit = index.cells.lookup(grid)
    todo = np.flatnonzero(unit == _MIXED)
    if len(todo):
        unit[todo] = _first_unit_per_point(index, shapely.points(lon[todo], lat[todo]))
    return unit


@lru_cache(maxsize=2)
def _country_codes_at(
    admin1_path: Path, admin2_path: Path
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    codes1, countries = pd.factorize(_layer_at(admin1_path, 1).frame["iso3"])
    iso3_2 = _layer_at(admin2_path, 2).frame["iso3"]
    codes2 = np.where(iso3_2.isna(), -2, countries.get_indexer(iso3_2.fillna("")))
    codes2 = np.where(codes2 < 0, -2, codes2)
    covered = np.isin(np.arange(len(countries)), codes2)
    return codes1.astype(np.int64), codes2.astype(np.int64), covered


def _country_codes() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """ISO3 of each admin-1 and admin-2 unit as integers, and which admin-1 countries have admin-2.

    Codes number the admin-1 layer's countries; an admin-2 country missing from it gets -2,
    which equals no admin-1 code and not -1 (no unit). Comparing integers instead of
    ISO3 strings keeps the per-point work in NumPy.
    """
    return _country_codes_at(ADMIN1_FILE, ADMIN2_FILE)


def _snap_admin2(
    index: _GridIndex,
    admin2_country: npt.NDArray[np.int64],
    covered_country: npt.NDArray[np.bool_],
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    country: npt.NDArray[np.int64],
    unit: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """Fill admin-2 for in-coverage points that fall in a sliver between the two layers.

    ``country`` is each point's admin-1 country code (-1: none), ``admin2_country`` each
    admin-2 unit's, ``covered_country`` which country codes have admin-2 units.
    """
    mismatch = (unit >= 0) & (admin2_country[np.maximum(unit, 0)] != country)
    unit = np.where(mismatch, -1, unit)  # admin-2 must lie in the admin-1 country
    covered = (country >= 0) & covered_country[np.maximum(country, 0)]
    todo = np.flatnonzero(covered & (unit < 0))
    if len(todo) == 0:
        return unit
    point_pos, piece_idx = index.tree.query_nearest(
        shapely.points(lon[todo], lat[todo]), max_distance=ADMIN2_SNAP_DEGREES, all_matches=False
    )
    candidate = index.piece_unit[piece_idx]
    same_country = admin2_country[candidate] == country[todo[point_pos]]
    unit[todo[point_pos[same_country]]] = candidate[same_country]
    return unit


@dataclass(frozen=True)
class AdminUnits:
    """Positions of each point's admin-1 and admin-2 unit in their layers (-1: none).

    What :func:`assign_admin_units` returns before turning positions into text, so a
    caller that keeps only some points builds the text columns for those alone.
    """

    admin1: npt.NDArray[np.int64]
    admin2: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.admin1)

    def take(self, positions: npt.NDArray[np.intp]) -> AdminUnits:
        """The units of the points at ``positions``."""
        return AdminUnits(self.admin1[positions], self.admin2[positions])

    def missing(self, column: str) -> npt.NDArray[np.bool_]:
        """Mask of points where ``column`` (one of :data:`ASSIGNED_COLUMNS`) is ``<NA>``."""
        layer, source, unit = self._source(column)
        absent = layer.columns[source].is_null().to_numpy(zero_copy_only=False)
        return (unit < 0) | absent[np.maximum(unit, 0)]

    def _source(self, column: str) -> tuple[_Layer, str, npt.NDArray[np.int64]]:
        level, source = _SOURCES[column]
        if level == 1:
            return _admin1_layer(), source, self.admin1
        return _admin2_layer(), source, self.admin2

    def column(self, column: str) -> pd.Series:
        """``column`` (one of :data:`ASSIGNED_COLUMNS`) for every point, as a ``string`` Series."""
        layer, source, unit = self._source(column)
        taken = layer.columns[source].take(pa.array(unit, mask=unit < 0))
        return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([taken], type=pa.large_string())))

    def factorize(self, column: str) -> tuple[npt.NDArray[np.int64], list[str]]:
        """Per point, the position of its ``column`` value among the returned distinct values (-1: <NA>)."""
        layer, source, unit = self._source(column)
        codes, distinct = pd.factorize(layer.frame[source])
        return np.where(unit >= 0, codes[np.maximum(unit, 0)], -1), [str(value) for value in distinct]

    def frame(self) -> pd.DataFrame:
        """All :data:`ASSIGNED_COLUMNS`, one row per point."""
        return pd.DataFrame({name: self.column(name) for name in ASSIGNED_COLUMNS})


def locate_admin_units(lon: npt.ArrayLike, lat: npt.ArrayLike) -> AdminUnits:
    """Admin-1 and admin-2 unit positions for each lon/lat (see :func:`assign_admin_units`)."""
    lon_arr = np.asarray(lon, dtype="float64").ravel()
    lat_arr = np.asarray(lat, dtype="float64").ravel()
    if lon_arr.shape != lat_arr.shape:
        raise ValueError(f"lon and lat must have the same length; got {lon_arr.size} and {lat_arr.size}")
    layer1, layer2 = _admin1_layer(), _admin2_layer()
    use_cells = lon_arr.size >= CELL_TABLE_MIN_POINTS or layer1.index.has_cells
    grid = _cell_grid(lon_arr, lat_arr) if use_cells else None
    unit1 = _units(layer1.index, lon_arr, lat_arr, grid)
    codes1, codes2, covered = _country_codes()
    country = np.where(unit1 >= 0, codes1[np.maximum(unit1, 0)], -1)
    unit2 = _units(layer2.index, lon_arr, lat_arr, grid)
    unit2 = _snap_admin2(layer2.index, codes2, covered, lon_arr, lat_arr, country, unit2)
    return AdminUnits(unit1, unit2)


def assign_admin_units(lon: npt.ArrayLike, lat: npt.ArrayLike) -> pd.DataFrame:
    """Country ISO3/name, admin-1 code/name and admin-2 code/name for each lon/lat.

    Returns one row per input point, in input order, with :data:`ASSIGNED_COLUMNS`;
    values are ``<NA>`` outside coverage (and for NaN coordinates). Admin-2 exists only
    for MLI, BFA and NER, and is kept only when it lies in the same country as admin-1.
    """
    return locate_admin_units(lon, lat).frame()


def warm_up() -> None:
    """Build the spatial indexes and lookup tables now (about a second) rather than on the first request."""
    for layer in (_admin1_layer(), _admin2_layer()):
        _ = layer.index.cells
