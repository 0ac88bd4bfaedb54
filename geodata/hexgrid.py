"""Hexagonal binning of points in the Sahel metric CRS, vectorised for millions of points.

Why hexagons in a metric CRS: every cell has the same ground area (within the 1.2 % scale
error of :data:`geodata.crs.SAHEL_METRIC_PROJ` between 5 and 28 N), so counts per cell are
comparable across the map, which degree-square grids are not.

Cells are pointy-top hexagons; ``size_km`` is the centre-to-corner distance, which equals the
side length. A cell is ``sqrt(3) * size_km`` wide between flat sides and ``2 * size_km`` tall,
with an area of ``3 * sqrt(3) / 2 * size_km**2`` km².
"""

from __future__ import annotations

import math
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from pyproj import Transformer

from geodata.crs import SAHEL_METRIC_PROJ, WGS84

HEX_COLUMNS: tuple[str, ...] = ("hex_id", "lon", "lat", "count", "weight_sum")
_SQRT3 = math.sqrt(3.0)
# Corner angles of a pointy-top hexagon, closed ring (7 points).
_CORNER_ANGLES = np.deg2rad(30.0 + 60.0 * np.arange(7))


# Equidistant conic of SAHEL_METRIC_PROJ on the WGS84 ellipsoid, in numpy: the forward
# projection of every incident is the main cost of binning a million points and pyproj
# transforms them one by one (~0.15 s per million here, this ~0.05 s). Same formulas as
# PROJ's eqdc (meridian arc series to e^6); agrees with pyproj to well under a millimetre
# over the region (tests/unit/test_hexgrid.py), so cells are the same.
_A = 6378137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)
_M0 = 1 - _E2 / 4 - 3 * _E2**2 / 64 - 5 * _E2**3 / 256
_M2 = 3 * _E2 / 8 + 3 * _E2**2 / 32 + 45 * _E2**3 / 1024
_M4 = 15 * _E2**2 / 256 + 45 * _E2**3 / 1024
_M6 = 35 * _E2**3 / 3072


def _meridian_arc(phi: np.ndarray | float) -> np.ndarray | float:
    """Meridian distance from the equator, in units of the semi-major axis."""
    return _M0 * phi - _M2 * np.sin(2 * phi) + _M4 * np.sin(4 * phi) - _M6 * np.sin(6 * phi)


def _eqdc_constants() -> tuple[float, float, float, float]:
    params = dict(p.lstrip("+").split("=", 1) for p in SAHEL_METRIC_PROJ.split() if "=" in p)
    assert params["proj"] == "eqdc" and params["datum"] == "WGS84" and params["units"] == "m"
    lat0, lon0, lat1, lat2 = (math.radians(float(params[k])) for k in ("lat_0", "lon_0", "lat_1", "lat_2"))

    def msfn(phi: float) -> float:
        return math.cos(phi) / math.sqrt(1 - _E2 * math.sin(phi) ** 2)

    ml1, ml2 = _meridian_arc(lat1), _meridian_arc(lat2)
    n = (msfn(lat1) - msfn(lat2)) / (ml2 - ml1)
    c = ml1 + msfn(lat1) / n
    return lon0, float(n), float(c), float(c - _meridian_arc(lat0))


_LON0, _N, _C, _RHO0 = _eqdc_constants()


def project_metric(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 degrees -> metres in :data:`geodata.crs.SAHEL_METRIC_PROJ` (vectorised numpy)."""
    rho = _C - _meridian_arc(np.radians(lat))
    theta = _N * (np.radians(lon) - _LON0)
    return _A * rho * np.sin(theta), _A * (_RHO0 - rho * np.cos(theta))


@lru_cache(maxsize=1)
def _transformers() -> tuple[Transformer, Transformer]:
    forward = Transformer.from_crs(WGS84, SAHEL_METRIC_PROJ, always_xy=True)
    inverse = Transformer.from_crs(SAHEL_METRIC_PROJ, WGS84, always_xy=True)
    return forward, inverse


def _check_size(size_km: float) -> float:
    if isinstance(size_km, bool) or not isinstance(size_km, int | float) or not math.isfinite(size_km):
        raise ValueError(f"size_km must be a positive number of kilometres, got {size_km!r}")
    if size_km <= 0:
        raise ValueError(f"size_km must be a positive number of kilometres, got {size_km!r}")
    return float(size_km)


def _axial(x: np.ndarray, y: np.ndarray, size_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Axial (q, r) of the pointy-top hexagon holding each metric point (cube rounding)."""
    qf = (_SQRT3 / 3.0 * x - y / 3.0) / size_m
    rf = (2.0 / 3.0 * y) / size_m
    sf = -qf - rf
    q, r, s = np.rint(qf), np.rint(rf), np.rint(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


#: Above this many cells in the (q, r) bounding box, cells are found by hashing instead.
_DENSE_MAX: int = 20_000_000


def _cell_sums(
    q: np.ndarray, r: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Non-empty cells sorted by (q, r), with their point counts and weight sums."""
    q0, r0 = int(q.min()), int(r.min())
    width = int(r.max()) - r0 + 1
    span = (int(q.max()) - q0 + 1) * width
    if span <= _DENSE_MAX:
        flat = (q - q0) * width + (r - r0)
        counts = np.bincount(flat, minlength=span)
        sums = np.bincount(flat, weights=w, minlength=span)
        cells = np.flatnonzero(counts)
        return cells // width + q0, cells % width + r0, counts[cells], sums[cells]
    # One int64 key per cell: |q|, |r| stay far below 2**31 for any size over a metre on Earth.
    key = (q << 32) + (r + (1 << 31))
    inverse_idx, uniq = pd.factorize(key, sort=True)
    uniq = np.asarray(uniq, dtype=np.int64)
    counts = np.bincount(inverse_idx, minlength=uniq.size)
    sums = np.bincount(inverse_idx, weights=w, minlength=uniq.size)
    return uniq >> 32, (uniq & 0xFFFFFFFF) - (1 << 31), counts, sums


def _centres_m(q: np.ndarray, r: np.ndarray, size_m: float) -> tuple[np.ndarray, np.ndarray]:
    return size_m * _SQRT3 * (q + r / 2.0), size_m * 1.5 * r


def hexbin(
    lon: ArrayLike, lat: ArrayLike, *, size_km: float, weights: ArrayLike | None = None
) -> pd.DataFrame:
    """Count points (and sum ``weights``) per hexagon of ``size_km``; one row per non-empty cell.

    Columns: ``hex_id`` (``"<size>km:<q>:<r>"``, stable for a given size), ``lon``/``lat`` of
    the cell centre (WGS84), ``count``, ``weight_sum`` (equals ``count`` without weights).
    Points with a missing coordinate are skipped, missing weights count as 0. Sorted by
    hex_id's axial coordinates, so the output is deterministic.
    """
    size_m = _check_size(size_km) * 1000.0
    lon_a = np.asarray(lon, dtype=float).ravel()
    lat_a = np.asarray(lat, dtype=float).ravel()
    if lon_a.shape != lat_a.shape:
        raise ValueError(f"lon and lat differ in length: {lon_a.size} != {lat_a.size}")
    if weights is None:
        w = np.ones(lon_a.size)
    else:
        w = np.asarray(weights, dtype=float).ravel()
        if w.shape != lon_a.shape:
            raise ValueError(f"weights and lon differ in length: {w.size} != {lon_a.size}")
        w = np.nan_to_num(w, nan=0.0)
    ok = np.isfinite(lon_a) & np.isfinite(lat_a)
    if not ok.all():
        lon_a, lat_a, w = lon_a[ok], lat_a[ok], w[ok]
    if lon_a.size == 0:
        return pd.DataFrame(
            {
                "hex_id": pd.Series(dtype=object),
                "lon": pd.Series(dtype=float),
                "lat": pd.Series(dtype=float),
                "count": pd.Series(dtype=np.int64),
                "weight_sum": pd.Series(dtype=float),
            }
        )
    _forward, inverse = _transformers()
    x, y = project_metric(lon_a, lat_a)
    q, r = _axial(x, y, size_m)
    uq, ur, counts, sums = _cell_sums(q, r, w)
    cx, cy = _centres_m(uq, ur, size_m)
    clon, clat = inverse.transform(cx, cy)
    label = f"{size_km:g}km"
    hex_ids = [f"{label}:{a}:{b}" for a, b in zip(uq.tolist(), ur.tolist(), strict=True)]
    return pd.DataFrame(
        {
            "hex_id": hex_ids,
            "lon": np.asarray(clon, dtype=float),
            "lat": np.asarray(clat, dtype=float),
            "count": counts.astype(np.int64),
            "weight_sum": sums.astype(float),
        }
    )


def hex_polygons(frame: pd.DataFrame, size_km: float) -> gpd.GeoDataFrame:
    """The hexagon of every row of a :func:`hexbin` frame, as EPSG:4326 polygons (columns kept).

    Corners are placed in the metric CRS around the projected centre, then projected back, so
    the cells tile the plane exactly in that CRS.
    """
    coords = hex_corners(frame, size_km)
    geometry = shapely.polygons(coords) if len(frame) else []
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=list(geometry), crs=WGS84)


def hex_corners(frame: pd.DataFrame, size_km: float) -> np.ndarray:
    """``(n, 7, 2)`` lon/lat corners of each :func:`hexbin` cell, closed ring (last == first)."""
    size_m = _check_size(size_km) * 1000.0
    _forward, inverse = _transformers()
    cx, cy = project_metric(frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float))
    xs = cx[:, None] + size_m * np.cos(_CORNER_ANGLES)[None, :]
    ys = cy[:, None] + size_m * np.sin(_CORNER_ANGLES)[None, :]
    lons, lats = inverse.transform(xs.ravel(), ys.ravel())
    coords = np.stack([np.asarray(lons), np.asarray(lats)], axis=-1).reshape(len(frame), 7, 2)
    coords[:, -1] = coords[:, 0]
    return coords
