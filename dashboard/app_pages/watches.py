"""Watches page: list, create, pause/resume/remove watches; test delivery; failed messages (admins).

The domain (:mod:`incidents.alerts`) checks every watch and who may make it; this page only
gathers the choices and shows the domain's one-sentence refusals with ``st.error``.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

from dashboard.builders import watches as wb
from dashboard.builders.markdown import escape_markdown
from dashboard.ui import caching, components
from dashboard.ui.auth import current_user, may
from incidents.alerts.outbox import FAILED, list_outbox
from incidents.alerts.runner import run_pass
from incidents.alerts.store import ACTIVE, PAUSED, add_watch, list_watches, remove_watch, set_watch_status
from incidents.alerts.watches import (
    WATCHABLE_SOURCES,
    WEEKDAYS,
    Area,
    Filters,
    Recipients,
    Watch,
    polygon_from_geojson,
)
from incidents.auth import Permission, User, can
from incidents.auth.roles import role_label
from incidents.errors import IncidentsError, WatchError
from incidents.i18n import _
from incidents.model import EVENT_TYPES
from incidents.settings import smtp_settings
from incidents.store.sites import list_sites

FLASH: Final = "watch_flash"
DELIVERY: Final = "watch_delivery_report"  # (all sent, summary) of the last Test delivery
SECRET: Final = "watch_secret_once"  # (watch name, secret), shown on the next run only
MAX_GEOJSON_BYTES: Final = 20 * 2**20


def _area(kind: str, db_url: str, version: int) -> Area | None:
    """The area the form describes; None (with a note shown) when it cannot be chosen."""
    store = caching.get_store()
    if kind in ("site", "route"):
        sites = list_sites(store)
        sites = sites[sites["kind"] == kind]
        if sites.empty:
            empty = (
                _("No sites are stored yet: add them on the Site exposure page.")
                if kind == "site"
                else _("No routes are stored yet: add them on the Site exposure page.")
            )
            st.info(empty, icon="ℹ️")
            return None
        labels = dict(zip(sites["site_id"].astype(str), sites["name"].astype(str), strict=True))
        # "Watch this site / route" links (Site exposure page) choose it; an unknown id is ignored.
        wanted = st.query_params.get(wb.PREFILL_SITE, "")
        site_id = st.selectbox(
            _("Site") if kind == "site" else _("Route"),
            list(labels),
            index=list(labels).index(wanted) if wanted in labels else 0,
            format_func=labels.__getitem__,
            key="watch_site",
        )
        what = _("Radius (km)") if kind == "site" else _("Buffer either side (km)")
        radius = st.number_input(what, min_value=0.0, value=25.0, step=5.0, key="watch_radius")
        return wb.site_area(sites, str(site_id), float(radius))
    if kind == "admin":
        chosen: dict[str, tuple[str, ...]] = {}
        units = (
            ("admin1", _("Admin-1 units"), caching.admin1_options(), wb.PREFILL_ADMIN1),
            ("admin2", _("Admin-2 units"), caching.admin2_options(), wb.PREFILL_ADMIN2),
        )
        for column, (level, label, options, param) in zip(st.columns(2), units, strict=True):
            # "Watch this region" links (Risk page) pre-fill the units; unknown codes are dropped.
            prefill = [code for code in st.query_params.get_all(param) if code in options]
            picked = column.multiselect(
                label,
                list(options),
                default=prefill,
                format_func=options.__getitem__,
                key=f"watch_{level}",
                placeholder=_("Choose options"),
            )
            chosen[level] = tuple(picked)
        return Area(kind="admin", admin1=chosen["admin1"], admin2=chosen["admin2"])
    if kind == "corridor":
        corridors = caching.corridor_names(db_url, version)
        if not corridors:
            st.info(_("No active corridors are stored: add them on the Corridors page."), icon="ℹ️")
            return None
        corridor = st.selectbox(
            _("Corridor"),
            list(corridors),
            format_func=lambda cid: f"{corridors[cid]} ({cid})",
            key="watch_corridor",
        )
        buffer = st.number_input(
            _("Buffer either side (km)"), min_value=0.0, value=10.0, step=5.0, key="watch_buffer"
        )
        return Area(kind="corridor", corridor_id=str(corridor), radius_km=float(buffer))
    upload = st.file_uploader(_("GeoJSON polygon"), type=["geojson", "json"], key="watch_polygon")
    if upload is None:
        st.caption(_("Upload a GeoJSON file of one or more polygons (WGS84 longitude/latitude)."))
        return None
    if upload.size > MAX_GEOJSON_BYTES:
        raise WatchError(
            _("{file} is larger than {mb} MB").format(file=upload.name, mb=MAX_GEOJSON_BYTES // 2**20)
        )
    return Area(
        kind="polygon", label=upload.name, geometry_wkt=polygon_from_geojson(upload.getvalue(), upload.name)
    )


def _prefilled_site_kind() -> str | None:
    """ "site" or "route" when a "Watch this site / route" link names a stored one."""
    wanted = st.query_params.get(wb.PREFILL_SITE)
    if not wanted:
        return None
    sites = list_sites(caching.get_store())
    kinds = sites.loc[sites["site_id"].astype(str) == wanted, "kind"]
    return str(kinds.iloc[0]) if len(kinds) else None


def _create_section(user: User, db_url: str, version: int) -> None:
    st.subheader(_("New watch"))
    for_others = can(user, Permission.WATCH_ANY)
    if not for_others:
        st.caption(
            _(
                "As a {role} you may watch for yourself: your own inbox and your account's e-mail address."
            ).format(role=role_label(user.role))
        )
    name = st.text_input(_("Name"), key="watch_name", max_chars=120, placeholder=_("Mopti office, 25 km"))
    prefilled = st.query_params.get(wb.PREFILL_ADMIN1) or st.query_params.get(wb.PREFILL_ADMIN2)
    default_kind = "admin" if prefilled else _prefilled_site_kind() or "site"
    kind = st.radio(
        _("Area"),
        list(wb.AREA_CHOICES),
        index=list(wb.AREA_CHOICES).index(default_kind),
        format_func=wb.AREA_CHOICES.__getitem__,
        horizontal=True,
        key="watch_kind",
    )
    try:
        area = _area(str(kind), db_url, version)
    except WatchError as exc:
        components.domain_error(exc)
        area = None
    with st.expander(_("Filters (empty: every incident in the area)"), key="watch_filters"):
        left, right = st.columns(2)
        types = left.multiselect(
            _("Event types"),
            list(EVENT_TYPES),
            format_func=wb.event_type_label,
            key="watch_types",
            placeholder=_("Choose options"),
        )
        sources = right.multiselect(
            _("Data sources"), list(WATCHABLE_SOURCES), key="watch_sources", placeholder=_("Choose options")
        )
        minimum = left.number_input(
            _("Minimum fatalities"), min_value=0, value=0, step=1, key="watch_min_fatalities"
        )
        actor = right.text_input(_("Actor name contains"), key="watch_actor", max_chars=200)
    st.markdown(_("**Recipients**"))
    left, right = st.columns(2)
    inbox_users = left.text_input(
        _("In-app inboxes (account names, comma-separated)"),
        value=user.name,
        key="watch_users",
        disabled=not for_others,
    )
    emails = right.text_input(_("E-mail addresses (comma-separated)"), key="watch_emails")
    webhooks = (
        st.text_area(_("Webhook URLs (one per line, http:// or https://)"), key="watch_webhooks", height=68)
        if for_others
        else ""
    )
    left, middle, right = st.columns(3)
    mode = left.selectbox(
        _("Delivery"),
        ["immediate", "daily", "weekly"],
        format_func=wb.DELIVERY_CHOICES.__getitem__,
        key="watch_mode",
    )
    time = middle.text_input(
        _("Time (HH:MM, UTC)"), value="07:00", key="watch_time", disabled=mode == "immediate"
    )
    weekday = right.selectbox(
        _("Day"), list(WEEKDAYS), format_func=wb.weekday_label, key="watch_day", disabled=mode != "weekly"
    )
    if not st.button(_("Create watch"), key="watch_create", type="primary", disabled=area is None):
        return
    assert area is not None
    watch = Watch(
        name=name,
        area=area,
        filters=Filters(
            event_types=tuple(types), min_fatalities=int(minimum), actor_text=actor, sources=tuple(sources)
        ),
        recipients=Recipients(
            users=wb.split_list(inbox_users if for_others else user.name),
            emails=wb.split_list(emails),
            webhooks=wb.split_list(webhooks),
        ),
        delivery=wb.delivery_text(str(mode), time.strip(), str(weekday)),
    )
    try:
        created = add_watch(caching.get_store(), watch, by=user)
    except IncidentsError as exc:
        st.error(
            _("The watch was not created: {reason}.").format(reason=escape_markdown(str(exc))), icon="🚫"
        )
        return
    st.session_state[FLASH] = _("Watch “{name}” created: {area}.").format(
        name=escape_markdown(created.stored.name), area=escape_markdown(created.stored.watch.describe_area())
    )
    if created.webhook_secret:
        st.session_state[SECRET] = (created.stored.name, created.webhook_secret)
    st.rerun()


def _list_section(user: User) -> None:
    st.subheader(_("Watches"))
    watches = list_watches(caching.get_store())
    if not watches:
        st.info(_("No watches yet: create one below."), icon="ℹ️")
        return
    st.dataframe(wb.watch_table(watches), hide_index=True, width="stretch")
    mine = [w for w in watches if can(user, Permission.WATCH_ANY) or w.owner == user.name]
    if not mine:
        return
    left, middle, right = st.columns([3, 1, 1], vertical_alignment="bottom")
    chosen = left.selectbox(_("Watch"), [w.name for w in mine], key="watch_pick")
    stored = next(w for w in mine if w.name == chosen)
    toggle = PAUSED if stored.status == ACTIVE else ACTIVE
    shown_name = escape_markdown(stored.name)
    label = _("Pause") if toggle == PAUSED else _("Resume")
    if middle.button(label, key="watch_toggle", width="stretch"):
        components.write_then_rerun(
            lambda: set_watch_status(caching.get_store(), stored.name, toggle, by=user),
            lambda _v: (
                _("Watch “{name}” paused.") if toggle == PAUSED else _("Watch “{name}” resumed.")
            ).format(name=shown_name),
            flash_key=FLASH,
        )
    if right.button(_("Remove"), key="watch_remove", width="stretch"):
        components.write_then_rerun(
            lambda: remove_watch(caching.get_store(), stored.name, by=user),
            lambda _v: _("Watch “{name}” removed (its history stays in the audit log).").format(
                name=shown_name
            ),
            flash_key=FLASH,
        )


def _delivery_section(user: User) -> None:
    st.subheader(_("Delivery"))
    st.caption(
        _(
            "Alerts are matched and delivered by `python -m incidents alerts run` (a timer; see "
            "docs/deploy.md). Test delivery runs one such pass now: match new imports, queue due alerts, "
            "send the outbox."
        )
    )
    if st.button(_("Test delivery"), key="watch_test_delivery", icon=":material/send:"):
        try:
            report = run_pass(caching.get_store(), smtp=smtp_settings())
        except IncidentsError as exc:
            components.domain_error(exc)
        else:  # rerun: the sidebar's unread count, drawn before the page, then includes this pass
            clean = not report.delivery.failed and not report.delivery.retried
            st.session_state[DELIVERY] = (
                clean,
                _("One pass done: {summary}.").format(summary=report.summary()),
            )
            st.rerun()
    if DELIVERY in st.session_state:
        clean, text = st.session_state.pop(DELIVERY)
        (st.success if clean else st.warning)(text)
    if not can(user, Permission.MANAGE_ACCOUNTS):
        return
    failed = list_outbox(caching.get_store(), status=FAILED)
    if failed.empty:
        st.caption(_("No failed messages."))
        return
    st.markdown(_("**Failed messages** ({n}): given up after retries").format(n=len(failed)))
    st.dataframe(
        wb.failed_table(failed),
        hide_index=True,
        width="stretch",
        column_config={_("Queued"): st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm [UTC]")},
    )


st.title(_("Watches"))
st.caption(
    _(
        "What this shows: the areas watched for new incidents and who is told (in-app inbox, e-mail, "
        "webhook), how, and when. Every import is matched against every active watch."
    )
)
user = current_user()
if user is None:
    st.stop()
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))
if SECRET in st.session_state:
    watch_name, secret = st.session_state.pop(SECRET)
    st.warning(
        _(
            "Webhook signing secret of “{name}”. Copy it to the receiver now: it will not be shown again."
        ).format(name=escape_markdown(watch_name)),
        icon="🔑",
    )
    st.code(secret, language=None)
_store, db_url, version = caching.store_and_version()
try:
    _list_section(user)
    st.divider()
    if may(user, Permission.WATCH_OWN, _("Creating a watch")):
        _create_section(user, db_url, version)
    st.divider()
    _delivery_section(user)
except IncidentsError as exc:
    components.domain_error(exc)
