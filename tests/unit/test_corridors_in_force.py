"""Every corridor-dependent figure follows the store's active corridors (SQLite and PostgreSQL).

Retiring a corridor removes it from the corridor filter, the corridor risk units, the trend
flags and the before/after table; uploading a new route moves membership to the new line.
None still means the shipped geometry, and caches never serve one corridor set's result
for another.
"""

from __future__ import annotations

import itertools
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from geodata.corridors import CorridorSet, corridor_set, distance_to_corridors_km
from geodata.crs import WGS84
from incidents.admin_join import attach_admin_units
from incidents.auth import Role, User
from incidents.query import IncidentFilter
from incidents.risk.exposure import site_exposure
from incidents.risk.index import compute_risk_index, populated_cells
from incidents.risk.pivot import before_after
from incidents.risk.table import build_risk_table
from incidents.risk.trends import trend_flags
from incidents.risk.units import unit_membership, unit_names
from incidents.store import BatchMeta, IncidentStore
from incidents.store.corridors import active_corridor_segments, add_corridor_version, retire_corridor

ANA = User("ana", Role.ANALYST)
AS_OF = date(2025, 6, 30)
PIVOT = date(2025, 6, 1)
NEAR_C1 = (-0.55, 14.336)  # lon, lat: on C1 (Aribinda - Gorom-Gorom), 53 km from C3, farther from others
MARADI = (7.10, 13.50)  # at least 366 km from every shipped corridor
NEW_ROUTE = ((6.8, 13.3), (7.1, 13.5), (7.5, 13.7))  # a new C1 through Maradi
C1_DAYS = ("2025-05-10", "2025-05-20", "2025-06-10", "2025-06-20")
MARADI_DAYS = ("2025-05-15", "2025-06-15", "2025-06-25")
COUNTRIES = ("MLI", "BFA", "NER")


def _route(*coords: tuple[float, float]) -> gpd.GeoDataFrame:
    lines = [LineString([a, b]) for a, b in itertools.pairwise(coords)]
    return gpd.GeoDataFrame({"from_name": ["a"] * len(lines)}, geometry=lines, crs=WGS84)


@pytest.fixture
def filled(store: IncidentStore) -> IncidentStore:
    points = [NEAR_C1] * len(C1_DAYS) + [MARADI] * len(MARADI_DAYS)
    frame = pd.DataFrame(
        {
            "source_dataset": "manual",
            "source_event_id": [f"c{i}" for i in range(len(points))],
            "event_date": pd.to_datetime([*C1_DAYS, *MARADI_DAYS]),
            "date_precision": "day",
            "longitude": [lon for lon, _ in points],
            "latitude": [lat for _, lat in points],
            "geo_precision": 1,
            "event_type": "battle",
            "actor1": "JNIM",
            "actor_group": "JNIM",
            "fatalities": 2,
            "civilian_targeting": False,
            "location": "x",
        }
    )
    store.add_batch(attach_admin_units(frame), BatchMeta("c.csv", "0" * 64, "generic", rows_read=len(frame)))
    return store


def _rows_at(frame: pd.DataFrame, point: tuple[float, float]) -> set[int]:
    at = np.isclose(frame["longitude"], point[0]) & np.isclose(frame["latitude"], point[1])
    return set(np.flatnonzero(np.asarray(at)).tolist())


def _corridor_rows(frame: pd.DataFrame, corridor_id: str, corridors: object) -> set[int]:
    members = unit_membership(frame, "corridor", corridors=corridors)  # type: ignore[arg-type]
    return set(members.loc[members["unit_code"] == corridor_id, "row"].tolist())


def _cells_of(cells: pd.DataFrame, code: str) -> set[tuple[int, int]]:
    own = cells[cells["unit_code"] == code]
    return set(zip(own["cell_x"].tolist(), own["cell_y"].tolist(), strict=True))


def test_the_test_points_sit_where_the_tests_assume() -> None:
    distances = distance_to_corridors_km([NEAR_C1[0], MARADI[0]], [NEAR_C1[1], MARADI[1]])
    assert distances.loc[0, "C1"] < 1 and distances.loc[0].drop("C1").min() > 50
    assert distances.loc[1].min() > 300


def test_retired_corridor_no_longer_filters_scores_or_flags(filled: IncidentStore) -> None:
    frame = filled.load_analysis_frame()
    near = _rows_at(frame, NEAR_C1)
    near_c1 = IncidentFilter(countries=COUNTRIES, corridor_id="C1", corridor_km=25)
    before = active_corridor_segments(filled)
    assert set(np.flatnonzero(near_c1.mask(frame, corridors=before)).tolist()) == near
    table = build_risk_table(frame, level="corridor", as_of=AS_OF, corridors=before).set_index("unit_code")
    assert table.loc["C1", "events"] == len(C1_DAYS)

    retire_corridor(filled, "C1", by=ANA)
    after = active_corridor_segments(filled)

    assert not near_c1.mask(frame, corridors=after).any()  # a retired corridor matches nothing
    table = build_risk_table(frame, level="corridor", as_of=AS_OF, corridors=after)
    assert "C1" not in set(table["unit_code"])
    assert sorted(table["unit_code"]) == [f"C{i}" for i in range(2, 10)]
    assert "C1" not in set(unit_names("corridor", after)["unit_code"])
    assert _corridor_rows(frame, "C1", after) == set()
    assert "C1" not in set(trend_flags(frame, level="corridor", as_of=AS_OF, corridors=after)["unit_code"])
    pivot = before_after(frame, pivot=PIVOT, window_days=30, level="corridor", corridors=after)
    assert "C1" not in set(pivot["unit_code"])
    # None is still the shipped geometry, and no cache hands back the store's result for it.
    shipped = build_risk_table(frame, level="corridor", as_of=AS_OF).set_index("unit_code")
    assert shipped.loc["C1", "events"] == len(C1_DAYS)
    assert near_c1.mask(frame).sum() == len(near)


def test_uploaded_route_moves_membership_to_the_new_line(filled: IncidentStore) -> None:
    frame = filled.load_analysis_frame()
    near, maradi = _rows_at(frame, NEAR_C1), _rows_at(frame, MARADI)
    assert _corridor_rows(frame, "C1", active_corridor_segments(filled)) == near

    add_corridor_version(filled, "C1", _route(*NEW_ROUTE), name="C1 through Maradi", by=ANA)
    active = active_corridor_segments(filled)

    assert _corridor_rows(frame, "C1", active) == maradi
    index = compute_risk_index(frame, level="corridor", as_of=AS_OF, corridors=active).set_index("unit_code")
    assert index.loc["C1", "events"] == len(MARADI_DAYS)
    assert index.loc["C1", "unit_name"] == "C1 through Maradi"
    assert index.loc["C1", "country_iso3"] == "NER"
    flags = trend_flags(frame, level="corridor", as_of=AS_OF, corridors=active).set_index("unit_code")
    assert flags.loc["C1", "this_week"] == 1  # 25 June
    pivot = before_after(frame, pivot=PIVOT, window_days=30, level="corridor", corridors=active)
    c1 = pivot.set_index("unit_code").loc["C1"]
    assert (c1["events_before"], c1["events_after"]) == (1, 2)
    chosen = IncidentFilter(countries=COUNTRIES, corridor_id="C1", corridor_km=25)
    assert set(np.flatnonzero(chosen.mask(frame, corridors=active)).tolist()) == maradi

    # The diffusion denominator follows the route; other corridors keep theirs.
    new_cells = populated_cells("corridor", corridors=active)
    old_cells = populated_cells("corridor")
    new_c1, old_c1 = _cells_of(new_cells, "C1"), _cells_of(old_cells, "C1")
    assert new_c1 and old_c1 and not new_c1 & old_c1
    c2_new = new_cells[new_cells["unit_code"] == "C2"].reset_index(drop=True)
    c2_old = old_cells[old_cells["unit_code"] == "C2"].reset_index(drop=True)
    pd.testing.assert_frame_equal(c2_new, c2_old)
    # Asked again for the shipped geometry, after the store's: still the old line.
    assert _corridor_rows(frame, "C1", None) == near
    shipped = compute_risk_index(frame, level="corridor", as_of=AS_OF).set_index("unit_code")
    assert shipped.loc["C1", "events"] == len(C1_DAYS)


def test_exposure_nearest_corridor_follows_the_store(filled: IncidentStore) -> None:
    frame = filled.load_analysis_frame()
    sites = pd.DataFrame(
        {
            "site_id": ["s1"],
            "name": ["Office"],
            "site_type": ["office"],
            "kind": ["site"],
            "geometry_wkt": [f"POINT ({NEAR_C1[0]} {NEAR_C1[1]})"],
        }
    )
    before = site_exposure(sites, frame, as_of=AS_OF, corridors=active_corridor_segments(filled)).iloc[0]
    assert before["nearest_corridor"].startswith("Liptako-Gourma")
    assert before["corridor_distance_km"] < 1
    retire_corridor(filled, "C1", by=ANA)
    after = site_exposure(sites, frame, as_of=AS_OF, corridors=active_corridor_segments(filled)).iloc[0]
    assert not after["nearest_corridor"].startswith("Liptako-Gourma")
    assert after["corridor_distance_km"] > 50
    for corridor_id in (f"C{i}" for i in range(2, 10)):
        retire_corridor(filled, corridor_id, by=ANA)
    none_left = active_corridor_segments(filled)
    assert none_left.empty
    alone = site_exposure(sites, frame, as_of=AS_OF, corridors=none_left).iloc[0]
    assert pd.isna(alone["nearest_corridor"]) and np.isnan(alone["corridor_distance_km"])
    table = build_risk_table(frame, level="corridor", as_of=AS_OF, corridors=none_left)
    assert table.empty and list(table.columns)  # no corridor, no unit; never the shipped ones
    chosen = IncidentFilter(countries=COUNTRIES, corridor_id="C2", corridor_km=25)
    assert not chosen.mask(frame, corridors=none_left).any()


def test_corridor_set_is_a_value_key() -> None:
    shipped = corridor_set(None)
    assert isinstance(shipped, CorridorSet) and shipped.ids[:2] == ("C1", "C2")
    moved = corridor_set(_route(*NEW_ROUTE).assign(corridor_id="C1", corridor_name="x"))
    again = corridor_set(_route(*NEW_ROUTE).assign(corridor_id="C1", corridor_name="x"))
    assert moved == again and hash(moved) == hash(again) and moved != shipped
    other_line = corridor_set(_route((0, 14), (1, 14)).assign(corridor_id="C1", corridor_name="x"))
    assert other_line.ids == moved.ids and other_line != moved
    assert len(moved.wkb) == 1  # segments are merged into one line per corridor
    assert "wkb" not in repr(moved)
