"""The one metric coordinate reference system used for Sahel geometry work.

Buffers and nearest-point searches need metres, and Web Mercator (or plain degrees)
distorts distances by 3-10 % over the Sahel. An equidistant conic fitted to the
region keeps meridian distances exact and the east-west scale within 1.2 % between
5 and 28 N (2 % at 30 N), which covers every corridor from Kayes to Sabha. Code that
needs exact kilometres (``geodata.corridors.distance_to_corridors_km``) only uses
this CRS to locate the nearest point and then measures on the WGS84 ellipsoid.
"""

from __future__ import annotations

from pyproj import CRS

SAHEL_METRIC_PROJ: str = "+proj=eqdc +lat_0=15 +lon_0=2 +lat_1=9 +lat_2=27 +datum=WGS84 +units=m +no_defs"
"""PROJ string of :data:`SAHEL_METRIC_CRS` (hashable, safe to use as a cache key)."""

SAHEL_METRIC_CRS: CRS = CRS.from_proj4(SAHEL_METRIC_PROJ)
"""Sahel equidistant conic: standard parallels 9 N and 27 N, central meridian 2 E."""

WGS84: CRS = CRS.from_epsg(4326)
"""Geographic WGS84, the CRS every shipped file and every public function speaks."""
