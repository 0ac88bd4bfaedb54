"""Spatial assignment: known places, borders, the ocean, and one row per point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geodata.assign import ASSIGNED_COLUMNS, assign_admin_units
from geodata.boundaries import load_admin0


def one(lon: float, lat: float) -> pd.Series:
    frame = assign_admin_units([lon], [lat])
    assert len(frame) == 1
    return frame.iloc[0]


def test_gao_town_is_gao_cercle_in_gao_region() -> None:
    row = one(-0.04, 16.27)
    assert (row.country_iso3, row.admin1_name, row.admin1_code) == ("MLI", "Gao", "ML-7")
    assert (row.admin2_name, row.admin2_code) == ("Gao", "ML.GA.GA")


def test_bamako() -> None:
    row = one(-8.0, 12.65)
    assert (row.country_iso3, row.admin1_code, row.admin2_name) == ("MLI", "ML-BKO", "Bamako")


def test_ouagadougou_is_centre_kadiogo() -> None:
    row = one(-1.5197, 12.3714)
    assert (row.country_iso3, row.admin1_name, row.admin1_code) == ("BFA", "Centre", "BF-03")
    assert row.admin2_name == "Kadiogo"


def test_djibo_is_sahel_soum() -> None:
    row = one(-1.62665, 14.09864)
    assert (row.country_iso3, row.admin1_name, row.admin2_name) == ("BFA", "Sahel", "Soum")


def test_tillaberi_town_is_niger() -> None:
    row = one(1.45418, 14.20711)
    assert row.country_iso3 == "NER"
    assert row.admin1_name == "Tillabéri"


def test_menaka_town_is_menaka_cercle() -> None:
    row = one(2.39609, 15.91985)
    assert (row.country_iso3, row.admin2_code) == ("MLI", "ML.GA.MN")


def test_point_in_the_atlantic_is_null() -> None:
    row = one(-30.0, 10.0)
    assert all(pd.isna(row[column]) for column in ASSIGNED_COLUMNS)


def test_nan_coordinates_are_null_not_an_error() -> None:
    frame = assign_admin_units([np.nan, -0.04], [np.nan, 16.27])
    assert pd.isna(frame.loc[0, "country_iso3"])
    assert frame.loc[1, "country_iso3"] == "MLI"


def _mali_niger_border_points() -> tuple[np.ndarray, np.ndarray]:
    admin0 = load_admin0().set_index("iso3")
    border = shapely.intersection(
        shapely.boundary(admin0.loc["MLI", "geometry"]), shapely.boundary(admin0.loc["NER", "geometry"])
    )
    assert border.length > 1, "Mali and Niger must share a border in the shipped data"
    distances = np.linspace(0.05, 0.95, 25) * border.length
    points = shapely.line_interpolate_point(shapely.line_merge(border), distances)
    return shapely.get_x(points), shapely.get_y(points)


def test_points_on_and_near_the_mali_niger_border_get_exactly_one_country() -> None:
    lon, lat = _mali_niger_border_points()
    metres = 5 / 111_000  # a few metres either side
    all_lon = np.concatenate([lon, lon + metres, lon - metres])
    all_lat = np.concatenate([lat, lat, lat])
    frame = assign_admin_units(all_lon, all_lat)
    assert len(frame) == len(all_lon)
    assert frame["country_iso3"].isin(["MLI", "NER"]).all()


def test_exactly_on_border_is_deterministic() -> None:
    lon, lat = _mali_niger_border_points()
    first = assign_admin_units(lon, lat)
    second = assign_admin_units(lon[::-1], lat[::-1]).iloc[::-1].reset_index(drop=True)
    pd.testing.assert_frame_equal(first, second)


def test_100000_random_points_give_100000_rows_in_order() -> None:
    rng = np.random.default_rng(7)
    lon = rng.uniform(-18, 25, 100_000)
    lat = rng.uniform(5, 35, 100_000)
    lon[:3], lat[:3] = [-0.04, -30.0, -1.62665], [16.27, 10.0, 14.09864]
    frame = assign_admin_units(lon, lat)
    assert len(frame) == 100_000
    assert list(frame["country_iso3"].iloc[:3].fillna("none")) == ["MLI", "none", "BFA"]
    assert frame["country_iso3"].notna().mean() > 0.5


def test_admin2_only_within_the_same_country_as_admin1() -> None:
    rng = np.random.default_rng(3)
    frame = assign_admin_units(rng.uniform(-6, 5, 20_000), rng.uniform(10, 20, 20_000))
    has_admin2 = frame["admin2_code"].notna()
    assert has_admin2.any()
    assert frame.loc[has_admin2, "country_iso3"].isin(["MLI", "BFA", "NER"]).all()
    prefixes = frame.loc[has_admin2, "admin2_code"].str[:2]
    expected = frame.loc[has_admin2, "country_iso3"].map({"MLI": "ML", "BFA": "BF", "NER": "NE"})
    assert (prefixes == expected).all()


def test_mismatched_lengths_raise() -> None:
    with pytest.raises(ValueError, match="same length"):
        assign_admin_units([1.0, 2.0], [1.0])
