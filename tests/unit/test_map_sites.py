"""Site layer of the exposure map, tested on the rendered HTML (no browser)."""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from dashboard.builders.map_sites import (
    LAYER_RINGS,
    LAYER_SITES,
    add_site_layers,
    ring_geometries,
    site_popup_html,
)
from incidents.sites import read_sites, site_from_values

XSS = "<img src=x onerror=alert(1)>"


def _sites() -> pd.DataFrame:
    site = site_from_values(XSS, "camp", 14.0, -3.0)
    route = read_sites(b"route,seq,lat,lon\nR1,1,14.5,-4.2\nR1,2,14.6,-4.1\n", file_name="r.csv").frame
    return pd.concat([site, route.assign(site_id="S2")], ignore_index=True)


def _html(m: folium.Map) -> str:
    return m.get_root().render()


def test_site_names_are_escaped() -> None:
    m = folium.Map(tiles=None)
    folium.LayerControl().add_to(m)  # as on the incident map: added before the site layers
    add_site_layers(m, _sites())
    html = _html(m)
    assert "<img src=x" not in html
    assert (
        "&lt;img src=x onerror=alert(1)&gt;" in html
        or "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html
    )
    assert LAYER_SITES in html and LAYER_RINGS in html


def test_popup_holds_escaped_exposure_figures() -> None:
    site = _sites().iloc[0]
    exposure = pd.Series(
        {"site_id": "S1", "exposure_rating": "High", "inc_10km_30d": 3, "nearest_corridor": "<b>C1</b>"}
    )
    popup = site_popup_html(site, exposure)
    assert "&lt;img src=x" in popup and "<img" not in popup
    assert "&lt;b&gt;C1&lt;/b&gt;" in popup
    assert "High" in popup and ">3<" in popup


def test_sites_are_coloured_by_rating() -> None:
    sites = _sites()
    exposure = pd.DataFrame({"site_id": ["S1", "S2"], "exposure_rating": ["Severe", "Low"]})
    m = folium.Map(tiles=None)
    add_site_layers(m, sites, exposure)
    html = _html(m)
    assert "#a50026" in html and "#1a9850" in html


@pytest.mark.parametrize("radius_km", [10, 25, 50])
def test_point_rings_are_geodesic_circles(radius_km: int) -> None:
    point = shapely.Point(-3.0, 14.0)
    ring = ring_geometries(np.asarray([point], dtype=object), radius_km)[0]
    lon, lat = shapely.get_coordinates(ring.exterior).T
    distances = Geod(ellps="WGS84").inv(np.full(len(lon), -3.0), np.full(len(lat), 14.0), lon, lat)[2]
    np.testing.assert_allclose(distances, radius_km * 1000, rtol=1e-9)


def test_route_band_surrounds_the_line() -> None:
    line = shapely.LineString([(-4.2, 14.5), (-4.1, 14.6)])
    band = ring_geometries(np.asarray([line], dtype=object), 10)[0]
    assert band.geom_type == "Polygon" and band.contains(line)


def test_no_sites_adds_nothing() -> None:
    m = folium.Map(tiles=None)
    add_site_layers(m, _sites().iloc[:0])
    assert LAYER_SITES not in _html(m)
