"""The Map page's "risk level" shading: one fixed colour per level and a legend naming the levels.

The Risk page (dashboard/builders/risk_map.py) and the Map page share the colours, so a unit at
level 3 is the same orange on both, whatever other units are in view. Other measures keep
their quantile classes (tests/unit/test_maps.py).
"""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from dashboard.builders.map_layers import (
    NO_DATA_FILL,
    RISK_LEVEL_COLOURS,
    RISK_NOT_RATED,
    SEQUENTIAL,
    choropleth_layer,
    risk_level_layer,
    risk_levels_legend_html,
)
from dashboard.builders.risk_map import LEVEL_COLOURS, risk_legend_html
from incidents.model import empty_incidents
from incidents.risk.index import RISK_LEVEL_LABELS
from tests.unit.test_maps import choropleth_html

HOSTILE = "<img src=x onerror=alert(1)>"
LEVEL_NAMES = ("1 Low", "2 Moderate", "3 High", "4 Very high", "5 Extreme")


def _units(names: list[str]) -> gpd.GeoDataFrame:
    n = len(names)
    return gpd.GeoDataFrame(
        {
            "iso3": ["MLI"] * n,
            "country": ["Mali"] * n,
            "admin1_code": [f"ML-{i}" for i in range(n)],
            "admin1_name": names,
            "admin1_pcode": [f"ML0{i}" for i in range(n)],
        },
        geometry=[box(-1 + i, 14, i, 15) for i in range(n)],
        crs="EPSG:4326",
    )


@pytest.fixture
def admin0() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"iso3": ["MLI"], "country": ["Mali"], "role": ["focus"]},
        geometry=[box(-5, 12, 6, 25)],
        crs="EPSG:4326",
    )


def _levels(levels: list[object], labels: list[str] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_code": [f"ML-{i}" for i in range(len(levels))],
            "value": levels,
            "label": labels if labels is not None else [f"index 0.{i}" for i in range(len(levels))],
        }
    )


def _props(layer) -> dict[str, dict]:
    return {f["properties"]["unit_code"]: f["properties"] for f in layer.data["features"]}


def _legend_names(legend: str) -> list[str]:
    return re.findall(r"</span>([^<]*)</div>", legend)


# ---- colours ----------------------------------------------------------------------------------


def test_one_fixed_colour_per_level() -> None:
    assert sorted(RISK_LEVEL_COLOURS) == sorted(RISK_LEVEL_LABELS) == [1, 2, 3, 4, 5]
    assert len(set(RISK_LEVEL_COLOURS.values())) == 5
    assert tuple(RISK_LEVEL_COLOURS[level] for level in range(1, 6)) == SEQUENTIAL  # low -> high


def test_each_unit_is_filled_in_its_levels_colour() -> None:
    units = _units([f"Unit {i}" for i in range(5)])
    layer, _ = risk_level_layer(units, "admin1", _levels([5, 1, 3, 2, 4]))
    props = _props(layer)
    assert [props[f"ML-{i}"]["fill"] for i in range(5)] == [
        RISK_LEVEL_COLOURS[level] for level in (5, 1, 3, 2, 4)
    ]


def test_colour_does_not_depend_on_the_other_units_in_view() -> None:
    """Quantile classes would recolour a level-2 unit next to level-1 units; levels never do."""
    units = _units(["A", "B", "C"])
    alone_low, _ = risk_level_layer(units, "admin1", _levels([2, 1, 1]))
    among_high, _ = risk_level_layer(units, "admin1", _levels([2, 5, 5]))
    assert _props(alone_low)["ML-0"]["fill"] == _props(among_high)["ML-0"]["fill"] == RISK_LEVEL_COLOURS[2]
    quantile, _ = choropleth_layer(units, "admin1", _levels([2, 1, 1]), "Incidents")
    assert _props(quantile)["ML-0"]["fill"] != RISK_LEVEL_COLOURS[2]  # what the old shading did


def test_levels_as_floats_or_text_are_accepted() -> None:
    units = _units(["A", "B"])
    layer, _ = risk_level_layer(units, "admin1", _levels([3.0, "4"]))
    props = _props(layer)
    assert (props["ML-0"]["fill"], props["ML-1"]["fill"]) == (RISK_LEVEL_COLOURS[3], RISK_LEVEL_COLOURS[4])


def test_units_without_a_level_are_grey_and_not_rated() -> None:
    units = _units(["A", "B", "C"])
    layer, legend = risk_level_layer(units, "admin1", _levels([4, None]))  # ML-1 missing, ML-2 absent
    props = _props(layer)
    assert props["ML-0"]["fill"] == RISK_LEVEL_COLOURS[4]
    assert props["ML-1"]["fill"] == props["ML-2"]["fill"] == NO_DATA_FILL
    assert RISK_NOT_RATED in props["ML-2"]["tooltip"]
    assert _legend_names(legend)[-1] == RISK_NOT_RATED


@pytest.mark.parametrize("bad", [0, 6, 2.5, "high"])
def test_a_value_that_is_not_a_level_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="risk levels must be one of"):
        risk_level_layer(_units(["A"]), "admin1", _levels([bad]))


def test_the_frame_needs_one_row_per_unit_with_the_usual_columns() -> None:
    with pytest.raises(ValueError, match="lacks columns"):
        risk_level_layer(_units(["A"]), "admin1", _levels([1]).drop(columns="label"))
    with pytest.raises(ValueError, match="several rows"):
        risk_level_layer(_units(["A"]), "admin1", pd.concat([_levels([1]), _levels([2])]))


# ---- legend -----------------------------------------------------------------------------------


def test_legend_names_every_level_in_order_with_its_colour() -> None:
    _, legend = risk_level_layer(_units(["A", "B"]), "admin1", _levels([1, 1]), "Risk level")
    assert _legend_names(legend) == list(LEVEL_NAMES)  # every level, even those no unit has
    for level in range(1, 6):
        assert f"background:{RISK_LEVEL_COLOURS[level]};" in legend
    assert "<b>Risk level</b>" in legend
    assert " – " not in legend  # no value ranges (the quantile legend's "1 – 3")


def test_legend_title_and_not_rated_text_are_escaped() -> None:
    legend = risk_levels_legend_html(HOSTILE, not_rated=HOSTILE)
    assert HOSTILE not in legend
    assert legend.count("&lt;img src=x onerror=alert(1)&gt;") == 2


def test_risk_page_legend_uses_the_same_levels_and_colours() -> None:
    risk_page = risk_legend_html()
    assert LEVEL_COLOURS == RISK_LEVEL_COLOURS
    assert _legend_names(risk_page) == list(LEVEL_NAMES)
    for colour in RISK_LEVEL_COLOURS.values():
        assert f"background:{colour};" in risk_page


# ---- tooltips ---------------------------------------------------------------------------------


def test_tooltip_names_the_unit_and_level_and_escapes_every_text() -> None:
    units = _units([HOSTILE, "Gao"]).assign(country=["<script>x</script>", "Mali"])
    layer, _ = risk_level_layer(units, "admin1", _levels([3, 5], labels=[HOSTILE, ""]))
    props = _props(layer)
    hostile = props["ML-0"]["tooltip"]
    assert "<img" not in hostile and "<script>" not in hostile
    assert hostile.count("&lt;img src=x onerror=alert(1)&gt;") == 2  # region name and label
    assert "&lt;script&gt;x&lt;/script&gt;" in hostile
    assert "Level 3 – High" in hostile
    assert props["ML-1"]["tooltip"] == "<b>Gao — Mali</b><br>Level 5 – Extreme"  # no empty detail line


def test_admin2_units_are_shaded_and_escaped() -> None:
    units = gpd.GeoDataFrame(
        {
            "iso3": ["MLI"],
            "country": ["Mali"],
            "admin1_code": ["ML-7"],
            "admin1_name": ["Gao"],
            "admin2_code": ["ML0701"],
            "admin2_name": [HOSTILE],
        },
        geometry=[box(0, 14, 1, 15)],
        crs="EPSG:4326",
    )
    values = pd.DataFrame({"unit_code": ["ML0701"], "value": [4], "label": ["index 0.61"]})
    layer, _ = risk_level_layer(units, "admin2", values)
    props = layer.data["features"][0]["properties"]
    assert props["fill"] == RISK_LEVEL_COLOURS[4]
    assert props["level"] == "admin2" and props["unit_code"] == "ML0701"  # still drills down
    assert HOSTILE not in props["tooltip"] and "Level 4 – Very high" in props["tooltip"]


# ---- through the map builder ------------------------------------------------------------------


def _map_html(admin0: gpd.GeoDataFrame, units: gpd.GeoDataFrame, values: pd.DataFrame, **extra) -> str:
    return choropleth_html(empty_incidents(), admin0, units, values, choropleth_title="Risk level", **extra)


def test_map_with_risk_level_scale_shows_the_level_legend(admin0) -> None:
    units = _units(["Gao", HOSTILE])
    html = _map_html(
        admin0, units, _levels([2, 4], labels=["index 0.20", HOSTILE]), choropleth_scale="risk_level"
    )
    for name in LEVEL_NAMES:
        assert name in html, name
    assert f'"fill": "{RISK_LEVEL_COLOURS[2]}"' in html
    assert f'"fill": "{RISK_LEVEL_COLOURS[4]}"' in html
    assert "No incidents" not in html  # the quantile legend's grey swatch
    assert HOSTILE not in html
    assert html.count('L.DomUtil.create("details", "sahel-legend")') == 1  # one legend, the levels a section
    assert html.count(".addEventParent(hub)") == 2  # regions and the shading: both drill down


def test_map_default_scale_is_still_quantiles(admin0) -> None:
    html = _map_html(admin0, _units(["A", "B"]), _levels([1, 9], labels=["1 incident", "9 incidents"]))
    assert "1 Low" not in html and "5 Extreme" not in html
    assert "1 – 5" in html and "6 – 9" in html  # quantile classes of the values in view


def test_unknown_scale_is_refused(admin0) -> None:
    with pytest.raises(ValueError, match="choropleth_scale"):
        _map_html(admin0, _units(["A"]), _levels([1]), choropleth_scale="levels")
