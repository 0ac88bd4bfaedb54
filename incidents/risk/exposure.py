"""Site exposure: how close recent incidents, corridors and high-risk districts are to a site.

For every site (a point) or route (a line) the table counts incidents within 10, 25 and
50 km in the 7, 30 and 90 days ending on ``as_of`` (inclusive), sums fatalities within
50 km over 90 days, names the nearest corridor and its distance, gives the risk level of
the site's admin-2 unit, and rates the exposure (docs/methodology.md, "Site exposure").

Distances. Candidates are found in the Sahel equidistant conic (``SAHEL_METRIC_PROJ``)
with an STRtree and a search radius widened by :data:`SEARCH_MARGIN`, which covers the
projection's scale error (under 1.2 % between 5 and 28 N). Each candidate is then
measured on the WGS84 ellipsoid: to the site itself, or to the nearest point of the
route (located in the projection, measured geodesically, as for corridors). So the
10/25/50 km limits are exact to a few metres, not to the 1 % of the projection.

Rating rule (fixed thresholds, see :func:`exposure_rating`): a 0-100 score adds an
incident component (0-50) from a weighted count of nearby recent incidents, an admin-2
risk component (0-30) and a corridor-proximity component (0-20); Low < 20 <= Moderate <
40 <= High < 60 <= Severe. Any incident within 10 km in the last 7 days makes the rating
at least High.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import Geod, Transformer

from geodata.assign import assign_admin_units
from geodata.boundaries import load_admin2
from geodata.corridors import CorridorSet, CorridorsLike, corridor_set
from geodata.crs import SAHEL_METRIC_PROJ, WGS84
from incidents.i18n import pgettext
from incidents.risk.index import RISK_LEVEL_LABELS

RADII_KM: Final = (10, 25, 50)
WINDOWS_DAYS: Final = (7, 30, 90)
#: Projected search radius = radius x (1 + margin) + 1 km, then exact geodesic check.
SEARCH_MARGIN: Final = 0.03
COUNT_COLUMNS: Final = tuple(f"inc_{r}km_{d}d" for r in RADII_KM for d in WINDOWS_DAYS)
EXPOSURE_COLUMNS: Final = (
    "site_id",
    "name",
    "site_type",
    "kind",
    "country_iso3",
    "admin1_name",
    "admin2_name",
    *COUNT_COLUMNS,
    "fatalities_50km_90d",
    "nearest_corridor",
    "corridor_distance_km",
    "admin2_risk_level",
    "exposure_score",
    "exposure_rating",
)

#: Weighted count W = 3 x inc_10km_30d + 2 x inc_25km_30d + 1 x inc_50km_90d (counts are
#: cumulative, so a recent incident within 10 km weighs 6). Points for W >= each bound.
INCIDENT_POINTS: Final = ((1, 10), (5, 20), (15, 35), (40, 50))
#: Points for the corridor distance (km) <= each bound.
CORRIDOR_POINTS: Final = ((10.0, 20), (25.0, 12), (50.0, 5))
#: Points for the admin-2 risk level 1-5 (Low .. Extreme of ``RISK_LEVEL_LABELS``).
RISK_POINTS: Final = {1: 0, 2: 8, 3: 15, 4: 23, 5: 30}
#: Score lower bounds of each rating (score 0-100).
RATING_BOUNDS: Final = ((0, "Low"), (20, "Moderate"), (40, "High"), (60, "Severe"))
EXPOSURE_RATINGS: Final = tuple(label for _, label in RATING_BOUNDS)
#: Any incident this close and this recent makes the rating at least this.
RECENT_FLOOR: Final = ("inc_10km_7d", "High")

_GEOD: Final = Geod(ellps="WGS84")


def site_exposure(
    sites: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    as_of: date,
    risk_levels_admin2: pd.DataFrame | None = None,
    corridors: CorridorsLike = None,
) -> pd.DataFrame:
    """Exposure of each site or route (:data:`EXPOSURE_COLUMNS`), one row per site, in order.

    ``sites`` has ``site_id, name, site_type, kind, latitude, longitude, geometry_wkt``
    (:data:`incidents.sites.SITE_COLUMNS`); ``incidents`` is an analysis frame (needs
    ``event_date, latitude, longitude, fatalities``). ``risk_levels_admin2`` has
    ``unit_code`` (admin-2 code) and ``risk_level`` (from ``compute_risk_index``); without
    it the risk component is 0 and ``admin2_risk_level`` is empty. ``corridors`` (lines or
    segments with ``corridor_id`` and ``corridor_name``, EPSG:4326: the store's active
    corridors) defaults to the shipped ones; an empty frame means no corridor (no
    ``nearest_corridor``, no corridor points).
    """
    _check_inputs(sites, incidents)
    geometries = np.asarray(shapely.from_wkt(sites["geometry_wkt"].astype(object).to_numpy()), dtype=object)
    counts, fatalities = _incident_counts(geometries, incidents, as_of)
    anchor_lon, anchor_lat = _anchor_points(geometries)
    units = assign_admin_units(anchor_lon, anchor_lat)
    corridor_name, corridor_km = _nearest_corridors(geometries, corridors)
    risk = _admin2_risk(geometries, units["admin2_code"], risk_levels_admin2)
    result = pd.DataFrame(
        {
            "site_id": sites["site_id"].astype("string").to_numpy(),
            "name": sites["name"].astype("string").to_numpy(),
            "site_type": sites["site_type"].astype("string").to_numpy(),
            "kind": sites["kind"].astype("string").to_numpy(),
            "country_iso3": units["country_iso3"].to_numpy(),
            "admin1_name": units["admin1_name"].to_numpy(),
            "admin2_name": units["admin2_name"].to_numpy(),
            **{column: counts[:, i] for i, column in enumerate(COUNT_COLUMNS)},
            "fatalities_50km_90d": fatalities,
            "nearest_corridor": pd.array(corridor_name, dtype="string"),
            "corridor_distance_km": np.round(corridor_km, 1),
            "admin2_risk_level": pd.array(risk, dtype="string"),
        }
    )
    for column in ("country_iso3", "admin1_name", "admin2_name"):
        result[column] = result[column].astype("string")
    score = exposure_score(result)
    result["exposure_score"] = score
    result["exposure_rating"] = exposure_rating(result, score)
    return result[list(EXPOSURE_COLUMNS)]


def exposure_score(table: pd.DataFrame) -> npt.NDArray[np.int64]:
    """The 0-100 score: incident (0-50) + admin-2 risk (0-30) + corridor (0-20) points."""
    weighted = (
        3 * table["inc_10km_30d"].to_numpy()
        + 2 * table["inc_25km_30d"].to_numpy()
        + table["inc_50km_90d"].to_numpy()
    )
    incident = np.zeros(len(table), dtype=np.int64)
    for bound, points in INCIDENT_POINTS:
        incident[weighted >= bound] = points
    corridor = np.zeros(len(table), dtype=np.int64)
    distance = table["corridor_distance_km"].to_numpy(dtype=np.float64, na_value=np.nan)
    for limit_km, corridor_points in reversed(CORRIDOR_POINTS):
        corridor[np.nan_to_num(distance, nan=np.inf) <= limit_km] = corridor_points
    return incident + _risk_points(table["admin2_risk_level"]) + corridor


def exposure_rating(table: pd.DataFrame, score: npt.ArrayLike) -> pd.Series:
    """Rating per row from the score bounds; a very recent incident nearby raises it to High."""
    values = np.asarray(score)
    rank = np.zeros(len(values), dtype=np.int64)
    for position, (bound, _) in enumerate(RATING_BOUNDS):
        rank[values >= bound] = position
    column, floor = RECENT_FLOOR
    floor_rank = EXPOSURE_RATINGS.index(floor)
    recent = table[column].to_numpy() > 0
    rank[recent] = np.maximum(rank[recent], floor_rank)
    labels = np.asarray(EXPOSURE_RATINGS, dtype=object)[rank]
    return pd.Series(
        pd.Categorical(labels, categories=list(EXPOSURE_RATINGS), ordered=True), index=table.index
    )


# ---- private steps ---------------------------------------------------------------------------


def _check_inputs(sites: pd.DataFrame, incidents: pd.DataFrame) -> None:
    needed_sites = ("site_id", "name", "site_type", "kind", "geometry_wkt")
    missing = [column for column in needed_sites if column not in sites.columns]
    if missing:
        raise ValueError(f"sites lacks columns {missing}; found {list(sites.columns)}")
    needed = ("event_date", "latitude", "longitude", "fatalities")
    missing = [column for column in needed if column not in incidents.columns]
    if missing:
        raise ValueError(f"incidents lacks columns {missing}; found {list(incidents.columns)}")


@lru_cache(maxsize=1)
def _transformers() -> tuple[Transformer, Transformer]:
    return (
        Transformer.from_crs(WGS84, SAHEL_METRIC_PROJ, always_xy=True),
        Transformer.from_crs(SAHEL_METRIC_PROJ, WGS84, always_xy=True),
    )


def _project(geometries: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    to_metric, _ = _transformers()
    return np.asarray(
        shapely.transform(geometries, lambda xy: np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1]))),
        dtype=object,
    )


def _geodesic_km(
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    projected_targets: npt.NDArray[np.object_],
    projected_points: npt.NDArray[np.object_],
) -> npt.NDArray[np.float64]:
    """Geodesic km from each point to the nearest point of its paired target geometry."""
    if len(lon) == 0:
        return np.empty(0)
    nearest = shapely.get_coordinates(shapely.shortest_line(projected_points, projected_targets))[1::2]
    _, to_wgs84 = _transformers()
    near_lon, near_lat = to_wgs84.transform(nearest[:, 0], nearest[:, 1])
    return np.asarray(_GEOD.inv(lon, lat, near_lon, near_lat)[2], dtype=np.float64) / 1000


def _incident_counts(
    geometries: npt.NDArray[np.object_], incidents: pd.DataFrame, as_of: date
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(counts per site x COUNT_COLUMNS, fatalities within 50 km over 90 days)."""
    counts = np.zeros((len(geometries), len(COUNT_COLUMNS)), dtype=np.int64)
    fatalities = np.zeros(len(geometries), dtype=np.int64)
    if len(geometries) == 0 or incidents.empty:
        return counts, fatalities
    end = np.datetime64(as_of, "D")
    days = (end - incidents["event_date"].to_numpy().astype("datetime64[D]")).astype(np.int64)
    recent = (days >= 0) & (days < max(WINDOWS_DAYS))
    lon = incidents["longitude"].to_numpy(dtype=np.float64)[recent]
    lat = incidents["latitude"].to_numpy(dtype=np.float64)[recent]
    days, deaths = days[recent], incidents["fatalities"].to_numpy(dtype=np.int64)[recent]
    if len(lon) == 0:
        return counts, fatalities
    to_metric, _ = _transformers()
    x, y = to_metric.transform(lon, lat)
    points = shapely.points(x, y)
    targets = _project(geometries)
    search_m = max(RADII_KM) * 1000 * (1 + SEARCH_MARGIN) + 1000
    site_idx, point_idx = shapely.STRtree(points).query(targets, predicate="dwithin", distance=search_m)
    distance = _geodesic_km(lon[point_idx], lat[point_idx], targets[site_idx], points[point_idx])
    column = 0
    for radius in RADII_KM:
        for window in WINDOWS_DAYS:
            hit = (distance <= radius) & (days[point_idx] < window)
            counts[:, column] = np.bincount(site_idx[hit], minlength=len(geometries))
            column += 1
    hit = (distance <= max(RADII_KM)) & (days[point_idx] < max(WINDOWS_DAYS))
    fatalities[:] = np.bincount(site_idx[hit], weights=deaths[point_idx][hit], minlength=len(geometries))
    return counts, fatalities


def _anchor_points(
    geometries: npt.NDArray[np.object_],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The site itself, or a route's midpoint (along its length), for the admin units."""
    is_line = shapely.get_type_id(geometries) == 1
    anchors = geometries.copy()
    if is_line.any():
        anchors[is_line] = shapely.line_interpolate_point(geometries[is_line], 0.5, normalized=True)
    coords = shapely.get_coordinates(anchors) if len(anchors) else np.empty((0, 2))
    return coords[:, 0], coords[:, 1]


@lru_cache(maxsize=8)
def _projected_corridors(corridors: CorridorSet) -> tuple[tuple[str, ...], npt.NDArray[np.object_]]:
    """(name per corridor, its line in the Sahel metric projection), cached per corridor set."""
    names = tuple(name or cid for name, cid in zip(corridors.names, corridors.ids, strict=True))
    return names, _project(corridors.lines().geometry.to_numpy())


def _nearest_corridors(
    geometries: npt.NDArray[np.object_], corridors: CorridorsLike
) -> tuple[list[str | None], npt.NDArray[np.float64]]:
    """Nearest corridor name and geodesic km for each site or route (the closest approach)."""
    names, lines = _projected_corridors(corridor_set(corridors))
    n = len(geometries)
    if n == 0 or not names:
        return [None] * n, np.full(n, np.nan)
    targets = _project(geometries)
    best = np.full(n, np.inf)
    best_name: list[str | None] = [None] * n
    _, to_wgs84 = _transformers()
    for name, line in zip(names, lines, strict=True):
        # Closest pair of points between the site (or route) and this corridor, measured geodesically.
        pairs = shapely.get_coordinates(shapely.shortest_line(targets, line)).reshape(n, 2, 2)
        lon1, lat1 = to_wgs84.transform(pairs[:, 0, 0], pairs[:, 0, 1])
        lon2, lat2 = to_wgs84.transform(pairs[:, 1, 0], pairs[:, 1, 1])
        km = np.asarray(_GEOD.inv(lon1, lat1, lon2, lat2)[2]) / 1000
        closer = km < best
        best = np.where(closer, km, best)
        for i in np.flatnonzero(closer):
            best_name[i] = name
    return best_name, np.where(np.isfinite(best), best, np.nan)


def rating_label(rating: object) -> str:
    """An exposure rating (``Low`` .. ``Severe``, English in tables and CSV files) in the reader's
    language; anything else as it is."""
    words = {
        "Low": pgettext("exposure rating", "Low"),
        "Moderate": pgettext("exposure rating", "Moderate"),
        "High": pgettext("exposure rating", "High"),
        "Severe": pgettext("exposure rating", "Severe"),
    }
    return words.get(str(rating), "" if rating is None or bool(pd.isna(rating)) else str(rating))


def risk_label(label: object) -> str:
    """A risk level's English name (the ``admin2_risk_level`` column) in the reader's language."""
    level = _level_number(label)
    if level is not None:
        return RISK_LEVEL_LABELS[level]
    return "" if label is None or (not isinstance(label, str) and bool(pd.isna(label))) else str(label)


def display_exposure(table: pd.DataFrame) -> pd.DataFrame:
    """A display copy of :func:`site_exposure`'s table with its ratings and risk levels in words of
    the reader's language (the table itself, cached and downloaded, keeps the English codes)."""
    shown = table.copy()
    if "exposure_rating" in shown:
        shown["exposure_rating"] = [rating_label(value) for value in shown["exposure_rating"]]
    if "admin2_risk_level" in shown:
        shown["admin2_risk_level"] = [risk_label(value) for value in shown["admin2_risk_level"]]
    return shown


def _level_number(value: object) -> int | None:
    """Risk level 1-5 from a number or its label (``RISK_LEVEL_LABELS``); None when unknown."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    if isinstance(value, str):
        by_label = {RISK_LEVEL_LABELS.english(level).casefold(): level for level in RISK_LEVEL_LABELS}
        return by_label.get(value.strip().casefold())
    level = int(value)  # type: ignore[call-overload]
    return level if level in RISK_LEVEL_LABELS else None


def _risk_points(levels: pd.Series) -> npt.NDArray[np.int64]:
    numbers = [_level_number(level) for level in levels]
    return np.asarray([0 if n is None else RISK_POINTS[n] for n in numbers], dtype=np.int64)


def _admin2_risk(
    geometries: npt.NDArray[np.object_], admin2_codes: pd.Series, risk: pd.DataFrame | None
) -> list[str | None]:
    """Risk label of the site's admin-2; for a route, the highest level of the units it crosses."""
    if risk is None or risk.empty:
        return [None] * len(geometries)
    missing = [column for column in ("unit_code", "risk_level") if column not in risk.columns]
    if missing:
        raise ValueError(f"risk_levels_admin2 lacks columns {missing}; found {list(risk.columns)}")
    level_of: dict[str, int] = {}
    for code, value in zip(risk["unit_code"], risk["risk_level"], strict=True):
        number = _level_number(value)
        if number is not None:
            level_of[str(code)] = number
    levels: list[int | None] = [None if pd.isna(code) else level_of.get(str(code)) for code in admin2_codes]
    routes = np.flatnonzero(shapely.get_type_id(geometries) != 0)
    if len(routes):
        admin2 = _admin2_layer()
        route_idx, unit_idx = shapely.STRtree(admin2.geometry.to_numpy()).query(
            geometries[routes], predicate="intersects"
        )
        codes = admin2["admin2_code"].to_numpy(dtype=object)
        for position, route in enumerate(routes):
            crossed = [level_of.get(str(code)) for code in codes[unit_idx[route_idx == position]]]
            known = [level for level in crossed if level is not None]
            if known:
                levels[route] = max(known)
    return [None if level is None else RISK_LEVEL_LABELS.english(level) for level in levels]


@lru_cache(maxsize=1)
def _admin2_layer() -> pd.DataFrame:
    return load_admin2()


def window_start(as_of: date, days: int) -> date:
    """First day of the ``days``-day window ending on ``as_of`` (inclusive at both ends)."""
    return as_of - timedelta(days=days - 1)
