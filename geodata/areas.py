"""Areas of administrative units in km², for per-area incident rates.

Rates "per 10,000 km²" let a reader compare a vast desert region with a small, dense one.
Areas are measured once, in an equal-area projection (degrees or the Sahel equidistant
conic would bias them), and cached for the life of the process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final, Literal

import pandas as pd

from geodata.boundaries import load_admin1, load_admin2

#: WGS 84 / NSIDC EASE-Grid 2.0 Global: cylindrical equal-area, exact areas at any latitude.
EQUAL_AREA_CRS: Final = "EPSG:6933"
_LEVELS: Final = ("admin1", "admin2")


@lru_cache(maxsize=2)
def _areas(level: str) -> pd.Series:
    layer = load_admin1() if level == "admin1" else load_admin2()
    code_column = f"{level}_code"
    km2 = layer.to_crs(EQUAL_AREA_CRS).geometry.area / 1e6
    # A unit split over several rows (multi-part features) is one unit: sum its parts.
    areas = km2.groupby(layer[code_column].astype("string").to_numpy()).sum()
    areas.index.name = code_column
    areas.name = "area_km2"
    return areas.astype("float64")


def unit_areas_km2(level: Literal["admin1", "admin2"]) -> pd.Series:
    """Area in km² of every unit of ``level``, indexed by unit code (``admin1_code``/``admin2_code``)."""
    if level not in _LEVELS:
        raise ValueError(f"unknown level {level!r}; allowed: {list(_LEVELS)}")
    return _areas(level).copy()
