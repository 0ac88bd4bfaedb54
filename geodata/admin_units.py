"""Admin units by name: match a file's admin1/admin2 names, centres and uncertainty radii, nearest units.

Incident files name their admin units in many spellings ("Tombouctou", "Timbuktu",
"TOMBOUCTOU"; "Ségou", "Segou"; "Mouhoun", "Mou Houn"; "Région du Sahel"). Names are
compared by :func:`admin_key`: accents and case folded (as place names are), the words
"region", "province", "cercle", "departement" (with "de"/"du"/"des") dropped, spaces
removed, and a few common English/French variants mapped to the layer's spelling.

Positions returned here are positions in :func:`geodata.boundaries.load_admin1` and
:func:`~geodata.boundaries.load_admin2`, the same positions
:class:`geodata.assign.AdminUnits` holds, so a caller can put a named unit in place of
an assigned one.

A unit stands for a point, its **centre**: the centroid of its polygon, or a point
surely inside the polygon when the centroid of a bent unit falls outside it. Its
**uncertainty radius** is the radius of the circle with the unit's area (measured in
an equal-area projection): the typical distance scale of "somewhere in this unit",
neither the worst case (the farthest vertex of a long thin cercle can be 400 km from its
centre) nor a false precision.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import geopandas as gpd
import numpy as np
import shapely

from geodata.boundaries import load_admin1, load_admin2
from geodata.crs import geodesic_km
from geodata.gazetteer import normalise_place_name

#: Equal-area projection (Albers, fitted to the Sahel) used for unit areas only.
SAHEL_EQUAL_AREA_PROJ: Final = (
    "+proj=aea +lat_0=15 +lon_0=2 +lat_1=9 +lat_2=27 +datum=WGS84 +units=m +no_defs"
)

#: Other spellings of admin units (as :func:`admin_key` folds them) -> the layers' spelling.
#: English names GeoNames and ACLED use, and names of the seat used for a whole unit.
ADMIN_NAME_VARIANTS: Final[Mapping[str, str]] = {
    "timbuktu": "tombouctou",
    "tomboctou": "tombouctou",
    "tombuctu": "tombouctou",
    "highbasins": "hautsbassins",
    "hautbassins": "hautsbassins",
    "southwest": "sudouest",
    "centrenorth": "centrenord",
    "centernorth": "centrenord",
    "centreeast": "centreest",
    "centereast": "centreest",
    "centrewest": "centreouest",
    "centerwest": "centreouest",
    "centresouth": "centresud",
    "centersouth": "centresud",
    "centralplateau": "plateaucentral",
    "center": "centre",
    "east": "est",
    "north": "nord",
    "tillabery": "tillaberi",
    "tchirozerine": "tchighozerine",
    "tchintabaraden": "tchintabaradene",
    "guidanroumdji": "guidanroumji",
    "niorodusahel": "nioro",
    "gourmararous": "gourmarharous",
    "konni": "birninkonni",
    "boboye": "birningaoure",
    "komonjari": "komondjari",
}
_GENERIC_WORDS = re.compile(
    r"^(region|province|cercle|departement|department|commune)( (de la|de|du|des|d|of))? "
)
_TRAILING_WORDS = re.compile(r" (region|province|cercle|department)$")


def admin_key(name: str) -> str:
    """The comparison key of an admin unit name ("Région de Tombouctou" -> "tombouctou")."""
    folded = normalise_place_name(name)
    folded = _TRAILING_WORDS.sub("", _GENERIC_WORDS.sub("", folded))
    key = folded.replace(" ", "")
    return ADMIN_NAME_VARIANTS.get(key, key)


@dataclass(frozen=True)
class Unit:
    """One admin unit: its layer (1 or 2) and position there, with its name, centre and radius."""

    level: int
    position: int
    iso3: str
    name: str
    admin1_name: str  # the unit's own name at level 1, its parent's at level 2
    lat: float
    lon: float
    radius_km: float

    def label(self) -> str:
        """``"Séno (Sahel, BFA)"`` / ``"Sahel (BFA)"``: how a report message names the unit."""
        if self.level == 2:
            return f"{self.name} ({self.admin1_name}, {self.iso3})"
        return f"{self.name} ({self.iso3})"


@dataclass(frozen=True)
class _Level:
    frame: gpd.GeoDataFrame
    units: tuple[Unit, ...]
    by_key: dict[tuple[str, str], tuple[int, ...]]  # (iso3, key) -> positions
    by_name: dict[str, tuple[int, ...]]  # key -> positions in every country


def _centres(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre lon, lat and equal-area radius (km) of each unit."""
    geometry = frame.geometry.to_numpy()
    centroid = shapely.centroid(geometry)
    inside = shapely.contains(geometry, centroid)
    centre = np.where(inside, centroid, shapely.point_on_surface(geometry))
    area_m2 = frame.geometry.to_crs(SAHEL_EQUAL_AREA_PROJ).area.to_numpy(dtype=float)
    return shapely.get_x(centre), shapely.get_y(centre), np.sqrt(area_m2 / np.pi) / 1000.0


@lru_cache(maxsize=2)
def _level(level: int) -> _Level:
    frame = load_admin1() if level == 1 else load_admin2()
    name_column = "admin1_name" if level == 1 else "admin2_name"
    lon, lat, radius = _centres(frame)
    units: list[Unit] = []
    by_key: dict[tuple[str, str], list[int]] = {}
    by_name: dict[str, list[int]] = {}
    for position, (iso3, name, parent) in enumerate(
        zip(frame["iso3"], frame[name_column], frame["admin1_name"], strict=True)
    ):
        units.append(
            Unit(
                level,
                position,
                str(iso3),
                str(name),
                str(parent) if isinstance(parent, str) else "",
                float(lat[position]),
                float(lon[position]),
                float(radius[position]),
            )
        )
        if isinstance(name, str):
            key = admin_key(name)
            by_key.setdefault((str(iso3), key), []).append(position)
            by_name.setdefault(key, []).append(position)
    return _Level(
        frame,
        tuple(units),
        {key: tuple(value) for key, value in by_key.items()},
        {key: tuple(value) for key, value in by_name.items()},
    )


def unit(level: int, position: int) -> Unit:
    """The unit at ``position`` of the admin-``level`` layer."""
    return _level(level).units[position]


def find_units(level: int, name: str, iso3: str | None = None) -> list[Unit]:
    """Units of the admin-``level`` layer called ``name`` (in ``iso3`` when given), in layer order."""
    key = admin_key(name)
    if not key:
        return []
    layer = _level(level)
    positions = layer.by_key.get((iso3, key), ()) if iso3 else layer.by_name.get(key, ())
    return [layer.units[position] for position in positions]


@dataclass(frozen=True)
class NamedUnits:
    """The units a row names: its admin-1 (or the admin-2 standing for a newer region) and admin-2."""

    admin1: Unit | None = None
    admin2: Unit | None = None

    @property
    def finest(self) -> Unit | None:
        return self.admin2 or self.admin1

    def contains_name(self, admin1_name: str | None) -> bool:
        """Whether a gazetteer place's own admin-1 name is the named admin-1 unit's."""
        if self.admin1 is None or not isinstance(admin1_name, str) or not admin1_name:
            return False
        return admin_key(admin1_name) == admin_key(self.admin1.name)


def match_named_units(iso3: str | None, admin1: str | None, admin2: str | None) -> NamedUnits:
    """The boundary units a row's own admin names designate (either may be ``None``).

    * admin-1: a unit of that name in the row's country; a region newer than the admin-1
      layer (Ménaka, Taoudénit) matches the admin-2 unit of its name instead.
    * admin-2: a unit of that name in the country, inside the named admin-1 when several match.
    * Without a known country, a name counts only when exactly one unit anywhere has it.
    A name matching nothing (or several units it cannot choose between) gives ``None``.
    """

    def one(found: list[Unit]) -> Unit | None:
        return found[0] if len(found) == 1 else None

    first: Unit | None = None
    if isinstance(admin1, str) and admin1.strip():
        first = one(find_units(1, admin1, iso3)) or one(find_units(2, admin1, iso3))
    country = iso3 or (first.iso3 if first is not None else None)
    second: Unit | None = None
    if isinstance(admin2, str) and admin2.strip():
        found = find_units(2, admin2, country)
        if len(found) > 1 and first is not None:
            parent = admin_key(first.name if first.level == 1 else first.admin1_name)
            found = [item for item in found if admin_key(item.admin1_name) == parent]
        second = one(found)
        if second is None and first is None:
            second = one(find_units(1, admin2, country))  # an admin-2 column holding a region
    if first is not None and second is not None and second.level == 2 and first.level == 2:
        first = None  # a newer region standing in as an admin-2 unit: the named admin-2 is finer
    return NamedUnits(first, second)


@lru_cache(maxsize=32)
def _country_shape(iso3: str) -> shapely.Geometry | None:
    frame = _level(1).frame
    geometries = frame.geometry[frame["iso3"] == iso3].to_numpy()
    return shapely.union_all(geometries) if len(geometries) else None


def distance_to_country_km(iso3: str, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Geodesic distance (km) from each point to the nearest point of country ``iso3``.

    0 inside the country, ``inf`` for a country the admin-1 layer does not know. For the
    few points a caller checks (those found just across a border); not a bulk operation.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    shape = _country_shape(iso3)
    if shape is None:
        return np.full(len(lon), np.inf)
    points = shapely.points(lon, lat)
    nearest = shapely.shortest_line(shape, points)
    target = shapely.get_point(nearest, 0)
    return geodesic_km(lat, lon, shapely.get_y(target), shapely.get_x(target))


def nearest_units(
    level: int, iso3: str, lon: np.ndarray, lat: np.ndarray, admin1_names: list[str | None] | None = None
) -> np.ndarray:
    """Position of the admin-``level`` unit of ``iso3`` nearest to each point (-1: the country has none).

    With ``admin1_names`` (level 2), each point's unit is sought inside its admin-1 first.
    Vectorised over points: a country has at most a few dozen units.
    """
    layer = _level(level)
    candidates = [item for item in layer.units if item.iso3 == iso3]
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if not candidates or not len(lon):
        return np.full(len(lon), -1, dtype=np.int64)
    geometries = layer.frame.geometry.to_numpy()[[item.position for item in candidates]]
    distance = shapely.distance(geometries[:, np.newaxis], shapely.points(lon, lat)[np.newaxis, :])
    if admin1_names is not None and level == 2:
        parents = np.array([admin_key(item.admin1_name) for item in candidates], dtype=object)
        wanted = np.array([admin_key(name) if name else "" for name in admin1_names], dtype=object)
        inside = parents[:, np.newaxis] == wanted[np.newaxis, :]
        usable = inside.any(axis=0)
        distance = np.where(inside | ~usable[np.newaxis, :], distance, np.inf)
    positions = np.array([item.position for item in candidates], dtype=np.int64)
    return positions[np.argmin(distance, axis=0)]
