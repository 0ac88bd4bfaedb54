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
from incidents.i18n import N_, Labels, _, ngettext
from incidents.i18n.formats import format_day, format_number
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
DISCLAIMER = N_(
    "Corridors are analytic aids, not observed tracks: each line joins places that public sources "
    "name for a corridor, in our reading of their order; dashed segments are connectors no source names. "
    "Counts are incidents within the buffer of a line, not movements along it."
)
SEGMENT_HELP = N_("Each incident in the buffer is counted on its nearest segment only.")


#: The corridors' confidence codes in words (the codes are stored).
CONFIDENCE_WORDS = Labels({"low": N_("low"), "medium": N_("medium"), "high": N_("high")})


def _confidence_word(code: str) -> str:
    return CONFIDENCE_WORDS.get(code, code)


def _reset_edit_fields() -> None:
    for key in EDIT_KEYS:
        st.session_state.pop(key, None)


def _controls() -> float:
    sidebar = st.sidebar
    sidebar.subheader(_("Corridor activity"))
    km = sidebar.slider(_("Buffer (km each side)"), 5, 100, int(CORRIDOR_KM), step=5, key=KEY_KM)
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
    st.subheader(_("Ranking"))
    ranking = corridor_ranking(frame, as_of=as_of, km=km, segments=segments, hits=hits)
    st.dataframe(tables.display_columns(ranking), hide_index=True, width="stretch")
    st.caption(
        _(
            "Incidents within {km} km of each active corridor: the 365 and 30 days to {day} (the end of the "
            "period in the sidebar); 4-week trend and surge by the rules of the Risk levels page."
        ).format(km=f"{km:g}", day=format_day(as_of))
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
    not_given = _("not given")
    st.caption(
        _("Version {version}, confidence {confidence}. Armed groups: {groups}. Sources: {sources}.").format(
            version=int(first["version"]),
            confidence=CONFIDENCE_WORDS.get(str(first["confidence"]), first["confidence"]),
            groups=first["armed_groups"] or not_given,
            sources=first["sources"] or not_given,
        )
    )
    since, as_of = period  # the chart follows the sidebar's period
    monthly = corridor_monthly(frame, hits, corridor_id, since=since, until=as_of)
    components.trend_chart(
        monthly,
        _("{corridor}: incidents within {km} km, per month, {since} – {until}").format(
            corridor=corridor_id, km=f"{km:g}", since=format_day(since), until=format_day(as_of)
        ),
        "corridor_monthly_chart",
    )
    left, right = st.columns([3, 2])
    left.markdown(_("**Segments (last 365 days)**"))
    left.dataframe(
        tables.display_columns(segment_activity(frame, hits, segments, corridor_id, as_of=as_of)),
        hide_index=True,
        width="stretch",
    )
    left.caption(_(SEGMENT_HELP))
    units = caching.corridor_units_cached(db_url, version)
    right.markdown(_("**Units crossed (km of line)**"))
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
    st.markdown(_("**Add or replace a corridor from a file**"))
    upload = st.file_uploader(
        _("GeoJSON, KML or waypoint CSV"), type=["geojson", "json", "kml", "csv"], key=KEY_UPLOAD
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
        pick = st.selectbox(_("Corridor in the file"), file_ids, key=KEY_UPLOAD_PICK)
        parsed = parsed[parsed["corridor_id"].astype(str) == pick]
    first = parsed.iloc[0]
    default_id = (
        file_ids[0] if len(file_ids) == 1 else (str(first["corridor_id"]) or f"C{len(known_ids) + 1}")
    )
    cols = st.columns(2)
    corridor_id = (
        cols[0]
        .text_input(_("Corridor id (an existing id gets a new version)"), value=default_id, key=KEY_NEW_ID)
        .strip()
    )
    name = cols[1].text_input(_("Name"), value=str(first["corridor_name"] or ""), key=KEY_NEW_NAME)
    groups = cols[0].text_input(_("Armed groups"), value=str(first["armed_groups"] or ""), key=KEY_NEW_GROUPS)
    sources = cols[1].text_input(_("Sources"), value=str(first["sources"] or ""), key=KEY_NEW_SOURCES)
    confidence = cols[0].selectbox(
        _("Confidence"), CONFIDENCE_LEVELS, index=1, format_func=_confidence_word, key=KEY_NEW_CONFIDENCE
    )
    note = cols[1].text_input(_("Note"), key=KEY_NEW_NOTE)
    segments_text = ngettext("{count} segment", "{count} segments", len(parsed)).format(count=len(parsed))
    km_text = format_number(float(parsed["length_km"].sum()), digits=1)
    st.caption(
        (
            _("Preview: {segments}, {km} km; saving replaces the geometry of corridor {corridor}.")
            if corridor_id in known_ids
            else _("Preview: {segments}, {km} km; saving adds corridor {corridor}.")
        ).format(segments=segments_text, km=km_text, corridor=repr(corridor_id))
    )
    st.dataframe(
        tables.display_columns(parsed.drop(columns=["geometry", "source_refs"])),
        hide_index=True,
        width="stretch",
    )
    admin0, _admin1 = caching.map_boundaries()
    preview = build_incident_map_with_info(
        pd.DataFrame(columns=["latitude", "longitude"]),
        admin0=admin0,
        admin1=admin0.iloc[0:0],
        corridors=parsed,
    )
    st_folium(
        preview.map, key="corridor_preview_map", height=320, use_container_width=True, returned_objects=[]
    )
    if st.button(_("Save corridor"), key=KEY_SAVE_UPLOAD, type="primary"):
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
                note=note or f"uploaded from {upload.name}",  # stored: the history's English
                by=user,
            )
        except (IncidentsError, ValueError) as exc:
            st.error(str(exc), icon="🚫")
            return
        st.session_state[KEY_MESSAGE] = _("Saved {corridor} version {version}.").format(
            corridor=corridor_id, version=version
        )
        st.rerun()


def _edit(store: object, segments: gpd.GeoDataFrame, corridor_id: str, user: User) -> None:
    first = segments[segments["corridor_id"] == corridor_id].iloc[0]
    st.markdown(_("**Edit {corridor}** (a new version with the same line)").format(corridor=corridor_id))
    cols = st.columns(2)
    name = cols[0].text_input(_("Name"), value=str(first["corridor_name"]), key=KEY_EDIT_NAME)
    groups = cols[1].text_input(_("Armed groups"), value=str(first["armed_groups"]), key=KEY_EDIT_GROUPS)
    sources = cols[0].text_input(_("Sources"), value=str(first["sources"]), key=KEY_EDIT_SOURCES)
    current = str(first["confidence"])
    index = CONFIDENCE_LEVELS.index(current) if current in CONFIDENCE_LEVELS else 1
    confidence = cols[1].selectbox(
        _("Confidence"), CONFIDENCE_LEVELS, index=index, format_func=_confidence_word, key=KEY_EDIT_CONFIDENCE
    )
    note = st.text_input(_("Note (why)"), key=KEY_EDIT_NOTE)
    if st.button(_("Save changes"), key=KEY_EDIT_SAVE):
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
        st.session_state[KEY_MESSAGE] = _("Saved {corridor} version {version}.").format(
            corridor=corridor_id, version=version
        )
        st.rerun()
    st.markdown(
        _("**Retire {corridor}** (hidden from maps and analysis; kept in the history)").format(
            corridor=corridor_id
        )
    )
    confirm = st.checkbox(_("Yes, retire {corridor}").format(corridor=corridor_id), key=KEY_RETIRE_CONFIRM)
    if st.button(_("Retire corridor"), key=KEY_RETIRE, disabled=not confirm):
        try:
            version = retire_corridor(store, corridor_id, by=user)  # type: ignore[arg-type]
        except IncidentsError as exc:
            st.error(str(exc), icon="🚫")
            return
        st.session_state.pop(KEY_SELECTED, None)
        st.session_state.pop(KEY_RETIRE_CONFIRM, None)
        st.session_state[KEY_MESSAGE] = _("Retired {corridor} (version {version}).").format(
            corridor=corridor_id, version=version
        )
        st.rerun()


st.title(_("Corridors"))
st.info(_(DISCLAIMER), icon="ℹ️")
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
    st.warning(_("No active corridors in the store: upload one below."))
else:
    _ranking(frame, segments, hits, as_of, km)
    selected = st.selectbox(
        _("Corridor"),
        active_ids,
        format_func=lambda cid: (
            f"{cid} — {segments.loc[segments['corridor_id'] == cid, 'corridor_name'].iloc[0]}"
        ),
        key=KEY_SELECTED,
        on_change=_reset_edit_fields,
    )
    _detail(frame, segments, hits, selected, period, km, db_url, version)

st.divider()
st.subheader(_("Maintain corridors"))
user = current_user()
history_tab: DeltaGenerator  # a tab for editors, a plain container for readers
if user is not None and may(user, Permission.EDIT_REFERENCE, _("Editing corridors")):
    upload_tab, edit_tab, history_tab = st.tabs([_("Upload"), _("Edit or retire"), _("Version history")])
    with upload_tab:
        _upload(store, active_ids, user)
    with edit_tab:
        if active_ids:
            _edit(store, segments, str(st.session_state.get(KEY_SELECTED) or active_ids[0]), user)
        else:
            st.caption(_("No active corridor to edit."))
else:
    history_tab = st.container()
with history_tab:
    history = caching.corridor_versions_table(db_url, version)
    st.dataframe(
        tables.display_columns(history.drop(columns=["source_refs", "version_id"])),
        hide_index=True,
        width="stretch",
    )
    st.caption(_("Every change is a new version; analyses name the version in force (`as_of`)."))

components.attribution_footer(frame)
