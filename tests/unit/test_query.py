"""The shared filter model: evaluation on a frame, date presets, URL round trip."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from geodata.corridors import distance_to_corridors_km, load_corridors, within_corridor_km
from geodata.crs import WGS84
from incidents.query import IncidentFilter, corridor_mask_for


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "country_iso3": pd.Categorical(["MLI", "MLI", "BFA", "NER", None]),
            "event_date": pd.to_datetime(
                ["2024-01-01", "2024-06-01", "2024-06-02", "2023-12-31", "2024-02-01"]
            ),
            "event_type": pd.Categorical(["battle", "abduction", "battle", "battle", "battle"]),
            "actor_group": pd.Categorical(["JNIM", "IS Sahel", "JNIM", "IS Sahel", "JNIM"]),
            "admin1_code": pd.Categorical(["ML-7", "ML-5", "BF-12", "NE-6", None]),
            "source_dataset": pd.Categorical(["demo", "acled", "demo", "ucdp", "demo"]),
            "fatalities": [0, 5, 12, 1, 3],
            "latitude": [16.27, 14.5, 14.1, 14.2, 10.0],
            "longitude": [-0.04, -4.1, -1.63, 1.45, -30.0],
        }
    )


def kept(f: IncidentFilter, **kwargs: object) -> list[int]:
    return np.flatnonzero(f.mask(frame(), **kwargs)).tolist()  # type: ignore[arg-type]


def test_countries_are_explicit_and_empty_means_nothing() -> None:
    assert kept(IncidentFilter(countries=("MLI", "BFA", "NER"))) == [0, 1, 2, 3]
    assert kept(IncidentFilter(countries=())) == []


def test_each_dimension_narrows() -> None:
    base = IncidentFilter(countries=("MLI", "BFA", "NER"))
    assert kept(
        IncidentFilter(countries=("MLI", "BFA", "NER"), since=date(2024, 1, 1), until=date(2024, 6, 1))
    ) == [
        0,
        1,
    ]
    assert kept(IncidentFilter(countries=base.countries, event_types=("abduction",))) == [1]
    assert kept(IncidentFilter(countries=base.countries, actor_groups=("IS Sahel",))) == [1, 3]
    assert kept(IncidentFilter(countries=base.countries, min_fatalities=5)) == [1, 2]
    assert kept(IncidentFilter(countries=base.countries, admin1_codes=("BF-12", "NE-6"))) == [2, 3]
    assert kept(IncidentFilter(countries=base.countries, sources=("demo",))) == [0, 2]


def test_corridor_filter_uses_the_given_geometry_function() -> None:
    def near_c1(corridor_id: str, km: float, data: pd.DataFrame) -> np.ndarray:
        return within_corridor_km(corridor_id, km, data["longitude"], data["latitude"])

    f = IncidentFilter(countries=("MLI", "BFA", "NER"), corridor_id="C1", corridor_km=25)
    # Djibo (BFA) and Tillabéri (NER) are C1 waypoints; Gao and Sévaré are far from C1.
    assert kept(f, corridor_mask=near_c1) == [2, 3]


def test_corridor_filter_measures_against_the_given_corridors() -> None:
    near_c1 = IncidentFilter(countries=("MLI", "BFA", "NER"), corridor_id="C1", corridor_km=25)
    assert kept(near_c1) == [2, 3]  # None: the shipped lines
    moved = gpd.GeoDataFrame(  # C1 redrawn through Gao (row 0) and Sévaré (row 1)
        {"corridor_id": ["C1"], "corridor_name": ["moved"]},
        geometry=[LineString([(-0.04, 16.27), (-4.1, 14.5)])],
        crs=WGS84,
    )
    assert kept(near_c1, corridors=moved) == [0, 1]
    others = load_corridors().query("corridor_id != 'C1'")  # C1 retired
    assert kept(near_c1, corridors=others) == []
    assert kept(near_c1, corridors=others.iloc[0:0]) == []  # none active: never the shipped lines
    unknown = corridor_mask_for(others)("C99", 25.0, frame())
    assert unknown.dtype == bool and not unknown.any()


def test_within_corridor_agrees_with_geodesic_distances() -> None:
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(-3, 3, 5_000), rng.uniform(13, 17, 5_000)
    inside = within_corridor_km("C2", 30, lon, lat)
    distance = distance_to_corridors_km(lon, lat)["C2"].to_numpy()
    assert inside.any()
    assert not (inside & (distance > 30 * 1.015)).any()
    assert not (~inside & (distance < 30 * 0.985)).any()
    with pytest.raises(ValueError, match="unknown corridor"):
        within_corridor_km("C99", 10, lon, lat)


def test_presets_count_back_from_the_last_data_date() -> None:
    data_range = (date(2018, 1, 1), date(2025, 12, 31))
    last30 = IncidentFilter(countries=("MLI",), preset="last_30").resolved(data_range)
    assert (last30.since, last30.until) == (date(2025, 12, 2), date(2025, 12, 31))
    everything = IncidentFilter(countries=("MLI",), preset="all").resolved(data_range)
    assert (everything.since, everything.until) == data_range
    assert last30.previous_period() == (date(2025, 11, 2), date(2025, 12, 1))


def test_url_round_trip() -> None:
    original = IncidentFilter(
        countries=("MLI", "NER"),
        preset="custom",
        since=date(2024, 1, 1),
        until=date(2024, 3, 31),
        event_types=("battle", "abduction"),
        actor_groups=("JNIM",),
        min_fatalities=3,
        admin1_codes=("ML-7",),
        corridor_id="C2",
        corridor_km=40,
        sources=("acled",),
    )
    assert IncidentFilter.from_query_params(original.to_query_params(), ["BFA"]) == original


def test_hand_edited_urls_fall_back_to_defaults_never_raise() -> None:
    parsed = IncidentFilter.from_query_params(
        {
            "period": "forever",
            "min_fatalities": "lots",
            "corridor_km": "-3",
            "type": ["battle", "zzz"],
            "from": "2024-13-01",
        },
        ["MLI", "BFA"],
    )
    assert parsed.countries == ("MLI", "BFA")
    assert parsed.preset == "last_365"
    assert (parsed.min_fatalities, parsed.corridor_km, parsed.event_types) == (0, 25.0, ("battle",))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"event_types": ("massacre",)},
        {"min_fatalities": -1},
        {"corridor_km": 0},
        {"preset": "soon"},
        {"since": date(2024, 2, 1), "until": date(2024, 1, 1)},
    ],
)
def test_invalid_filters_raise_with_the_allowed_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        IncidentFilter(countries=("MLI",), **kwargs)  # type: ignore[arg-type]
