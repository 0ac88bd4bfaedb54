"""All Streamlit caching of the dashboard, in one place (DESIGN.md §2).

Cached functions take only hashable arguments (URLs, dates, tuples of ISO3 codes, the
store's ``data_version`` counter) and read no globals or environment, so a cache entry
can never outlive the data it was built from: any committed import or undo bumps
``data_version`` and with it the key. GeoDataFrames are returned from resource caches
(shared, never hashed); callers must not mutate them.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import geopandas as gpd
import pandas as pd
import streamlit as st

from geodata.areas import unit_areas_km2
from geodata.boundaries import country_names, load_admin0, load_admin1
from geodata.corridors import load_corridor_segments, load_corridors
from incidents.demo import ensure_demo_loaded
from incidents.developments import load_key_developments
from incidents.store import IncidentStore, open_store, resolve_db_url

#: Boundary simplification for display only (degrees, ~1 km): the shipped polygons are
#: ~2 MB of GeoJSON; simplified they draw faster and keep the page small. Spatial joins
#: use the full geometry in geodata/, never these.
DISPLAY_SIMPLIFY_DEG = 0.01


def current_db_url() -> str:
    """The store URL in force (``SAHEL_DB_URL`` or the default), password included: a cache key."""
    return resolve_db_url().render_as_string(hide_password=False)


@st.cache_resource(show_spinner="Opening the incident store (first start loads the demo data)…")
def _open_store(db_url: str) -> IncidentStore:
    store = open_store(db_url)
    ensure_demo_loaded(store)
    return store


def get_store() -> IncidentStore:
    """The shared store of this server process; on a first start, filled with the demo data.

    Keyed on the resolved URL, so tests (and a changed ``SAHEL_DB_URL``) get their own store.
    """
    return _open_store(current_db_url())


@st.cache_data(show_spinner="Loading incidents…", max_entries=16)
def load_incidents_cached(
    db_url: str,
    data_version: int,
    countries: tuple[str, ...],
    since: date | None,
    until: date | None,
) -> pd.DataFrame:
    """Canonical incidents for the filters; ``data_version`` is only a cache key."""
    del data_version  # part of the key: a new import invalidates the entry
    return _open_store(db_url).load_incidents(countries=list(countries), since=since, until=until)


@st.cache_data(show_spinner=False, max_entries=8)
def incident_date_range(db_url: str, data_version: int) -> tuple[date, date] | None:
    """First and last event date in the store, or None when it is empty."""
    del data_version  # part of the key: a new import can widen the range
    return _open_store(db_url).date_range()


@st.cache_data(show_spinner=False)
def country_names_cached() -> dict[str, str]:
    """ISO3 -> country name, focus countries first."""
    return country_names()


def _simplified(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = frame.copy()
    out["geometry"] = out.geometry.simplify(DISPLAY_SIMPLIFY_DEG, preserve_topology=True)
    return out


@st.cache_resource(show_spinner=False)
def map_boundaries() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(admin-0, admin-1) simplified for display. Shared: do not mutate."""
    return _simplified(load_admin0()), _simplified(load_admin1())


@st.cache_resource(show_spinner=False)
def map_corridors() -> gpd.GeoDataFrame:
    """Corridor segments, one feature per segment. Shared: do not mutate."""
    return load_corridor_segments()


@st.cache_data(show_spinner=False)
def key_developments() -> pd.DataFrame:
    """The shipped key-developments reference table (timeline markers, pivot dates)."""
    return load_key_developments()


@st.cache_resource(show_spinner="Loading incidents…", max_entries=2)
def analysis_frame(db_url: str, data_version: int) -> pd.DataFrame:
    """Every incident's analysis columns, held once per store version and shared read-only.

    A resource cache, not a data cache: a million rows are not copied on every rerun.
    Callers must not mutate it; filtering returns new frames.
    """
    del data_version  # part of the key: a commit or undo loads a fresh frame
    return _open_store(db_url).load_analysis_frame()


@st.cache_data(show_spinner=False, max_entries=32)
def incident_details(db_url: str, data_version: int, incident_ids: tuple[str, ...]) -> pd.DataFrame:
    """Full rows (notes, actors, sources) for the incidents a page displays."""
    del data_version
    return _open_store(db_url).load_incident_details(list(incident_ids))


@st.cache_resource(show_spinner=False)
def admin1_options() -> dict[str, str]:
    """admin1_code -> "Name (ISO3)" for the region filter."""
    admin1 = load_admin1().sort_values(["iso3", "admin1_name"])
    return {
        str(code): f"{name} ({iso3})"
        for code, name, iso3 in zip(admin1["admin1_code"], admin1["admin1_name"], admin1["iso3"], strict=True)
    }


@st.cache_resource(show_spinner=False)
def corridor_names() -> dict[str, str]:
    """corridor_id -> name, in corridor order."""
    corridors = load_corridors()
    return dict(zip(corridors["corridor_id"], corridors["corridor_name"], strict=True))


@st.cache_resource(show_spinner=False, max_entries=2)
def unit_areas(level: Literal["admin1", "admin2"]) -> pd.Series:
    """Area in km² per unit code of ``level`` (rates per 10,000 km²). Shared: do not mutate."""
    return unit_areas_km2(level)


@st.cache_resource(show_spinner=False)
def map_admin2() -> gpd.GeoDataFrame:
    """Admin-2 units simplified for display, like :func:`map_boundaries`. Shared: do not mutate."""
    from geodata.boundaries import load_admin2  # local: keeps this addition append-only

    return _simplified(load_admin2())


@st.cache_resource(show_spinner=False, max_entries=8)
def map_corridor_buffers(width_km: float) -> gpd.GeoDataFrame:
    """Corridor buffer zones of ``width_km`` each side, for the map. Shared: do not mutate."""
    from geodata.corridors import buffer_corridors_km  # local: keeps this addition append-only

    return buffer_corridors_km(width_km)
