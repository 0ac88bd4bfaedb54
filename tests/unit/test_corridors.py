"""Corridor segments, distances and buffers, checked against brute-force geodesics."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from geodata.corridors import (
    REFERENCES_PATH,
    WAYPOINTS_PATH,
    buffer_corridors_km,
    build_corridor_segments,
    distance_to_corridors_km,
    load_corridor_segments,
    load_corridors,
    nearest_corridor,
)
from geodata.errors import DataFileError

GEOD = Geod(ellps="WGS84")

# name: (lon, lat)
PLACES = {
    "Gao": (-0.04472, 16.27167),  # a C4 waypoint
    "Djibo": (-1.62665, 14.09864),  # a C1 and C3 waypoint
    "Niamey": (2.1254, 13.5116),
    "Bamako": (-8.0029, 12.6392),
    "Nouakchott": (-15.9785, 18.0858),
    "Tamanrasset": (5.5228, 22.785),
}


@pytest.fixture(scope="module")
def waypoints() -> pd.DataFrame:
    return pd.read_csv(WAYPOINTS_PATH, dtype={"named_in_sources": "str"}, keep_default_na=False)


@pytest.fixture(scope="module")
def segments() -> pd.DataFrame:
    return load_corridor_segments()


def _brute_force_km(lon: float, lat: float, segments: pd.DataFrame, waypoints: pd.DataFrame) -> pd.Series:
    """Min geodesic distance to 2,000 geodesic points per segment, from the CSV coordinates."""
    coords = waypoints.set_index(["corridor_id", "place_id"])[["lon", "lat"]]
    result = {}
    for corridor_id, corridor in segments.groupby("corridor_id"):
        dense = []
        for row in corridor.itertuples():
            lon1, lat1 = coords.loc[(corridor_id, row.from_place_id)]
            lon2, lat2 = coords.loc[(corridor_id, row.to_place_id)]
            dense += [(lon1, lat1), *GEOD.npts(lon1, lat1, lon2, lat2, 2000), (lon2, lat2)]
        dense_arr = np.array(dense)
        n = len(dense_arr)
        _, _, metres = GEOD.inv(np.full(n, lon), np.full(n, lat), dense_arr[:, 0], dense_arr[:, 1])
        result[corridor_id] = metres.min() / 1000
    return pd.Series(result)


def test_shipped_geojson_matches_a_fresh_build(segments: pd.DataFrame) -> None:
    fresh = build_corridor_segments(WAYPOINTS_PATH, REFERENCES_PATH)
    columns = ["corridor_id", "segment", "from_place_id", "to_place_id", "connector", "branch", "sources"]
    pd.testing.assert_frame_equal(
        fresh[columns].reset_index(drop=True), segments[columns].reset_index(drop=True), check_dtype=False
    )


def test_one_segment_per_waypoint_after_the_first(segments: pd.DataFrame, waypoints: pd.DataFrame) -> None:
    expected = waypoints.groupby("corridor_id").size() - 1
    actual = segments.groupby("corridor_id").size()
    pd.testing.assert_series_equal(actual.sort_index(), expected.sort_index(), check_names=False)
    for corridor_id, corridor in segments.groupby("corridor_id"):
        assert list(corridor["segment"]) == list(range(1, len(corridor) + 1)), corridor_id


def test_main_line_joins_consecutive_waypoints(segments: pd.DataFrame, waypoints: pd.DataFrame) -> None:
    pairs = set(zip(segments["corridor_id"], segments["from_place_id"], segments["to_place_id"], strict=True))
    for corridor_id, corridor in waypoints[waypoints["role"] == "waypoint"].groupby("corridor_id"):
        ids = list(corridor.sort_values("seq")["place_id"])
        for start, end in itertools.pairwise(ids):
            assert (corridor_id, start, end) in pairs


def test_branches_attach_where_the_corridor_name_says(segments: pd.DataFrame) -> None:
    c4 = segments[segments["corridor_id"] == "C4"].set_index("to_name")
    assert c4.loc["Abeïbara", "from_name"] == "Kidal"
    assert c4.loc["Tinzaouatine", "from_name"] == "Abeïbara"
    assert bool(c4.loc["Abeïbara", "branch"]) and not bool(c4.loc["Aguelhok", "branch"])


def test_connector_flags_follow_the_csv_rule(segments: pd.DataFrame, waypoints: pd.DataFrame) -> None:
    is_connector = {
        (row.corridor_id, row.place_id): row.connector == 1 or not str(row.named_in_sources).strip()
        for row in waypoints.itertuples()
    }
    expected = [
        is_connector[(row.corridor_id, row.from_place_id)] or is_connector[(row.corridor_id, row.to_place_id)]
        for row in segments.itertuples()
    ]
    assert list(segments["connector"]) == expected
    assert 0 < sum(expected) < len(expected)  # both kinds exist, so the check has teeth


def test_source_refs_carry_publisher_title_and_url(segments: pd.DataFrame) -> None:
    c1 = segments[segments["corridor_id"] == "C1"].iloc[0]
    assert c1["sources"] == "S1, S2, S12"
    assert "S1 — Fenix Insight — " in c1["source_refs"]
    assert "<https://wikimili.com/en/Siege_of_Djibo>" in c1["source_refs"]


def test_load_corridors_one_row_per_corridor_with_length(segments: pd.DataFrame) -> None:
    corridors = load_corridors()
    assert list(corridors["corridor_id"]) == [f"C{i}" for i in range(1, 10)]
    lengths = segments.groupby("corridor_id")["length_km"].sum()
    assert corridors.set_index("corridor_id")["length_km"].to_dict() == pytest.approx(
        lengths.to_dict(), abs=0.01
    )
    gao_kidal = GEOD.inv(-0.04472, 16.27167, 1.40921, 18.44345)[2] / 1000
    assert corridors.set_index("corridor_id").loc["C4", "length_km"] > gao_kidal


def test_distances_match_brute_force_geodesics(segments: pd.DataFrame, waypoints: pd.DataFrame) -> None:
    names = list(PLACES)
    lon = [PLACES[name][0] for name in names]
    lat = [PLACES[name][1] for name in names]
    distances = distance_to_corridors_km(lon, lat)
    assert distances.shape == (len(names), segments["corridor_id"].nunique())
    for position, name in enumerate(names):
        reference = _brute_force_km(lon[position], lat[position], segments, waypoints)
        got = distances.iloc[position][reference.index]
        tolerance = np.maximum(0.5, 0.005 * reference)
        assert (np.abs(got - reference) <= tolerance).all(), (name, (got - reference).to_dict())


def test_point_on_a_waypoint_is_zero_km() -> None:
    nearest = nearest_corridor([PLACES["Gao"][0]], [PLACES["Gao"][1]])
    assert nearest.loc[0, "corridor_id"] == "C4"
    assert nearest.loc[0, "distance_km"] < 0.01


def test_nan_points_give_nan_and_series_index_is_kept() -> None:
    lon = pd.Series([PLACES["Niamey"][0], np.nan], index=[10, 11])
    lat = pd.Series([PLACES["Niamey"][1], np.nan], index=[10, 11])
    nearest = nearest_corridor(lon, lat)
    assert list(nearest.index) == [10, 11]
    assert nearest.loc[10, "distance_km"] > 0
    assert np.isnan(nearest.loc[11, "distance_km"]) and pd.isna(nearest.loc[11, "corridor_id"])


def test_out_of_range_points_are_rejected() -> None:
    with pytest.raises(ValueError, match="outside"):
        distance_to_corridors_km([2.0], [95.0])


def test_buffer_contains_20_km_but_not_30_km() -> None:
    gao_lon, gao_lat = PLACES["Gao"]
    # Due south of Gao, away from the Gao-Anefis segment: Gao is the nearest point of C4.
    near_lon, near_lat, _ = GEOD.fwd(gao_lon, gao_lat, 180, 20_000)
    far_lon, far_lat, _ = GEOD.fwd(gao_lon, gao_lat, 180, 30_000)
    km = distance_to_corridors_km([near_lon, far_lon], [near_lat, far_lat])["C4"]
    assert km.to_numpy() == pytest.approx([20, 30], abs=0.05)
    buffers = buffer_corridors_km(25).set_index("corridor_id")
    c4 = buffers.loc["C4", "geometry"]
    assert shapely.contains_xy(c4, near_lon, near_lat)
    assert not shapely.contains_xy(c4, far_lon, far_lat)
    assert buffers.crs.to_epsg() == 4326


@pytest.mark.parametrize("width", [0, -5, float("nan"), float("inf")])
def test_buffer_width_must_be_positive(width: float) -> None:
    with pytest.raises(ValueError, match="width_km"):
        buffer_corridors_km(width)


def _csv(tmp_path: Path, rows: list[str], header: str | None = None) -> Path:
    header = header or (
        "corridor_id,corridor_name,seq,role,place_id,name,country_iso2,lat,lon,named_in_sources,connector,armed_groups"
    )
    path = tmp_path / "waypoints.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


GOOD_ROWS = [
    "X1,Test,1,waypoint,p:1,Gao,ML,16.27167,-0.04472,S1,0,JNIM",
    "X1,Test,2,waypoint,p:2,Kidal,ML,18.44345,1.40921,,1,JNIM",
]


def test_small_valid_csv_builds(tmp_path: Path) -> None:
    built = build_corridor_segments(_csv(tmp_path, GOOD_ROWS))
    assert len(built) == 1
    assert bool(built.loc[0, "connector"])  # Kidal has no source here
    assert built.loc[0, "sources"] == "S1"


def test_missing_column_raises(tmp_path: Path) -> None:
    header = "corridor_id,corridor_name,seq,role,place_id,name,country_iso2,lat," + (
        "named_in_sources,connector,armed_groups"
    )
    rows = [",".join(row.split(",")[:8] + row.split(",")[9:]) for row in GOOD_ROWS]
    with pytest.raises(DataFileError, match=r"waypoints\.csv.*lon"):
        build_corridor_segments(_csv(tmp_path, rows, header))


def test_single_waypoint_corridor_raises(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"X1.*at least 2"):
        build_corridor_segments(_csv(tmp_path, GOOD_ROWS[:1]))


def test_non_numeric_latitude_raises_with_line_number(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0], GOOD_ROWS[1].replace("18.44345", '"18,4N"')]
    with pytest.raises(DataFileError, match=r"line 3: lat '18,4N'"):
        build_corridor_segments(_csv(tmp_path, rows))


def test_unknown_role_raises(tmp_path: Path) -> None:
    rows = [GOOD_ROWS[0], GOOD_ROWS[1].replace("waypoint", "detour")]
    with pytest.raises(DataFileError, match="role 'detour'"):
        build_corridor_segments(_csv(tmp_path, rows))


def test_missing_segments_file_raises_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"nothing_here\.geojson"):
        load_corridor_segments(tmp_path / "nothing_here.geojson")
