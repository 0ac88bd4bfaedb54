"""Map builders tested without a browser, by inspecting the rendered HTML (docs/architecture.md, 'Testing').

Tiny hand-built geometries keep these fast; the browser test (tests/e2e) proves the same
map really draws offline.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from folium.plugins import MarkerCluster
from shapely.geometry import LineString, box

from dashboard.builders.assets import AssetError, ensure_static_assets, localise_resources
from dashboard.builders.map_layers import (
    HEAT_CELL_DEG,
    HEAT_MAX_CELLS,
    LAYER_ADMIN2,
    LAYER_BUFFERS,
    LAYER_CHOROPLETH_DEFAULT,
    LAYER_UNCERTAINTY,
    NO_DATA_FILL,
    class_breaks,
    geojson_features,
    heat_cells,
)
from dashboard.builders.maps import (
    CONNECTOR_DASH,
    LAYER_CORRIDORS,
    LAYER_COUNTRIES,
    LAYER_INCIDENTS,
    LAYER_REGIONS,
    MAX_ZOOM,
    NOTES_MAX_CHARS,
    MapOptions,
    build_incident_map,
    build_incident_map_with_info,
    build_map,
    incident_marker_data,
    simplified_for_display,
)
from geodata.corridors import buffer_corridors_km
from incidents.model import conform_incidents, empty_incidents

HOSTILE_NOTE = "<img src=x onerror=alert(1)>"
HOSTILE_SOURCE = "<script>alert(1)</script>"
HOSTILE_TEMPLATE = "${alert(2)}`\\u"

_SRC_OR_HREF = re.compile(r"<(?:script|link)\b[^>]*?\b(?:src|href)=[\"']([^\"']+)[\"']", re.IGNORECASE)


def _decode_js(text: str) -> str:
    """Undo the \\uXXXX escapes Jinja's tojson applies, to see what the browser will see."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return text.replace('\\"', '"')


@pytest.fixture
def admin0() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"iso3": ["MLI", "BFA"], "country": ["Mali", "Burkina Faso"], "role": ["focus", "focus"]},
        geometry=[box(-5, 12, 4, 25), box(-5, 9, 2, 12)],
        crs="EPSG:4326",
    )


@pytest.fixture
def admin1() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "iso3": ["MLI", "MLI"],
            "country": ["Mali", "Mali"],
            "admin1_code": ["ML-7", "ML-8"],
            "admin1_name": ["Gao", "<b>Kidal</b>"],
            "admin1_pcode": ["ML07", "ML08"],
        },
        geometry=[box(-1, 14, 4, 18), box(-1, 18, 4, 25)],
        crs="EPSG:4326",
    )


@pytest.fixture
def corridors() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "corridor_id": ["C1", "C1", "C2"],
            "corridor_name": ["Liptako-Gourma", "Liptako-Gourma", HOSTILE_TEMPLATE],
            "segment": [1, 2, 1],
            "from_name": ["Gossi", "Djibo", "Gao"],
            "to_name": ["Djibo", "Aribinda", "Kidal"],
            "connector": [True, False, False],
            "armed_groups": ["JNIM; IS Sahel", "JNIM", HOSTILE_NOTE],
            "sources": ["S1, S12", "S1, S12", "S15"],
            "segment_sources": ["S12", "S12", "S15"],
            "source_refs": [
                "S1 — Fenix Insight — Liptako <https://example.org/s1>",
                "S12 — Wikipedia — Siege of Djibo <https://example.org/s12>",
                'S15 — x — y <javascript:alert(1)>\nS16 — "quoted" <https://example.org/a"b>',
            ],
        },
        geometry=[
            LineString([(-1.31, 15.82), (-1.63, 14.10)]),
            LineString([(-1.63, 14.10), (-0.87, 14.23)]),
            LineString([(-0.04, 16.27), (1.41, 18.44)]),
        ],
        crs="EPSG:4326",
    )


def _incidents(notes: list[str] | None = None) -> pd.DataFrame:
    n = 3
    return conform_incidents(
        pd.DataFrame(
            {
                "source_dataset": ["demo", "demo", "ucdp"],
                "source_event_id": ["1", "2", "3"],
                "event_date": ["2024-01-05", "2024-02-10", "2024-03-15"],
                "date_precision": ["day"] * n,
                "country_iso3": ["MLI"] * n,
                "country": ["Mali"] * n,
                "admin1_name": ["Gao", "Gao", "Kidal"],
                "location": ["Gao", "Ansongo", "Kidal"],
                "latitude": [16.27, 15.66, 18.44],
                "longitude": [-0.04, 0.50, 1.41],
                "geo_precision": [1] * n,
                "event_type": ["battle", "abduction", "violence_against_civilians"],
                "actor_group": ["JNIM"] * n,
                "actor1": ["JNIM", "IS Sahel", "Unknown"],
                "fatalities": [3, 0, 12],
                "civilian_targeting": [False, True, True],
                "notes": notes or ["Ambush on a convoy", "Two traders abducted", "Village attacked"],
                "source": ["Synthetic", "Synthetic", HOSTILE_SOURCE],
            }
        )
    )


def _render(m: folium.Map) -> str:
    return m.get_root().render()


def test_layers_present(admin0, admin1, corridors) -> None:
    html = _render(build_incident_map(_incidents(), admin0=admin0, admin1=admin1, corridors=corridors))
    for layer in (LAYER_COUNTRIES, LAYER_REGIONS, LAYER_CORRIDORS, LAYER_INCIDENTS):
        assert _decode_js(html).count(f'"{layer}"') == 1, layer  # once, in the layer control
    assert "L.markerClusterGroup" in html
    assert "L.control.layers" in html
    assert "L.control.scale" in html
    assert "requestFullscreen" in html and "sahel-fullscreen" in html  # own control: no CDN plugin
    assert html.count("L.circleMarker") == 1, "markers are built in the browser, not one element each"
    assert html.count("L.polyline") == len(corridors)


def test_incident_marker_rows_are_compact(admin0, admin1) -> None:
    data = incident_marker_data(_incidents())
    assert len(data.rows) == 3
    assert [row[9] for row in data.rows] == [1, 1, 0]  # demo flag
    assert data.strings[data.rows[0][4]] == "Gao, Mali"


def test_hostile_text_is_escaped_before_it_reaches_html(admin0, admin1, corridors) -> None:
    incidents = _incidents(notes=[HOSTILE_NOTE, "ok", HOSTILE_SOURCE])
    html = _render(build_incident_map(incidents, admin0=admin0, admin1=admin1, corridors=corridors))
    decoded = _decode_js(html)
    for raw in (HOSTILE_NOTE, HOSTILE_SOURCE, "<b>Kidal</b>"):
        assert raw not in html
        assert raw not in decoded, f"{raw!r} would reach the page unescaped"
    assert "&lt;img src=x onerror=alert(1)&gt;" in decoded
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in decoded
    assert "&lt;b&gt;Kidal&lt;/b&gt;" in decoded
    # No user text inside a JS template literal (folium's Popup/Tooltip would put it there).
    assert "$(`" not in html
    assert "`" + HOSTILE_TEMPLATE not in decoded
    # Only http(s) references become links; others stay text.
    assert 'href="javascript:' not in decoded
    assert 'href="https://example.org/s1"' in decoded


def test_marker_strings_are_escaped() -> None:
    data = incident_marker_data(_incidents(notes=[HOSTILE_NOTE, "ok", "fine"]))
    assert "&lt;img src=x onerror=alert(1)&gt;" in data.strings
    assert not any("<" in s or ">" in s for s in data.strings)


def test_connector_segments_are_dashed(admin0, admin1, corridors) -> None:
    html = _render(build_incident_map(_incidents(), admin0=admin0, admin1=admin1, corridors=corridors))
    assert html.count(f'"dashArray": "{CONNECTOR_DASH}"') == int(corridors["connector"].sum())
    assert html.count('"dashArray": null') == int((~corridors["connector"]).sum())


@pytest.mark.parametrize("basemap", ["none", "OpenStreetMap"])
def test_scripts_and_stylesheets_are_served_by_the_app(admin0, admin1, corridors, basemap) -> None:
    html = _render(
        build_incident_map(_incidents(), admin0=admin0, admin1=admin1, corridors=corridors, basemap=basemap)
    )
    urls = _SRC_OR_HREF.findall(html)
    assert urls, "no script or stylesheet found"
    assert all(url.startswith("/app/static/vendor/") for url in urls), urls
    assert not re.search(r"<(?:script|link)\b[^>]*(?:src|href)=[\"']?(?:https?:)?//", html)


def test_offline_basemap_has_no_tiles_and_a_max_zoom(admin0, admin1, corridors) -> None:
    html = _render(build_incident_map(_incidents(), admin0=admin0, admin1=admin1, corridors=corridors))
    assert "L.tileLayer" not in html
    assert f'"maxZoom": {MAX_ZOOM}' in html
    assert ".leaflet-container { background:" in html


def test_openstreetmap_basemap_credits_osm(admin0, admin1, corridors) -> None:
    m = build_incident_map(
        _incidents(), admin0=admin0, admin1=admin1, corridors=corridors, basemap="OpenStreetMap"
    )
    decoded = _decode_js(_render(m))
    assert "tile.openstreetmap.org" in decoded
    assert "OpenStreetMap</a> contributors" in decoded


def test_attribution_names_boundary_and_incident_sources(admin0, admin1, corridors) -> None:
    decoded = _decode_js(
        _render(build_incident_map(_incidents(), admin0=admin0, admin1=admin1, corridors=corridors))
    )
    for needle in (
        "Natural Earth",
        "OCHA COD-AB",
        "Who's On First",
        "whosonfirst.org/docs/licenses",
        "UCDP GED",
    ):
        assert needle in decoded, needle


def test_empty_incidents_still_render(admin0, admin1) -> None:
    m = build_incident_map(empty_incidents(), admin0=admin0, admin1=admin1.iloc[0:0], corridors=None)
    html = _render(m)
    assert "var data = [];" in html
    assert f'"{LAYER_INCIDENTS}"' in _decode_js(html)


def test_unknown_basemap_is_rejected(admin0, admin1) -> None:
    with pytest.raises(ValueError, match="basemap 'satellite'"):
        build_incident_map(
            empty_incidents(), admin0=admin0, admin1=admin1, corridors=None, basemap="satellite"
        )


def test_class_defaults_are_not_mutated(admin0, admin1, corridors) -> None:
    before = (list(folium.Map.default_js), list(MarkerCluster.default_js), list(MarkerCluster.default_css))
    build_incident_map(_incidents(), admin0=admin0, admin1=admin1, corridors=corridors).get_root().render()
    assert (
        list(folium.Map.default_js),
        list(MarkerCluster.default_js),
        list(MarkerCluster.default_css),
    ) == before


def test_every_asset_url_exists_in_vendor(tmp_path: Path, admin0, admin1, corridors) -> None:
    vendor = ensure_static_assets(tmp_path)
    html = _render(build_incident_map(_incidents(), admin0=admin0, admin1=admin1, corridors=corridors))
    for url in _SRC_OR_HREF.findall(html):
        assert (vendor / url.removeprefix("/app/static/vendor/")).is_file(), url
    assert (vendor / "leaflet" / "images" / "layers.png").is_file()
    assert (vendor / "leaflet-heat" / "leaflet_heat.min.js").is_file()


def test_ensure_static_assets_is_idempotent(tmp_path: Path) -> None:
    vendor = ensure_static_assets(tmp_path)
    leaflet = vendor / "leaflet" / "leaflet.js"
    first = leaflet.stat().st_mtime_ns
    assert ensure_static_assets(tmp_path) == vendor
    assert leaflet.stat().st_mtime_ns == first
    leaflet.unlink()
    ensure_static_assets(tmp_path)
    assert leaflet.is_file()


def test_resource_without_offline_copy_is_an_error() -> None:
    with pytest.raises(AssetError, match=r"no offline copy of map resource 'Control\.Fullscreen\.js'"):
        localise_resources([("Control.Fullscreen.js", "https://cdn.example/x.js")])


# ---- extra layers: heat, hexagons, uncertainty, choropleth, admin-2, buffers --------------------

HOSTILE_LABEL = "<img src=x onerror=alert(1)>"


@pytest.fixture
def admin2() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "iso3": ["MLI", "MLI"],
            "country": ["Mali", "Mali"],
            "admin1_code": ["ML-7", "ML-7"],
            "admin1_name": ["Gao", "Gao"],
            "admin2_code": ["ML0701", "ML0702"],
            "admin2_name": ["Ansongo", HOSTILE_LABEL],
            "geom_source": ["test", "test"],
        },
        geometry=[box(-1, 14, 1.5, 18), box(1.5, 14, 4, 18)],
        crs="EPSG:4326",
    )


def _with_precision(precisions: list[int]) -> pd.DataFrame:
    frame = _incidents()
    frame["geo_precision"] = precisions
    return frame


def _all_layers(admin0, admin1, admin2, corridors, **extra) -> str:
    buffers = buffer_corridors_km(10, corridors)
    choropleth = pd.DataFrame({"unit_code": ["ML-7"], "value": [3], "label": [HOSTILE_LABEL]})
    m = build_incident_map(
        _with_precision([1, 2, 3]),
        admin0=admin0,
        admin1=admin1,
        corridors=corridors,
        admin2=admin2,
        heat="fatalities",
        hexagons=True,
        choropleth=choropleth,
        corridor_buffers=buffers,
        highlight_corridor="C1",
        **extra,
    )
    return _render(m)


def test_every_extra_layer_is_switchable_and_offline(admin0, admin1, admin2, corridors) -> None:
    html = _all_layers(admin0, admin1, admin2, corridors)
    decoded = _decode_js(html)
    for layer in (
        LAYER_REGIONS,
        LAYER_ADMIN2,
        LAYER_BUFFERS,
        LAYER_UNCERTAINTY,
        LAYER_CHOROPLETH_DEFAULT,
        "Heat (fatality-weighted)",
        "Incidents (hexagons), 25 km",
    ):
        assert f'"{layer}"' in decoded, layer
    assert "L.heatLayer" in html
    urls = _SRC_OR_HREF.findall(html)
    assert "/app/static/vendor/leaflet-heat/leaflet_heat.min.js" in urls
    assert all(url.startswith("/app/static/vendor/") for url in urls), urls
    assert not re.search(r"<(?:script|link)\b[^>]*(?:src|href)=[\"']?(?:https?:)?//", html)
    assert html.count('L.DomUtil.create("details", "sahel-legend")') == 1  # one legend, all sections
    for legend_text in ("Heat: fatalities", "Incidents per 25 km hexagon", "No incidents", "Corridor buffer"):
        assert legend_text in decoded, legend_text


def test_hostile_region_and_corridor_names_are_escaped(admin0, admin1, admin2, corridors) -> None:
    corridors = corridors.assign(corridor_name=[HOSTILE_LABEL] * len(corridors))
    decoded = _decode_js(_all_layers(admin0, admin1, admin2, corridors))
    assert HOSTILE_LABEL not in decoded
    assert "<b>Kidal</b>" not in decoded
    assert "&lt;img src=x onerror=alert(1)&gt;" in decoded


def test_regions_carry_unit_codes_for_drill_down(admin0, admin1, admin2, corridors) -> None:
    decoded = _decode_js(_all_layers(admin0, admin1, admin2, corridors))
    assert '"admin1_code": "ML-7"' in decoded
    assert '"admin2_code": "ML0702"' in decoded
    assert '"level": "admin2"' in decoded
    assert decoded.count(".addEventParent(hub)") == 3  # regions, districts, choropleth


def choropleth_html(
    incidents: pd.DataFrame, admin0: gpd.GeoDataFrame, admin1: gpd.GeoDataFrame, values: pd.DataFrame, **extra
) -> str:
    """The map of ``incidents`` with ``admin1`` shaded by ``values``, as the browser reads it."""
    m = build_incident_map(
        incidents, admin0=admin0, admin1=admin1, corridors=None, choropleth=values, **extra
    )
    return _decode_js(_render(m))


def test_choropleth_units_without_value_are_grey(admin0, admin1) -> None:
    values = pd.DataFrame({"unit_code": ["ML-7"], "value": [5], "label": ["5 incidents"]})
    decoded = choropleth_html(_incidents(), admin0, admin1, values, choropleth_title="Incidents 2024")
    assert NO_DATA_FILL in decoded
    assert "no incidents" in decoded
    assert "5 incidents" in decoded
    assert '"Incidents 2024"' in decoded


def test_choropleth_admin2_needs_admin2(admin0, admin1) -> None:
    values = pd.DataFrame({"unit_code": ["ML0701"], "value": [1], "label": ["1"]})
    with pytest.raises(ValueError, match="needs the admin2 layer"):
        build_incident_map(
            _incidents(),
            admin0=admin0,
            admin1=admin1,
            corridors=None,
            choropleth=values,
            choropleth_level="admin2",
        )


def test_class_breaks_are_quantiles_with_integer_edges() -> None:
    edges = class_breaks([1, 1, 2, 3, 5, 8, 13, 21, 34, 55])
    assert edges[0] == 1 and edges[-1] == 55
    assert all(float(e).is_integer() for e in edges)
    assert class_breaks([]) == []


def test_highlighted_corridor_is_thicker(admin0, admin1, corridors) -> None:
    html = _render(
        build_incident_map(
            _incidents(), admin0=admin0, admin1=admin1, corridors=corridors, highlight_corridor="C1"
        )
    )
    assert html.count('"weight": 7.0') == int((corridors["corridor_id"] == "C1").sum())


def test_approximate_locations_get_circles_and_popup_text(admin0, admin1) -> None:
    frame = _with_precision([1, 2, 3])
    assert [row[10] for row in incident_marker_data(frame).rows] == [0, 2, 3]
    html = _render(build_incident_map(frame, admin0=admin0, admin1=admin1, corridors=None))
    assert "L.circle(" in html and html.count("L.circle(") == 1  # one layer, built in the browser
    assert "[15.66, 0.5, 10000.0]" in html and "[18.44, 1.41, 50000.0]" in html
    assert "approximate location" in html


def test_heat_payload_is_binned(admin0, admin1) -> None:
    rng = np.random.default_rng(0)
    n = 50_000
    incidents = pd.DataFrame(
        {"longitude": rng.uniform(-1, 1, n), "latitude": rng.uniform(14, 16, n), "fatalities": 1}
    )
    build = build_incident_map_with_info(
        incidents, admin0=admin0, admin1=admin1, corridors=None, heat="count"
    )
    html = _render(build.map)
    heat = re.search(r"L\.heatLayer\(\s*(\[\[.*?\]\])", html, re.DOTALL)
    assert heat is not None
    assert heat.group(1).count("],") + 1 <= 40 * 40  # 2° x 2° at 0.05°


def test_unknown_heat_mode_is_rejected(admin0, admin1) -> None:
    with pytest.raises(ValueError, match="heat 'deaths'"):
        build_incident_map(empty_incidents(), admin0=admin0, admin1=admin1, corridors=None, heat="deaths")


def test_above_max_points_incidents_are_aggregated(admin0, admin1) -> None:
    build = build_incident_map_with_info(
        _incidents(), admin0=admin0, admin1=admin1, corridors=None, max_points=2
    )
    assert build.mode == "aggregated"
    assert "3 incidents are shown as" in build.note and "2 incidents" in build.note
    html = _render(build.map)
    assert "L.markerClusterGroup" not in html
    assert "Incidents (hexagons)" in _decode_js(html)
    small = build_incident_map_with_info(_incidents(), admin0=admin0, admin1=admin1, corridors=None)
    assert (small.mode, small.note) == ("points", "")


def test_a_million_incidents_render_aggregated_and_small(admin0, admin1) -> None:
    rng = np.random.default_rng(42)
    n = 1_000_000
    incidents = pd.DataFrame(
        {
            "longitude": rng.uniform(-12, 16, n),
            "latitude": rng.uniform(10, 24, n),
            "fatalities": rng.integers(0, 5, n),
        }
    )
    build = build_incident_map_with_info(incidents, admin0=admin0, admin1=admin1, corridors=None)
    html = build.map.get_root().render()
    assert build.mode == "aggregated"
    assert len(html) < 3_000_000


# ---- performance paths (bench/query.py): same output, less work ----------------------------


def test_template_syntax_in_data_is_not_evaluated(admin0, admin1, corridors) -> None:
    """Rendered element output is not compiled again as a jinja template (that ran user text)."""
    payloads = ["{{ 7*7 }}", "{% for x in range(3) %}loop{% endfor %}", "{# gone #}"]
    incidents = _incidents(notes=[*payloads])
    html = _decode_js(
        _render(build_incident_map(incidents, admin0=admin0, admin1=admin1, corridors=corridors))
    )
    for payload in payloads:
        assert payload in html, f"{payload!r} was evaluated as a template"
    assert "looplooploop" not in html


def test_template_syntax_stays_literal_in_another_figure(admin0, admin1) -> None:
    m = build_incident_map(
        _incidents(notes=["{{ 7*7 }}", "a", "b"]), admin0=admin0, admin1=admin1, corridors=None
    )
    html = _decode_js(folium.Figure().add_child(m).render())
    assert "{{ 7*7 }}" in html


def test_other_folium_maps_keep_brancas_rendering() -> None:
    m = folium.Map(tiles=None)
    folium.Marker([15, 0], tooltip="plain").add_to(m)
    assert "plain" in m.get_root().render()


def test_long_notes_are_truncated_and_escaped() -> None:
    long_note = "<b>" + "x" * 600
    data = incident_marker_data(_incidents(notes=[long_note, "ok", "fine"]))
    note = data.strings[data.rows[0][7]]
    assert note.startswith("&lt;b&gt;x") and note.endswith("…")
    assert len(note) == len("&lt;b&gt;") + NOTES_MAX_CHARS - 3 + 1


def test_marker_rows_skip_missing_coordinates_and_keep_string_order() -> None:
    incidents = _incidents()
    incidents.loc[1, "latitude"] = np.nan
    data = incident_marker_data(incidents)
    assert len(data.rows) == 2
    assert data.strings[:3] == ["", "Gao, Mali", "JNIM"]
    assert [row[6] for row in data.rows] == [3, 12]


def test_boundary_geojson_is_converted_once_per_frame(admin0, admin1) -> None:
    calls: list[int] = []

    def build(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        calls.append(1)
        return frame[["geometry"]].assign(label="x")

    first = geojson_features(admin1, "test", build)
    first[0]["properties"]["extra"] = 1
    second = geojson_features(admin1, "test", build)
    assert len(calls) == 1 and "extra" not in second[0]["properties"]
    assert second[0]["geometry"] is first[0]["geometry"]
    geojson_features(admin1.copy(), "test", build)
    assert len(calls) == 2


def test_choropleth_and_boundaries_are_stable_across_builds(admin0, admin1, corridors) -> None:
    values = pd.DataFrame({"unit_code": admin1["admin1_code"], "value": range(len(admin1)), "label": "v"})

    def html() -> str:
        m = build_incident_map(
            _incidents(), admin0=admin0, admin1=admin1, corridors=corridors, choropleth=values, heat="count"
        )
        return re.sub(r"_[0-9a-f]{32}", "_ID", _render(m))

    assert html() == html()


def test_simplified_for_display_leaves_input_alone(admin1) -> None:
    before = admin1.geometry.to_wkb().tolist()
    out = simplified_for_display(admin1)
    assert out is not admin1 and admin1.geometry.to_wkb().tolist() == before
    assert len(out) == len(admin1)


def test_heat_cells_coarsened_match_direct_binning() -> None:
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(-12, 16, 200_000), rng.uniform(8, 24, 200_000)
    cells, cell = heat_cells(lon, lat, np.ones(lon.size))
    assert cell > HEAT_CELL_DEG and len(cells) <= HEAT_MAX_CELLS
    ix, iy = np.floor(lon / cell).astype(np.int64), np.floor(lat / cell).astype(np.int64)
    assert len(cells) == len(set(zip(ix.tolist(), iy.tolist(), strict=True)))


def test_caller_layers_are_defined_before_the_layer_control_names_them(admin0, admin1, corridors) -> None:
    extra = folium.FeatureGroup(name="Caller layer")
    build = build_incident_map_with_info(
        _incidents(), admin0=admin0, admin1=admin1, corridors=corridors, add_layers=extra.add_to
    )
    html = _render(build.map)
    defined = html.index(f"var {extra.get_name()} =")
    assert defined < html.index("L.control.layers")


# ---- one builder, one frozen set of options -------------------------------------------------


def _children(m: folium.Map) -> list[tuple[str, str]]:
    return [(type(child).__name__, str(getattr(child, "layer_name", ""))) for child in m._children.values()]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"heat": "deaths"}, "heat 'deaths'"),
        ({"basemap": "satellite"}, "basemap 'satellite'"),
        ({"max_points": -1}, "max_points"),
        ({"max_points": True}, "max_points"),
        ({"choropleth_scale": "linear"}, "choropleth_scale 'linear'"),
        (
            {"choropleth": pd.DataFrame({"unit_code": [], "value": []}), "choropleth_level": "admin2"},
            "admin2",
        ),
    ],
)
def test_map_options_are_checked_when_made(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MapOptions(**fields)


def test_map_options_are_frozen() -> None:
    options = MapOptions(heat="count")
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.heat = None  # type: ignore[misc]
    assert dataclasses.replace(options, heat=None).heat is None and options.heat == "count"


def test_build_map_draws_the_options_layers(admin0, admin1, corridors) -> None:
    plain = build_map(_incidents(), admin0=admin0, admin1=admin1, corridors=corridors)
    options = MapOptions(heat="count", hexagons=True, highlight_corridor="C1")
    layered = build_map(_incidents(), admin0=admin0, admin1=admin1, corridors=corridors, options=options)
    plain_names = {name for _, name in _children(plain.map)}
    layered_names = {name for _, name in _children(layered.map)}
    assert LAYER_INCIDENTS in plain_names and LAYER_INCIDENTS in layered_names
    added = layered_names - plain_names
    assert any(name.startswith("Heat") for name in added), added
    assert any(name.startswith("Incidents (hexagons)") for name in added), added
    aggregated = build_map(
        _incidents(), admin0=admin0, admin1=admin1, corridors=None, options=MapOptions(max_points=2)
    )
    assert aggregated.mode == "aggregated" and LAYER_INCIDENTS not in {
        n for _, n in _children(aggregated.map)
    }


def test_keyword_shorthand_builds_the_same_map(admin0, admin1, corridors) -> None:
    fields: dict[str, Any] = {"heat": "fatalities", "hexagons": True, "max_points": 5, "uncertainty": False}
    by_keywords = build_incident_map_with_info(
        _incidents(), admin0=admin0, admin1=admin1, corridors=corridors, **fields
    )
    by_options = build_map(
        _incidents(), admin0=admin0, admin1=admin1, corridors=corridors, options=MapOptions(**fields)
    )
    assert _children(by_keywords.map) == _children(by_options.map)
    assert (by_keywords.mode, by_keywords.note) == (by_options.mode, by_options.note)
    with pytest.raises(TypeError):
        build_incident_map_with_info(_incidents(), admin0=admin0, admin1=admin1, corridors=None, shading=1)
