"""Map builders: folium maps of boundaries, corridors and incidents, with no Streamlit calls.

Pure functions from frames to :class:`folium.Map`, so they are tested by inspecting the
rendered HTML (DESIGN.md §6). Three rules shape them:

* offline first: every script and stylesheet comes from ``asset_base`` (served by the app);
  the default basemap has no tiles at all (DESIGN.md §8);
* fast with 20k+ incidents: one ``FastMarkerCluster`` fed a compact array, markers built in
  the browser, popups built only when opened (one folium marker per incident costs ~1 KB
  and ~1 ms each);
* every user-supplied text (notes come from uploaded files) is HTML-escaped in Python
  before it reaches the page; the browser only concatenates escaped strings.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element, MacroElement
from folium.plugins import FastMarkerCluster
from folium.template import Template

from dashboard.assets import ASSET_BASE_URL, localise_resources, offline_css, offline_js
from dashboard.attribution import (
    MAP_BOUNDARIES_ATTRIBUTION,
    MAP_INCIDENTS_ATTRIBUTION,
    OSM_TILE_ATTRIBUTION,
)
from incidents.model import EVENT_TYPE_LABELS, EVENT_TYPES

#: Basemap key -> label for the sidebar. "none" needs no internet and is the default.
BASEMAPS: Final[dict[str, str]] = {
    "none": "No basemap (offline)",
    "OpenStreetMap": "OpenStreetMap (needs internet)",
}
OSM_TILES_URL: Final = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
# Without tiles Leaflet has no maxZoom and marker clustering throws (DESIGN.md §8).
MAX_ZOOM: Final = 14
MIN_ZOOM: Final = 3
NOTES_MAX_CHARS: Final = 500
#: Centre of Mali's bounding box: the view when there is nothing to fit.
DEFAULT_CENTRE: Final = (17.5, -2.0)

EVENT_TYPE_COLOURS: Final[dict[str, str]] = {
    "battle": "#d62728",
    "explosion_remote_violence": "#ff7f0e",
    "violence_against_civilians": "#9467bd",
    "abduction": "#8c564b",
    "protest_riot": "#1f77b4",
    "strategic_development": "#2ca02c",
    "other": "#7f7f7f",
}
CORRIDOR_COLOURS: Final = ("#00429d", "#0f7a4a", "#a86b00", "#8b008b", "#007c80", "#a0522d", "#4b0082")
CONNECTOR_DASH: Final = "6 8"

LAYER_COUNTRIES: Final = "Countries"
LAYER_REGIONS: Final = "Regions (admin-1)"
LAYER_CORRIDORS: Final = "Corridors (analytic, not observed tracks)"
LAYER_INCIDENTS: Final = "Incidents"

LAND_FILL: Final = "#f4f1ea"
SEA_BACKGROUND: Final = "#dfe7ec"


def esc(value: object) -> str:
    """HTML-escaped text of a cell; missing values become the empty string."""
    return html.escape(_text(value), quote=True)


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


class _Attribution(MacroElement):
    """Adds a line to the map's attribution control (boundaries and incident sources)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.text = text


class _Bind(MacroElement):
    """``bindPopup``/``bindTooltip`` on the parent layer, content passed as a JSON string.

    folium's Popup and Tooltip paste their text into a JavaScript template literal, where a
    ``${...}``, backtick or backslash in the data would run code or break the whole map.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.{{ this.method }}(
                {{ this.content|tojson }}, {{ this.options|tojson }}
            );
        {% endmacro %}
        """
    )

    def __init__(self, method: str, content: str, **options: object) -> None:
        super().__init__()
        if method not in ("bindPopup", "bindTooltip"):
            raise ValueError(f"method {method!r} is not one of ['bindPopup', 'bindTooltip']")
        self._name = "Bind"
        self.method = method
        self.content = content
        self.options = options


class _Legend(MacroElement):
    """Event-type colour key as a Leaflet control, so it works inside streamlit-folium too."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var legend = L.control({position: "bottomright"});
                legend.onAdd = function () {
                    var div = L.DomUtil.create("div", "sahel-legend");
                    div.innerHTML = {{ this.html|tojson }};
                    return div;
                };
                legend.addTo({{ this._parent.get_name() }});
            })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = html_text


class _MapStyle(MacroElement):
    """Page CSS: the plain background of the offline basemap and the legend/popup look."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        """
    )

    def __init__(self, css: str) -> None:
        super().__init__()
        self._name = "MapStyle"
        self.css = css


def _css(offline: bool) -> str:
    background = f".leaflet-container {{ background: {SEA_BACKGROUND}; }}" if offline else ""
    return (
        background
        + " .sahel-legend { background: rgba(255,255,255,0.92); padding: 6px 8px; border-radius: 4px;"
        " font: 12px/1.5 sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,0.3); }"
        " .sahel-legend i { display: inline-block; width: 11px; height: 11px; border-radius: 50%;"
        " margin-right: 6px; border: 1px solid #222; vertical-align: -1px; }"
        " .sahel-popup { font: 12px/1.4 sans-serif; } .sahel-popup th { text-align: left;"
        " padding-right: 6px; vertical-align: top; color: #555; font-weight: 600; }"
        " .sahel-popup .demo { color: #9a5b00; font-weight: 600; }"
    )


def _legend_html() -> str:
    items = "".join(
        f'<div><i style="background:{EVENT_TYPE_COLOURS[t]}"></i>{esc(EVENT_TYPE_LABELS[t])}</div>'
        for t in EVENT_TYPES
    )
    corridor = (
        f'<div style="margin-top:4px"><span style="display:inline-block;width:18px;border-top:3px solid '
        f'{CORRIDOR_COLOURS[0]};margin-right:6px;vertical-align:3px"></span>Corridor (sourced)</div>'
        f'<div><span style="display:inline-block;width:18px;border-top:3px dashed {CORRIDOR_COLOURS[0]};'
        'margin-right:6px;vertical-align:3px"></span>Connector (no source)</div>'
    )
    return f"<b>Event type</b>{items}{corridor}"


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
    if basemap == "OpenStreetMap":
        folium.TileLayer(
            tiles=OSM_TILES_URL,
            attr=OSM_TILE_ATTRIBUTION,
            name=BASEMAPS[basemap],
            max_zoom=MAX_ZOOM,
            control=False,
        ).add_to(m)
    _MapStyle(_css(offline=basemap == "none")).add_to(m)
    return m


def _labelled(frame: gpd.GeoDataFrame, label: pd.Series, extra: Sequence[str] = ()) -> gpd.GeoDataFrame:
    out = gpd.GeoDataFrame({"label": label.to_numpy()}, geometry=frame.geometry.to_numpy(), crs=frame.crs)
    for column in extra:
        out[column] = frame[column].fillna("").astype(str).to_numpy()
    return out


def _add_boundaries(
    m: folium.Map, admin0: gpd.GeoDataFrame, admin1: gpd.GeoDataFrame, *, offline: bool
) -> None:
    countries = _labelled(admin0, admin0["country"].map(esc), extra=("role",))

    def country_style(feature: dict) -> dict:
        focus = feature["properties"].get("role") == "focus"
        return {
            "color": "#444444",
            "weight": 1.6 if focus else 1.0,
            "fillColor": LAND_FILL,
            "fillOpacity": (1.0 if focus else 0.75) if offline else 0.0,
        }

    _boundary_layer(countries, LAYER_COUNTRIES, country_style, {"weight": 2.5}).add_to(m)

    regions = _labelled(
        admin1,
        admin1["admin1_name"].map(esc) + " — " + admin1["country"].map(esc),
    )
    region_style = {"color": "#8a8a8a", "weight": 0.8, "fillOpacity": 0.0, "fill": True}
    _boundary_layer(
        regions, LAYER_REGIONS, lambda _f: region_style, {"weight": 2, "color": "#333333"}
    ).add_to(m)


def _boundary_layer(
    frame: gpd.GeoDataFrame, name: str, style: Callable[[dict], dict], highlight: dict
) -> folium.GeoJson:
    """A polygon layer named on hover; the label property is already escaped."""
    return folium.GeoJson(
        frame,
        name=name,
        style_function=style,
        highlight_function=lambda _f: highlight,
        # folium refuses a tooltip on a layer with no features (nothing to read fields from).
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False) if len(frame) else None,
        zoom_on_click=False,
    )


def _text(value: object) -> str:
    """Plain text of a cell: lists joined, missing values (None, NaN, pd.NA, NaT) empty."""
    if isinstance(value, list | tuple):
        return "; ".join(_text(v) for v in value)
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return ""
    return str(value)


_REF_LINE: Final = re.compile(r"^(?P<text>.*?)\s*<(?P<url>https?://[^\s<>\"]+)>\s*$")


def _reference_html(line: str) -> str:
    """One "S# — publisher — title <url>" line: escaped text plus a link when the URL is http(s)."""
    match = _REF_LINE.match(line)
    if match is None:
        return esc(line)
    url = esc(match["url"])
    return f'{esc(match["text"])} <a href="{url}" target="_blank" rel="noopener noreferrer">link</a>'


def corridor_popup_html(row: pd.Series) -> str:
    """Popup of one corridor segment: route, connector status, armed groups and sources (escaped)."""
    connector = bool(row.get("connector", False))
    named_in = _text(row.get("segment_sources", ""))
    status = (
        "Connector: added to make a continuous line; no source names it for this corridor."
        if connector
        else "Sourced" + (f": ends named in {named_in}." if named_in else ".")
    )
    rows = [
        ("Corridor", esc(_text(row.get("corridor_name", "")))),
        ("Segment", f"{esc(_text(row.get('from_name', '')))} → {esc(_text(row.get('to_name', '')))}"),
        ("Status", esc(status)),
        ("Armed groups", esc(_text(row.get("armed_groups", "")))),
        ("Sources", esc(_text(row.get("sources", "")))),
    ]
    refs = [line for line in _text(row.get("source_refs", "")).splitlines() if line.strip()]
    if refs:
        rows.append(("References", "<br>".join(_reference_html(line) for line in refs)))
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (
        f'<table class="sahel-popup">{body}</table>'
        '<div class="sahel-popup"><i>Corridors are analytic aids, not observed tracks.</i></div>'
    )


def _line_parts(geometry: object) -> list[list[tuple[float, float]]]:
    geom_type = getattr(geometry, "geom_type", "")
    if geom_type == "LineString":
        return [[(y, x) for x, y, *_ in geometry.coords]]  # type: ignore[attr-defined]
    if geom_type == "MultiLineString":
        return [[(y, x) for x, y, *_ in part.coords] for part in geometry.geoms]  # type: ignore[attr-defined]
    return []


def _add_corridors(m: folium.Map, corridors: gpd.GeoDataFrame | None) -> None:
    group = folium.FeatureGroup(name=LAYER_CORRIDORS)
    if corridors is not None and len(corridors):
        ids = list(dict.fromkeys(corridors["corridor_id"].astype(str)))
        colours = {cid: CORRIDOR_COLOURS[i % len(CORRIDOR_COLOURS)] for i, cid in enumerate(ids)}
        for _, row in corridors.iterrows():
            connector = bool(row.get("connector", False))
            tooltip = esc(
                f"{_text(row.get('corridor_name', ''))}: {_text(row.get('from_name', ''))} → "
                f"{_text(row.get('to_name', ''))}" + (" (connector)" if connector else "")
            )
            popup_html = corridor_popup_html(row)
            for part in _line_parts(row.geometry):
                line = folium.PolyLine(
                    part,
                    color=colours[str(row["corridor_id"])],
                    weight=3.5,
                    opacity=0.9,
                    dash_array=CONNECTOR_DASH if connector else None,
                )
                _Bind("bindTooltip", tooltip, sticky=True).add_to(line)
                _Bind("bindPopup", popup_html, maxWidth=360).add_to(line)
                line.add_to(group)
    group.add_to(m)


def _place(location: object, admin2: object, admin1: object, country: object) -> str:
    parts = [p for p in (_text(location), _text(admin2), _text(admin1), _text(country)) if p]
    return ", ".join(dict.fromkeys(parts))


@dataclass(frozen=True)
class MarkerData:
    """What the browser turns into markers: compact rows plus a table of escaped strings.

    Place, actors, notes and source repeat a lot across 20k incidents, so rows hold indexes
    into ``strings`` instead of the text (several times smaller). Row layout, kept in step
    with ``_MARKER_CALLBACK``: lat, lon, event-type index, date, place#, actors#,
    fatalities, notes#, source#, is-demo (0/1).
    """

    rows: list[list[object]]
    strings: list[str]


def incident_marker_data(incidents: pd.DataFrame) -> MarkerData:
    """Marker rows and their string table; every string is HTML-escaped here, in Python."""
    strings: dict[str, int] = {"": 0}

    def ref(text: str) -> int:
        return strings.setdefault(esc(text), len(strings))

    rows: list[list[object]] = []
    if incidents.empty:
        return MarkerData(rows, list(strings))
    type_index = {t: i for i, t in enumerate(EVENT_TYPES)}
    other = type_index["other"]
    frame = incidents
    dates = pd.to_datetime(frame["event_date"]).dt.strftime("%Y-%m-%d").fillna("")
    for lat, lon, etype, date, loc, a2, a1, country, actor1, actor2, fat, notes, source, dataset in zip(
        frame["latitude"].to_numpy(dtype=float),
        frame["longitude"].to_numpy(dtype=float),
        frame["event_type"].astype(object),
        dates,
        frame["location"].astype(object),
        frame["admin2_name"].astype(object),
        frame["admin1_name"].astype(object),
        frame["country"].astype(object),
        frame["actor1"].astype(object),
        frame["actor2"].astype(object),
        frame["fatalities"].astype(object),
        frame["notes"].astype(object),
        frame["source"].astype(object),
        frame["source_dataset"].astype(object),
        strict=True,
    ):
        if math.isnan(lat) or math.isnan(lon):
            continue
        note = _text(notes)
        if len(note) > NOTES_MAX_CHARS:
            note = note[:NOTES_MAX_CHARS] + "…"
        actors = " vs ".join(a for a in (_text(actor1), _text(actor2)) if a)
        rows.append(
            [
                round(float(lat), 5),
                round(float(lon), 5),
                type_index.get(_text(etype), other),
                date,
                ref(_place(loc, a2, a1, country)),
                ref(actors),
                0 if _text(fat) == "" else int(fat),
                ref(note),
                ref(_text(source)),
                1 if _text(dataset) == "demo" else 0,
            ]
        )
    return MarkerData(rows, list(strings))


def _js_literal(value: object) -> str:
    # JSON is valid JavaScript; "<" is escaped too so no string can close the <script>.
    return json.dumps(value).replace("<", "\\u003c")


# Every string reaching the browser was escaped in Python; this code only joins them with
# fixed markup.
_MARKER_CALLBACK: Final = """(function () {
    var COLOURS = %(colours)s;
    var LABELS = %(labels)s;
    var S = %(strings)s;
    var DEMO = 'Synthetic demo row: not a real event';
    function popup(row) {
        return '<table class="sahel-popup">'
            + '<tr><th>Date</th><td>' + row[3] + '</td></tr>'
            + '<tr><th>Type</th><td>' + LABELS[row[2]] + '</td></tr>'
            + '<tr><th>Place</th><td>' + S[row[4]] + '</td></tr>'
            + '<tr><th>Actors</th><td>' + S[row[5]] + '</td></tr>'
            + '<tr><th>Fatalities</th><td>' + row[6] + '</td></tr>'
            + (row[7] ? '<tr><th>Notes</th><td>' + S[row[7]] + '</td></tr>' : '')
            + '<tr><th>Source</th><td>' + S[row[8]] + '</td></tr>'
            + (row[9] ? '<tr><td colspan="2" class="demo">' + DEMO + '</td></tr>' : '')
            + '</table>';
    }
    return function (row) {
        var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {
            radius: 4 + Math.min(6, Math.sqrt(row[6])),
            color: '#222222', weight: 1, fillColor: COLOURS[row[2]], fillOpacity: 0.85
        });
        marker.bindTooltip(row[3] + ' · ' + LABELS[row[2]] + (row[4] ? ' · ' + S[row[4]] : ''));
        marker.bindPopup(function () { return popup(row); }, {maxWidth: 340});
        return marker;
    };
})()"""


def _marker_callback(strings: list[str]) -> str:
    return _MARKER_CALLBACK % {
        "colours": _js_literal([EVENT_TYPE_COLOURS[t] for t in EVENT_TYPES]),
        "labels": _js_literal([esc(EVENT_TYPE_LABELS[t]) for t in EVENT_TYPES]),
        "strings": _js_literal(strings),
    }


def _add_incidents(m: folium.Map, incidents: pd.DataFrame) -> None:
    data = incident_marker_data(incidents)
    FastMarkerCluster(
        data.rows,
        callback=_marker_callback(data.strings),
        name=LAYER_INCIDENTS,
        options={"showCoverageOnHover": False, "chunkedLoading": True, "maxClusterRadius": 50},
    ).add_to(m)


def _bounds(
    incidents: pd.DataFrame, admin1: gpd.GeoDataFrame, admin0: gpd.GeoDataFrame
) -> list[list[float]] | None:
    lat = pd.to_numeric(incidents.get("latitude"), errors="coerce") if len(incidents) else None
    lon = pd.to_numeric(incidents.get("longitude"), errors="coerce") if len(incidents) else None
    if lat is not None and lon is not None and lat.notna().any():
        south, north, west, east = lat.min(), lat.max(), lon.min(), lon.max()
        return [[float(south), float(west)], [float(north), float(east)]]
    for frame in (admin1, admin0):
        if len(frame):
            west, south, east, north = frame.total_bounds
            return [[float(south), float(west)], [float(north), float(east)]]
    return None


# ---- public builder ---------------------------------------------------------------------------


def build_incident_map(
    incidents: pd.DataFrame,
    *,
    admin0: gpd.GeoDataFrame,
    admin1: gpd.GeoDataFrame,
    corridors: gpd.GeoDataFrame | None,
    basemap: str = "none",
    asset_base: str = ASSET_BASE_URL,
) -> folium.Map:
    """The layered incident map: boundaries, corridors, clustered incidents, legend and credits.

    ``incidents`` is a canonical incident frame (may be empty: the map still shows the
    boundaries). ``basemap`` is a key of :data:`BASEMAPS`; ``"none"`` needs no internet.
    ``asset_base`` is the URL folder holding the vendored Leaflet files.
    """
    m = _new_map(basemap)
    _add_boundaries(m, admin0, admin1, offline=basemap == "none")
    _add_corridors(m, corridors)
    _add_incidents(m, incidents)
    _Legend(_legend_html()).add_to(m)
    _Attribution(MAP_BOUNDARIES_ATTRIBUTION).add_to(m)
    _Attribution(MAP_INCIDENTS_ATTRIBUTION).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    bounds = _bounds(incidents, admin1, admin0)
    if bounds is not None:
        m.fit_bounds(bounds)
    localise_assets(m, asset_base)
    return m
