"""Hexagonal binning in the Sahel metric CRS: conservation, neighbourhood, cell geometry."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest

from geodata import hexgrid
from geodata.crs import SAHEL_METRIC_PROJ
from geodata.hexgrid import HEX_COLUMNS, _transformers, hex_corners, hex_polygons, hexbin, project_metric


def test_counts_and_weights_are_conserved() -> None:
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(-12, 16, 5000), rng.uniform(10, 24, 5000)
    weights = rng.integers(0, 10, 5000)
    cells = hexbin(lon, lat, size_km=25, weights=weights)
    assert list(cells.columns) == list(HEX_COLUMNS)
    assert cells["count"].sum() == 5000
    assert cells["weight_sum"].sum() == pytest.approx(weights.sum())
    assert cells["hex_id"].is_unique


def test_unweighted_sum_is_the_count_and_missing_points_are_skipped() -> None:
    cells = hexbin([0.0, 0.0, np.nan], [15.0, 15.0, 15.0], size_km=25)
    assert cells["count"].tolist() == [2]
    assert cells["weight_sum"].tolist() == [2.0]


def test_points_1_km_apart_share_a_25_km_cell() -> None:
    centre = hexbin([-1.5], [14.5], size_km=25).iloc[0]
    dlon = 0.5 / (111.32 * math.cos(math.radians(centre["lat"])))  # ±0.5 km east-west
    cells = hexbin([centre["lon"] - dlon, centre["lon"] + dlon], [centre["lat"]] * 2, size_km=25)
    assert len(cells) == 1
    assert cells["count"].iloc[0] == 2


def test_points_100_km_apart_do_not_share_a_cell() -> None:
    # 0.9° of latitude is ~100 km; a 25 km cell is at most 50 km across.
    cells = hexbin([2.0, 2.0], [15.0, 15.9], size_km=25)
    assert len(cells) == 2


def test_polygons_are_hexagons_of_the_right_size() -> None:
    size_km = 25.0
    cells = hexbin([-3.0, 0.5, 8.0], [13.0, 17.0, 21.0], size_km=size_km)
    polygons = hex_polygons(cells, size_km)
    assert polygons.crs.to_epsg() == 4326
    assert polygons["hex_id"].tolist() == cells["hex_id"].tolist()
    metric = polygons.to_crs(SAHEL_METRIC_PROJ)
    for geom in metric.geometry:
        ring = np.asarray(geom.exterior.coords)
        assert len(ring) == 7  # six corners, closed
        sides = np.hypot(*np.diff(ring, axis=0).T)
        assert sides == pytest.approx(np.full(6, size_km * 1000), rel=1e-6)
        assert geom.area == pytest.approx(3 * math.sqrt(3) / 2 * (size_km * 1000) ** 2, rel=1e-6)
    # Each input point lies inside its own cell.
    points = gpd.GeoSeries(gpd.points_from_xy([-3.0, 0.5, 8.0], [13.0, 17.0, 21.0]), crs=4326)
    assert polygons.contains(points, align=False).all()


def test_empty_input_gives_an_empty_frame() -> None:
    cells = hexbin([], [], size_km=10)
    assert list(cells.columns) == list(HEX_COLUMNS)
    assert cells.empty
    assert hex_polygons(cells, 10).empty


@pytest.mark.parametrize("size", [0, -5, float("nan"), True])
def test_bad_size_is_rejected(size: float) -> None:
    with pytest.raises(ValueError, match="size_km must be a positive number"):
        hexbin([0.0], [15.0], size_km=size)


def test_numpy_projection_matches_pyproj() -> None:
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(-25, 30, 50_000), rng.uniform(-5, 40, 50_000)
    x, y = project_metric(lon, lat)
    px, py = _transformers()[0].transform(lon, lat)
    assert np.abs(x - px).max() < 0.01 and np.abs(y - py).max() < 0.01  # metres


def test_dense_and_hashed_cell_paths_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(6)
    lon, lat = rng.uniform(-12, 16, 20_000), rng.uniform(10, 24, 20_000)
    weights = rng.integers(0, 5, 20_000)
    dense = hexbin(lon, lat, size_km=25, weights=weights)
    monkeypatch.setattr(hexgrid, "_DENSE_MAX", 0)
    hashed = hexbin(lon, lat, size_km=25, weights=weights)
    assert dense.equals(hashed)


def test_hex_rings_are_closed_exactly() -> None:
    cells = hexbin([-3.0, 0.5, 8.0], [13.0, 17.0, 21.0], size_km=25)
    corners = hex_corners(cells, 25)
    assert corners.shape == (3, 7, 2)
    assert (corners[:, 0] == corners[:, -1]).all()
