"""Rows placed at an admin unit are drawn as such: the popup says where and how far, circles by zoom."""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd

from dashboard.builders.map_layers import UNCERTAINTY_MIN_ZOOM, UncertaintyCircles, uncertainty_rows
from dashboard.builders.map_markers import incident_marker_data, marker_callback


def _incidents() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_date": pd.to_datetime(["2022-03-01"] * 4),
            "event_type": ["battle"] * 4,
            "latitude": [14.10, 14.30, 12.50, 15.00],
            "longitude": [-1.63, -1.50, 0.90, -2.00],
            "geo_precision": [1, 2, 3, 2],
            "uncertainty_km": [np.nan, 63.8, 120.6, np.nan],
            "location": ["Djibo", "Kelbo-Ouest", "Boukouma", "Boni"],
            "admin2_name": ["Soum", "<b>Soum</b>", "Gourma", "Douentza"],
            "admin1_name": ["Sahel", "Sahel", "Est", "Mopti"],
            "country": ["Burkina Faso", "Burkina Faso", "Burkina Faso", "Mali"],
            "fatalities": [1, 2, 3, 4],
        }
    )


def test_marker_rows_carry_the_radius_and_the_unit_placed_in() -> None:
    data = incident_marker_data(_incidents())
    own, district, region, gazetteer = data.rows
    assert (own[11], gazetteer[11]) == (0, 0)  # the event's own point; a town from the gazetteer
    assert district[11] == 64 and data.strings[district[12]] == "&lt;b&gt;Soum&lt;/b&gt;"  # escaped
    assert region[11] == 121 and data.strings[region[12]] == "Est"  # region-level: the admin-1 unit
    assert data.strings[own[12]] == ""


def test_marker_rows_without_the_column_have_no_radius() -> None:
    data = incident_marker_data(_incidents().drop(columns="uncertainty_km"))
    assert [row[11] for row in data.rows] == [0, 0, 0, 0]


def test_popup_says_where_the_row_was_placed() -> None:
    script = marker_callback(["", "Soum"])
    # The sentence travels in the words table (translated); the browser fills the unit and radius.
    assert "placed at the centre of {area}, \\u00b1 {km} km" in script
    assert "var area = S[row[12]] || T.area;" in script
    assert ".replace('{km}', function () { return String(row[11]); })" in script


def test_circles_use_the_rows_own_radius_else_the_precision_default() -> None:
    rows = uncertainty_rows(_incidents())
    assert [row[2] for row in rows] == [63_800.0, 120_600.0, 10_000.0]


def test_circles_are_one_layer_shown_from_a_zoom_level() -> None:
    m = folium.Map(location=[14, -1], zoom_start=6)
    UncertaintyCircles(uncertainty_rows(_incidents())).add_to(m)
    html = m.get_root().render()
    assert f"getZoom() >= {UNCERTAINTY_MIN_ZOOM}" in html
    assert html.count("L.canvas(") == 1  # one canvas layer for every circle
    # in a pane above the opaque offline country fills (an overlay-pane canvas is drawn under them)
    assert 'pane: "sahelUncertainty"' in html and "pane.style.zIndex = 450" in html
