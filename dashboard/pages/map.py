"""Map page: incidents, corridors and boundaries for the chosen countries and dates."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from dashboard import caching, components
from dashboard.filters import render_filters
from dashboard.maps import build_incident_map
from geodata.errors import GeodataError
from incidents.errors import IncidentsError
from incidents.model import empty_incidents

MAP_HEIGHT = 640

st.title("Incident map")

try:
    store = caching.get_store()
    db_url = caching.current_db_url()
    version = store.data_version()
    names = caching.country_names_cached()
    filters = render_filters(names, caching.incident_date_range(db_url, version))
    if filters.countries:
        incidents = caching.load_incidents_cached(
            db_url, version, filters.countries, filters.since, filters.until
        )
    else:
        incidents = empty_incidents()
    admin0, admin1 = caching.map_boundaries()
    corridors = caching.map_corridors()
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)
    st.stop()

components.demo_banner(incidents)

if incidents.empty:
    components.empty_state(filters.countries, names)
else:
    demo_rows = int((incidents["source_dataset"] == "demo").sum())
    cols = st.columns(4)
    cols[0].metric("Incidents", f"{len(incidents):,}")
    cols[1].metric("Fatalities", f"{int(incidents['fatalities'].sum()):,}")
    cols[2].metric("Of which synthetic demo", f"{demo_rows:,}")
    cols[3].metric("Countries with incidents", f"{incidents['country_iso3'].nunique()}")
    st.caption(f"From {filters.since:%d %b %Y} to {filters.until:%d %b %Y} (inclusive).")

fmap = build_incident_map(
    incidents,
    admin0=admin0,
    admin1=admin1[admin1["iso3"].isin(filters.countries)],
    corridors=corridors,
    basemap=filters.basemap,
)
# returned_objects=[]: panning or zooming must not rerun the whole page.
st_folium(fmap, key="incident_map", height=MAP_HEIGHT, use_container_width=True, returned_objects=[])
st.caption(
    "Click a marker for date, type, actors, fatalities, place, notes and source. "
    "Corridors are analytic aids, not observed tracks: dashed segments are connectors no source names. "
    f"Store: {store.describe()}."
)
components.attribution_footer()
