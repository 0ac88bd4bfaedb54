"""geodata.crs.geodesic_km: the one distance model (WGS84 ellipsoid)."""

from __future__ import annotations

import numpy as np

from geodata.crs import geodesic_km


def test_one_degree_of_latitude_is_ellipsoidal() -> None:
    # A sphere of mean radius gives 111.195 km at every latitude; the ellipsoid does not.
    assert abs(float(geodesic_km(0.0, 0.0, 1.0, 0.0)) - 110.574) < 0.01
    assert abs(float(geodesic_km(89.0, 0.0, 90.0, 0.0)) - 111.694) < 0.01


def test_scalars_broadcast_against_arrays_and_nan_stays_nan() -> None:
    got = geodesic_km(13.5, 2.1, np.array([13.5, 13.5, np.nan]), np.array([2.1, 3.1, 2.1]))
    assert got.shape == (3,)
    assert got[0] == 0.0
    assert 107.0 < got[1] < 109.0  # one degree of longitude at 13.5 N
    assert np.isnan(got[2])


def test_empty_input_gives_empty_output() -> None:
    assert geodesic_km(np.array([]), np.array([]), np.array([]), np.array([])).shape == (0,)
