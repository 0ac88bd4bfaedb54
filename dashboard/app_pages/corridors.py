"""Corridors page: activity ranking, one corridor in detail, and corridor maintenance.

Activity counts the incidents the shared sidebar filters keep (countries, event types, actors,
data sources, like every other page) within a buffer of the store's active corridors
(docs/methodology.md, "Corridor activity"). The ranking's 365- and 30-day windows end on the last
day of the chosen period; the monthly chart covers the chosen period.
Maintenance writes new versions to the store; nothing is ever overwritten.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit_folium import st_folium

from dashboard.builders import tables
from dashboard.builders.maps import build_incident_map_with_info
from dashboard.ui import caching, components
from dashboard.ui.auth import current_user, may
from dashboard.ui.context import PageData, load_page_data
from geodata.corridor_files import read_corridor_file
from geodata.errors import GeodataError
from incidents.auth import Permission, User
from incidents.errors import IncidentsError
from incidents.risk.corridor_activity import (
    corridor_monthly,
    corridor_ranking,
    segment_activity,
)
from incidents.settings import CORRIDOR_KM
from incidents.store.corridors import (
    CONFIDENCE_LEVELS,
    add_corridor_version,
    edit_corridor_metadata,
    retire_corridor,
)

# Widget keys (part of the test contract).
KEY_KM = "corridor_km"
KEY_SELECTED = "corridor_selected"
KEY_UPLOAD = "corridor_upload"
KEY_UPLOAD_PICK = "corridor_upload_pick"
KEY_NEW_ID = "corridor_new_id"
KEY_NEW_NAME = "corridor_new_name"
KEY_NEW_GROUPS = "corridor_new_groups"
KEY_NEW_SOURCES = "corridor_new_sources"
KEY_NEW_CONFIDENCE = "corridor_new_confidence"
KEY_NEW_NOTE = "corridor_new_note"
KEY_SAVE_UPLOAD = "corridor_save_upload"
KEY_EDIT_NAME = "corridor_edit_name"
KEY_EDIT_GROUPS = "corridor_edit_groups"
KEY_EDIT_SOURCES = "corridor_edit_sources"
KEY_EDIT_CONFIDENCE = "corridor_edit_confidence"
KEY_EDIT_NOTE = "corridor_edit_note"
KEY_EDIT_SAVE = "corridor_edit_save"
KEY_RETIRE_CONFIRM = "corridor_retire_confirm"
KEY_RETIRE = "corridor_retire"
KEY_MESSAGE = "corridor_message"
EDIT_KEYS = (KEY_EDIT_NAME, KEY_EDIT_GROUPS, KEY_EDIT_SOURCES, KEY_EDIT_CONFIDENCE, KEY_EDIT_NOTE)

MAP_HEIGHT = 420
DISCLAIMER = (
    "Corridors are analytic aids, not observed tracks: each line joins places that public sources "
    "name for a corridor, in our reading of their order; dashed segments are connectors no source names. "
    "Counts are incidents within the buffer of a line, not movements along it."
)
SEGMENT_HELP = "Each incident in the buffer is counted on its nearest segment only."


def _reset_edit_fields() -> None:
    for key in EDIT_KEYS:
        st.session_state.pop(key, None)


def _controls() -> float:
    sidebar = st.sidebar
    sidebar.subheader("Corridor activity")
    km = sidebar.slider("Buffer (km each side)", 5, 100, int(CORRIDOR_KM), step=5, key=KEY_KM)
    return float(km)


def _filtered_hits(data: PageData, km: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The selected sources' incidents and their corridor hits, kept to the sidebar filter (all
    but its dates: the windows below set those); hit rows still index the whole frame."""
    frame = data.analysis
    corridors = caching.active_corridors(data.db_url, data.data_version)
    keep = data.filter.mask(frame, ignore_dates=True, corridors=corridors)
    hits = caching.corridor_hits_cached(data.db_url, data.data_version, km, data.filter.sources)
    return frame, hits[keep[hits["row"].to_numpy()]]


def _ranking(
    frame: pd.DataFrame, segments: gpd.GeoDataFrame, hits: pd.DataFrame, as_of: date, km: float
) -> None:
    st.subheader("Ranking")
    ranking = corridor_ranking(frame, as_of=as_of, km=km, segments=segments, hits=hits)
    st.dataframe(tables.display_columns(ranking), hide_index=True, width="stretch")
    st.caption(
        f"Incidents within {km:g} km of each active corridor: the 365 and 30 days to {as_of:%d %b %Y} "
        "(the end of the period in the sidebar); "
        "4-week trend and surge by the rules of the Risk levels page."
    )


def _detail(
    frame: pd.DataFrame,
    segments: gpd.GeoDataFrame,
    hits: pd.DataFrame,
    corridor_id: str,
    period: tuple[date, date],
    km: float,
    db_url: str,
    version: int,
) -> None:
    own = segments[segments["corridor_id"] == corridor_id]
    first = own.iloc[0]
    st.subheader(f"{corridor_id} — {first['corridor_name']}")
    st.caption(
        f"Version {int(first['version'])}, confidence {first['confidence']}. "
        f"Armed groups: {first['armed_groups'] or 'not given'}. Sources: {first['sources'] or 'not given'}."
    )
    since, as_of = period  # the chart follows the sidebar's period
    monthly = corridor_monthly(frame, hits, corridor_id, since=since, until=as_of)
    components.trend_chart(
        monthly,
        f"{corridor_id}: incidents within {km:g} km, per month, {since:%d %b %Y} – {as_of:%d %b %Y}",
        "corridor_monthly_chart",
    )
    left, right = st.columns([3, 2])
    left.markdown("**Segments (last 365 days)**")
    left.dataframe(
        tables.display_columns(segment_activity(frame, hits, segments, corridor_id, as_of=as_of)),
        hide_index=True,
        width="stretch",
    )
    left.caption(SEGMENT_HELP)
    units = caching.corridor_units_cached(db_url, version)
    right.markdown("**Units crossed (km of line)**")
    right.dataframe(
        tables.display_columns(units[units["corridor_id"] == corridor_id].drop(columns="corridor_id")),
        hide_index=True,
        width="stretch",
    )
    chosen = hits[hits["corridor_id"] == corridor_id]
    near = frame.iloc[chosen["row"].to_numpy()]
    days = pd.to_datetime(near["event_date"])
    near = near[(days > pd.Timestamp(as_of) - pd.Timedelta(days=365)) & (days <= pd.Timestamp(as_of))]
    admin0, admin1 = caching.map_boundaries()
    build = build_incident_map_with_info(
        near,
        admin0=admin0,
        admin1=admin1.iloc[0:0],
        corridors=own,
        highlight_corridor=corridor_id,
        uncertainty=False,
        credits=components.credits_of(near),
    )
    st_folium(build.map, key="corridor_map", height=MAP_HEIGHT, use_container_width=True, returned_objects=[])


def _upload(store: object, known_ids: list[str], user: User) -> None:
    st.markdown("**Add or replace a corridor from a file**")
    upload = st.file_uploader(
        "GeoJSON, KML or waypoint CSV", type=["geojson", "json", "kml", "csv"], key=KEY_UPLOAD
    )
    if upload is None:
        return
    try:
        parsed = read_corridor_file(upload.name, upload.getvalue())
    except GeodataError as exc:
        components.domain_error(exc)
        return
    file_ids = [cid for cid in dict.fromkeys(parsed["corridor_id"].astype(str)) if cid]
    if len(file_ids) > 1:
        pick = st.selectbox("Corridor in the file", file_ids, key=KEY_UPLOAD_PICK)
        parsed = parsed[parsed["corridor_id"].astype(str) == pick]
    first = parsed.iloc[0]
    default_id = (
        file_ids[0] if len(file_ids) == 1 else (str(first["corridor_id"]) or f"C{len(known_ids) + 1}")
    )
    cols = st.columns(2)
    corridor_id = (
        cols[0]
        .text_input("Corridor id (an existing id gets a new version)", value=default_id, key=KEY_NEW_ID)
        .strip()
    )
    name = cols[1].text_input("Name", value=str(first["corridor_name"] or ""), key=KEY_NEW_NAME)
    groups = cols[0].text_input("Armed groups", value=str(first["armed_groups"] or ""), key=KEY_NEW_GROUPS)
    sources = cols[1].text_input("Sources", value=str(first["sources"] or ""), key=KEY_NEW_SOURCES)
    confidence = cols[0].selectbox("Confidence", CONFIDENCE_LEVELS, index=1, key=KEY_NEW_CONFIDENCE)
    note = cols[1].text_input("Note", key=KEY_NEW_NOTE)
    action = "replaces the geometry of" if corridor_id in known_ids else "adds"
    st.caption(
        f"Preview: {len(parsed)} segment(s), {parsed['length_km'].sum():,.1f} km; saving {action} "
        f"corridor {corridor_id!r}."
    )
    st.dataframe(
        tables.display_columns(parsed.drop(columns=["geometry", "source_refs"])),
        hide_index=True,
        width="stretch",
    )
    admin0, _ = caching.map_boundaries()
    preview = build_incident_map_with_info(
        pd.DataFrame(columns=["latitude", "longitude"]),
        admin0=admin0,
        admin1=admin0.iloc[0:0],
        corridors=parsed,
    )
    st_folium(
        preview.map, key="corridor_preview_map", height=320, use_container_width=True, returned_objects=[]
    )
    if st.button("Save corridor", key=KEY_SAVE_UPLOAD, type="primary"):
        try:
            version = add_corridor_version(
                store,  # type: ignore[arg-type]
                corridor_id,
                parsed,
                name=name,
                armed_groups=groups,
                sources=sources,
                source_refs=str(first["source_refs"] or ""),
                confidence=str(confidence),
                note=note or f"uploaded from {upload.name}",
                by=user,
            )
        except (IncidentsError, ValueError) as exc:
            st.error(str(exc), icon="🚫")
            return
        st.session_state[KEY_MESSAGE] = f"Saved {corridor_id} version {version}."
        st.rerun()


def _edit(store: object, segments: gpd.GeoDataFrame, corridor_id: str, user: User) -> None:
    first = segments[segments["corridor_id"] == corridor_id].iloc[0]
    st.markdown(f"**Edit {corridor_id}** (a new version with the same line)")
    cols = st.columns(2)
    name = cols[0].text_input("Name", value=str(first["corridor_name"]), key=KEY_EDIT_NAME)
    groups = cols[1].text_input("Armed groups", value=str(first["armed_groups"]), key=KEY_EDIT_GROUPS)
    sources = cols[0].text_input("Sources", value=str(first["sources"]), key=KEY_EDIT_SOURCES)
    current = str(first["confidence"])
    index = CONFIDENCE_LEVELS.index(current) if current in CONFIDENCE_LEVELS else 1
    confidence = cols[1].selectbox("Confidence", CONFIDENCE_LEVELS, index=index, key=KEY_EDIT_CONFIDENCE)
    note = st.text_input("Note (why)", key=KEY_EDIT_NOTE)
    if st.button("Save changes", key=KEY_EDIT_SAVE):
        try:
            version = edit_corridor_metadata(
                store,  # type: ignore[arg-type]
                corridor_id,
                name=name,
                armed_groups=groups,
                sources=sources,
                confidence=str(confidence),
                note=note,
                by=user,
            )
        except (IncidentsError, ValueError) as exc:
            st.error(str(exc), icon="🚫")
            return
        _reset_edit_fields()
        st.session_state[KEY_MESSAGE] = f"Saved {corridor_id} version {version}."
        st.rerun()
    st.markdown(f"**Retire {corridor_id}** (hidden from maps and analysis; kept in the history)")
    confirm = st.checkbox(f"Yes, retire {corridor_id}", key=KEY_RETIRE_CONFIRM)
    if st.button("Retire corridor", key=KEY_RETIRE, disabled=not confirm):
        try:
            version = retire_corridor(store, corridor_id, by=user)  # type: ignore[arg-type]
        except IncidentsError as exc:
            st.error(str(exc), icon="🚫")
            return
        st.session_state.pop(KEY_SELECTED, None)
        st.session_state.pop(KEY_RETIRE_CONFIRM, None)
        st.session_state[KEY_MESSAGE] = f"Retired {corridor_id} (version {version})."
        st.rerun()


st.title("Corridors")
st.info(DISCLAIMER, icon="ℹ️")
if message := st.session_state.pop(KEY_MESSAGE, None):
    st.success(message)

try:
    data = load_page_data()  # the shared sidebar filters, kept in the page's link
    store, db_url, version = data.store, data.db_url, data.data_version
    segments = caching.map_corridors(db_url, version)
    km = _controls()
    frame, hits = _filtered_hits(data, km)
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)
    st.stop()
assert data.filter.since is not None and data.filter.until is not None  # resolved by load_page_data
period = (data.filter.since, data.filter.until)
as_of = period[1]

# Once per page (the corridor detail below used to repeat it): the counts come from these rows.
components.demo_banner(frame.iloc[hits["row"].to_numpy()], demo_hidden=data.demo_hidden)
active_ids = list(dict.fromkeys(segments["corridor_id"].astype(str)))
if not active_ids:
    st.warning("No active corridors in the store: upload one below.")
else:
    _ranking(frame, segments, hits, as_of, km)
    selected = st.selectbox(
        "Corridor",
        active_ids,
        format_func=lambda cid: (
            f"{cid} — {segments.loc[segments['corridor_id'] == cid, 'corridor_name'].iloc[0]}"
        ),
        key=KEY_SELECTED,
        on_change=_reset_edit_fields,
    )
    _detail(frame, segments, hits, selected, period, km, db_url, version)

st.divider()
st.subheader("Maintain corridors")
user = current_user()
history_tab: DeltaGenerator  # a tab for editors, a plain container for readers
if user is not None and may(user, Permission.EDIT_REFERENCE, "Editing corridors"):
    upload_tab, edit_tab, history_tab = st.tabs(["Upload", "Edit or retire", "Version history"])
    with upload_tab:
        _upload(store, active_ids, user)
    with edit_tab:
        if active_ids:
            _edit(store, segments, str(st.session_state.get(KEY_SELECTED) or active_ids[0]), user)
        else:
            st.caption("No active corridor to edit.")
else:
    history_tab = st.container()
with history_tab:
    history = caching.corridor_versions_table(db_url, version)
    st.dataframe(
        tables.display_columns(history.drop(columns=["source_refs", "version_id"])),
        hide_index=True,
        width="stretch",
    )
    st.caption("Every change is a new version; analyses name the version in force (`as_of`).")

components.attribution_footer(frame)
