"""The map's legend tells the truth: one panel, only the layers drawn, colours no other thing uses.

* cluster bubbles are a neutral blue-grey ramp by count (never an event type's colour), and
  the legend says what grey bubbles are;
* one collapsible legend panel, holding only the sections of the layers on the map (the Risk
  levels map, with no incidents, has no event-type section; sites add theirs to the same panel);
* risk levels 1-5 in a ramp whose neighbours differ clearly, also under deuteranopia;
* the map opens on the selected countries (or regions) whole.

Rendered HTML only (no browser); tests/e2e/test_map_legend.py measures the panel in Chromium.
"""

from __future__ import annotations

import itertools
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from dashboard.builders.map_elements import LEGEND_COLLAPSE_BELOW, Legend, add_legend_section, legend_of
from dashboard.builders.map_layers import RISK_LEVEL_COLOURS, SEQUENTIAL
from dashboard.builders.map_sites import add_site_layers
from dashboard.builders.maps import (
    CLUSTER_COLOURS,
    CLUSTER_LEGEND,
    EVENT_TYPE_COLOURS,
    MapOptions,
    build_map,
    cluster_css,
    event_type_legend_html,
    shown_event_types,
    view_bounds,
)
from dashboard.builders.risk_map import build_risk_map
from incidents.model import EVENT_TYPE_LABELS, EVENT_TYPES, empty_incidents
from incidents.sites import site_from_values
from tests.incident_frames import like_incidents

# ---- colour science (CIE76 on sRGB, deuteranopia by Machado et al. 2009, severity 1) ----------

_SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
_WHITE = np.array([0.95047, 1.0, 1.08883])
_DEUTERANOPIA = np.array(
    [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 1.968881]]
)


def _linear(colour: str) -> np.ndarray:
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    xyz = _SRGB_TO_XYZ @ linear / _WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, *, deuteranopia: bool = False) -> float:
    """CIE76 colour difference (2.3 is just noticeable; above ~20 two colours read as different)."""
    la, lb = _linear(a), _linear(b)
    if deuteranopia:
        la, lb = np.clip(_DEUTERANOPIA @ la, 0, 1), np.clip(_DEUTERANOPIA @ lb, 0, 1)
    return float(np.linalg.norm(_lab(la) - _lab(lb)))


def test_colour_difference_is_sane() -> None:
    assert delta_e("#ffffff", "#ffffff") == 0
    assert delta_e("#000000", "#ffffff") == pytest.approx(100, abs=0.5)
    # red and green are far apart to most eyes, close under deuteranopia
    assert delta_e("#d62728", "#2ca02c") > 60 > delta_e("#d62728", "#2ca02c", deuteranopia=True) + 20


# ---- risk palette -----------------------------------------------------------------------------


@pytest.mark.parametrize("deuteranopia", [False, True])
def test_risk_level_neighbours_are_distinct(deuteranopia: bool) -> None:
    colours = [RISK_LEVEL_COLOURS[level] for level in range(1, 6)]
    least = 25.0 if not deuteranopia else 15.0
    for low, high in itertools.pairwise(colours):
        assert delta_e(low, high, deuteranopia=deuteranopia) > least, (low, high)
    # 4 and 5 above all: the old pair (#f03b20, #bd0026) was 24.5 apart
    assert delta_e(colours[3], colours[4]) > 40
    assert delta_e(colours[3], colours[4], deuteranopia=True) > 40


def test_risk_levels_get_darker_step_by_step() -> None:
    lightness = [_lab(_linear(RISK_LEVEL_COLOURS[level]))[0] for level in range(1, 6)]
    assert lightness == sorted(lightness, reverse=True)
    assert min(a - b for a, b in itertools.pairwise(lightness)) > 8
    assert tuple(RISK_LEVEL_COLOURS.values()) == SEQUENTIAL


# ---- cluster bubbles --------------------------------------------------------------------------


@pytest.mark.parametrize("deuteranopia", [False, True])
def test_cluster_bubbles_use_no_event_type_colour(deuteranopia: bool) -> None:
    for size, (fill, _text) in CLUSTER_COLOURS.items():
        for event_type, colour in EVENT_TYPE_COLOURS.items():
            assert delta_e(fill, colour, deuteranopia=deuteranopia) > 20, (size, event_type)


def test_cluster_ramp_darkens_with_the_count_and_its_numbers_are_readable() -> None:
    fills = [CLUSTER_COLOURS[size][0] for size in ("small", "medium", "large")]
    lightness = [_lab(_linear(fill))[0] for fill in fills]
    assert lightness == sorted(lightness, reverse=True)
    for fill, text in CLUSTER_COLOURS.values():
        assert delta_e(fill, text) > 50
        saturation = np.hypot(*_lab(_linear(fill))[1:])
        assert saturation < 15  # a grey, not a hue


def test_cluster_css_overrides_every_markercluster_size() -> None:
    css = cluster_css()
    for size, (fill, text) in CLUSTER_COLOURS.items():
        inner = re.search(rf"\.leaflet-container \.marker-cluster-{size} div \{{([^}}]*)\}}", css)
        assert inner is not None, size
        assert f"background-color: {fill};" in inner.group(1) and f"color: {text};" in inner.group(1)
        assert re.search(rf"\.leaflet-container \.marker-cluster-{size} \{{ background-color: rgba\(", css)
    # markercluster's own greens, yellows and oranges are gone from the rules we add
    assert not re.search(r"rgba\((110, ?204|181, ?226|240, ?194|241, ?211|253, ?156|241, ?128)", css)


# ---- legend panel -----------------------------------------------------------------------------


@pytest.fixture
def admin0() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"iso3": ["MLI", "NER"], "country": ["Mali", "Niger"], "role": ["focus", "focus"]},
        geometry=[box(-12, 10, 4, 25), box(0, 11, 16, 23)],
        crs="EPSG:4326",
    )


@pytest.fixture
def admin1() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "iso3": ["MLI", "MLI", "MLI"],
            "country": ["Mali"] * 3,
            "admin1_code": ["ML-1", "ML-7", "ML-8"],
            "admin1_name": ["Kayes", "Gao", "Kidal"],
            "admin1_pcode": ["ML01", "ML07", "ML08"],
        },
        geometry=[box(-12, 12, -7, 17), box(-1, 14, 4, 18), box(-1, 18, 4, 25)],
        crs="EPSG:4326",
    )


def _battles(n: int = 3) -> pd.DataFrame:
    return like_incidents(n)


def _legends(m: object) -> list[Legend]:
    return [child for child in m._children.values() if isinstance(child, Legend)]  # type: ignore[attr-defined]


def _panel_html(m: object) -> str:
    """The legend panel's HTML as the browser gets it (one panel, else the test fails)."""
    html = m.get_root().render()  # type: ignore[attr-defined]
    assert html.count('L.DomUtil.create("details", "sahel-legend")') == 1
    (legend,) = _legends(m)
    return legend.html


def test_battle_only_map_names_battle_and_the_grey_bubbles_only(admin0, admin1) -> None:
    panel = _panel_html(build_map(_battles(), admin0=admin0, admin1=admin1, corridors=None).map)
    assert EVENT_TYPE_LABELS["battle"] in panel
    assert EVENT_TYPE_COLOURS["battle"] in panel
    assert CLUSTER_LEGEND in panel
    for event_type in EVENT_TYPES:
        if event_type != "battle":
            assert EVENT_TYPE_COLOURS[event_type] not in panel, event_type
    assert "Corridor" not in panel  # no corridors drawn


def test_unknown_and_unplaced_types_are_named_as_drawn() -> None:
    frame = pd.DataFrame(
        {
            "event_type": ["battle", "riot??", "abduction"],
            "latitude": [1.0, 2.0, None],
            "longitude": [1.0] * 3,
        }
    )
    assert shown_event_types(frame) == ["battle", "other"]  # the abduction has no point
    assert event_type_legend_html([]) == ""


def test_map_without_incidents_or_layers_has_no_legend_panel(admin0, admin1) -> None:
    m = build_map(empty_incidents(), admin0=admin0, admin1=admin1, corridors=None).map
    html = m.get_root().render()
    assert 'L.DomUtil.create("details", "sahel-legend")' not in html
    assert "Event type" not in html


def test_every_section_shares_one_panel(admin0, admin1) -> None:
    values = pd.DataFrame({"unit_code": ["ML-7"], "value": [3.0], "label": ["3"]})
    options = MapOptions(heat="count", hexagons=True, choropleth=values)
    panel = _panel_html(
        build_map(_battles(), admin0=admin0, admin1=admin1, corridors=None, options=options).map
    )
    for title in ("Event type", "Heat: incident density", "hexagon", "Incidents per region"):
        assert title in panel, title


def test_risk_levels_map_has_no_event_type_legend(admin0, admin1) -> None:
    table = pd.DataFrame(
        {
            "unit_code": ["ML-7"],
            "risk_level": [5],
            "index": [0.9],
            "events": [3],
            "fatalities": [2],
            "civilian_events": [1],
        }
    )
    build = build_risk_map(
        table,
        "admin1",
        empty_incidents=empty_incidents(),
        admin0=admin0,
        admin1=admin1,
        admin2=None,
        corridors=None,
    )
    panel = _panel_html(build.map)
    assert "Risk level" in panel and "5 Extreme" in panel
    assert "Event type" not in panel and CLUSTER_LEGEND not in panel


def test_sites_add_their_section_to_the_same_panel(admin0, admin1) -> None:
    sites = site_from_values("Camp", "camp", 16.0, 0.0)
    options = MapOptions(add_layers=lambda m: add_site_layers(m, sites))
    m = build_map(_battles(), admin0=admin0, admin1=admin1, corridors=None, options=options).map
    panel = _panel_html(m)
    assert panel.index("Event type") < panel.index("Site rings")  # the map's own sections first
    assert "Site exposure" not in panel  # no exposure given: sites are not coloured by rating
    html = m.get_root().render()
    assert html.count(".fitBounds(") == 1  # the sites' view, not overridden by the map's


def test_legend_panel_is_collapsible_bounded_and_collapsed_on_small_maps(admin0, admin1) -> None:
    html = build_map(_battles(), admin0=admin0, admin1=admin1, corridors=None).map.get_root().render()
    assert '"summary", "sahel-legend-title"' in html
    assert f"size.x < {LEGEND_COLLAPSE_BELOW[0]}" in html and f"size.y < {LEGEND_COLLAPSE_BELOW[1]}" in html
    assert "box.open = !small;" in html
    assert "body.style.maxHeight" in html and "disableScrollPropagation(box)" in html
    assert re.search(r"\.sahel-legend-body \{ overflow-y: auto;", html)


def test_legend_sections_are_added_once_each_in_order() -> None:
    import folium

    m = folium.Map(tiles=None)
    add_legend_section(m, "<b>A</b>")
    add_legend_section(m, "")
    add_legend_section(m, "<b>B</b>")
    assert len(_legends(m)) == 1 and legend_of(m).html == "<b>A</b><b>B</b>"


# ---- fit the view -------------------------------------------------------------------------------


def test_view_fits_the_selected_country_whole_not_just_its_incidents(admin0, admin1) -> None:
    m = build_map(_battles(), admin0=admin0, admin1=admin1, corridors=None).map
    html = m.get_root().render()
    (bounds,) = re.findall(r"\.fitBounds\(\s*(\[\[.*?\]\])", html)
    assert json.loads(bounds) == [[12.0, -12.0], [25.0, 4.0]]  # every Mali region, not Gao's points


def test_view_fits_the_selected_regions(admin0, admin1) -> None:
    assert view_bounds(_battles(), admin1, admin0, ("ML-7", "ML-8")) == [[14.0, -1.0], [25.0, 4.0]]
    assert view_bounds(_battles(), admin1, admin0, ("XX-9",)) == [[12.0, -12.0], [25.0, 4.0]]
    options = MapOptions(fit_units=("ML-1",))
    html = build_map(_battles(), admin0=admin0, admin1=admin1, corridors=None, options=options).map
    assert "[[12.0, -12.0], [17.0, -7.0]]" in html.get_root().render()


def test_view_without_units_fits_incidents_then_countries(admin0, admin1) -> None:
    none = admin1.iloc[0:0]
    assert view_bounds(_battles(), none, admin0) == [[16.0, 0.0], [16.2, 0.0]]
    assert view_bounds(empty_incidents(), none, admin0) == [[10.0, -12.0], [25.0, 16.0]]
    assert view_bounds(empty_incidents(), none, admin0.iloc[0:0]) is None
