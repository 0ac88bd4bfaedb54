"""The one metric coordinate reference system used for Sahel geometry work.

Buffers and nearest-point searches need metres, and Web Mercator (or plain degrees)
distorts distances by 3-10 % over the Sahel. An equidistant conic fitted to the
region keeps meridian distances exact and the east-west scale within 1.2 % between
5 and 28 N (2 % at 30 N), which covers every corridor from Kayes to Sabha. Code that
needs exact kilometres (``geodata.corridors.distance_to_corridors_km``) only uses
this CRS to locate the nearest point and then measures on the WGS84 ellipsoid with
:func:`geodesic_km`, the one distance model of the project.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from pyproj import CRS, Geod

SAHEL_METRIC_PROJ: str = "+proj=eqdc +lat_0=15 +lon_0=2 +lat_1=9 +lat_2=27 +datum=WGS84 +units=m +no_defs"
"""Sahel equidistant conic (standard parallels 9 N and 27 N, central meridian 2 E) as a
PROJ string: hashable, safe to use as a cache key."""

WGS84: CRS = CRS.from_epsg(4326)
"""Geographic WGS84, the CRS every shipped file and every public function speaks."""

WGS84_GEOD: Geod = Geod(ellps="WGS84")
"""The WGS84 ellipsoid, on which every distance in km is measured."""


def geodesic_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> np.ndarray:
    """Geodesic distance in km on the WGS84 ellipsoid, element-wise (scalars broadcast).

    Arguments are latitude before longitude; NaN coordinates give NaN.
    """
    arrays = np.broadcast_arrays(*(np.asarray(value, dtype=float) for value in (lat1, lon1, lat2, lon2)))
    shape = arrays[0].shape
    lat1_, lon1_, lat2_, lon2_ = (np.ravel(value) for value in arrays)
    if not lat1_.size:
        return np.zeros(shape)
    metres = WGS84_GEOD.inv(lon1_, lat1_, lon2_, lat2_)[2]
    return np.asarray(metres, dtype=float).reshape(shape) / 1000.0
