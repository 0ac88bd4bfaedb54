"""Map page: incidents, corridors and boundaries for the shared filters, with optional
analysis layers (heat, hexagons, choropleth, corridor buffers) and a region drill-down.

The map is rebuilt on every rerun (the builders take well under a second), but from the
same inputs it is the same HTML, so streamlit-folium keeps the drawn map. The component
returns ``last_active_drawing`` (region drill-down) and ``center``/``zoom`` (for "Save this
view"), so panning reruns the page but never redraws the map.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.builders import tables
from dashboard.builders.downloads import prepare_downloads
from dashboard.builders.maps import BASEMAPS, MapBuild
from dashboard.ui import caching, components, saved_views
from dashboard.ui.context import PageData, load_page_data
from dashboard.ui.download_panel import render_download_panel
from dashboard.ui.incident_map import build_page_map
from geodata.errors import GeodataError
from incidents.analytics import incidents_by
from incidents.errors import IncidentsError
from incidents.i18n import N_, _, pgettext
from incidents.i18n.formats import format_day, format_number
from incidents.model import ACTOR_GROUP_LABELS, EVENT_TYPE_LABELS
from incidents.settings import MAP_MAX_POINTS

MAP_HEIGHT = 640
LATEST_INCIDENTS = 10
TOP_ACTOR_GROUPS = 5

# Widget and session keys (part of the test contract).
KEY_BASEMAP = "basemap"
KEY_HEAT = "map_heat"
KEY_HEXAGONS = "map_hexagons"
KEY_CHOROPLETH = "map_choropleth"
KEY_CHOROPLETH_LEVEL = "map_choropleth_level"
KEY_ADMIN2 = "map_admin2"
KEY_BUFFERS = "map_buffers"
KEY_SELECTED = "map_selected_unit"
KEY_SEEN_CLICK = "map_seen_click"
KEY_CLEAR = "map_clear_selection"
MAP_KEY = "incident_map"
KEY_DOWNLOADS = "map_downloads"

HEAT_OPTIONS = {"off": N_("Off"), "count": N_("Incident count"), "fatalities": N_("Fatality-weighted")}
CHOROPLETH_OPTIONS = {
    "off": N_("Off"),
    "per_10k_km2": N_("Incidents per 10,000 km²"),
    "per_30_days": N_("Incidents per 30 days"),
    "risk_level": N_("Risk level"),
}
Level = Literal["admin1", "admin2"]
LEVEL_OPTIONS: dict[Level, str] = {"admin1": N_("Regions (admin-1)"), "admin2": N_("Districts (admin-2)")}
Choice = TypeVar("Choice", bound=str)
UNIT_NOUNS = {"admin1": N_("Region"), "admin2": N_("District")}
DETAIL_COLUMNS = (
    "event_date",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "actor_group",
    "fatalities",
    "location",
    "notes",
    "source",
    "source_dataset",
)


def _radio(label: str, options: Mapping[Choice, str], key: str, help: str) -> Choice:
    """A sidebar radio over the keys of ``options``, shown by their labels (marked with N_)."""
    return st.sidebar.radio(
        label, options=list(options), format_func=lambda code: _(options[code]), key=key, help=help
    )


def _layer_controls() -> dict[str, str | bool]:
    """Draw the map's sidebar controls and return their values by widget key (the keys of a
    saved view's options, so the Briefing page builds the same map from a view)."""
    sidebar = st.sidebar
    sidebar.subheader(_("Map layers"))
    return {
        KEY_BASEMAP: sidebar.selectbox(
            _("Basemap"),
            options=list(BASEMAPS),
            format_func=lambda code: _(BASEMAPS[code]),
            key=KEY_BASEMAP,
            help=_("'No basemap' works without internet. OpenStreetMap tiles need a connection."),
        ),
        KEY_HEAT: _radio(
            _("Heat layer"),
            HEAT_OPTIONS,
            KEY_HEAT,
            _("Density of incidents, counted or weighted by fatalities."),
        ),
        KEY_HEXAGONS: sidebar.checkbox(
            _("Hexagon counts"),
            key=KEY_HEXAGONS,
            help=_("Incidents counted in 25 km hexagons (always used above {limit} incidents).").format(
                limit=format_number(MAP_MAX_POINTS)
            ),
        ),
        KEY_CHOROPLETH: _radio(
            _("Shade areas by"),
            CHOROPLETH_OPTIONS,
            KEY_CHOROPLETH,
            _("Per area compares density; per 30 days compares pace over the chosen period."),
        ),
        KEY_CHOROPLETH_LEVEL: _radio(
            _("Shading level"),
            LEVEL_OPTIONS,
            KEY_CHOROPLETH_LEVEL,
            _("Admin-2 districts exist for Mali, Burkina Faso and Niger only."),
        ),
        KEY_ADMIN2: sidebar.checkbox(
            _("Admin-2 boundaries"),
            key=KEY_ADMIN2,
            help=_("Adds district boundaries, off at first: tick them in the map's layer control."),
        ),
        KEY_BUFFERS: sidebar.checkbox(
            _("Corridor buffer zones"),
            key=KEY_BUFFERS,
            help=_(
                "Zones around each corridor, as wide as the corridor filter's distance (25 km by default)."
            ),
        ),
    }


def _level(value: object) -> Level:
    """``value`` (a widget value or a clicked feature's property) as a unit level."""
    if value not in LEVEL_OPTIONS:
        raise ValueError(f"unit level {value!r} is not one of {list(LEVEL_OPTIONS)}")
    return cast(Level, value)


def _build_map(data: PageData, controls: Mapping[str, str | bool]) -> MapBuild:
    return build_page_map(controls, data.filter, data.view, data.db_url, data.data_version)


def _clicked_unit(result: dict[str, Any] | None) -> dict[str, str] | None:
    """The admin unit in streamlit-folium's ``last_active_drawing``, if a region was clicked."""
    drawing = (result or {}).get("last_active_drawing")
    properties = drawing.get("properties") if isinstance(drawing, dict) else None
    if not isinstance(properties, dict):
        return None
    level, code = properties.get("level"), properties.get("unit_code")
    if level not in LEVEL_OPTIONS or not code:
        return None
    return {"level": str(level), "unit_code": str(code), "label": str(properties.get("label") or code)}


def _remember_click(result: dict[str, Any] | None) -> None:
    # streamlit-folium keeps returning the last click on every rerun: only a click that
    # differs from the one already seen selects a unit, so "Clear selection" sticks.
    clicked = _clicked_unit(result)
    if clicked is not None and clicked != st.session_state.get(KEY_SEEN_CLICK):
        st.session_state[KEY_SEEN_CLICK] = clicked
        st.session_state[KEY_SELECTED] = clicked


def _clear_selection() -> None:
    st.session_state[KEY_SELECTED] = None


def _unit_name(level: str, code: str, fallback: str) -> str:
    """Human name of an admin unit: "Mopti (Mali)" or "Douentza, Mopti (Mali)"."""
    units: gpd.GeoDataFrame = caching.map_admin2() if level == "admin2" else caching.map_boundaries()[1]
    match = units[units[f"{level}_code"].astype(str) == code]
    if match.empty:
        return fallback
    row = match.iloc[0]
    if level == "admin2":
        return f"{row['admin2_name']}, {row['admin1_name']} ({row['country']})"
    return f"{row['admin1_name']} ({row['country']})"


def _code_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its event types and actor groups (canonical codes) shown by their labels."""
    for column, labels in (("event_type", EVENT_TYPE_LABELS), ("actor_group", ACTOR_GROUP_LABELS)):
        if column in frame.columns:
            words = frame[column].map(lambda code, labels=labels: labels.get(code, code))
            frame = frame.assign(**{column: words})
    return frame


def _drill_down(data: PageData, selected: dict[str, str]) -> None:
    """Trend, actor groups and latest incidents of the selected unit, under the map."""
    level, code = _level(selected["level"]), selected["unit_code"]
    name = _unit_name(level, code, selected.get("label", code))
    head, button = st.columns([5, 1])
    head.subheader(_("{unit}: {name}").format(unit=_(UNIT_NOUNS[level]), name=name))
    button.button(_("Clear selection"), key=KEY_CLEAR, on_click=_clear_selection, width="stretch")
    in_unit = data.view.within(level, code)  # from the database, only this unit's groups and ids
    count = in_unit.count
    if count == 0:
        st.info(_("No incidents in {place} match the current filters.").format(place=name), icon="ℹ️")
        return
    deaths = int(in_unit.summary()["fatalities"].sum())
    st.caption(
        _("{incidents} incidents and {deaths} fatalities in the filtered period.").format(
            incidents=format_number(count), deaths=format_number(deaths)
        )
    )
    trend = in_unit.unit_trend(level, code)
    components.trend_chart(
        trend, _("{place}: incidents and fatalities per month").format(place=name), "map_unit_trend"
    )
    left, right = st.columns([1, 2])
    left.markdown("**" + _("Top actor groups") + "**")
    groups = _code_labels(in_unit.top_actor_groups(TOP_ACTOR_GROUPS))
    left.dataframe(tables.display_columns(groups), hide_index=True, width="stretch")
    latest = in_unit.latest_ids(LATEST_INCIDENTS)
    details = caching.incident_details(data.db_url, data.data_version, latest)
    if "event_date" in details.columns:
        details = details.sort_values("event_date", ascending=False, kind="stable")
    right.markdown("**" + _("Latest {n} incidents").format(n=min(LATEST_INCIDENTS, count)) + "**")
    # st.dataframe renders cell text as text: notes from imported files cannot inject HTML.
    right.dataframe(
        tables.display_columns(_code_labels(details[[c for c in DETAIL_COLUMNS if c in details.columns]])),
        hide_index=True,
        width="stretch",
    )


st.title(_("Incident map"))

try:
    data = load_page_data()
    saved_views.read_layer_params()  # a copied link's layers, before the widgets are drawn
    controls = _layer_controls()
    saved_views.sync_layer_params(controls)  # ...and the chosen layers back into the address
    saved_views.render_save_control()
    build = _build_map(data, controls)
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)
    st.stop()

components.demo_banner(data.shown_sources, demo_hidden=data.demo_hidden)
chosen = data.filter
assert chosen.since is not None and chosen.until is not None  # load_page_data resolves the dates
if data.empty:
    components.empty_state(chosen.countries, data.country_names)
else:
    summary = data.view.summary()
    cols = st.columns(4)
    cols[0].metric(_("Incidents"), format_number(data.view.count))
    cols[1].metric(_("Fatalities"), format_number(int(summary["fatalities"].sum())))
    demo_rows = int(incidents_by(summary, "source_dataset").get("demo", 0))
    cols[2].metric(_("Of which synthetic demo"), format_number(demo_rows))
    cols[3].metric(_("Countries with incidents"), format_number(len(incidents_by(summary, "country_iso3"))))
    st.caption(
        pgettext("period", "From {since} to {until} (inclusive).").format(
            since=format_day(chosen.since), until=format_day(chosen.until)
        )
    )
if build.note:
    st.info(build.note, icon="ℹ️")

result = st_folium(
    build.map,
    key=MAP_KEY,
    height=MAP_HEIGHT,
    use_container_width=True,
    # centre/zoom are returned for "Save this view" (so panning reruns the page; the map HTML
    # is unchanged, so it is not redrawn); they are read only when a view is saved.
    returned_objects=["last_active_drawing", "center", "zoom"],
    **saved_views.applied_map_position(),
)
_remember_click(result)
saved_views.remember_map_position(result)
st.caption(
    _(
        "Click a marker for date, type, actors, fatalities, place, notes and source; click a region "
        "(or a district, with admin-2 boundaries on) for its trend below the map. "
        "Corridors are analytic aids, not observed tracks: dashed segments are connectors no source names."
    )
)

with st.expander(_("Download"), expanded=False, icon=":material/download:"):
    st.caption(_("The filtered incidents and this map, each with sources, licences, filters and time."))
    render_download_panel(
        KEY_DOWNLOADS,
        (data.data_version, chosen, tuple(sorted(controls.items()))),
        lambda: prepare_downloads(
            data.store, chosen, data.incidents, fmap=build.map, country_names=data.country_names
        ),
        columns=4,
    )

selected = st.session_state.get(KEY_SELECTED)
if isinstance(selected, dict) and selected.get("level") in LEVEL_OPTIONS and selected.get("unit_code"):
    _drill_down(data, selected)

components.attribution_footer(data.shown_sources)
