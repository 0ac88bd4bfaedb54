"""Corridor activity: buffer counts against hand-placed points, per-segment assignment, lengths."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import LineString

from geodata.corridors import load_corridor_segments, load_corridors
from geodata.crs import WGS84
from incidents.risk.corridor_activity import (
    RANKING_COLUMNS,
    corridor_hits,
    corridor_monthly,
    corridor_ranking,
    corridor_units,
    segment_activity,
)
from incidents.risk.trends import trend_flags

GEOD = Geod(ellps="WGS84")
AS_OF = date(2025, 6, 30)


def _segments() -> gpd.GeoDataFrame:
    """Corridor T: two segments along 15 N, from 0 E to 1 E to 2 E; corridor U far away."""
    return gpd.GeoDataFrame(
        {
            "corridor_id": ["T", "T", "U"],
            "corridor_name": ["Test", "Test", "Other"],
            "segment": [1, 2, 1],
            "from_name": ["A", "B", "P"],
            "to_name": ["B", "C", "Q"],
            "connector": [False, True, False],
            "length_km": [107.6, 107.6, 110.0],
        },
        geometry=[
            LineString([(0, 15), (1, 15)]),
            LineString([(1, 15), (2, 15)]),
            LineString([(10, 20), (11, 20)]),
        ],
        crs=WGS84,
    )


def _north_of(lon: float, km: float) -> float:
    """Latitude ``km`` north of (lon, 15 N) on the ellipsoid."""
    return float(GEOD.fwd(lon, 15.0, 0.0, km * 1000)[1])


def _incidents() -> pd.DataFrame:
    rows = [
        # lon, lat, date, fatalities, actor_group
        (0.3, _north_of(0.3, 10), "2025-06-28", 2, "JNIM"),  # 10 km from segment 1
        (0.6, _north_of(0.6, 24), "2025-06-01", 1, "JNIM"),  # 24 km: inside a 25 km buffer
        (0.6, _north_of(0.6, 26), "2025-06-01", 5, "JNIM"),  # 26 km: outside
        (1.5, _north_of(1.5, -5), "2025-05-15", 3, "IS Sahel"),  # 5 km south of segment 2
        (1.5, _north_of(1.5, 3), "2024-01-10", 0, "IS Sahel"),  # segment 2, older than a year
        (5.0, 15.0, "2025-06-29", 9, "militia"),  # far from both corridors
    ]
    frame = pd.DataFrame(rows, columns=["longitude", "latitude", "event_date", "fatalities", "actor_group"])
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    frame["actor_group"] = frame["actor_group"].astype("category")
    return frame


def test_buffer_counts_against_hand_placed_points() -> None:
    hits = corridor_hits(_incidents(), _segments(), km=25)
    assert sorted(hits["row"].tolist()) == [0, 1, 3, 4]
    assert set(hits["corridor_id"]) == {"T"}
    wider = corridor_hits(_incidents(), _segments(), km=30)
    assert sorted(wider["row"].tolist()) == [0, 1, 2, 3, 4]
    by_row = hits.set_index("row")["distance_km"]
    assert by_row[0] == pytest.approx(10, rel=0.02) and by_row[1] == pytest.approx(24, rel=0.02)


def test_each_incident_counts_on_its_nearest_segment_only() -> None:
    frame, segments = _incidents(), _segments()
    hits = corridor_hits(frame, segments, km=25)
    assert hits.set_index("row")["segment"].to_dict() == {0: 1, 1: 1, 3: 2, 4: 2}
    table = segment_activity(frame, hits, segments, "T", as_of=AS_OF)
    assert table["events"].tolist() == [2, 1]  # row 4 is older than 365 days
    assert table["fatalities"].tolist() == [3, 3]
    assert (
        table["events"].sum()
        == corridor_ranking(frame, as_of=AS_OF, km=25, segments=segments)
        .set_index("corridor_id")
        .at["T", "events_365d"]
    )


def test_ranking_and_monthly_series() -> None:
    frame, segments = _incidents(), _segments()
    ranking = corridor_ranking(frame, as_of=AS_OF, km=25, segments=segments)
    assert list(ranking.columns) == list(RANKING_COLUMNS)
    assert ranking["corridor_id"].tolist() == ["T", "U"]
    top = ranking.iloc[0]
    assert (top["events_365d"], top["fatalities_365d"], top["events_30d"]) == (3, 6, 2)
    assert top["top_actor_groups"] == "JNIM (2); IS Sahel (1)"
    assert ranking.iloc[1]["events_365d"] == 0 and ranking.iloc[1]["trend_4w"] == "limited_change"
    hits = corridor_hits(frame, segments, km=25)
    monthly = corridor_monthly(frame, hits, "T", since=date(2025, 4, 1), until=AS_OF)
    assert monthly["incidents"].tolist() == [0, 1, 2]
    assert monthly["fatalities"].tolist() == [0, 3, 3]


def test_flags_on_shipped_geometry_match_trend_flags() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    frame = pd.DataFrame(
        {
            "longitude": rng.uniform(-4, 4, n),
            "latitude": rng.uniform(12, 17, n),
            "event_date": pd.Timestamp("2025-06-30") - pd.to_timedelta(rng.integers(0, 400, n), unit="D"),
            "fatalities": rng.integers(0, 5, n),
            "actor_group": pd.Categorical(rng.choice(["JNIM", "IS Sahel"], n)),
        }
    )
    ranking = corridor_ranking(frame, as_of=AS_OF, km=25).set_index("corridor_id")
    flags = trend_flags(frame, level="corridor", as_of=AS_OF, corridor_km=25).set_index("unit_code")
    assert ranking["trend_4w"].to_dict() == flags.loc[ranking.index, "trend_4w"].to_dict()
    assert ranking["surge"].to_dict() == flags.loc[ranking.index, "surge"].astype(bool).to_dict()


def test_lengths_in_units_add_up_to_corridor_length() -> None:
    segments = load_corridor_segments()
    units = corridor_units(segments, levels=("admin1",))
    assert set(units.columns) >= {
        "corridor_id",
        "level",
        "unit_code",
        "unit_name",
        "country_iso3",
        "length_km",
    }
    totals = units.groupby("corridor_id")["length_km"].sum()
    lengths = load_corridors().set_index("corridor_id")["length_km"]
    for corridor_id, length in lengths.items():
        assert totals[corridor_id] == pytest.approx(length, rel=0.01), corridor_id


def test_lengths_of_a_hand_drawn_line_split_by_units() -> None:
    line = gpd.GeoDataFrame(
        {"corridor_id": ["L"], "corridor_name": ["x"], "segment": [1]},
        geometry=[LineString([(-3.0, 14.5), (-1.0, 14.5)])],  # Mali into Burkina Faso
        crs=WGS84,
    )
    units = corridor_units(line)
    expected = GEOD.geometry_length(line.geometry.iloc[0]) / 1000
    admin1 = units[units["level"] == "admin1"]
    assert admin1["length_km"].sum() == pytest.approx(expected, rel=0.01)
    assert len(admin1) >= 2  # the line crosses a border: the pieces add up, none counted twice
