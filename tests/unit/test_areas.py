"""Unit areas from the shipped boundary layers, in an equal-area projection."""

from __future__ import annotations

import pytest

from geodata.areas import unit_areas_km2
from geodata.boundaries import load_admin1, load_admin2

MALI_AREA_KM2 = 1_240_192  # official figure


def test_mali_admin1_total_area() -> None:
    areas = unit_areas_km2("admin1")
    admin1 = load_admin1()
    mali = admin1.loc[admin1["iso3"] == "MLI", "admin1_code"]
    assert areas[list(mali)].sum() == pytest.approx(MALI_AREA_KM2, rel=0.03)


def test_bamako_is_small() -> None:
    areas = unit_areas_km2("admin1")
    admin1 = load_admin1()
    bamako = admin1.loc[admin1["admin1_name"] == "Bamako", "admin1_code"].iloc[0]
    assert 100 < areas[bamako] < 1_000  # district of Bamako: about 245 km²


def test_admin2_areas_cover_every_unit_and_are_cached_copies() -> None:
    areas = unit_areas_km2("admin2")
    assert set(areas.index) == set(load_admin2()["admin2_code"])
    assert (areas > 0).all()
    areas.iloc[0] = -1.0
    assert unit_areas_km2("admin2").iloc[0] > 0


def test_unknown_level() -> None:
    with pytest.raises(ValueError, match="admin3"):
        unit_areas_km2("admin3")  # type: ignore[arg-type]
