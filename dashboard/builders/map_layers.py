"""Extra map layers: heat, hexagon aggregation, uncertainty circles, choropleth, admin-2, buffers.

Each builder returns a folium layer (and, where it has one, the legend section as HTML) and
holds no Streamlit calls. Payloads stay bounded whatever the number of incidents: the heat
layer sends binned grid cells, the hexagon layer one polygon per non-empty cell. All text in
tooltips is escaped here, in Python; tooltips read a single pre-built ``tooltip`` property.

Drill-down: every admin feature carries its unit code as a property (``admin1_code``, plus
``admin2_code`` at admin-2 level, and ``level``), so ``st_folium(...,
returned_objects=["last_active_drawing"])`` returns them in
``result["last_active_drawing"]["properties"]``.
"""

from __future__ import annotations

import json
import math
import weakref
from collections.abc import Callable, Sequence
from typing import Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from babel.numbers import format_decimal
from branca.element import MacroElement
from folium.plugins import HeatMap
from folium.template import Template

from dashboard.builders.map_elements import esc
from geodata.hexgrid import hex_corners, hexbin
from incidents.i18n import N_, _, current_language, ngettext
from incidents.i18n.formats import format_number
from incidents.risk.index import RISK_LEVEL_LABELS

LAYER_HEAT: Final = N_("Heat")
LAYER_HEXAGONS: Final = N_("Incidents (hexagons)")
LAYER_UNCERTAINTY: Final = N_("Location uncertainty")
LAYER_ADMIN2: Final = N_("Districts (admin-2)")
LAYER_BUFFERS: Final = N_("Corridor buffers")
LAYER_CHOROPLETH_DEFAULT: Final = N_("Incidents per region")

#: ColorBrewer YlOrRd, every other step of its 9 (sequential, colour-blind safe). Picked for
#: distinct neighbours, the top two above all: the 5-class YlOrRd's red and dark red (levels 4
#: and 5) were hard to tell apart, under deuteranopia most of all (tests/unit/test_map_palette.py).
SEQUENTIAL: Final = ("#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026")
NO_DATA_FILL: Final = "#e0e0e0"
HEAT_GRADIENT: Final = {0.2: "#2c7bb6", 0.4: "#abd9e9", 0.6: "#ffffbf", 0.8: "#fdae61", 1.0: "#d7191c"}
HEAT_CELL_DEG: Final = 0.05
HEAT_MAX_CELLS: Final = 30_000
HEX_MAX_CELLS: Final = 12_000
#: geo_precision -> radius (metres) of the uncertainty circle, for rows without their own uncertainty_km.
UNCERTAINTY_RADIUS_M: Final = {2: 10_000, 3: 50_000}
#: Uncertainty circles are drawn from this zoom level on (about 1:2,000,000): further out a
#: region-sized circle would cover the markers of its neighbours.
UNCERTAINTY_MIN_ZOOM: Final = 8
CHOROPLETH_LEVELS: Final = ("admin1", "admin2")
#: How a choropleth colours its values: quantile classes of the units in view, or the fixed
#: colour of each risk level (values are levels 1-5).
CHOROPLETH_SCALES: Final = ("quantile", "risk_level")
#: Risk level (docs/methodology.md: 1 Low ... 5 Extreme) -> fill colour. Tied to the level, never
#: to quantiles of the units in view, so a unit keeps its colour whatever else the filters show.
RISK_LEVEL_COLOURS: Final = dict(zip(sorted(RISK_LEVEL_LABELS), SEQUENTIAL, strict=True))
RISK_NOT_RATED: Final = N_("Not rated")
_COORD_DECIMALS: Final = 4


# ---- classification -------------------------------------------------------------------


def class_breaks(values: Sequence[float] | np.ndarray, n_classes: int = len(SEQUENTIAL)) -> list[float]:
    """Quantile class edges of the finite ``values`` (at most ``n_classes`` classes).

    Quantiles adapt to the skewed counts incidents have (a few hot spots, a long tail);
    duplicate edges are merged, so few distinct values give fewer classes. Integer data get
    integer edges. Never more classes than distinct values. Empty input gives ``[]``.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return []
    n_classes = max(1, min(n_classes, np.unique(v).size))
    edges = np.quantile(v, np.linspace(0.0, 1.0, n_classes + 1))
    if np.all(v == np.round(v)):
        edges = np.round(edges)
    return [float(e) for e in np.unique(edges)]


def classify(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Class index of each value: class 0 is [e0, e1], class i is (e_i, e_i+1]."""
    if len(edges) <= 2:
        return np.zeros(len(values), dtype=int)
    return np.searchsorted(np.asarray(edges[1:-1]), np.asarray(values, dtype=float), side="left")


def _fmt(value: float) -> str:
    """A legend number in the current language: whole numbers in full, others to 3 significant digits."""
    if float(value).is_integer():
        return format_number(int(value))
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(round(float(value), digits), format=pattern, locale=current_language())


def class_labels(edges: Sequence[float]) -> list[str]:
    """Legend text of each class, e.g. ``["1 – 3", "4 – 10"]`` for integer edges."""
    if not edges:
        return []
    if len(edges) == 1:
        return [_fmt(edges[0])]
    integral = all(float(e).is_integer() for e in edges)
    labels = []
    for i in range(len(edges) - 1):
        low = edges[i] if i == 0 or not integral else edges[i] + 1
        high = edges[i + 1]
        labels.append(_fmt(low) if low == high else f"{_fmt(low)} – {_fmt(high)}")
    return labels


def _palette(n: int) -> list[str]:
    if n <= 0:
        return []
    if n >= len(SEQUENTIAL):
        return list(SEQUENTIAL)
    idx = np.round(np.linspace(0, len(SEQUENTIAL) - 1, n)).astype(int)
    return [SEQUENTIAL[i] for i in idx]


def _colours(values: np.ndarray, edges: list[float]) -> np.ndarray:
    palette = np.array(_palette(max(1, len(edges) - 1)))
    return palette[np.minimum(classify(values, edges), len(palette) - 1)]


def _swatch(colour: str) -> str:
    return (
        f'<span style="display:inline-block;width:12px;height:12px;background:{colour};'
        'border:1px solid #777;margin-right:6px;vertical-align:-1px"></span>'
    )


def bins_legend_html(title: str, edges: list[float], *, no_data: str | None = None) -> str:
    """Legend section: escaped title, one swatch per class, optional "no data" swatch."""
    rows = "".join(
        f"<div>{_swatch(c)}{esc(label)}</div>"
        for c, label in zip(_palette(max(1, len(edges) - 1)), class_labels(edges), strict=False)
    )
    if no_data:
        rows += f"<div>{_swatch(NO_DATA_FILL)}{esc(no_data)}</div>"
    return f'<div style="margin-top:4px"><b>{esc(title)}</b>{rows}</div>'


# ---- heat ------------------------------------------------------------------------------------


#: Above this many cells in the bounding box, cells are found by hashing instead.
_DENSE_GRID_MAX: Final = 20_000_000


def _grid_sums(
    ix: np.ndarray, iy: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-empty (ix, iy) cells and their summed weights (dense bincount when the box is small)."""
    x0, y0 = int(ix.min()), int(iy.min())
    height = int(iy.max()) - y0 + 1
    span = (int(ix.max()) - x0 + 1) * height
    if span <= _DENSE_GRID_MAX:
        sums = np.bincount((ix - x0) * height + (iy - y0), weights=weights, minlength=span)
        cells = np.flatnonzero(sums)
        return cells // height + x0, cells % height + y0, sums[cells]
    codes, uniq = pd.factorize((ix << 32) + (iy + (1 << 31)))
    uniq = np.asarray(uniq, dtype=np.int64)
    sums = np.bincount(codes, weights=weights, minlength=len(uniq))
    return uniq >> 32, (uniq & 0xFFFFFFFF) - (1 << 31), sums


def heat_cells(
    lon: np.ndarray, lat: np.ndarray, weights: np.ndarray, *, cell_deg: float = HEAT_CELL_DEG
) -> tuple[np.ndarray, float]:
    """``[[lat, lon, weight], ...]`` of grid-cell centres with summed weights, and the cell size.

    The cell doubles until at most :data:`HEAT_MAX_CELLS` cells are non-empty, so the page
    payload is bounded. Weights are scaled to 0..1 by the 99th percentile (clipped): Leaflet.heat
    saturates at 1, and one massacre should not wash out everything else.
    """
    ok = np.isfinite(lon) & np.isfinite(lat) & np.isfinite(weights) & (weights > 0)
    lon, lat, weights = lon[ok], lat[ok], weights[ok]
    if lon.size == 0:
        return np.empty((0, 3)), cell_deg
    # Bin once on the finest grid; coarser grids merge those cells (floor(floor(x/c)/2) is
    # floor(x/2c), and doubling a float is exact), so a million points are binned only once.
    ix = np.floor(lon / cell_deg).astype(np.int64)
    iy = np.floor(lat / cell_deg).astype(np.int64)
    ix, iy, sums = _grid_sums(ix, iy, weights)
    while ix.size > HEAT_MAX_CELLS:
        cell_deg *= 2
        ix, iy, sums = _grid_sums(ix // 2, iy // 2, sums)
    clon = (ix + 0.5) * cell_deg
    clat = (iy + 0.5) * cell_deg
    scale = float(np.quantile(sums, 0.99)) or 1.0
    w = np.clip(sums / scale, 0.0, 1.0)
    return np.column_stack([np.round(clat, 3), np.round(clon, 3), np.round(w, 3)]), cell_deg


def heat_layer(frame: pd.DataFrame, mode: str) -> tuple[HeatMap, str]:
    """Heat layer of incident density (``"count"``) or fatalities (``"fatalities"``), plus legend."""
    lon = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy(dtype=float)
    if mode == "fatalities":
        weights = pd.to_numeric(frame["fatalities"], errors="coerce").fillna(0).to_numpy(dtype=float)
        title = _("Heat: fatalities")
        name = _("{layer} (fatality-weighted)").format(layer=_(LAYER_HEAT))
    else:
        weights = np.ones(lon.size)
        title = _("Heat: incident density")
        name = _("{layer} (incident count)").format(layer=_(LAYER_HEAT))
    cells, cell = heat_cells(lon, lat, weights)
    layer = HeatMap(
        [],
        name=name,
        radius=14,
        blur=12,
        min_opacity=0.3,
        max_zoom=8,
        gradient=HEAT_GRADIENT,
        show=True,
    )
    # Cells are finite by construction; folium would validate them one by one (0.1 s per 10k).
    layer.data = cells.tolist()
    scale = _("low → high (binned on {size}° cells)").format(size=_fmt(round(cell, 6)))
    bar = "linear-gradient(to right, " + ", ".join(HEAT_GRADIENT.values()) + ")"
    legend = (
        f'<div style="margin-top:4px"><b>{esc(title)}</b>'
        f'<div style="width:120px;height:10px;background:{bar};border:1px solid #777"></div>'
        f'<div style="font-size:11px">{esc(scale)}</div></div>'
    )
    return layer, legend


# ---- hexagons --------------------------------------------------------------------------------


def hexagon_aggregation(frame: pd.DataFrame, size_km: float) -> tuple[pd.DataFrame, float]:
    """:func:`geodata.hexgrid.hexbin` of the incidents (fatalities as weights), coarsened until
    at most :data:`HEX_MAX_CELLS` cells are non-empty; returns the cells and the size used."""
    lon = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy(dtype=float)
    weights = (
        pd.to_numeric(frame["fatalities"], errors="coerce").fillna(0).to_numpy(dtype=float)
        if "fatalities" in frame.columns
        else None
    )
    while True:
        cells = hexbin(lon, lat, size_km=size_km, weights=weights)
        if len(cells) <= HEX_MAX_CELLS:
            return cells, size_km
        size_km *= 2


def hexagon_layer(
    cells: pd.DataFrame, size_km: float, *, has_fatalities: bool, show: bool = True
) -> tuple[folium.GeoJson, str]:
    """One GeoJSON layer of hexagons coloured by count (quantile classes), with tooltips."""
    counts = cells["count"].to_numpy()
    edges = class_breaks(counts)
    colours = _colours(counts, edges) if len(cells) else np.array([], dtype=object)
    rings = np.round(hex_corners(cells, size_km), _COORD_DECIMALS).tolist()
    fats = np.round(cells["weight_sum"].to_numpy(dtype=float)).astype(np.int64).tolist()
    features = []
    for ring, count, fat, colour in zip(rings, counts.tolist(), fats, colours.tolist(), strict=True):
        tip = esc(ngettext("{n} incident", "{n} incidents", count)).format(n=f"<b>{format_number(count)}</b>")
        if has_fatalities:
            tip += "<br>" + esc(ngettext("{n} fatality", "{n} fatalities", fat).format(n=format_number(fat)))
        features.append(
            {
                "type": "Feature",
                "properties": {"tooltip": tip, "fill": colour},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=_("{layer}, {size} km").format(layer=_(LAYER_HEXAGONS), size=_fmt(size_km)),
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.7,
            "color": "#666666",
            "weight": 0.4,
        },
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False) if features else None,
        zoom_on_click=False,
        show=show,
    )
    legend = bins_legend_html(_("Incidents per {size} km hexagon").format(size=_fmt(size_km)), edges)
    return layer, legend


# ---- uncertainty -----------------------------------------------------------------------------


class UncertaintyCircles(folium.FeatureGroup):
    """One layer of approximate-location circles drawn on a canvas from compact rows.

    Rows are ``[lat, lon, radius_m]``; circles are not interactive (the marker above carries
    the popup) so thousands of them stay cheap. They are drawn only from zoom
    :data:`UNCERTAINTY_MIN_ZOOM` on (one style change of the group on zoom, not per circle).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function () {
                var rows = {{ this.rows|tojson }};
                var group = L.featureGroup();
                var map = {{ this._parent.get_name() }};
                // A pane of its own above the boundaries: Leaflet's CSS puts a canvas under the
                // SVG of the (opaque, offline) country fills when both share the overlay pane.
                var pane = map.getPane("sahelUncertainty") || map.createPane("sahelUncertainty");
                pane.style.zIndex = 450;
                pane.style.pointerEvents = "none";
                var renderer = L.canvas({padding: 0.5, pane: "sahelUncertainty"});
                for (var i = 0; i < rows.length; i++) {
                    L.circle([rows[i][0], rows[i][1]], {
                        radius: rows[i][2], renderer: renderer, interactive: false,
                        color: "#555555", weight: 1, dashArray: "4 4",
                        fillColor: "#888888", fillOpacity: 0.08
                    }).addTo(group);
                }
                function byZoom() {
                    var shown = map.getZoom() >= {{ this.min_zoom }};
                    group.setStyle({opacity: shown ? 1 : 0, fillOpacity: shown ? 0.08 : 0});
                }
                map.on("zoomend", byZoom);
                map.whenReady(byZoom);
                return group;
            })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        rows: list[list[float]],
        name: str | None = None,
        show: bool = True,
        min_zoom: int = UNCERTAINTY_MIN_ZOOM,
    ) -> None:
        super().__init__(name=_(LAYER_UNCERTAINTY) if name is None else name, show=show)
        self._name = "UncertaintyCircles"
        self.rows = rows
        self.min_zoom = int(min_zoom)


def uncertainty_rows(frame: pd.DataFrame) -> list[list[float]]:
    """``[lat, lon, radius_m]`` of approximate incidents.

    The radius is the row's own ``uncertainty_km`` (a row placed at an admin unit's centre),
    else 10 km for geo_precision 2 and 50 km for 3.
    """
    if frame.empty or "geo_precision" not in frame.columns:
        return []
    precision = pd.to_numeric(frame["geo_precision"], errors="coerce")
    radius = precision.map(UNCERTAINTY_RADIUS_M)
    if "uncertainty_km" in frame.columns:
        own = pd.to_numeric(frame["uncertainty_km"], errors="coerce") * 1000.0
        radius = own.where(own > 0, radius)
    lat = pd.to_numeric(frame["latitude"], errors="coerce")
    lon = pd.to_numeric(frame["longitude"], errors="coerce")
    keep = radius.notna() & lat.notna() & lon.notna()
    return np.column_stack(
        [lat[keep].round(5).to_numpy(), lon[keep].round(5).to_numpy(), radius[keep].to_numpy()]
    ).tolist()


def uncertainty_legend_html() -> str:
    """Legend section of the approximate locations (hollow markers, circles when zoomed in)."""
    text = _(
        "Approximate location (hollow marker; when zoomed in, a circle: the area it was placed in, "
        "else 10 km district, 50 km region)"
    )
    return (
        '<div style="margin-top:4px"><span style="display:inline-block;width:12px;height:12px;'
        'border-radius:50%;border:1px dashed #555;margin-right:6px;vertical-align:-1px"></span>'
        f"{esc(text)}</div>"
    )


# ---- admin polygons, choropleth, drill-down --------------------------------------------------


def _admin_frame(frame: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    """Escaped drill-down properties and a ``label`` of each admin feature."""
    if level == "admin1":
        label = frame["admin1_name"].map(esc) + " — " + frame["country"].map(esc)
    else:
        label = (
            frame["admin2_name"].map(esc)
            + " — "
            + frame["admin1_name"].map(esc)
            + ", "
            + frame["country"].map(esc)
        )
    out = gpd.GeoDataFrame(
        {"level": level, "admin1_code": frame["admin1_code"].map(esc).to_numpy()},
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )
    if level == "admin2":
        out["admin2_code"] = frame["admin2_code"].map(esc).to_numpy()
    out["unit_code"] = out[f"{level}_code"]
    out["label"] = label.to_numpy()
    return out


# ---- GeoJSON of shared boundary frames, converted once per process -------------------------
#
# The boundary frames come from resource caches (shared, never mutated), and converting a
# GeoDataFrame to GeoJSON (``__geo_interface__`` and folium's JSON round trip) cost ~0.2 s per
# map. The features are kept per frame object (weakly: they go when the frame goes) and each
# map gets fresh feature and property dicts over the shared, read-only geometry.

_FEATURES: dict[tuple[int, str], tuple[weakref.ref, int, list[dict]]] = {}


def geojson_features(
    frame: gpd.GeoDataFrame, key: str, build: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]
) -> list[dict]:
    """GeoJSON features of ``build(frame)`` (coordinates rounded to 4 decimals, ~11 m).

    Cached per ``frame`` object and ``key``; the frame must not be mutated afterwards (the
    dashboard's boundary frames are shared read-only resources). Callers get new feature and
    property dicts each time, so they may add properties; geometry dicts are shared.
    """
    slot, rows = (id(frame), key), int(frame.shape[0])
    hit = _FEATURES.get(slot)
    if hit is None or hit[0]() is not frame or hit[1] != rows:
        data = build(frame)
        rounded = data.geometry.to_numpy()
        if len(rounded):
            rounded = shapely.transform(rounded, lambda c: np.round(c, _COORD_DECIMALS))
        data = gpd.GeoDataFrame(data.drop(columns=data.geometry.name), geometry=rounded, crs=data.crs)
        features = json.loads(json.dumps(data.__geo_interface__))["features"]
        for feature in features:
            feature.pop("bbox", None)

        def forget(_ref: weakref.ref, slot: tuple[int, str] = slot) -> None:
            _FEATURES.pop(slot, None)

        try:
            ref = weakref.ref(frame, forget)
        except TypeError:  # not weakly referenceable: convert every time
            return features
        hit = (ref, rows, features)
        _FEATURES[slot] = hit
    return [
        {"type": "Feature", "properties": dict(f["properties"]), "geometry": f["geometry"]} for f in hit[2]
    ]


def feature_collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def admin_boundary_layer(
    frame: gpd.GeoDataFrame, level: str, name: str, *, show: bool, style: dict
) -> folium.GeoJson:
    """Clickable boundary layer named on hover; features carry their unit codes."""
    data = geojson_features(frame, level, lambda f: _admin_frame(f, level))
    return folium.GeoJson(
        feature_collection(data),
        name=name,
        style_function=lambda _f: style,
        highlight_function=lambda _f: {"weight": 2, "color": "#333333"},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False) if len(data) else None,
        zoom_on_click=False,
        show=show,
    )


def choropleth_layer(
    units: gpd.GeoDataFrame, level: str, values: pd.DataFrame, title: str
) -> tuple[folium.GeoJson, str]:
    """Admin units filled by ``values.value`` (quantile classes); units with no row are grey.

    ``values`` has ``unit_code``, ``value`` and ``label`` (tooltip text, escaped here).
    """
    _check_choropleth_frame(values)
    features = geojson_features(units, level, lambda f: _admin_frame(f, level))
    by_code = values.assign(unit_code=values["unit_code"].astype(str)).set_index("unit_code")
    raw_codes = units[f"{level}_code"].astype(str)
    value = pd.to_numeric(raw_codes.map(by_code["value"]), errors="coerce").to_numpy(dtype=float)
    label = raw_codes.map(by_code["label"])
    edges = class_breaks(value)
    has = np.isfinite(value)
    fill = np.full(len(features), NO_DATA_FILL, dtype=object)
    if has.any():
        fill[has] = _colours(value[has], edges)
    none = esc(_("no incidents"))
    for feature, colour, lab, ok in zip(features, fill.tolist(), label, has.tolist(), strict=True):
        props = feature["properties"]
        props["fill"] = colour
        props["tooltip"] = f"<b>{props['label']}</b><br>{esc(lab) if ok else none}"
    return filled_units_layer(features, title), bins_legend_html(title, edges, no_data=_("No incidents"))


def risk_level_layer(
    units: gpd.GeoDataFrame, level: str, values: pd.DataFrame, title: str | None = None
) -> tuple[folium.GeoJson, str]:
    """Admin units filled in the fixed colour of their risk level; units with no row are grey.

    ``values`` has ``unit_code``, ``value`` (the risk level, 1-5) and ``label`` (tooltip detail
    such as the index and window, escaped here; may be empty). Unlike :func:`choropleth_layer`
    the colours are :data:`RISK_LEVEL_COLOURS`, the Risk page's, and the legend lists every
    level by name (plus "Not rated" when a unit has no row).
    """
    _check_choropleth_frame(values)
    title = _("Risk level") if title is None else title
    present = values["value"].notna().to_numpy()
    levels = pd.to_numeric(values["value"], errors="coerce")
    unknown = values["value"][present & ~levels.isin(list(RISK_LEVEL_COLOURS)).to_numpy()]
    if len(unknown):
        raise ValueError(
            f"risk levels must be one of {sorted(RISK_LEVEL_COLOURS)}, got {unknown.unique().tolist()[:5]}"
        )
    features = geojson_features(units, level, lambda f: _admin_frame(f, level))
    rated = values[present].assign(value=levels[present])
    by_code = rated.assign(unit_code=rated["unit_code"].astype(str)).set_index("unit_code")
    raw_codes = units[f"{level}_code"].astype(str)
    unit_levels = raw_codes.map(by_code["value"])
    labels = raw_codes.map(by_code["label"])
    for feature, unit_level, lab in zip(features, unit_levels, labels, strict=True):
        props = feature["properties"]
        if pd.isna(unit_level):
            props["fill"] = NO_DATA_FILL
            props["tooltip"] = f"<b>{props['label']}</b><br>{esc(_(RISK_NOT_RATED))}"
            continue
        number = int(unit_level)
        detail = esc(lab)
        props["fill"] = RISK_LEVEL_COLOURS[number]
        level_text = _("Level {level} – {name}").format(level=number, name=RISK_LEVEL_LABELS[number])
        tooltip = f"<b>{props['label']}</b><br>{esc(level_text)}"
        props["tooltip"] = f"{tooltip}<br>{detail}" if detail else tooltip
    not_rated = bool(unit_levels.isna().any())
    legend = risk_levels_legend_html(title, not_rated=_(RISK_NOT_RATED) if not_rated else None)
    return filled_units_layer(features, title), legend


def risk_level_legend_rows() -> list[tuple[str, str]]:
    """``(colour, "3 High")`` for every risk level, lowest first (the Map and Risk pages' legends)."""
    return [(RISK_LEVEL_COLOURS[lvl], f"{lvl} {name}") for lvl, name in sorted(RISK_LEVEL_LABELS.items())]


def risk_levels_legend_html(title: str | None = None, *, not_rated: str | None = None) -> str:
    """Legend section: escaped title, one swatch per risk level named, optional "not rated" swatch."""
    title = _("Risk level") if title is None else title
    rows = "".join(f"<div>{_swatch(colour)}{esc(name)}</div>" for colour, name in risk_level_legend_rows())
    if not_rated:
        rows += f"<div>{_swatch(NO_DATA_FILL)}{esc(not_rated)}</div>"
    return f'<div style="margin-top:4px"><b>{esc(title)}</b>{rows}</div>'


def _check_choropleth_frame(values: pd.DataFrame) -> None:
    missing = [c for c in ("unit_code", "value", "label") if c not in values.columns]
    if missing:
        raise ValueError(f"choropleth frame lacks columns {missing}; needs ['unit_code', 'value', 'label']")
    dupes = values["unit_code"][values["unit_code"].duplicated()].astype(str).unique().tolist()
    if dupes:
        raise ValueError(f"choropleth has several rows for unit_code {dupes[:5]}; give one row per unit")


def filled_units_layer(features: list[dict], title: str) -> folium.GeoJson:
    """Clickable admin units filled by each feature's ``fill``, tooltip from its ``tooltip``."""
    return folium.GeoJson(
        feature_collection(features),
        name=title,
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.75,
            "color": "#666666",
            "weight": 0.6,
        },
        highlight_function=lambda _f: {"weight": 2.5, "color": "#222222"},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False) if features else None,
        zoom_on_click=False,
    )


class DrillDownHub(MacroElement):
    """Makes admin features clickable for streamlit-folium even in layers hidden at start.

    streamlit-folium only listens to layers on the map when it loads; a layer switched on
    later (admin-2 is off by default) would send nothing. Its features' clicks are forwarded
    to an empty group that is always on the map, so ``last_active_drawing`` gets the feature.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var hub = L.featureGroup().addTo({{ this._parent.get_name() }});
                {% for name in this.layer_names %}
                {{ name }}.addEventParent(hub);
                {% endfor %}
            })();
        {% endmacro %}
        """
    )

    def __init__(self, layers: Sequence[folium.GeoJson]) -> None:
        super().__init__()
        self._name = "DrillDownHub"
        self.layer_names = [layer.get_name() for layer in layers]


# ---- corridor buffers ------------------------------------------------------------------------


def buffer_layer(
    buffers: gpd.GeoDataFrame, colours: dict[str, str], highlight: str | None
) -> tuple[folium.GeoJson, str]:
    """Translucent corridor buffers; the highlighted corridor (id or name) is stronger."""
    ids = (
        buffers["corridor_id"].astype(str)
        if "corridor_id" in buffers.columns
        else pd.Series([""] * len(buffers), index=buffers.index)
    )
    names = buffers["corridor_name"].astype(str) if "corridor_name" in buffers.columns else ids
    width = buffers["width_km"] if "width_km" in buffers.columns else pd.Series([math.nan] * len(buffers))
    fallback = SEQUENTIAL[-1]
    data = gpd.GeoDataFrame(
        {
            "fill": [colours.get(i, fallback) for i in ids],
            "hot": [highlight is not None and highlight in (i, n) for i, n in zip(ids, names, strict=True)],
            "tooltip": [
                esc(_("{corridor}: ±{width} km buffer").format(corridor=n, width=_fmt(float(w))))
                if pd.notna(w)
                else esc(n)
                for n, w in zip(names, width, strict=True)
            ],
        },
        geometry=buffers.geometry.to_numpy(),
        crs=buffers.crs,
    )
    layer = folium.GeoJson(
        data,
        name=_(LAYER_BUFFERS),
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": f["properties"]["fill"],
            "fillOpacity": 0.3 if f["properties"]["hot"] else 0.12,
            "weight": 2 if f["properties"]["hot"] else 0.5,
        },
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False) if len(data) else None,
        zoom_on_click=False,
    )
    band = esc(_("Corridor buffer (analytic distance band)"))
    legend = f'<div style="margin-top:4px">{_swatch("rgba(0,66,157,0.2)")}{band}</div>'
    return layer, legend
