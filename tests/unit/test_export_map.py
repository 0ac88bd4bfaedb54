"""The standalone map page: every script and stylesheet inlined, nothing fetched."""

from __future__ import annotations

import re

import folium
import geopandas as gpd
from shapely.geometry import LineString, box

from dashboard.builders.export_map import standalone_map_html
from dashboard.builders.maps import build_incident_map_with_info
from incidents.demo import generate_demo_incidents
from tests.unit.test_downloads import ADMIN1

_EXTERNAL = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)=[\"']([^\"']+)[\"']", re.IGNORECASE)


def _map() -> folium.Map:
    admin0 = gpd.GeoDataFrame(
        {"iso3": ["MLI"], "country": ["Mali"], "role": ["focus"]},
        geometry=[box(-5, 12, 4, 25)],
        crs="EPSG:4326",
    )
    corridors = gpd.GeoDataFrame(
        {
            "corridor_id": ["C1"],
            "corridor_name": ["Test"],
            "connector": [True],
            "from_name": ["a"],
            "to_name": ["b"],
        },
        geometry=[LineString([(0, 15), (1, 16)])],
        crs="EPSG:4326",
    )
    return build_incident_map_with_info(
        generate_demo_incidents(30), admin0=admin0, admin1=ADMIN1, corridors=corridors, heat="count"
    ).map


def test_standalone_html_has_no_external_scripts_or_styles() -> None:
    html = standalone_map_html(_map())
    assert _EXTERNAL.findall(html) == []
    assert "/app/static" not in html
    assert "http://" not in "".join(re.findall(r"url\([^)]*\)", html))
    assert "Leaflet" in html and "L.map" in html  # Leaflet's own code and the map
    assert "leaflet/leaflet.js" in html  # inlined marker comment
    assert "data:image/png;base64," in html  # layer-control icon from leaflet.css


def test_cdn_map_is_localised_then_inlined() -> None:
    html = standalone_map_html(folium.Map(tiles=None))
    assert _EXTERNAL.findall(html) == []
    assert "cdn.jsdelivr" not in html.split("<body>")[0]


def test_standalone_html_carries_place_labels_and_search_with_their_credit() -> None:
    html = standalone_map_html(_map())
    assert "sahel-town" in html and "sahel-search" in html and "datalist" in html
    assert "Tombouctou" in html and "Bamako" in html
    assert "GeoNames" in html and "OpenStreetMap" in html  # the places' credit travels with them
