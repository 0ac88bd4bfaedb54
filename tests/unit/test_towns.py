"""Place labels: the selection (geodata.towns) and the folium layer (dashboard.builders.map_towns)."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from dashboard.builders.map_towns import LAYER_TOWNS, TownLabels, town_rows
from dashboard.builders.maps import build_incident_map_with_info
from geodata.towns import TIER_CAPS, TOWN_COLUMNS, label_towns
from incidents.model import empty_incidents

DEFAULT_COUNTRIES = ("MLI", "BFA", "NER")
#: The Map page's default view (Mali, Burkina Faso, Niger) is about zoom 5.
DEFAULT_ZOOM = 5


@pytest.fixture(scope="module")
def towns() -> pd.DataFrame:
    return label_towns(DEFAULT_COUNTRIES)


def _min_zoom(towns: pd.DataFrame, name: str, iso3: str = "MLI") -> int:
    rows = towns[(towns["name"] == name) & (towns["country_iso3"] == iso3)]
    assert len(rows) == 1, (name, rows)
    return int(rows["min_zoom"].iloc[0])


def test_capitals_and_regional_capitals_show_at_the_default_zoom(towns) -> None:
    assert tuple(towns.columns) == TOWN_COLUMNS
    for name, iso3 in [
        ("Bamako", "MLI"),
        ("Mopti", "MLI"),
        ("Gao", "MLI"),
        ("Tombouctou", "MLI"),  # GeoNames says "Timbuktu": the local spelling is used
        ("Kidal", "MLI"),
        ("Ouagadougou", "BFA"),
        ("Niamey", "NER"),
    ]:
        assert _min_zoom(towns, name, iso3) <= DEFAULT_ZOOM, name
    assert "Timbuktu" not in set(towns["name"])
    capitals = towns[towns["kind"] == "capital"]
    assert set(capitals["name"]) == {"Bamako", "Ouagadougou", "Niamey"}
    assert (capitals["min_zoom"] == 0).all()


def test_smaller_towns_appear_only_when_zoomed_in(towns) -> None:
    for name in ("Douentza", "Bandiagara"):
        assert DEFAULT_ZOOM < _min_zoom(towns, name) <= 9, name
    assert (towns["min_zoom"] <= DEFAULT_ZOOM).sum() < 60  # the default view stays readable


def test_one_label_per_place_and_tiers_capped(towns) -> None:
    # Bamako is in the gazetteer twice (GeoNames and OpenStreetMap): labelled once.
    assert (towns["name"] == "Bamako").sum() == 1
    counts = towns["kind"].value_counts()
    for kind, cap in TIER_CAPS.items():
        assert counts.get(kind, 0) <= cap, kind
    assert set(towns["country_iso3"]) == set(DEFAULT_COUNTRIES)


def test_labels_that_show_together_do_not_overlap_much(towns) -> None:
    """At zoom 7 no two shown labels have (nearly) the same point."""
    shown = towns[towns["min_zoom"] <= 7]
    spots = set(zip(shown["lat"].round(1), shown["lon"].round(1), strict=True))
    assert len(spots) == len(shown)


def test_country_scope_and_unknown_codes() -> None:
    mali = label_towns(["mli"])
    assert set(mali["country_iso3"]) == {"MLI"}
    assert "Ouagadougou" not in set(mali["name"])
    assert label_towns(["XXX"]).empty


def test_layer_html_escapes_names_and_carries_the_search_box() -> None:
    hostile = pd.DataFrame(
        {
            "place_id": ["x:1"],
            "name": ['<img src=x onerror=alert(1)>"'],
            "lat": [14.5],
            "lon": [-4.2],
            "country_iso3": ["MLI"],
            "admin1_name": ["Mopti"],
            "population": [1],
            "kind": ["town"],
            "min_zoom": [6],
        }
    )
    rows = town_rows(hostile)
    assert rows[0][2] == "&lt;img src=x onerror=alert(1)&gt;&quot;"
    assert rows[0][5] == "&lt;img src=x onerror=alert(1)&gt;&quot; (Mopti, MLI)"
    m = folium.Map(tiles=None)
    TownLabels(hostile).add_to(m)
    html = m.get_root().render()
    assert "<img src=x" not in html
    assert "sahel-search" in html and "datalist" in html and 'on("zoomend moveend"' in html
    data = re.search(r"var rows = (\[.*?\]);\n", html)
    assert data is not None and json.loads(data.group(1)) == rows


def test_build_map_adds_towns_with_their_credit_and_can_leave_them_out() -> None:
    admin0 = gpd.GeoDataFrame(
        {"iso3": ["MLI"], "country": ["Mali"], "role": ["focus"]}, geometry=[box(-12, 10, 4, 25)], crs=4326
    )
    admin1 = gpd.GeoDataFrame(
        {"iso3": ["MLI"], "admin1_code": ["ML01"], "admin1_name": ["Mopti"], "country": ["Mali"]},
        geometry=[box(-6, 13, -1, 17)],
        crs=4326,
    )
    on = build_incident_map_with_info(empty_incidents(), admin0=admin0, admin1=admin1, corridors=None)
    html = on.map.get_root().render()
    assert LAYER_TOWNS in html and "Tombouctou" in html and "GeoNames" in html and "OpenStreetMap" in html
    assert "Ouagadougou" not in html  # only the shown countries
    off = build_incident_map_with_info(
        empty_incidents(), admin0=admin0, admin1=admin1, corridors=None, towns=False
    )
    assert "Tombouctou" not in off.map.get_root().render()
