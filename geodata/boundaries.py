"""Administrative boundaries: countries, admin-1 regions, admin-2 units.

One layer per level is used for every lookup (docs/architecture.md, 'Data sources and credits'):
Natural Earth admin-0/1
and the mixed WOF/OCHA/NE admin-2 layer shipped in ``geodata/data``. Loaders are
cached; they return copies so a caller cannot corrupt the cache.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Final

import geopandas as gpd

from geodata.io import read_vector
from geodata.paths import DATA_DIR

ADMIN0_FILE: Final = DATA_DIR / "sahel_admin0.geojson"
ADMIN1_FILE: Final = DATA_DIR / "sahel_admin1.geojson"
ADMIN2_FILE: Final = DATA_DIR / "sahel_admin2.geojson"

ADMIN0_COLUMNS: Final = ("iso3", "country", "role")
ADMIN1_COLUMNS: Final = ("iso3", "country", "admin1_code", "admin1_name", "admin1_pcode")
ADMIN2_COLUMNS: Final = (
    "iso3",
    "country",
    "admin1_code",
    "admin1_name",
    "admin2_code",
    "admin2_name",
    "geom_source",
)

#: Countries where armed-group activity is the product's focus (role=focus in admin-0).
FOCUS_COUNTRIES: Final = ("MLI", "BFA", "NER", "LBY", "DZA", "MRT", "TCD")
#: Countries selected when a user first opens the dashboard.
DEFAULT_COUNTRIES: Final = ("MLI", "BFA", "NER")


def _load(path: Path, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    frame = read_vector(path, columns)
    keep = [*columns, "geometry"]
    frame = frame[keep].copy()
    for column in columns:
        frame[column] = frame[column].astype("string")
    return frame.reset_index(drop=True)


@lru_cache(maxsize=4)
def _cached(path: Path, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    return _load(path, columns)


def load_admin0(path: Path = ADMIN0_FILE) -> gpd.GeoDataFrame:
    """Countries: iso3, country, role (focus/context), geometry."""
    return _cached(path, ADMIN0_COLUMNS).copy()


def load_admin1(path: Path = ADMIN1_FILE) -> gpd.GeoDataFrame:
    """Admin-1 regions (primary layer): iso3, country, admin1_code, admin1_name, admin1_pcode."""
    return _cached(path, ADMIN1_COLUMNS).copy()


@lru_cache(maxsize=2)
def _cached_admin2(path: Path) -> gpd.GeoDataFrame:
    frame = _load(path, ADMIN2_COLUMNS)
    # One unit (Niamey, NER) ships without a code: derive a stable one so every unit has a key.
    derived = frame["iso3"] + "." + frame["admin2_name"].str.upper().str.replace(" ", "_")
    frame["admin2_code"] = frame["admin2_code"].fillna(derived)
    return frame


def load_admin2(path: Path = ADMIN2_FILE) -> gpd.GeoDataFrame:
    """Admin-2 units of MLI, BFA and NER with their parent admin-1 and geometry source."""
    return _cached_admin2(path).copy()


def country_names() -> dict[str, str]:
    """ISO3 -> country name for every country in the admin-0 layer, focus countries first."""
    admin0 = load_admin0()
    admin0["focus"] = admin0["iso3"].isin(FOCUS_COUNTRIES)
    admin0 = admin0.sort_values(["focus", "country"], ascending=[False, True])
    return dict(zip(admin0["iso3"], admin0["country"], strict=True))
