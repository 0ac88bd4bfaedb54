"""Briefing page: saved views stepped like slides, with live figures, for a meeting room.

Each slide is one saved view (dashboard/ui/saved_views.py, incidents/store/saved_views.py): its title,
a full-width map with the view's layers and position, three large figures and a small
timeline. Figures and map sit in a fragment that reruns every ``brief_refresh_s`` seconds
without reloading the page: it re-reads the store's ``data_version``, so an import made
during the meeting shows at the next tick. Previous/Next have keyboard shortcuts
(PageUp/PageDown, what presentation clickers send). Presentation mode hides the sidebar
and enlarges the text; untick it to reach the navigation again. With no saved view yet, the page
sends the user to the sidebar, so it never hides it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.builders.charts import build_timeline_figure
from dashboard.builders.downloads import PreparedDownloads, prepare_downloads
from dashboard.builders.maps import MapBuild
from dashboard.ui import caching, components, saved_views
from dashboard.ui.auth import current_user, may
from dashboard.ui.context import demo_hidden
from dashboard.ui.download_panel import render_download_panel
from dashboard.ui.incident_map import build_page_map
from dashboard.ui.outlook import pack_section
from geodata.boundaries import DEFAULT_COUNTRIES
from geodata.errors import GeodataError
from incidents.auth import Permission
from incidents.errors import IncidentsError
from incidents.filtered import FilteredIncidents
from incidents.i18n import N_, _, ngettext
from incidents.i18n.formats import format_day, format_number, format_percent, format_timestamp
from incidents.query import IncidentFilter
from incidents.selection import inactive_corridor_note
from incidents.store.saved_views import SavedView, delete_view, move_view, rename_view

MAP_HEIGHT = 560
DEFAULT_REFRESH_S = 60
MIN_REFRESH_S = 10

# Widget and session keys (test contract).
KEY_PREV = "brief_prev"
KEY_NEXT = "brief_next"
KEY_REFRESH = "brief_refresh_s"
KEY_PRESENT = "brief_present"
KEY_INDEX = "brief_index"
KEY_STARTED = "brief_started_at"
KEY_MANAGE_VIEW = "brief_manage_view"
KEY_RENAME_TO = "brief_rename_to"
KEY_RENAME = "brief_rename"
KEY_UP = "brief_move_up"
KEY_DOWN = "brief_move_down"
KEY_DELETE_CONFIRM = "brief_delete_confirm"
KEY_DELETE = "brief_delete"
KEY_MESSAGE = "brief_message"
KEY_HAND_OUT = "brief_hand_out"

# Presentation mode: no sidebar or toolbar, larger text (read from the back of a room); the
# figures larger than their labels (the markdown rule would otherwise shrink them to text size).
PRESENTATION_CSS = """
<style>
section[data-testid="stSidebar"], div[data-testid="stSidebarCollapsedControl"],
button[data-testid="stExpandSidebarButton"], header[data-testid="stHeader"] { display: none !important; }
div.block-container { padding-top: 1rem; max-width: 100%; }
div[data-testid="stMarkdownContainer"] p, div[data-testid="stCaptionContainer"] { font-size: 1.3rem; }
div[data-testid="stMetric"] div[data-testid="stMetricValue"],
div[data-testid="stMetric"] div[data-testid="stMetricValue"] p {
  font-size: 4.5rem; line-height: 1.1; font-weight: 600;
}
div[data-testid="stMetric"] [data-testid="stMetricLabel"] p { font-size: 1.4rem; }
div[data-testid="stMetric"] div[data-testid="stMetricDelta"] p { font-size: 1.2rem; }
h1 { font-size: 3rem !important; }
</style>
"""
CLIENT_REFRESH_NOTE = N_(
    "Figures and map refresh every {seconds} s without reloading the page; "
    "“new incidents” counts rows of imports committed (and not undone) since this briefing started."
)


# ---- managing views ----------------------------------------------------------------------------


def _run_action(action: str) -> None:
    """Rename, move or delete the view chosen in the management table (a button callback)."""
    store = caching.get_store()
    name = st.session_state.get(KEY_MANAGE_VIEW)
    user = current_user()
    if not name or user is None:
        return
    try:
        if action == "rename":
            new = str(st.session_state.get(KEY_RENAME_TO, ""))
            rename_view(store, name, new, by=user)
            st.session_state[KEY_MANAGE_VIEW] = new.strip()
            message = _("Renamed {old} to {new}; links to the old name no longer open it.").format(
                old=repr(name), new=repr(new.strip())
            )
        elif action in ("up", "down"):
            current = next((v.position for v in _views() if v.name == name), None) or 1
            moved = move_view(store, name, current + (-1 if action == "up" else 1), by=user)
            message = _("{name} is now number {position} in the briefing.").format(
                name=repr(name), position=moved
            )
        else:
            if not st.session_state.get(KEY_DELETE_CONFIRM):
                st.session_state[KEY_MESSAGE] = ("error", _("Tick the confirmation box first."))
                return
            delete_view(store, name, by=user)
            st.session_state[KEY_DELETE_CONFIRM] = False
            st.session_state.pop(KEY_MANAGE_VIEW, None)
            message = _("Deleted the view {name}.").format(name=repr(name))
    except IncidentsError as exc:
        st.session_state[KEY_MESSAGE] = ("error", str(exc))
        return
    st.session_state[KEY_MESSAGE] = ("success", message)


def _render_management(all_views: list[SavedView]) -> None:
    link = _("Link")
    table = pd.DataFrame(
        {
            "#": [view.position for view in all_views],
            _("Name"): [view.name for view in all_views],
            _("Title"): [view.title for view in all_views],
            link: [saved_views.view_link(view.name) for view in all_views],
            _("Layers"): [", ".join(view.layers) for view in all_views],
            _("Saved by"): [view.created_by for view in all_views],
            _("Updated"): [view.updated_at for view in all_views],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            link: st.column_config.LinkColumn(link, help=_("Opens the view's filters on this page")),
        },
    )
    if not may(current_user(), Permission.EDIT_REFERENCE, _("Renaming, reordering or deleting views")):
        return
    names = [view.name for view in all_views]
    if st.session_state.get(KEY_MANAGE_VIEW) not in names:
        st.session_state.pop(KEY_MANAGE_VIEW, None)
    st.selectbox(_("View"), options=names, key=KEY_MANAGE_VIEW)
    left, right = st.columns(2)
    with left:
        st.text_input(_("New name"), key=KEY_RENAME_TO)
        st.button(_("Rename"), key=KEY_RENAME, on_click=_run_action, args=("rename",))
        up, down = st.columns(2)
        up.button(
            _("Move up"), key=KEY_UP, on_click=_run_action, args=("up",), icon=":material/arrow_upward:"
        )
        down.button(
            _("Move down"),
            key=KEY_DOWN,
            on_click=_run_action,
            args=("down",),
            icon=":material/arrow_downward:",
        )
    with right:
        confirmed = st.checkbox(_("Yes, delete this view for everyone"), key=KEY_DELETE_CONFIRM)
        st.button(_("Delete"), key=KEY_DELETE, on_click=_run_action, args=("delete",), disabled=not confirmed)
    message = st.session_state.pop(KEY_MESSAGE, None)
    if message:
        kind, text = message
        (st.success if kind == "success" else st.error)(text)


# ---- one slide --------------------------------------------------------------------------------


def _views() -> list[SavedView]:
    store = caching.get_store()
    result: list[SavedView] = caching.saved_views(caching.current_db_url(), store.data_version())
    return result


def _build_map(
    view: SavedView, chosen: IncidentFilter, incidents: FilteredIncidents, db_url: str, version: int
) -> MapBuild:
    """The view's map: its layers on its filtered incidents, built as on the Map page."""
    return build_page_map(saved_views.view_options(view), chosen, incidents, db_url, version)


def _new_since_start(db_url: str, version: int) -> int:
    """Rows of committed batches created after this briefing started."""
    started = pd.Timestamp(st.session_state[KEY_STARTED])
    batches = caching.committed_batches(db_url, version)
    return int(batches.loc[batches["created_at"] > started, "rows_accepted"].sum())


def _view_filter(
    view: SavedView, db_url: str, version: int
) -> tuple[IncidentFilter, tuple[date, date] | None]:
    """The view's filter, dates resolved, and the date range of its data sources.

    A view saved without a source choice counts real sources only once the store holds real
    data (the same default as the sidebar); presets count back from those sources' last event.
    """
    defaults = caching.source_status_cached(db_url, version).default_sources
    chosen = view.incident_filter(DEFAULT_COUNTRIES, defaults)
    data_range = caching.source_date_range(db_url, version, chosen.sources)
    return chosen.resolved(data_range), data_range


def _live(view: SavedView) -> None:
    """Figures, map and timeline of ``view``; rerun on the refresh interval."""
    _unused, db_url, version = caching.store_and_version()
    chosen, data_range = _view_filter(view, db_url, version)
    assert chosen.since is not None and chosen.until is not None
    corridors = caching.active_corridors(db_url, version)
    shown = caching.filtered_incidents(db_url, version, chosen)
    retired = inactive_corridor_note(chosen, corridors)
    if retired:
        st.warning(retired, icon="⚠️")
    figures = shown.key_figures()
    batches = caching.committed_batches(db_url, version)
    now = datetime.now().astimezone()
    new = _new_since_start(db_url, version)
    latest = format_day(data_range[1]) if data_range else _("no incidents")
    imported = (
        format_timestamp(batches["created_at"].max().tz_convert(now.tzinfo).to_pydatetime())
        if len(batches)
        else _("never")
    )
    st.markdown(
        f"**🕒 {now:%H:%M}** · "
        + _("Data as of **{day}** (latest event) · last import **{imported}**").format(
            day=latest, imported=imported
        )
        + f" · {format_day(chosen.since)} – {format_day(chosen.until)}"
    )
    st.caption(
        ngettext(
            "Updated {time} — {n} new incident since the briefing started",
            "Updated {time} — {n} new incidents since the briefing started",
            new,
        ).format(time=f"{now:%H:%M}", n=format_number(new))
    )
    cols = st.columns(3)
    cols[0].metric(_("Incidents"), format_number(figures.incidents), _delta(figures.incidents_change_pct))
    cols[1].metric(_("Fatalities"), format_number(figures.fatalities), _delta(figures.fatalities_change_pct))
    cols[2].metric(
        _("Civilian-targeting events"),
        format_number(figures.civilian_events),
        _delta(figures.civilian_events_change_pct),
    )
    components.demo_banner(shown.sources_shown(), demo_hidden=demo_hidden(db_url, version, chosen.sources))
    build = _build_map(view, chosen, shown, db_url, version)
    position = {"center": view.center, "zoom": view.zoom} if view.center and view.zoom is not None else {}
    st_folium(
        build.map,
        key=f"brief_map_{view.view_id}",
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=[],  # display only: panning must not rerun the briefing
        **position,
    )
    if build.note:
        st.caption(build.note)
    series = shown.series(freq="W", by=None, measure="incidents")
    figure = build_timeline_figure(
        series, measure="incidents", rolling_window=None, developments=None, title=_("Incidents per week")
    )
    figure.update_layout(height=220, showlegend=False, margin={"t": 40, "b": 10, "l": 10, "r": 10})
    figure.update_xaxes(rangeslider_visible=False)
    st.plotly_chart(figure, width="stretch", key="brief_timeline")


def _view_sources(view: SavedView) -> pd.DataFrame:
    """The sources of the incidents ``view`` shows now (the footer credits them)."""
    db_url = caching.current_db_url()
    version = caching.get_store().data_version()
    chosen = view.incident_filter(DEFAULT_COUNTRIES).resolved(caching.incident_date_range(db_url, version))
    return caching.filtered_incidents(db_url, version, chosen).sources_shown()


def _delta(change: float | None) -> str | None:
    if change is None:
        return None
    share = format_percent(change / 100)
    signed = share if share.startswith(("-", "\u2212")) else "+" + share
    return _("{change} vs previous period").format(change=signed)


def _step(delta: int, count: int) -> None:
    st.session_state[KEY_INDEX] = min(max(int(st.session_state.get(KEY_INDEX, 0)) + delta, 0), count - 1)


def _render_hand_out(view: SavedView) -> None:
    """PDF pack, PNG and HTML maps and the data files of this view, built on request."""
    store, db_url, version = caching.store_and_version()
    chosen, _unused = _view_filter(view, db_url, version)

    def build() -> PreparedDownloads:
        shown = caching.filtered_incidents(db_url, version, chosen)
        fmap = _build_map(view, chosen, shown, db_url, version).map
        return prepare_downloads(
            store,
            chosen,
            shown.rows(),
            fmap=fmap,
            pack_title=view.title or view.name,
            country_names=caching.country_names_cached(),
            outlook=pack_section(view, db_url, version, chosen),
        )

    render_download_panel(KEY_HAND_OUT, (view.view_id, view.updated_at, version, chosen), build)


# ---- page ---------------------------------------------------------------------------------------

st.session_state.setdefault(KEY_STARTED, datetime.now(UTC))
try:
    all_views = _views()
except IncidentsError as exc:
    components.domain_error(exc)
    st.stop()

if not all_views:
    # No presentation mode here: the message sends the user to the sidebar, which must stay visible.
    st.title(_("Briefing"))
    st.info(
        _(
            "No saved views yet. On the Map page, choose filters and layers, move the map, then use "
            "**Save this view** in the sidebar; each saved view becomes one slide here."
        ),
        icon="ℹ️",
    )
    st.stop()

wanted = st.session_state.pop(saved_views.KEY_BRIEF_VIEW, None)  # set by a ?view= link
names = [view.name for view in all_views]
if wanted in names:
    st.session_state[KEY_INDEX] = names.index(wanted)
index = min(max(int(st.session_state.get(KEY_INDEX, 0)), 0), len(all_views) - 1)
st.session_state[KEY_INDEX] = index
view = all_views[index]

present = st.toggle(
    _("Presentation mode"), value=True, key=KEY_PRESENT, help=_("Hides the sidebar; untick to navigate.")
)
if present:
    st.html(PRESENTATION_CSS)

# Wide enough for the label and its shortcut hint at 1600 px, with or without the sidebar.
nav_prev, head, nav_next = st.columns([2, 7, 2], vertical_alignment="center")
nav_prev.button(
    _("Previous"),
    key=KEY_PREV,
    help=_("Previous view (PageUp)"),
    icon=":material/chevron_left:",
    on_click=_step,
    args=(-1, len(all_views)),
    disabled=index == 0,
    shortcut="PageUp",
    width="stretch",
)
nav_next.button(
    _("Next"),
    key=KEY_NEXT,
    help=_("Next view (PageDown)"),
    icon=":material/chevron_right:",
    icon_position="right",
    on_click=_step,
    args=(1, len(all_views)),
    disabled=index == len(all_views) - 1,
    shortcut="PageDown",
    width="stretch",
)
with head:
    st.title(view.title)
    st.caption(
        _("View {number} of {count} · {name}").format(number=index + 1, count=len(all_views), name=view.name)
    )

refresh_s = int(st.session_state.get(KEY_REFRESH, DEFAULT_REFRESH_S))
try:
    st.fragment(_live, run_every=max(refresh_s, MIN_REFRESH_S))(view)
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)

with st.expander(_("Speaker notes"), expanded=False):
    st.markdown(view.notes if view.notes else _("_No notes for this view._"))

with st.expander(_("Hand-out pack"), expanded=False):
    st.caption(
        _(
            "This view's filter as files to hand out: the PDF briefing pack, the map as an image and as an "
            "offline interactive page, and the incidents. Each carries sources, licences, filters and time."
        )
    )
    try:
        _render_hand_out(view)
    except (IncidentsError, GeodataError) as exc:
        components.domain_error(exc)

with st.expander(_("Briefing settings and saved views"), expanded=False):
    st.number_input(
        _("Refresh every (seconds)"),
        min_value=MIN_REFRESH_S,
        max_value=3600,
        value=DEFAULT_REFRESH_S,
        step=10,
        key=KEY_REFRESH,
    )
    st.caption(_(CLIENT_REFRESH_NOTE).format(seconds=max(refresh_s, MIN_REFRESH_S)))
    _render_management(all_views)

try:
    components.attribution_footer(_view_sources(view))
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)
