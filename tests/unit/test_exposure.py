"""Site exposure: ring counts with exact distances, windows, corridors, risk levels and rating."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from geodata.corridors import nearest_corridor
from incidents.risk.exposure import (
    COUNT_COLUMNS,
    EXPOSURE_COLUMNS,
    exposure_rating,
    exposure_score,
    site_exposure,
)
from incidents.sites import read_sites, site_from_values

GEOD = Geod(ellps="WGS84")
AS_OF = date(2025, 3, 31)
SITE_LAT, SITE_LON = 14.0, -3.0  # Koro district, Mopti region, Mali


def _incidents_at(
    km: list[float],
    days_ago: list[int],
    *,
    azimuth: float = 45.0,
    lon: float = SITE_LON,
    lat: float = SITE_LAT,
    fatalities: int = 1,
) -> pd.DataFrame:
    points = [GEOD.fwd(lon, lat, azimuth, d * 1000) for d in km]
    return pd.DataFrame(
        {
            "event_date": [pd.Timestamp(AS_OF) - pd.Timedelta(days=d) for d in days_ago],
            "latitude": [p[1] for p in points],
            "longitude": [p[0] for p in points],
            "fatalities": fatalities,
            "source_dataset": "manual",
        }
    )


def test_hand_placed_incidents_at_9_24_49_51_km() -> None:
    site = site_from_values("Base", "camp", SITE_LAT, SITE_LON)
    incidents = _incidents_at([9, 24, 49, 51], [0, 0, 0, 0], fatalities=2)
    row = site_exposure(site, incidents, as_of=AS_OF).iloc[0]
    assert (row["inc_10km_7d"], row["inc_25km_7d"], row["inc_50km_7d"]) == (1, 2, 3)
    assert (row["inc_10km_90d"], row["inc_25km_90d"], row["inc_50km_90d"]) == (1, 2, 3)
    assert row["fatalities_50km_90d"] == 6
    assert (row["country_iso3"], row["admin1_name"], row["admin2_name"]) == ("MLI", "Mopti", "Koro")


@pytest.mark.parametrize("azimuth", [0.0, 90.0, 180.0, 270.0])
def test_ring_limits_are_geodesic_in_every_direction(azimuth: float) -> None:
    # 49.7 km counts and 50.3 km does not, whatever the direction: the projection's ~1 %
    # east-west scale error would otherwise move these across the 50 km line.
    site = site_from_values("Base", "camp", SITE_LAT, SITE_LON)
    incidents = _incidents_at([9.8, 10.2, 49.7, 50.3], [0, 0, 0, 0], azimuth=azimuth)
    row = site_exposure(site, incidents, as_of=AS_OF).iloc[0]
    assert (row["inc_10km_7d"], row["inc_50km_7d"]) == (1, 3)


def test_windows_are_inclusive_and_ignore_later_incidents() -> None:
    site = site_from_values("Base", "camp", SITE_LAT, SITE_LON)
    # 6 days ago is in the 7-day window (as_of and 6 days before); 7 days ago is not.
    incidents = _incidents_at([5] * 6, [0, 6, 7, 29, 30, 89])
    incidents = pd.concat([incidents, _incidents_at([5, 5], [90, -1])], ignore_index=True)
    row = site_exposure(site, incidents, as_of=AS_OF).iloc[0]
    assert (row["inc_10km_7d"], row["inc_10km_30d"], row["inc_10km_90d"]) == (2, 4, 6)


def test_route_counts_use_distance_to_the_line() -> None:
    routes = read_sites(b"route,seq,lat,lon\nR,1,14.0,-3.5\nR,2,14.0,-2.5\n", file_name="r.csv").frame
    # Due north of the middle of the route: 20 km from the line, ~ 58 km from either end.
    incidents = _incidents_at([20, 40], [1, 1], azimuth=0.0)
    row = site_exposure(routes, incidents, as_of=AS_OF).iloc[0]
    assert row["kind"] == "route"
    assert (row["inc_10km_7d"], row["inc_25km_7d"], row["inc_50km_7d"]) == (0, 1, 2)


def test_corridor_distance_matches_geodata_for_sites() -> None:
    sites = read_sites(
        b"name,type,lat,lon\nMopti,office,14.49,-4.19\nNiamey,office,13.51,2.11\nKayes,office,14.45,-11.44\n",
        file_name="s.csv",
    ).frame
    table = site_exposure(sites, _incidents_at([], []), as_of=AS_OF)
    expected = nearest_corridor(sites["longitude"], sites["latitude"])
    np.testing.assert_allclose(table["corridor_distance_km"], expected["distance_km"], atol=0.06)
    assert table["nearest_corridor"].notna().all()


def test_admin2_risk_level_and_rating() -> None:
    site = site_from_values("Base", "camp", SITE_LAT, SITE_LON)
    none = site_exposure(site, _incidents_at([], []), as_of=AS_OF).iloc[0]
    assert pd.isna(none["admin2_risk_level"])
    code = _admin2_code_of_site()
    risk = pd.DataFrame({"unit_code": [code], "risk_level": [5]})
    row = site_exposure(site, _incidents_at([], []), as_of=AS_OF, risk_levels_admin2=risk).iloc[0]
    assert row["admin2_risk_level"] == "Extreme"
    assert row["exposure_score"] == none["exposure_score"] + 30


def _admin2_code_of_site() -> str:
    from geodata.assign import assign_admin_units

    return str(assign_admin_units([SITE_LON], [SITE_LAT])["admin2_code"].iloc[0])


def test_rating_rule_thresholds() -> None:
    table = pd.DataFrame(
        {
            **{column: [0, 0, 0, 0, 1] for column in COUNT_COLUMNS},
            "corridor_distance_km": [200.0, 8.0, 8.0, 8.0, 200.0],
            "admin2_risk_level": [None, None, "High", "Extreme", None],
        }
    )
    table.loc[2, "inc_50km_90d"] = 5  # W = 5 -> 20 points
    table.loc[3, ["inc_10km_30d", "inc_25km_30d", "inc_50km_90d"]] = [10, 10, 10]  # W = 60 -> 50 points
    score = exposure_score(table)
    # corridor 8 km -> 20; High -> 15; Extreme -> 30; one incident within 10 km (W = 6) -> 20
    assert score.tolist() == [0, 20, 55, 100, 20]
    rating = exposure_rating(table, score)
    # the last row is floored at High: an incident within 10 km in the last 7 days
    assert rating.astype(str).tolist() == ["Low", "Moderate", "High", "Severe", "High"]


def test_columns_and_empty_inputs() -> None:
    empty = site_exposure(
        read_sites(b"name,lat,lon\nA,14,-3\n", file_name="s.csv").frame.iloc[:0],
        _incidents_at([], []),
        as_of=AS_OF,
    )
    assert list(empty.columns) == list(EXPOSURE_COLUMNS) and empty.empty
    site = site_from_values("Base", "camp", SITE_LAT, SITE_LON)
    table = site_exposure(site, _incidents_at([], []), as_of=AS_OF)
    assert list(table.columns) == list(EXPOSURE_COLUMNS)
    assert table[list(COUNT_COLUMNS)].to_numpy().sum() == 0
    assert table.at[0, "exposure_rating"] == "Low"


def test_missing_incident_columns_are_named() -> None:
    site = site_from_values("Base", "camp", SITE_LAT, SITE_LON)
    with pytest.raises(ValueError, match="fatalities"):
        site_exposure(site, pd.DataFrame({"event_date": [], "latitude": [], "longitude": []}), as_of=AS_OF)
