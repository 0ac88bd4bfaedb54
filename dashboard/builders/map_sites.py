"""Map layer of an organisation's sites and routes with their 10/25/50 km rings (no Streamlit calls).

Added on top of the incident map from :mod:`dashboard.builders.maps`. Rings are true distances:
geodesic circles around a site, and for a route a band built in the Sahel equidistant
conic (width error under 1.2 %), matching how the exposure table counts incidents.
Site names come from uploaded files: they are HTML-escaped here, in Python, and reach the
page only as JSON strings.
"""

from __future__ import annotations

from typing import Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from dashboard.builders.map_elements import Bind, add_legend_section, esc, mark_raw_render
from geodata.crs import SAHEL_METRIC_PROJ, WGS84
from incidents.i18n import N_, _, pgettext

LAYER_SITES: Final = N_("Sites and routes")
LAYER_RINGS: Final = N_("Site rings (10 / 25 / 50 km)")
RING_KM: Final = (50, 25, 10)  # drawn largest first, so the smaller rings stay on top
RING_COLOURS: Final = {10: "#b10026", 25: "#e6550d", 50: "#fdae6b"}
RATING_COLOURS: Final = {"Low": "#1a9850", "Moderate": "#fee08b", "High": "#f46d43", "Severe": "#a50026"}
SITE_COLOUR: Final = "#222222"
CIRCLE_VERTICES: Final = 72
POPUP_FIELDS: Final = (
    ("site_type", N_("Type")),
    ("admin2_name", N_("District")),
    ("admin1_name", N_("Region")),
    ("exposure_rating", N_("Exposure")),
    ("exposure_score", N_("Score (0-100)")),
    ("inc_10km_30d", N_("Incidents ≤10 km, 30 days")),
    ("inc_25km_30d", N_("Incidents ≤25 km, 30 days")),
    ("inc_50km_90d", N_("Incidents ≤50 km, 90 days")),
    ("fatalities_50km_90d", N_("Fatalities ≤50 km, 90 days")),
    ("nearest_corridor", N_("Nearest corridor")),
    ("corridor_distance_km", N_("Corridor distance (km)")),
    ("admin2_risk_level", N_("District risk level")),
)

_GEOD: Final = Geod(ellps="WGS84")


def rating_label(rating: object) -> str:
    """An exposure rating (a code of ``incidents.risk.exposure``: Low ... Severe) in the current language."""
    labels = {
        "Low": pgettext("map legend, exposure", "Low"),
        "Moderate": pgettext("map legend, exposure", "Moderate"),
        "High": pgettext("map legend, exposure", "High"),
        "Severe": pgettext("map legend, exposure", "Severe"),
    }
    return labels.get(str(rating), str(rating))


def ring_geometries(geometries: np.ndarray, radius_km: float) -> np.ndarray:
    """Polygons within ``radius_km`` of each point (geodesic circle) or line (projected band)."""
    rings = np.empty(len(geometries), dtype=object)
    is_point = shapely.get_type_id(geometries) == 0
    azimuths = np.linspace(0.0, 360.0, CIRCLE_VERTICES, endpoint=False)
    for i in np.flatnonzero(is_point):
        x, y = geometries[i].x, geometries[i].y
        lon, lat, _back_azimuth = _GEOD.fwd(
            np.full(CIRCLE_VERTICES, x),
            np.full(CIRCLE_VERTICES, y),
            azimuths,
            np.full(CIRCLE_VERTICES, radius_km * 1000),
        )
        rings[i] = shapely.Polygon(np.column_stack([lon, lat]))
    lines = np.flatnonzero(~is_point)
    if len(lines):
        metric = gpd.GeoSeries(geometries[lines], crs=WGS84).to_crs(SAHEL_METRIC_PROJ)
        rings[lines] = metric.buffer(radius_km * 1000, quad_segs=16).to_crs(WGS84).to_numpy()
    return rings


def site_popup_html(site: pd.Series, exposure: pd.Series | None) -> str:
    """Popup table of a site: escaped name and, when known, its exposure figures."""
    rows = [(_("Kind"), esc(site.get("kind", "")))]
    source = exposure if exposure is not None else site
    for column, label in POPUP_FIELDS:
        if column in source.index:
            value = rating_label(source[column]) if column == "exposure_rating" else source[column]
            rows.append((_(label), esc(value)))
    body = "".join(f"<tr><th>{esc(label)}</th><td>{value}</td></tr>" for label, value in rows)
    title = f'<div class="sahel-popup"><b>{esc(site.get("name", ""))}</b></div>'
    return f'{title}<table class="sahel-popup">{body}</table>'


def add_site_layers(
    m: folium.Map, sites: pd.DataFrame, exposure: pd.DataFrame | None = None, *, fit: bool = True
) -> None:
    """Add the ring and site/route layers (and their legend) to ``m``; zoom to the sites.

    ``sites`` has ``site_id, name, kind, geometry_wkt``; ``exposure`` (optional, from
    ``site_exposure``) adds figures to the popups and colours each site by its rating.
    """
    mark_raw_render(m)
    if sites.empty:
        return
    geometries = np.asarray(shapely.from_wkt(sites["geometry_wkt"].astype(object).to_numpy()), dtype=object)
    by_id = exposure.set_index(exposure["site_id"].astype(str)) if exposure is not None else None
    names = [esc(name) for name in sites["name"]]
    _ring_layer(geometries, names).add_to(m)
    group = folium.FeatureGroup(name=_(LAYER_SITES))
    for position, (_unused, site) in enumerate(sites.iterrows()):
        row = None
        if by_id is not None and str(site["site_id"]) in by_id.index:
            row = by_id.loc[str(site["site_id"])]
        colour = (
            RATING_COLOURS.get(str(row["exposure_rating"]), SITE_COLOUR) if row is not None else SITE_COLOUR
        )
        geometry = geometries[position]
        if geometry.geom_type == "Point":
            shape: folium.Element = folium.CircleMarker(
                (geometry.y, geometry.x),
                radius=8,
                color=SITE_COLOUR,
                weight=2,
                fill=True,
                fill_color=colour,
                fill_opacity=0.95,
            )
        else:
            shape = folium.PolyLine(
                [(y, x) for x, y, *_ in geometry.coords], color=colour, weight=5, opacity=0.95
            )
        Bind("bindTooltip", names[position], sticky=True).add_to(shape)
        Bind("bindPopup", site_popup_html(site, row), maxWidth=360).add_to(shape)
        shape.add_to(group)
    group.add_to(m)
    add_legend_section(m, _legend_html(with_ratings=exposure is not None))
    if fit:
        minx, miny, maxx, maxy = shapely.total_bounds(geometries)
        pad = 0.6  # degrees: the 50 km rings stay in view
        m.fit_bounds([[miny - pad, minx - pad], [maxy + pad, maxx + pad]])


def _ring_layer(geometries: np.ndarray, names: list[str]) -> folium.GeoJson:
    frames = []
    for radius in RING_KM:
        frames.append(
            gpd.GeoDataFrame(
                {
                    "radius_km": radius,
                    "tooltip": [_("{site}: {radius} km").format(site=name, radius=radius) for name in names],
                },
                geometry=ring_geometries(geometries, radius),
                crs=WGS84,
            )
        )
    rings = pd.concat(frames, ignore_index=True)
    return folium.GeoJson(
        rings,
        name=_(LAYER_RINGS),
        style_function=lambda f: {
            "color": RING_COLOURS[int(f["properties"]["radius_km"])],
            "weight": 1.5,
            "fillOpacity": 0.04,
            "dashArray": "4 4",
        },
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        zoom_on_click=False,
    )


def _legend_html(*, with_ratings: bool = True) -> str:
    rings = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;border:2px dashed {RING_COLOURS[r]};'
        f'margin-right:4px"></span>{r} km</div>'
        for r in sorted(RING_KM)
    )
    ratings = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;border-radius:6px;'
        f'background:{colour};margin-right:4px"></span>{esc(rating_label(rating))}</div>'
        for rating, colour in RATING_COLOURS.items()
    )
    exposure_title = esc(_("Site exposure"))
    rings_title = esc(_("Site rings"))
    exposure = f"<b>{exposure_title}</b>{ratings}" if with_ratings else ""
    return f'<div style="margin-top:4px"><b>{rings_title}</b>{rings}{exposure}</div>'
