"""Which incidents a watch catches, and how far each is from the watched site, route or corridor.

Distances are geodesic km on the WGS84 ellipsoid, the project's one distance model
(:func:`geodata.crs.geodesic_km`; to a line, :func:`geodata.corridors.distance_to_corridors_km`,
which finds the nearest point in the Sahel metric projection and measures it with ``pyproj.Geod``).
A cheap latitude/longitude box drops far incidents first, so a large batch costs one pass
over its coordinates and exact distances only for the few near the watched area.
"""

from __future__ import annotations

import math
from typing import Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geodata.corridors import distance_to_corridors_km
from geodata.crs import WGS84, geodesic_km
from incidents.alerts.watches import Filters, Watch

#: Km per degree of latitude, rounded down so the pre-filter box is never too small.
_KM_PER_DEGREE: Final = 110.0
#: Synthetic rows never alert, whatever a watch's filters say.
DEMO_SOURCE: Final = "demo"


def filter_mask(incidents: pd.DataFrame, filters: Filters) -> npt.NDArray[np.bool_]:
    """Rows passing the watch's filters (and never a demo row)."""
    mask = (incidents["source_dataset"].astype("string") != DEMO_SOURCE).fillna(True).to_numpy(dtype=bool)
    if filters.event_types:
        mask &= incidents["event_type"].isin(filters.event_types).to_numpy(dtype=bool)
    if filters.sources:
        mask &= incidents["source_dataset"].isin(filters.sources).to_numpy(dtype=bool)
    if filters.min_fatalities:
        mask &= incidents["fatalities"].to_numpy() >= filters.min_fatalities
    if filters.actor_text:
        wanted = filters.actor_text.casefold()
        actors = (
            incidents["actor1"].fillna("").astype(str) + "\n" + incidents["actor2"].fillna("").astype(str)
        )
        mask &= actors.str.casefold().str.contains(wanted, regex=False).to_numpy(dtype=bool)
    return mask


def locate(
    watch: Watch, incidents: pd.DataFrame, corridors: gpd.GeoDataFrame | None = None
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """(inside the watch's area, distance km to its site/route/corridor or NaN) for each incident.

    ``corridors``: the store's active corridor segments (needed by corridor watches only); a
    corridor no longer active catches nothing.
    """
    n = len(incidents)
    inside = np.zeros(n, dtype=bool)
    distance = np.full(n, np.nan)
    if n == 0:
        return inside, distance
    area = watch.area
    lon = incidents["longitude"].to_numpy(dtype="float64")
    lat = incidents["latitude"].to_numpy(dtype="float64")
    if area.kind == "admin":
        inside = incidents["admin1_code"].isin(area.admin1).to_numpy(dtype=bool) | incidents[
            "admin2_code"
        ].isin(area.admin2).to_numpy(dtype=bool)
        return inside, distance
    if area.kind == "polygon":
        geometry = area.geometry()
        shapely.prepare(geometry)
        return np.asarray(shapely.intersects_xy(geometry, lon, lat), dtype=bool), distance
    if area.kind == "corridor":
        if corridors is None or corridors.empty:
            return inside, distance
        lines = corridors[corridors["corridor_id"].astype(str) == area.corridor_id]
        if lines.empty:
            return inside, distance
        geometry = shapely.union_all(lines.geometry.to_numpy())
    else:
        geometry = area.geometry()
    near = _near_box(geometry.bounds, area.radius_km, lon, lat)
    if not near.any():
        return inside, distance
    if geometry.geom_type == "Point":
        distance[near] = geodesic_km(lat[near], lon[near], geometry.y, geometry.x)
    else:
        line = gpd.GeoDataFrame({"corridor_id": ["area"]}, geometry=[geometry], crs=WGS84)
        distance[near] = distance_to_corridors_km(lon[near], lat[near], line)["area"].to_numpy()
    inside = np.nan_to_num(distance, nan=np.inf) <= area.radius_km
    distance[~inside] = np.nan
    return inside, distance


def _near_box(
    bounds: tuple[float, float, float, float],
    radius_km: float,
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
) -> npt.NDArray[np.bool_]:
    """Points inside the geometry's bounds grown by ``radius_km`` (a generous box: no false drop)."""
    west, south, east, north = bounds
    dlat = radius_km / _KM_PER_DEGREE + 0.01
    widest = min(89.0, max(abs(south), abs(north)) + dlat)
    dlon = dlat / max(math.cos(math.radians(widest)), 0.01)
    with np.errstate(invalid="ignore"):
        return (lat >= south - dlat) & (lat <= north + dlat) & (lon >= west - dlon) & (lon <= east + dlon)
