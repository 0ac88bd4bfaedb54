"""Site exposure page: the organisation's sites and routes rated against recent incidents.

Analysts upload a sites/routes file (preview and issues first, then one stored batch) or
add a site by hand; the page shows each site's exposure table (downloadable, formula-safe)
and a map of the sites with their 10/25/50 km rings over the incidents of the last 90
days. Figures use the whole store, not the sidebar filters of the other pages: a site's
exposure must not change because another country was filtered out.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.builders import tables
from dashboard.builders.map_sites import add_site_layers
from dashboard.builders.maps import build_incident_map_with_info
from dashboard.builders.watches import PREFILL_SITE
from dashboard.ui import caching, components
from dashboard.ui.auth import current_user, may
from dashboard.ui.context import demo_hidden, selected_sources
from geodata.errors import GeodataError
from incidents.auth import Permission, User
from incidents.errors import IncidentsError
from incidents.i18n import N_, _, ngettext
from incidents.i18n.formats import format_day
from incidents.risk.exposure import EXPOSURE_RATINGS, RADII_KM, WINDOWS_DAYS, display_exposure, rating_label
from incidents.settings import MAP_MAX_POINTS
from incidents.sites import SiteRead, read_sites, site_from_values
from incidents.store.sites import add_sites_batch

# Widget and session keys (part of the test contract).
KEY_AS_OF = "exposure_as_of"
KEY_UPLOAD = "exposure_upload"
KEY_PENDING = "exposure_pending"
KEY_CONFIRM = "exposure_confirm"
KEY_DISCARD = "exposure_discard"
KEY_FORM = "exposure_form"
KEY_NAME = "exposure_name"
KEY_TYPE = "exposure_type"
KEY_LAT = "exposure_lat"
KEY_LON = "exposure_lon"
KEY_ADD = "exposure_add"
KEY_MESSAGE = "exposure_message"
KEY_DOWNLOAD = "exposure_download"
KEY_WATCH_SITE = "exposure_watch_site"
KEY_MAP = "exposure_map"
MAP_HEIGHT = 560
#: Incidents drawn on the map: within this many degrees of the sites' bounding box.
MAP_MARGIN_DEG = 1.0
EMPTY_MESSAGE = N_("No sites yet: upload a sites or routes file, or add a site by hand above.")


def _as_of(data_range: tuple[date, date] | None) -> date:
    default = data_range[1] if data_range is not None else date.today()
    return st.date_input(
        _("As of (last day of the 7 / 30 / 90-day windows)"),
        value=default,
        key=KEY_AS_OF,
        help=_("Defaults to the latest event date in the store: counts then reflect the newest data."),
    )


def _store_sites(
    read: SiteRead | None, frame: pd.DataFrame, *, file_name: str, sha256: str, user: User
) -> bool:
    """Store the sites as ``user``; False (with the reason shown) when refused or failed."""
    try:
        batch_id = add_sites_batch(
            caching.get_store(),
            frame,
            file_name=file_name,
            sha256=sha256,
            by=user,
            rows_read=read.rows_read if read is not None else len(frame),
            rows_rejected=read.rows_rejected if read is not None else 0,
        )
    except IncidentsError as exc:
        components.domain_error(exc)
        return False
    st.session_state[KEY_MESSAGE] = ngettext(
        "Stored {count} site/route from {file} as batch {batch} "
        "(undo it from the Import page or with `python -m incidents undo`).",
        "Stored {count} sites/routes from {file} as batch {batch} "
        "(undo it from the Import page or with `python -m incidents undo`).",
        len(frame),
    ).format(count=len(frame), file=file_name, batch=batch_id)
    return True


def _upload_section(user: User) -> None:
    uploaded = st.file_uploader(
        _("Sites (CSV/XLSX: name, type, lat, lon), routes (CSV: route, seq, lat, lon) or GeoJSON lines"),
        type=["csv", "xlsx", "geojson", "json"],
        key=KEY_UPLOAD,
    )
    if uploaded is not None:
        pending = st.session_state.get(KEY_PENDING)
        if not isinstance(pending, SiteRead) or pending.file_name != uploaded.name:
            try:
                st.session_state[KEY_PENDING] = read_sites(uploaded.getvalue(), file_name=uploaded.name)
            except IncidentsError as exc:
                st.session_state.pop(KEY_PENDING, None)
                components.domain_error(exc)
    pending = st.session_state.get(KEY_PENDING)
    if not isinstance(pending, SiteRead):
        return
    st.markdown(
        _("**{file}** ({layout}): {accepted} accepted, {rejected} rejected of {read} read.").format(
            file=pending.file_name,
            layout=pending.layout,
            accepted=len(pending.frame),
            rejected=pending.rows_rejected,
            read=pending.rows_read,
        )
    )
    st.dataframe(
        tables.display_columns(pending.frame.drop(columns=["geometry_wkt"])), hide_index=True, width="stretch"
    )
    if pending.issues:
        st.markdown(_("**Issues** (rows with an error are left out; warnings keep the row)"))
        st.dataframe(tables.display_columns(pending.issues_frame()), hide_index=True, width="stretch")
    left, right = st.columns(2)
    confirm = left.button(
        _("Store these sites"), key=KEY_CONFIRM, type="primary", disabled=pending.frame.empty, width="stretch"
    )
    if right.button(_("Discard"), key=KEY_DISCARD, width="stretch"):
        st.session_state.pop(KEY_PENDING, None)
        st.rerun()
    if confirm and _store_sites(
        pending, pending.frame, file_name=pending.file_name, sha256=pending.sha256, user=user
    ):
        st.session_state.pop(KEY_PENDING, None)
        st.rerun()


def _form_section(user: User) -> None:
    with st.form(KEY_FORM, clear_on_submit=True):
        name = st.text_input(_("Name"), key=KEY_NAME, max_chars=200)
        site_type = st.text_input(_("Type (office, camp, mine, warehouse…)"), key=KEY_TYPE, max_chars=100)
        left, right = st.columns(2)
        lat = left.number_input(
            _("Latitude"), min_value=-90.0, max_value=90.0, value=None, format="%.5f", key=KEY_LAT
        )
        lon = right.number_input(
            _("Longitude"), min_value=-180.0, max_value=180.0, value=None, format="%.5f", key=KEY_LON
        )
        submitted = st.form_submit_button(_("Add site"), key=KEY_ADD)
    if not submitted:
        return
    if lat is None or lon is None:
        st.error(
            _("Enter both a latitude and a longitude (decimal degrees, e.g. 14.49 and -4.19)."), icon="🚫"
        )
        return
    try:
        frame = site_from_values(name, site_type, lat, lon)
    except ValueError as exc:
        st.error(_("The site was not added: {problem}.").format(problem=exc), icon="🚫")
        return
    digest = hashlib.sha256(
        f"{frame.at[0, 'name']}|{frame.at[0, 'site_type']}|{lat}|{lon}".encode()
    ).hexdigest()
    if _store_sites(None, frame, file_name="entered by hand", sha256=digest, user=user):
        st.rerun()


def _map(
    sites: pd.DataFrame, table: pd.DataFrame, frame: pd.DataFrame, as_of: date, db_url: str, version: int
) -> None:
    first = pd.Timestamp(as_of - timedelta(days=max(WINDOWS_DAYS) - 1))
    dates = frame["event_date"]
    near = (
        (dates >= first)
        & (dates <= pd.Timestamp(as_of))
        & frame["longitude"].between(
            sites["longitude"].min() - MAP_MARGIN_DEG, sites["longitude"].max() + MAP_MARGIN_DEG
        )
        & frame["latitude"].between(
            sites["latitude"].min() - MAP_MARGIN_DEG, sites["latitude"].max() + MAP_MARGIN_DEG
        )
    )
    admin0, admin1 = caching.map_boundaries()
    build = build_incident_map_with_info(
        frame[near],
        admin0=admin0,
        admin1=admin1,
        corridors=caching.map_corridors(db_url, version),
        max_points=MAP_MAX_POINTS,
        add_layers=lambda m: add_site_layers(m, sites, table),
        credits=components.credits_of(frame[near]),
    )
    st_folium(build.map, key=KEY_MAP, height=MAP_HEIGHT, use_container_width=True, returned_objects=[])
    st.caption(
        _(
            "Incidents of the {days} days to {day} near the sites; dashed rings at {radii} km (bands along "
            "routes). Click a site for its figures."
        ).format(days=max(WINDOWS_DAYS), day=format_day(as_of), radii=" / ".join(str(r) for r in RADII_KM))
    )
    if build.note:
        st.info(build.note, icon="ℹ️")


st.title(_("Site exposure"))
st.caption(
    _(
        "How exposed each of your sites and routes is: incidents within 10 / 25 / 50 km over the last "
        "7 / 30 / 90 days, the nearest corridor, the risk level of its district (admin-2), and an "
        "exposure rating ({ratings}); see docs/methodology.md, “Site exposure”."
    ).format(ratings=" / ".join(rating_label(rating) for rating in EXPOSURE_RATINGS))
)

try:
    _store, db_url, version = caching.store_and_version()
    sources = selected_sources(db_url, version)  # the sidebar's data sources: real only by default
    data_range = caching.source_date_range(db_url, version, sources)
    frame = caching.source_frame(db_url, version, sources)
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)
    st.stop()

as_of = _as_of(data_range)
components.demo_banner(frame, demo_hidden=demo_hidden(db_url, version, sources))
message = st.session_state.pop(KEY_MESSAGE, None)
if message:
    st.success(message, icon="✅")

user = current_user()
if user is not None and may(user, Permission.EDIT_REFERENCE, _("Adding sites and routes")):
    upload_tab, form_tab = st.tabs([_("Upload sites or routes"), _("Add a site by hand")])
    with upload_tab:
        _upload_section(user)
    with form_tab:
        _form_section(user)

try:
    sites = caching.sites_table(db_url, version)
    table = caching.site_exposure_cached(db_url, version, as_of, sources) if len(sites) else None
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)
    st.stop()

st.subheader(_("Exposure"))
if table is None:
    st.info(_(EMPTY_MESSAGE), icon="ℹ️")
else:
    st.caption(
        ngettext(
            "{count} site/route, as of {day}, against every stored incident of the chosen data sources.",
            "{count} sites/routes, as of {day}, against every stored incident of the chosen data sources.",
            len(table),
        ).format(count=len(table), day=format_day(as_of))
    )
    st.dataframe(tables.display_columns(display_exposure(table)), hide_index=True, width="stretch")
    components.csv_download(
        _("Download the exposure table (CSV)"),
        table.astype({"exposure_rating": "string"}),
        file_name=f"site_exposure_{as_of.isoformat()}.csv",
        key=KEY_DOWNLOAD,
    )
    # "Watch this site / route": the Watches page opens on it (alerts when new incidents come near).
    watch_labels = dict(zip(table["site_id"].astype(str), table["name"].astype(str), strict=True))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    to_watch = left.selectbox(
        _("Watch a site or route"),
        list(watch_labels),
        format_func=watch_labels.__getitem__,
        key=KEY_WATCH_SITE,
        help=_(
            "Opens the Watches page with this site or route chosen: you set the distance and who is told "
            "when new incidents are imported near it."
        ),
    )
    if to_watch is not None:
        right.page_link(
            "app_pages/watches.py",
            label=_("Watch this site / route"),
            icon=":material/notifications_active:",
            query_params={PREFILL_SITE: str(to_watch)},
        )
    try:
        _map(sites, table, frame, as_of, db_url, version)
    except (IncidentsError, GeodataError) as exc:
        components.domain_error(exc)

components.attribution_footer(frame)
