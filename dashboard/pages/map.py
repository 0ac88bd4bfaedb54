"""Map page: incidents, corridors and boundaries for the shared filters."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from dashboard import caching, components
from dashboard.context import load_page_data
from dashboard.maps import BASEMAPS, build_incident_map
from geodata.errors import GeodataError
from incidents.errors import IncidentsError

MAP_HEIGHT = 640
KEY_BASEMAP = "basemap"
#: Above this many incidents the points are not sent to the browser one by one.
MAX_POINTS = 20_000

st.title("Incident map")

try:
    data = load_page_data()
    basemap = st.sidebar.selectbox(
        "Basemap",
        options=list(BASEMAPS),
        format_func=BASEMAPS.__getitem__,
        key=KEY_BASEMAP,
        help="'No basemap' works without internet. OpenStreetMap tiles need a connection.",
    )
    shown = data.incidents.tail(MAX_POINTS)
    details = caching.incident_details(data.db_url, data.data_version, tuple(shown["incident_id"]))
    admin0, admin1 = caching.map_boundaries()
    corridors = caching.map_corridors()
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)
    st.stop()

components.demo_banner(data.incidents)
chosen = data.filter
if data.empty:
    components.empty_state(chosen.countries, data.country_names)
else:
    demo_rows = int((data.incidents["source_dataset"] == "demo").sum())
    cols = st.columns(4)
    cols[0].metric("Incidents", f"{len(data.incidents):,}")
    cols[1].metric("Fatalities", f"{int(data.incidents['fatalities'].sum()):,}")
    cols[2].metric("Of which synthetic demo", f"{demo_rows:,}")
    cols[3].metric("Countries with incidents", f"{data.incidents['country_iso3'].nunique()}")
    st.caption(f"From {chosen.since:%d %b %Y} to {chosen.until:%d %b %Y} (inclusive).")
    if len(data.incidents) > MAX_POINTS:
        st.caption(f"Showing the {MAX_POINTS:,} most recent incidents of {len(data.incidents):,}.")

fmap = build_incident_map(
    details,
    admin0=admin0,
    admin1=admin1[admin1["iso3"].isin(chosen.countries)],
    corridors=corridors,
    basemap=str(basemap),
)
# returned_objects=[]: panning or zooming must not rerun the whole page.
st_folium(fmap, key="incident_map", height=MAP_HEIGHT, use_container_width=True, returned_objects=[])
st.caption(
    "Click a marker for date, type, actors, fatalities, place, notes and source. "
    "Corridors are analytic aids, not observed tracks: dashed segments are connectors no source names. "
    f"Store: {data.store.describe()}."
)
components.attribution_footer()
