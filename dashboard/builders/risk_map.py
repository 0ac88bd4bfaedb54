"""Map of risk levels: admin units (or corridor lines) filled in fixed level colours.

The colours are tied to the levels (1 Low ... 5 Extreme), never to quantiles of the units in
view, so a unit keeps its colour whatever else the filters show. The base map (boundaries,
corridors, offline assets, attribution) is the incident map's, drawn without incidents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import folium
import geopandas as gpd
import pandas as pd

from dashboard.builders.map_elements import add_legend_section, esc
from dashboard.builders.map_layers import (
    NO_DATA_FILL,
    RISK_LEVEL_COLOURS,
    _admin_frame,
    filled_units_layer,
    geojson_features,
    risk_level_legend_rows,
)
from dashboard.builders.maps import MapBuild, build_incident_map_with_info
from incidents.credits import SourceCredit
from incidents.i18n import _
from incidents.i18n.formats import format_number
from incidents.risk.index import RISK_LEVEL_LABELS

#: Level -> fill colour (ColorBrewer YlOrRd, 5 of its 9 steps); the Map page's "risk level"
#: shading uses the same.
LEVEL_COLOURS: Final = RISK_LEVEL_COLOURS
NO_UNIT_FILL: Final = NO_DATA_FILL


def risk_tooltip(row: pd.Series) -> str:
    """Escaped tooltip text of one unit's risk row."""
    level = int(row["risk_level"])
    rating = _("Level {level} – {name} (index {index})").format(
        level=level, name=RISK_LEVEL_LABELS[level], index=format_number(float(row["index"]), digits=2)
    )
    counts = _("{events} events, {fatalities} fatalities, {civilian} civilian-targeting events").format(
        events=format_number(int(row["events"])),
        fatalities=format_number(int(row["fatalities"])),
        civilian=format_number(int(row["civilian_events"])),
    )
    return f"{esc(rating)}<br>{esc(counts)}"


def risk_legend_html(title: str | None = None) -> str:
    """Legend section: the five risk levels in their colours, under ``title`` (default "Risk level")."""
    title = _("Risk level") if title is None else title
    rows = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;margin-right:4px;'
        f'background:{colour};border:1px solid #666"></span>{esc(name)}</div>'
        for colour, name in risk_level_legend_rows()
    )
    return f'<div class="sahel-legend-risk"><b>{esc(title)}</b>{rows}</div>'


def _risk_fill(row: pd.Series) -> str:
    return LEVEL_COLOURS[int(row["risk_level"])]


def build_risk_map(
    table: pd.DataFrame,
    level: str,
    *,
    empty_incidents: pd.DataFrame,
    admin0: gpd.GeoDataFrame,
    admin1: gpd.GeoDataFrame,
    admin2: gpd.GeoDataFrame | None,
    corridors: gpd.GeoDataFrame | None,
    corridor_lines: gpd.GeoDataFrame | None = None,
    credits: Sequence[SourceCredit] = (),
) -> MapBuild:
    """Base map plus one layer of ``table``'s units coloured by ``risk_level``.

    ``table`` is :func:`incidents.risk.table.build_risk_table` output; ``empty_incidents`` an
    empty analysis frame (the base map's incident layers then stay empty). For corridors,
    ``corridor_lines`` (:func:`geodata.corridors.load_corridors`) are drawn thick in level colours.
    ``credits``: the incident sources the index was computed from (the map's attribution).
    """
    base = UnitMapBase(empty_incidents, admin0, admin1, admin2, corridors, tuple(credits))
    return risk_map_on(table, level, base, corridor_lines)


def risk_map_on(
    table: pd.DataFrame, level: str, base: UnitMapBase, corridor_lines: gpd.GeoDataFrame | None = None
) -> MapBuild:
    """:func:`build_risk_map` on a prepared :class:`UnitMapBase`."""
    by_code = table.assign(unit_code=table["unit_code"].astype(str)).set_index("unit_code")
    if level == "corridor":
        layer = _corridor_layer(by_code, corridor_lines)
    else:
        style = UnitFill(_risk_fill, risk_tooltip, _("not rated"), _("Risk level"))
        layer = unit_fill_layer(by_code, level, base.units(level), style)
    return map_with_layer(layer, risk_legend_html(), base)


@dataclass(frozen=True)
class UnitMapBase:
    """What a map of units draws under its layer: the incident map's boundaries, corridors,
    offline assets and credits, with no incidents (``empty_incidents``: an empty analysis frame).
    ``credits``: the incident sources the units' figures were computed from (the attribution)."""

    empty_incidents: pd.DataFrame
    admin0: gpd.GeoDataFrame
    admin1: gpd.GeoDataFrame
    admin2: gpd.GeoDataFrame | None
    corridors: gpd.GeoDataFrame | None
    credits: tuple[SourceCredit, ...] = ()

    def units(self, level: str) -> gpd.GeoDataFrame | None:
        """The boundary layer of ``level`` (admin1 or admin2)."""
        return self.admin1 if level == "admin1" else self.admin2


def map_with_layer(layer: folium.GeoJson | None, legend_html: str, base: UnitMapBase) -> MapBuild:
    """``base`` plus ``layer`` and its legend section (escaped HTML) when there is a layer."""

    def add_layers(m: folium.Map) -> None:
        if layer is not None:
            layer.add_to(m)
            add_legend_section(m, legend_html)

    return build_incident_map_with_info(
        base.empty_incidents,
        admin0=base.admin0,
        admin1=base.admin1,
        admin2=base.admin2,
        corridors=base.corridors,
        add_layers=add_layers,
        credits=base.credits,
    )


@dataclass(frozen=True)
class UnitFill:
    """How a map of units fills each unit from its row: ``fill(row)`` a colour, ``tooltip(row)``
    escaped HTML under the unit's name; a unit without a row is grey with ``missing`` (plain text);
    ``title``: the layer's name."""

    fill: Callable[[pd.Series], str]
    tooltip: Callable[[pd.Series], str]
    missing: str
    title: str


def unit_fill_layer(
    by_code: pd.DataFrame, level: str, units: gpd.GeoDataFrame | None, style: UnitFill
) -> folium.GeoJson | None:
    """``units`` (admin polygons of ``level``) filled as ``style`` says from their row of ``by_code``
    (indexed by unit code)."""
    if units is None or units.empty:
        return None
    features = geojson_features(units, level, lambda f: _admin_frame(f, level))
    codes = units[f"{level}_code"].astype(str).tolist()
    for feature, code in zip(features, codes, strict=True):
        props = feature["properties"]
        if code in by_code.index:
            row = by_code.loc[code]
            props["fill"] = style.fill(row)
            props["tooltip"] = f"<b>{props['label']}</b><br>{style.tooltip(row)}"
        else:
            props["fill"] = NO_UNIT_FILL
            props["tooltip"] = f"<b>{props['label']}</b><br>{esc(style.missing)}"
    return filled_units_layer(features, style.title)


def _corridor_layer(by_code: pd.DataFrame, lines: gpd.GeoDataFrame | None) -> folium.GeoJson | None:
    if lines is None or lines.empty:
        return None
    shown = lines[lines["corridor_id"].astype(str).isin(by_code.index)]
    if shown.empty:
        return None
    rows = by_code.loc[shown["corridor_id"].astype(str)]
    frame = gpd.GeoDataFrame(
        {
            "colour": [LEVEL_COLOURS[int(level)] for level in rows["risk_level"]],
            "tooltip": [
                f"<b>{esc(code)} {esc(name)}</b><br>{risk_tooltip(row)}"
                for code, name, (_index, row) in zip(
                    shown["corridor_id"], shown["corridor_name"], rows.iterrows(), strict=True
                )
            ],
        },
        geometry=shown.geometry.to_numpy(),
        crs=shown.crs,
    )
    return folium.GeoJson(
        frame.__geo_interface__,
        name=_("Corridor risk level"),
        style_function=lambda f: {"color": f["properties"]["colour"], "weight": 7, "opacity": 0.9},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
    )
