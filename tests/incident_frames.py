"""Small invented frames the map and chart builders' unit tests share: a run of like incidents
at Gao and single-unit Mali boundaries. Invented rows only, shaped as the store returns them."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from incidents.model import conform_incidents


def like_incidents(
    n: int = 3,
    *,
    dataset: str = "ucdp",
    latitude: float = 16.0,
    longitude: float = 0.0,
    step: float = 0.1,
    fatalities: int = 1,
    notes: str = "x",
    source: str = "y",
) -> pd.DataFrame:
    """``n`` JNIM battles at Gao on 5 January 2024, ``step`` degrees of latitude apart."""
    return conform_incidents(
        pd.DataFrame(
            {
                "source_dataset": [dataset] * n,
                "source_event_id": [str(i) for i in range(n)],
                "event_date": ["2024-01-05"] * n,
                "date_precision": ["day"] * n,
                "country_iso3": ["MLI"] * n,
                "country": ["Mali"] * n,
                "admin1_name": ["Gao"] * n,
                "location": ["Gao"] * n,
                "latitude": [latitude + i * step for i in range(n)],
                "longitude": [longitude] * n,
                "geo_precision": [1] * n,
                "event_type": ["battle"] * n,
                "actor_group": ["JNIM"] * n,
                "actor1": ["JNIM"] * n,
                "fatalities": [fatalities] * n,
                "civilian_targeting": [False] * n,
                "notes": [notes] * n,
                "source": [source] * n,
            }
        )
    )


def mali_admin0(bounds: tuple[float, float, float, float] = (-12, 10, 4, 25)) -> gpd.GeoDataFrame:
    """Mali as one box (the focus country)."""
    return gpd.GeoDataFrame(
        {"iso3": ["MLI"], "country": ["Mali"], "role": ["focus"]}, geometry=[box(*bounds)], crs="EPSG:4326"
    )


def gao_admin1(bounds: tuple[float, float, float, float] = (-1, 14, 4, 18)) -> gpd.GeoDataFrame:
    """The Gao region (ML-7) as one box."""
    return gpd.GeoDataFrame(
        {
            "iso3": ["MLI"],
            "country": ["Mali"],
            "admin1_code": ["ML-7"],
            "admin1_name": ["Gao"],
            "admin1_pcode": ["ML07"],
        },
        geometry=[box(*bounds)],
        crs="EPSG:4326",
    )
