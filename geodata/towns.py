"""Which gazetteer places to label on a map, and from which zoom: a pure selection.

Why: with no tiles (the offline default) a map has no place names at all, and a reader
cannot tell Mopti from Gao. Labelling every one of the 56,000 gazetteer places would bury
the map and slow the page, so places come in tiers, biggest first:

=================  ==========================================================  =========
tier (``kind``)    places                                                      from zoom
=================  ==========================================================  =========
``capital``        national capitals (:data:`NATIONAL_CAPITALS`)               always
``regional``       regional (admin-1) capitals (:data:`REGIONAL_CAPITALS`;      always*
                   elsewhere the largest place of each admin-1)
``town``           population >= 10,000                                        6
``small_town``     population >= 1,000                                         8
``village``        other populated places (population unknown)                 10
=================  ==========================================================  =========

(*) A label never starts at a zoom where it would overlap a label already placed (checked
in Web-Mercator pixels with an estimated label box), so e.g. Ziniaré, 30 km from
Ouagadougou, appears only when zoomed in far enough to separate the two; national
capitals are placed first and always shown. Each tier keeps at most
:data:`TIER_CAPS` places (largest first), so the page stays small and fast.

Names: GeoNames gives some places their English exonym ("Timbuktu"); the map uses the local
(French) spelling the boundaries and incident files use, from :data:`LOCAL_NAMES`.
The same place in two sources (GeoNames and OpenStreetMap "Bamako") is labelled once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
import pandas as pd

from geodata.gazetteer import POPULATED_PLACE, load_gazetteer

#: Columns of :func:`label_towns`.
TOWN_COLUMNS: Final = (
    "place_id",
    "name",
    "lat",
    "lon",
    "country_iso3",
    "admin1_name",
    "population",
    "kind",
    "min_zoom",
)

#: National capitals by place_id (homonyms are common: pick by id, see geodata/data/SOURCES.md).
NATIONAL_CAPITALS: Final[dict[str, str]] = {
    "gn:2460596": "MLI",  # Bamako
    "gn:2357048": "BFA",  # Ouagadougou
    "gn:2440485": "NER",  # Niamey
    "gn:2210247": "LBY",  # Tripoli
    "gn:2377450": "MRT",  # Nouakchott
    "gn:2427123": "TCD",  # N'Djamena
    "gn:2253354": "SEN",  # Dakar
    "gn:2422465": "GIN",  # Conakry
    "gn:2279755": "CIV",  # Yamoussoukro
    "gn:2306104": "GHA",  # Accra
    "gn:2365267": "TGO",  # Lomé
    "gn:2392087": "BEN",  # Porto-Novo
    "gn:2352778": "NGA",  # Abuja
}
#: Regional capitals of the focus countries (the admin-1 units of sahel_admin1.geojson).
REGIONAL_CAPITALS: Final[dict[str, tuple[str, ...]]] = {
    # Kayes, Koulikoro, Sikasso, Ségou, Mopti, Tombouctou, Gao, Kidal, Ménaka, Taoudénit
    "MLI": (
        "gn:2455518",
        "gn:2454530",
        "gn:2451185",
        "gn:2451478",
        "gn:2453348",
        "gn:2449067",
        "gn:2457163",
        "gn:2455290",
        "gn:2453514",
        "gn:2450173",
    ),
    # Dédougou, Banfora, Tenkodogo, Kaya, Koudougou, Manga, Fada N'Gourma, Bobo-Dioulasso,
    # Ouahigouya, Ziniaré, Dori, Gaoua (Ouagadougou is the national capital)
    "BFA": (
        "gn:2361477",
        "gn:2362909",
        "gn:2354675",
        "gn:2359608",
        "gn:2358946",
        "gn:2358100",
        "gn:2360886",
        "gn:2362344",
        "gn:2357043",
        "gn:2353257",
        "gn:2361082",
        "gn:2360620",
    ),
    # Agadez, Diffa, Dosso, Maradi, Tahoua, Tillabéri, Zinder
    "NER": ("gn:2448085", "gn:2445704", "gn:2445488", "gn:2441291", "gn:2439376", "gn:2438678", "gn:2437798"),
}
#: place_id -> local spelling, where GeoNames' main name is an English exonym.
LOCAL_NAMES: Final[dict[str, str]] = {
    "gn:2449067": "Tombouctou",  # GeoNames "Timbuktu"; the admin-1 region is "Tombouctou"
    "gn:2450173": "Taoudéni",  # GeoNames "Taoudenni"
    "gn:2360886": "Fada N'Gourma",  # GeoNames "Fada N'gourma"
}


@dataclass(frozen=True)
class Tier:
    """One tier of labels: ``kind``, the zoom it starts at, and at most ``cap`` places."""

    kind: str
    min_zoom: int
    cap: int


TIERS: Final = (
    Tier("capital", 0, 20),
    Tier("regional", 0, 200),
    Tier("town", 6, 300),
    Tier("small_town", 8, 600),
    Tier("village", 10, 1500),
)
TIER_CAPS: Final = {tier.kind: tier.cap for tier in TIERS}
TOWN_MIN_POPULATION: Final = 10_000
SMALL_TOWN_MIN_POPULATION: Final = 1_000
#: Beyond this zoom a label that still overlaps another is dropped.
MAX_LABEL_ZOOM: Final = 13
#: Estimated label box in screen pixels: character width, height, dot and padding.
CHAR_PX: Final = 6.5
LABEL_HEIGHT_PX: Final = 14.0
LABEL_PAD_PX: Final = 6.0
#: The same name within this distance (degrees) is the same place in two sources.
SAME_PLACE_DEG: Final = 0.15


def label_towns(countries: Iterable[str]) -> pd.DataFrame:
    """Places to label on a map of ``countries`` (ISO3 codes), with the zoom each appears at.

    Returns :data:`TOWN_COLUMNS`: ``name`` (local spelling), ``lat``, ``lon``,
    ``population`` (0 = unknown), ``kind`` (the tier), ``min_zoom`` (show at this zoom
    and above), in placing order (capitals first, then by population). Unknown country
    codes simply give no places. Cached per set of countries; the caller gets a copy.
    """
    key = tuple(sorted({str(code).upper() for code in countries}))
    return _label_towns_cached(key).copy()


@lru_cache(maxsize=16)
def _label_towns_cached(countries: tuple[str, ...]) -> pd.DataFrame:
    gazetteer = load_gazetteer()
    places = gazetteer[gazetteer["country_iso3"].isin(countries)]
    places = places[places["place_type"] == POPULATED_PLACE].copy()
    if places.empty:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in TOWN_COLUMNS})
    places["name"] = [
        LOCAL_NAMES.get(pid, name) for pid, name in zip(places["place_id"], places["name"], strict=True)
    ]
    places["kind"] = _kinds(places)
    order = {tier.kind: i for i, tier in enumerate(TIERS)}
    places["_tier"] = places["kind"].map(order)
    places["_gn"] = ~places["source"].astype(str).str.startswith("gn")
    places = places.sort_values(
        ["_tier", "population", "_gn", "place_id"], ascending=[True, False, True, True], kind="stable"
    )
    places = _drop_same_place(places)
    rank = places.groupby("_tier", sort=False).cumcount()
    places = places[rank < places["_tier"].map({i: tier.cap for i, tier in enumerate(TIERS)})]
    places["min_zoom"] = _place_labels(places)
    places = places[places["min_zoom"] <= MAX_LABEL_ZOOM]
    out = places.loc[:, list(TOWN_COLUMNS)].reset_index(drop=True)
    out["population"] = out["population"].astype("int64")
    out["min_zoom"] = out["min_zoom"].astype("int64")
    return out


def _kinds(places: pd.DataFrame) -> pd.Series:
    """The tier of each place (see the module docstring)."""
    regional_ids = {pid for ids in REGIONAL_CAPITALS.values() for pid in ids}
    kind = pd.Series("village", index=places.index, dtype=object)
    kind[places["population"] >= SMALL_TOWN_MIN_POPULATION] = "small_town"
    kind[places["population"] >= TOWN_MIN_POPULATION] = "town"
    # Countries without a regional table: the largest place of each admin-1 stands in.
    other = places[~places["country_iso3"].isin(list(REGIONAL_CAPITALS)) & places["admin1_name"].notna()]
    other = other[other["population"] > 0]
    largest = other.sort_values("population", ascending=False, kind="stable").drop_duplicates(
        ["country_iso3", "admin1_name"]
    )
    kind[places["place_id"].isin(regional_ids) | places.index.isin(largest.index)] = "regional"
    kind[places["place_id"].isin(list(NATIONAL_CAPITALS))] = "capital"
    return kind


def _drop_same_place(places: pd.DataFrame) -> pd.DataFrame:
    """Keep the first (best) of places with the same name within :data:`SAME_PLACE_DEG`."""
    keys = places["name_norm"].to_numpy()
    lat = places["lat"].to_numpy(dtype=np.float64)
    lon = places["lon"].to_numpy(dtype=np.float64)
    keep = np.ones(len(places), dtype=bool)
    seen: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        earlier = seen.setdefault(key, [])
        if any(
            abs(lat[j] - lat[i]) < SAME_PLACE_DEG and abs(lon[j] - lon[i]) < SAME_PLACE_DEG for j in earlier
        ):
            keep[i] = False
        else:
            earlier.append(i)
    return places[keep]


def _mercator(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web-Mercator pixel coordinates at zoom 0 (256 px world), as Leaflet draws them."""
    phi = np.radians(np.clip(lat, -85.0, 85.0))
    x = (lon + 180.0) / 360.0 * 256.0
    y = (1.0 - np.log(np.tan(phi) + 1.0 / np.cos(phi)) / math.pi) / 2.0 * 256.0
    return x, y


def _place_labels(places: pd.DataFrame) -> np.ndarray:
    """Greedy placement in the given order: each label's first zoom from which on it overlaps
    no label placed before it, at any zoom where both show (national capitals are always
    placed at their tier's zoom).

    Labels are centred above their point: boxes ``[x - w/2, x + w/2] x [y - h, y]`` in
    pixels at zoom z are the zoom-0 points scaled by ``2**z``; two boxes stop overlapping at
    the first zoom where the gap in x exceeds the half widths or the gap in y the height.
    """
    x, y = _mercator(places["lat"].to_numpy(np.float64), places["lon"].to_numpy(np.float64))
    width = places["name"].str.len().to_numpy(np.float64) * CHAR_PX + LABEL_PAD_PX
    tier_zoom = places["_tier"].map({i: tier.min_zoom for i, tier in enumerate(TIERS)}).to_numpy(np.int64)
    kinds = places["kind"].to_numpy()
    result = np.full(len(places), MAX_LABEL_ZOOM + 1, dtype=np.int64)
    placed: list[int] = []
    for i in range(len(places)):
        zoom = int(tier_zoom[i])
        if kinds[i] != "capital" and placed:
            idx = np.asarray(placed)
            # Overlap at zoom z while |dx|*2^z < (w_i + w_j)/2 and |dy|*2^z < h.
            need_x = (width[idx] + width[i]) / 2 / np.maximum(np.abs(x[i] - x[idx]), 1e-9)
            need_y = LABEL_HEIGHT_PX / np.maximum(np.abs(y[i] - y[idx]), 1e-9)
            # Separated from label j from this zoom on (either gap suffices).
            free = np.ceil(np.log2(np.minimum(need_x, need_y)) + 1e-9)
            starts = result[idx]
            while zoom <= MAX_LABEL_ZOOM and bool(np.any(np.maximum(starts, zoom) < free)):
                zoom += 1
        result[i] = zoom
        if zoom <= MAX_LABEL_ZOOM:
            placed.append(i)
    return result
