"""Map builders: folium maps of boundaries, corridors and incidents, with no Streamlit calls.

Pure functions from frames to :class:`folium.Map`, so they are tested by inspecting the
rendered HTML (docs/architecture.md, 'Testing'). Three rules shape them:

* offline first: every script and stylesheet comes from ``asset_base`` (served by the app);
  the default basemap has no tiles at all (docs/architecture.md, 'Maps: offline and fast');
* fast with 20k+ incidents: one ``FastMarkerCluster`` fed a compact array, markers built in
  the browser, popups built only when opened (one folium marker per incident costs ~1 KB
  and ~1 ms each);
* every user-supplied text (notes come from uploaded files) is HTML-escaped in Python
  before it reaches the page; the browser only concatenates escaped strings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element
from folium.map import FitBounds
from folium.plugins import FastMarkerCluster

from dashboard.builders.assets import ASSET_BASE_URL, localise_resources, offline_css, offline_js
from dashboard.builders.attribution import (
    MAP_BOUNDARIES_ATTRIBUTION,
    OSM_TILE_ATTRIBUTION,
    map_incidents_attribution,
    shown_credits,
)
from dashboard.builders.map_elements import Attribution as _Attribution
from dashboard.builders.map_elements import Bind as _Bind
from dashboard.builders.map_elements import FullscreenControl as _FullscreenControl
from dashboard.builders.map_elements import MapStyle as _MapStyle
from dashboard.builders.map_elements import esc, mark_raw_render
from dashboard.builders.map_elements import legend_of as _legend_of
from dashboard.builders.map_elements import text_of as _text
from dashboard.builders.map_layers import (
    CHOROPLETH_LEVELS,
    CHOROPLETH_SCALES,
    LAYER_ADMIN2,
    LAYER_CHOROPLETH_DEFAULT,
    DrillDownHub,
    UncertaintyCircles,
    admin_boundary_layer,
    buffer_layer,
    choropleth_layer,
    feature_collection,
    geojson_features,
    heat_layer,
    hexagon_aggregation,
    hexagon_layer,
    risk_level_layer,
    uncertainty_legend_html,
    uncertainty_rows,
)
from dashboard.builders.map_markers import (
    APPROXIMATE_PRECISIONS,
    EVENT_TYPE_COLOURS,
    NOTES_MAX_CHARS,
    MarkerData,
    incident_marker_data,
    marker_callback,
)
from dashboard.builders.map_towns import add_town_labels
from incidents.credits import SourceCredit
from incidents.i18n import N_, _, ngettext
from incidents.i18n.formats import format_number
from incidents.model import EVENT_TYPE_LABELS, EVENT_TYPES
from incidents.settings import DISPLAY_SIMPLIFY_DEG, MAP_MAX_POINTS

__all__ = [
    "APPROXIMATE_PRECISIONS",
    "BASEMAPS",
    "EVENT_TYPE_COLOURS",
    "NOTES_MAX_CHARS",
    "MapBuild",
    "MapOptions",
    "MarkerData",
    "build_incident_map",
    "build_incident_map_with_info",
    "build_map",
    "cluster_css",
    "corridor_popup_html",
    "esc",
    "event_type_legend_html",
    "incident_marker_data",
    "simplified_for_display",
    "view_bounds",
]

#: Basemap key -> label for the sidebar. "none" needs no internet and is the default.
BASEMAPS: Final[dict[str, str]] = {
    "none": N_("No basemap (offline)"),
    "OpenStreetMap": N_("OpenStreetMap (needs internet)"),
}
OSM_TILES_URL: Final = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
# Without tiles Leaflet has no maxZoom and marker clustering throws
# (docs/architecture.md, 'Maps: offline and fast').
MAX_ZOOM: Final = 14
MIN_ZOOM: Final = 3
#: Centre of Mali's bounding box: the view when there is nothing to fit.
DEFAULT_CENTRE: Final = (17.5, -2.0)

CORRIDOR_COLOURS: Final = ("#00429d", "#0f7a4a", "#a86b00", "#8b008b", "#007c80", "#a0522d", "#4b0082")
CONNECTOR_DASH: Final = "6 8"

LAYER_COUNTRIES: Final = N_("Countries")
LAYER_REGIONS: Final = N_("Regions (admin-1)")
LAYER_CORRIDORS: Final = N_("Corridors (analytic, not observed tracks)")
LAYER_INCIDENTS: Final = N_("Incidents")

LAND_FILL: Final = "#f4f1ea"
SEA_BACKGROUND: Final = "#dfe7ec"


# ---- assets -------------------------------------------------------------------------


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(getattr(element, "_children", {}).values()):
        yield from _walk(child)


def localise_assets(m: folium.Map, asset_base: str = ASSET_BASE_URL) -> None:
    """Point every element of ``m`` at the app-served copies of its scripts and stylesheets.

    Set per instance, never on the class: folium's ``add_js_link`` mutates the class-level
    lists, which would leak between maps and tests.
    """
    for element in _walk(m):
        if element is m:
            m.default_js = offline_js(asset_base)
            m.default_css = offline_css(asset_base)
            continue
        for attribute in ("default_js", "default_css"):
            resources = getattr(element, attribute, None)
            if resources:
                setattr(element, attribute, localise_resources(resources, asset_base))


# ---- small folium elements -----------------------------------------------------------


#: Cluster bubbles by size (markercluster's small <10, medium <100, large): a blue-grey ramp,
#: light to dark with the count, that no event type uses (Leaflet.markercluster's default
#: green/yellow/orange would read as event types). ``(fill, text)`` per size.
CLUSTER_COLOURS: Final[dict[str, tuple[str, str]]] = {
    "small": ("#e3e8ee", "#1b2733"),
    "medium": ("#a9b8c6", "#1b2733"),
    "large": ("#33475b", "#ffffff"),
}
CLUSTER_RING: Final = "#5d7387"
CLUSTER_LEGEND: Final = N_("Grey bubbles: number of incidents grouped")


def cluster_css() -> str:
    """CSS giving cluster bubbles the neutral :data:`CLUSTER_COLOURS` (overrides markercluster's)."""
    rules = []
    for size, (fill, text) in CLUSTER_COLOURS.items():
        red, green, blue = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
        rules.append(
            f" .leaflet-container .marker-cluster-{size} {{"
            f" background-color: rgba({red},{green},{blue},0.55); }}"
            f" .leaflet-container .marker-cluster-{size} div {{ background-color: {fill}; color: {text};"
            f" border: 1px solid {CLUSTER_RING}; box-sizing: border-box; }}"
        )
    return "".join(rules)


def _css(offline: bool) -> str:
    background = f".leaflet-container {{ background: {SEA_BACKGROUND}; }}" if offline else ""
    return (
        background
        + " .sahel-legend { background: rgba(255,255,255,0.92); padding: 4px 8px; border-radius: 4px;"
        " font: 12px/1.45 sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,0.3); box-sizing: border-box; }"
        " .sahel-legend summary { cursor: pointer; font-weight: 600; }"
        " .sahel-legend-body { overflow-y: auto; padding-right: 4px; }"
        " .sahel-legend i { display: inline-block; width: 11px; height: 11px; border-radius: 50%;"
        " margin-right: 6px; border: 1px solid #222; vertical-align: -1px; }"
        " .sahel-popup { font: 12px/1.4 sans-serif; } .sahel-popup th { text-align: left;"
        " padding-right: 6px; vertical-align: top; color: #555; font-weight: 600; }"
        " .sahel-popup .demo { color: #9a5b00; font-weight: 600; }" + cluster_css()
    )


def shown_event_types(incidents: pd.DataFrame) -> list[str]:
    """The event types the markers of ``incidents`` are drawn in (unknown types as "other"), in order."""
    if incidents.empty or "event_type" not in incidents.columns:
        return []
    located = incidents
    if {"latitude", "longitude"} <= set(incidents.columns):
        lat = pd.to_numeric(incidents["latitude"], errors="coerce")
        lon = pd.to_numeric(incidents["longitude"], errors="coerce")
        located = incidents[lat.notna() & lon.notna()]
    present = {t if t in EVENT_TYPE_COLOURS else "other" for t in located["event_type"].astype(str)}
    return [t for t in EVENT_TYPES if t in present]


def event_type_legend_html(event_types: Sequence[str]) -> str:
    """Legend section of the incident markers: the colours of ``event_types`` and the grey bubbles."""
    if not event_types:
        return ""
    items = "".join(
        f'<div><i style="background:{EVENT_TYPE_COLOURS[t]}"></i>{esc(EVENT_TYPE_LABELS[t])}</div>'
        for t in event_types
    )
    fill, _text_colour = CLUSTER_COLOURS["medium"]
    bubble = (
        f'<div><i style="background:{fill};border-color:{CLUSTER_RING}"></i>{esc(_(CLUSTER_LEGEND))}</div>'
    )
    title = esc(_("Event type"))
    return f"<b>{title}</b>{items}{bubble}"


def corridor_legend_html() -> str:
    """Legend section of the corridor lines (sourced and connector segments)."""
    sourced = esc(_("Corridor (sourced)"))
    connector = esc(_("Connector (no source)"))
    return (
        f'<div style="margin-top:4px"><span style="display:inline-block;width:18px;border-top:3px solid '
        f'{CORRIDOR_COLOURS[0]};margin-right:6px;vertical-align:3px"></span>{sourced}</div>'
        f'<div><span style="display:inline-block;width:18px;border-top:3px dashed {CORRIDOR_COLOURS[0]};'
        f'margin-right:6px;vertical-align:3px"></span>{connector}</div>'
    )


# ---- layers ------------------------------------------------------------------------------


def _new_map(basemap: str) -> folium.Map:
    if basemap not in BASEMAPS:
        raise ValueError(f"basemap {basemap!r} is not one of {sorted(BASEMAPS)}")
    m = folium.Map(
        location=DEFAULT_CENTRE,
        zoom_start=5,
        tiles=None,
        control_scale=True,
        min_zoom=MIN_ZOOM,
        max_zoom=MAX_ZOOM,
    )
    m.options["max_zoom"] = MAX_ZOOM
    m.options["min_zoom"] = MIN_ZOOM
    mark_raw_render(m)
    if basemap == "OpenStreetMap":
        folium.TileLayer(
            tiles=OSM_TILES_URL,
            attr=OSM_TILE_ATTRIBUTION,
            name=_(BASEMAPS[basemap]),
            max_zoom=MAX_ZOOM,
            control=False,
        ).add_to(m)
    _MapStyle(_css(offline=basemap == "none")).add_to(m)
    return m


def simplified_for_display(
    frame: gpd.GeoDataFrame, tolerance_deg: float = DISPLAY_SIMPLIFY_DEG
) -> gpd.GeoDataFrame:
    """A copy of ``frame`` with polygons simplified for drawing (topology kept); display only."""
    out = frame.copy()
    out["geometry"] = out.geometry.simplify(tolerance_deg, preserve_topology=True)
    return out


def _labelled(frame: gpd.GeoDataFrame, label: pd.Series, extra: Sequence[str] = ()) -> gpd.GeoDataFrame:
    out = gpd.GeoDataFrame({"label": label.to_numpy()}, geometry=frame.geometry.to_numpy(), crs=frame.crs)
    for column in extra:
        out[column] = frame[column].fillna("").astype(str).to_numpy()
    return out


def _add_boundaries(
    m: folium.Map,
    admin0: gpd.GeoDataFrame,
    admin1: gpd.GeoDataFrame,
    admin2: gpd.GeoDataFrame | None,
    *,
    offline: bool,
) -> list[folium.GeoJson]:
    """Countries, regions and (hidden at start) districts; returns the clickable admin layers."""
    countries = feature_collection(
        geojson_features(admin0, "countries", lambda f: _labelled(f, f["country"].map(esc), extra=("role",)))
    )

    def country_style(feature: dict) -> dict:
        focus = feature["properties"].get("role") == "focus"
        return {
            "color": "#444444",
            "weight": 1.6 if focus else 1.0,
            "fillColor": LAND_FILL,
            "fillOpacity": (1.0 if focus else 0.75) if offline else 0.0,
        }

    _boundary_layer(countries, _(LAYER_COUNTRIES), country_style, {"weight": 2.5}).add_to(m)

    region_style = {"color": "#8a8a8a", "weight": 0.8, "fillOpacity": 0.0, "fill": True}
    regions = admin_boundary_layer(admin1, "admin1", _(LAYER_REGIONS), show=True, style=region_style)
    regions.add_to(m)
    drill = [regions]
    if admin2 is not None:
        district_style = {
            "color": "#a0a0a0",
            "weight": 0.6,
            "fillOpacity": 0.0,
            "fill": True,
            "dashArray": "2 3",
        }
        districts = admin_boundary_layer(admin2, "admin2", _(LAYER_ADMIN2), show=False, style=district_style)
        districts.add_to(m)
        drill.append(districts)
    return drill


def _boundary_layer(frame: dict, name: str, style: Callable[[dict], dict], highlight: dict) -> folium.GeoJson:
    """A polygon layer named on hover; the label property is already escaped."""
    return folium.GeoJson(
        frame,
        name=name,
        style_function=style,
        highlight_function=lambda _f: highlight,
        # folium refuses a tooltip on a layer with no features (nothing to read fields from).
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False) if frame["features"] else None,
        zoom_on_click=False,
    )


_REF_LINE: Final = re.compile(r"^(?P<text>.*?)\s*<(?P<url>https?://[^\s<>\"]+)>\s*$")


def _reference_html(line: str) -> str:
    """One "S# — publisher — title <url>" line: escaped text plus a link when the URL is http(s)."""
    match = _REF_LINE.match(line)
    if match is None:
        return esc(line)
    url = esc(match["url"])
    link = esc(_("link"))
    return f'{esc(match["text"])} <a href="{url}" target="_blank" rel="noopener noreferrer">{link}</a>'


def corridor_popup_html(row: pd.Series) -> str:
    """Popup of one corridor segment: route, connector status, armed groups and sources (escaped)."""
    connector = bool(row.get("connector", False))
    named_in = _text(row.get("segment_sources", ""))
    if connector:
        status = _("Connector: added to make a continuous line; no source names it for this corridor.")
    elif named_in:
        status = _("Sourced: ends named in {sources}.").format(sources=named_in)
    else:
        status = _("Sourced.")
    rows = [
        (_("Corridor"), esc(_text(row.get("corridor_name", "")))),
        (_("Segment"), f"{esc(_text(row.get('from_name', '')))} → {esc(_text(row.get('to_name', '')))}"),
        (_("Status"), esc(status)),
        (_("Armed groups"), esc(_text(row.get("armed_groups", "")))),
        (_("Sources"), esc(_text(row.get("sources", "")))),
    ]
    refs = [line for line in _text(row.get("source_refs", "")).splitlines() if line.strip()]
    if refs:
        rows.append((_("References"), "<br>".join(_reference_html(line) for line in refs)))
    body = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows)
    aid = esc(_("Corridors are analytic aids, not observed tracks."))
    return f'<table class="sahel-popup">{body}</table><div class="sahel-popup"><i>{aid}</i></div>'


def _line_parts(geometry: object) -> list[list[tuple[float, float]]]:
    geom_type = getattr(geometry, "geom_type", "")
    if geom_type == "LineString":
        return [[(y, x) for x, y, *_ in geometry.coords]]  # type: ignore[attr-defined]
    if geom_type == "MultiLineString":
        return [[(y, x) for x, y, *_ in part.coords] for part in geometry.geoms]  # type: ignore[attr-defined]
    return []


def corridor_colours(*frames: gpd.GeoDataFrame | None) -> dict[str, str]:
    """corridor_id -> line colour, in order of first appearance (lines first, then buffers)."""
    ids: dict[str, None] = {}
    for frame in frames:
        if frame is not None and "corridor_id" in frame.columns:
            ids.update(dict.fromkeys(frame["corridor_id"].astype(str)))
    return {cid: CORRIDOR_COLOURS[i % len(CORRIDOR_COLOURS)] for i, cid in enumerate(ids)}


def _add_corridors(
    m: folium.Map,
    corridors: gpd.GeoDataFrame | None,
    colours: dict[str, str],
    highlight: str | None = None,
) -> None:
    group = folium.FeatureGroup(name=_(LAYER_CORRIDORS))
    if corridors is not None and len(corridors):
        for _unused, row in corridors.iterrows():
            hot = highlight is not None and highlight in (
                str(row["corridor_id"]),
                _text(row.get("corridor_name", "")),
            )
            connector = bool(row.get("connector", False))
            segment = _("{corridor}: {start} → {end}")
            if connector:
                segment = _("{corridor}: {start} → {end} (connector)")
            tooltip = esc(
                segment.format(
                    corridor=_text(row.get("corridor_name", "")),
                    start=_text(row.get("from_name", "")),
                    end=_text(row.get("to_name", "")),
                )
            )
            popup_html = corridor_popup_html(row)
            for part in _line_parts(row.geometry):
                line = folium.PolyLine(
                    part,
                    color=colours[str(row["corridor_id"])],
                    weight=7.0 if hot else 3.5,
                    opacity=1.0 if hot else 0.9,
                    dash_array=CONNECTOR_DASH if connector else None,
                )
                _Bind("bindTooltip", tooltip, sticky=True).add_to(line)
                _Bind("bindPopup", popup_html, maxWidth=360).add_to(line)
                line.add_to(group)
    group.add_to(m)


def _add_incidents(m: folium.Map, incidents: pd.DataFrame) -> None:
    data = incident_marker_data(incidents)
    FastMarkerCluster(
        data.rows,
        callback=marker_callback(data.strings),
        name=_(LAYER_INCIDENTS),
        options={"showCoverageOnHover": False, "chunkedLoading": True, "maxClusterRadius": 50},
    ).add_to(m)


def _box(frame: gpd.GeoDataFrame) -> list[list[float]] | None:
    west, south, east, north = (float(v) for v in frame.total_bounds)
    if not all(map(math.isfinite, (west, south, east, north))):
        return None
    return [[south, west], [north, east]]


def view_bounds(
    incidents: pd.DataFrame,
    admin1: gpd.GeoDataFrame,
    admin0: gpd.GeoDataFrame,
    fit_units: Sequence[str] = (),
) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` the map opens on: the selected units whole.

    The union of the admin-1 units given (the selected countries), narrowed to ``fit_units``
    (admin-1 codes: the selected regions) when any of them is there; without units, the
    incidents' extent, else the countries of ``admin0``.
    """
    if len(admin1):
        units = admin1
        if fit_units and "admin1_code" in admin1.columns:
            chosen = admin1[admin1["admin1_code"].astype(str).isin([str(c) for c in fit_units])]
            units = chosen if len(chosen) else admin1
        box = _box(units)
        if box is not None:
            return box
    lat = pd.to_numeric(incidents.get("latitude"), errors="coerce") if len(incidents) else None
    lon = pd.to_numeric(incidents.get("longitude"), errors="coerce") if len(incidents) else None
    if lat is not None and lon is not None and lat.notna().any():
        return [[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]]
    if len(admin0):
        return _box(admin0)
    return None


# ---- public builder ---------------------------------------------------------------------------

HEX_SIZE_KM: Final = 25.0
HEAT_MODES: Final = (None, "count", "fatalities")


@dataclass(frozen=True)
class MapBuild:
    """A built map and how incidents are shown on it.

    ``mode`` is ``"points"`` (one marker per incident, clustered) or ``"aggregated"``
    (hexagons, because there were more than ``max_points``); ``note`` is a sentence for the
    page to show under the map (empty when there is nothing to say).
    """

    map: folium.Map
    mode: str
    note: str


def _check_options(heat: str | None, choropleth_level: str, choropleth_scale: str, max_points: int) -> None:
    if heat not in HEAT_MODES:
        raise ValueError(f"heat {heat!r} is not one of {list(HEAT_MODES)}")
    if choropleth_level not in CHOROPLETH_LEVELS:
        raise ValueError(f"choropleth_level {choropleth_level!r} is not one of {list(CHOROPLETH_LEVELS)}")
    if choropleth_scale not in CHOROPLETH_SCALES:
        raise ValueError(f"choropleth_scale {choropleth_scale!r} is not one of {list(CHOROPLETH_SCALES)}")
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 0:
        raise ValueError(f"max_points must be a non-negative integer, got {max_points!r}")


@dataclass(frozen=True, eq=False)
class MapOptions:
    """Every choice of the incident map beyond its incidents, boundaries and corridors.

    One value per page view: the Map page makes it from its sidebar, the Briefing page from
    a saved view (:mod:`dashboard.ui.incident_map` turns either into options), so both draw the
    same layers. Checked when made: a wrong value raises ``ValueError`` before any drawing.
    Frames are held, not compared (``eq=False``): compare maps by their rendered layers.

    * ``basemap``: a key of :data:`BASEMAPS`; ``"none"`` needs no internet.
    * ``asset_base``: the URL folder holding the vendored Leaflet files.
    * ``heat``: ``"count"`` or ``"fatalities"`` (fatality-weighted) heat layer, binned on a
      0.05° grid (coarsened to at most 30k cells) before it reaches the page;
    * ``hexagons``: hexagon counts (``hex_size_km``, centre to corner) even in point mode;
      above ``max_points`` incidents they replace the markers (mode ``"aggregated"``);
    * ``uncertainty``: circles of 10 km (geo_precision 2) / 50 km (3) in point mode;
      approximate markers are hollow and say "approximate location" in their popup;
    * ``choropleth``: frame of ``unit_code``, ``value``, ``label`` for ``choropleth_level``
      units (admin-1 from ``admin1``, admin-2 from ``admin2``), quantile classes, grey "no
      incidents" for units without a row; with ``choropleth_scale="risk_level"`` the values
      are risk levels 1-5 filled in the Risk page's fixed level colours, the legend naming
      each level (grey "not rated" for units without a row);
    * ``admin2``: district boundaries, off at start;
    * ``corridor_buffers`` (from ``geodata.corridors.buffer_corridors_km``) and
      ``highlight_corridor`` (a corridor_id or corridor_name drawn thicker);
    * ``add_layers``: a caller's own layers (risk levels, sites), added before the layer
      control: a layer added after it is named in the control before it exists in the
      page script, and Leaflet fails on it. Their legend goes into the map's one panel
      (:func:`dashboard.builders.map_elements.add_legend_section`).
    * ``fit_units``: admin-1 codes of the selected regions: the map opens on them whole (by
      default on every admin-1 unit given, i.e. the selected countries; see :func:`view_bounds`).
      A layer of ``add_layers`` that fits the view itself (sites) keeps its view.
    * ``credits``: the incident sources to credit in the attribution control
      (:func:`dashboard.builders.attribution.shown_credits` with the store's batches, which names
      UCDP versions); by default those of the incidents without versions.
    * ``towns``: place-name labels of the shown countries (those of ``admin1``), more as one
      zooms in, and a search box to go to a place (:mod:`dashboard.builders.map_towns`).
    """

    basemap: str = "none"
    asset_base: str = ASSET_BASE_URL
    heat: str | None = None
    hexagons: bool = False
    hex_size_km: float = HEX_SIZE_KM
    max_points: int = MAP_MAX_POINTS
    uncertainty: bool = True
    admin2: gpd.GeoDataFrame | None = None
    choropleth: pd.DataFrame | None = None
    choropleth_level: str = "admin1"
    choropleth_title: str = LAYER_CHOROPLETH_DEFAULT
    choropleth_scale: str = "quantile"
    corridor_buffers: gpd.GeoDataFrame | None = None
    highlight_corridor: str | None = None
    add_layers: Callable[[folium.Map], None] | None = None
    credits: Sequence[SourceCredit] | None = None
    fit_units: tuple[str, ...] = ()
    towns: bool = True

    def __post_init__(self) -> None:
        if self.basemap not in BASEMAPS:
            raise ValueError(f"basemap {self.basemap!r} is not one of {sorted(BASEMAPS)}")
        _check_options(self.heat, self.choropleth_level, self.choropleth_scale, self.max_points)
        if self.choropleth is not None and self.choropleth_level == "admin2" and self.admin2 is None:
            raise ValueError("choropleth_level 'admin2' needs the admin2 layer: pass admin2=...")


def build_map(
    incidents: pd.DataFrame,
    *,
    admin0: gpd.GeoDataFrame,
    admin1: gpd.GeoDataFrame,
    corridors: gpd.GeoDataFrame | None,
    options: MapOptions | None = None,
) -> MapBuild:
    """The layered incident map and how it shows incidents: the one builder of every page's map.

    ``incidents`` is a canonical incident frame (may be empty: the map still shows the
    boundaries); ``options`` (default :class:`MapOptions()`) say which layers to add.

    Clicking a region or district (boundary or choropleth) reports its feature to
    streamlit-folium: ``result["last_active_drawing"]["properties"]`` has ``level``
    (``"admin1"``/``"admin2"``), ``admin1_code``, ``unit_code`` and, for districts,
    ``admin2_code``.
    """
    o = MapOptions() if options is None else options
    offline = o.basemap == "none"
    m = _new_map(o.basemap)
    legend_panel = _legend_of(m)  # before add_layers, so their sections join the same panel
    drill = _add_boundaries(m, admin0, admin1, o.admin2, offline=offline)
    legend: list[str] = []
    if o.choropleth is not None:
        units = admin1 if o.choropleth_level == "admin1" else o.admin2
        assert units is not None
        shade = risk_level_layer if o.choropleth_scale == "risk_level" else choropleth_layer
        title = (
            _(LAYER_CHOROPLETH_DEFAULT)
            if o.choropleth_title == LAYER_CHOROPLETH_DEFAULT
            else o.choropleth_title
        )
        layer, section = shade(units, o.choropleth_level, o.choropleth, title)
        layer.add_to(m)
        drill.append(layer)
        legend.append(section)
    colours = corridor_colours(corridors, o.corridor_buffers)
    if o.corridor_buffers is not None and len(o.corridor_buffers):
        layer, section = buffer_layer(o.corridor_buffers, colours, o.highlight_corridor)
        layer.add_to(m)
        legend.append(section)
    _add_corridors(m, corridors, colours, o.highlight_corridor)
    if o.heat is not None and len(incidents):
        heat_map, section = heat_layer(incidents, o.heat)
        heat_map.add_to(m)
        legend.append(section)

    n = len(incidents)
    aggregated = n > o.max_points
    if aggregated or o.hexagons:
        cells, size = hexagon_aggregation(incidents, o.hex_size_km)
        layer, section = hexagon_layer(cells, size, has_fatalities="fatalities" in incidents.columns)
        layer.add_to(m)
        legend.append(section)
    points: list[str] = []
    if aggregated:
        mode = "aggregated"
        note = ngettext(
            "{n} incidents are shown as {cells} hexagon of {size} km (centre to corner): "
            "individual markers are drawn only up to {limit} incidents. "
            "Narrow the countries or dates to see each incident.",
            "{n} incidents are shown as {cells} hexagons of {size} km (centre to corner): "
            "individual markers are drawn only up to {limit} incidents. "
            "Narrow the countries or dates to see each incident.",
            len(cells),
        ).format(
            n=format_number(n),
            cells=format_number(len(cells)),
            size=format_number(size, digits=0 if float(size).is_integer() else 1),
            limit=format_number(o.max_points),
        )
    else:
        mode, note = "points", ""
        _add_incidents(m, incidents)
        points = shown_event_types(incidents)
        rows = uncertainty_rows(incidents) if o.uncertainty else []
        if rows:
            UncertaintyCircles(rows).add_to(m)
            legend.append(uncertainty_legend_html())
    if corridors is not None and len(corridors):
        legend.insert(0, corridor_legend_html())
    legend.insert(0, event_type_legend_html(points))
    if o.towns and "iso3" in admin1.columns:
        add_town_labels(m, admin1["iso3"].dropna().astype(str).unique())
    fitted_by_layers = _fits(m)
    if o.add_layers is not None:
        o.add_layers(m)
    fitted_by_layers = _fits(m) > fitted_by_layers
    legend_panel.sections[:0] = [section for section in legend if section]
    DrillDownHub(drill).add_to(m)
    _Attribution(MAP_BOUNDARIES_ATTRIBUTION).add_to(m)
    credits = shown_credits(incidents) if o.credits is None else o.credits
    _Attribution(map_incidents_attribution(credits)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    _FullscreenControl().add_to(m)
    bounds = view_bounds(incidents, admin1, admin0, o.fit_units)
    if bounds is not None and not fitted_by_layers:
        m.fit_bounds(bounds)
    localise_assets(m, o.asset_base)
    return MapBuild(map=m, mode=mode, note=note)


def _fits(m: folium.Map) -> int:
    """How many fit-the-view elements ``m`` holds (a layer such as the sites may add its own)."""
    return sum(isinstance(child, FitBounds) for child in m._children.values())


def build_incident_map_with_info(
    incidents: pd.DataFrame,
    *,
    admin0: gpd.GeoDataFrame,
    admin1: gpd.GeoDataFrame,
    corridors: gpd.GeoDataFrame | None,
    **options: Any,
) -> MapBuild:
    """:func:`build_map` with the fields of :class:`MapOptions` as keywords (shorthand for
    the pages and tests that set one or two of them)."""
    return build_map(
        incidents, admin0=admin0, admin1=admin1, corridors=corridors, options=MapOptions(**options)
    )


def build_incident_map(
    incidents: pd.DataFrame,
    *,
    admin0: gpd.GeoDataFrame,
    admin1: gpd.GeoDataFrame,
    corridors: gpd.GeoDataFrame | None,
    basemap: str = "none",
    asset_base: str = ASSET_BASE_URL,
    **layers: Any,
) -> folium.Map:
    """The layered incident map: boundaries, corridors, clustered incidents, legend and credits.

    ``incidents`` is a canonical incident frame (may be empty: the map still shows the
    boundaries). ``basemap`` is a key of :data:`BASEMAPS`; ``"none"`` needs no internet.
    ``asset_base`` is the URL folder holding the vendored Leaflet files. ``layers`` are the
    other fields of :class:`MapOptions`; :func:`build_map` also says whether incidents were
    aggregated and why.
    """
    return build_incident_map_with_info(
        incidents,
        admin0=admin0,
        admin1=admin1,
        corridors=corridors,
        basemap=basemap,
        asset_base=asset_base,
        **layers,
    ).map
