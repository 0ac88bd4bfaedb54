"""Small reusable UI pieces: demo banner, empty state, data dates, attribution footer, domain errors.

Kept together so every page says the same thing the same way (docs/architecture.md, 'Demo data': the UI says
demo rows are synthetic on every view that shows them).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

import pandas as pd
import streamlit as st

from dashboard.builders.attribution import DEMO_NOTICE, footer_text, shown_credits
from dashboard.builders.charts import build_unit_trend_figure
from dashboard.builders.tables import to_csv_bytes
from geodata.errors import GeodataError
from incidents.alerts.outbox import inbox, unread_count
from incidents.auth import User
from incidents.credits import SourceCredit
from incidents.errors import IncidentsError, SettingError
from incidents.freshness import Freshness, freshness
from incidents.i18n import N_, _, ngettext
from incidents.settings import DEFAULT_STALE_AFTER_DAYS, stale_after_days

DomainError = IncidentsError | GeodataError
Written = TypeVar("Written")


def has_demo_rows(incidents: pd.DataFrame) -> bool:
    """True when any shown row is synthetic (``source_dataset == "demo"``)."""
    return bool(len(incidents)) and bool((incidents["source_dataset"] == "demo").any())


#: How to get rid of the demo, the same words on every page and in the docs (translated where shown).
DEMO_REMOVE_HOW = N_(
    "Remove them with `python -m incidents demo --remove` or, as an admin, the *Remove the demo data* "
    "button on the Import incidents page."
)
DEMO_HIDDEN_CAPTION = N_(
    "Synthetic demo rows are hidden: this view counts real data only. To show them, add "
    "*Synthetic demo* under *Data sources* in the sidebar (More filters)."
)


def demo_banner(incidents: pd.DataFrame, *, demo_hidden: bool = False) -> bool:
    """The page's one word on the demo; return whether the synthetic-data warning was shown.

    A warning when any shown row is synthetic (what they are, how to remove them); else,
    when the data-source selection hides stored demo rows (``demo_hidden``), a short caption
    saying so and how to show or remove them. Call it once per page.
    """
    if has_demo_rows(incidents):
        st.warning(
            _(
                "**{notice}.** The incidents marked *demo* were generated to show how the dashboard "
                "works; they are not real events. Import real data (ACLED, UCDP or your own): once it is "
                "stored, demo rows are left out by default. {remove_how}"
            ).format(notice=_(DEMO_NOTICE), remove_how=_(DEMO_REMOVE_HOW)),
            icon="⚠️",
        )
        return True
    if demo_hidden:
        st.caption(f"{_(DEMO_HIDDEN_CAPTION)} {_(DEMO_REMOVE_HOW)}")
    return False


MAP_EMPTY_NOTE = N_("the map shows the boundaries only.")


def empty_state(
    countries: tuple[str, ...], country_names: dict[str, str], *, note: str = MAP_EMPTY_NOTE
) -> None:
    """Explain why nothing is shown and what to change, instead of an empty or broken view.

    ``note`` ends the message with what the page still shows (pages without a map pass ""); it
    is translated here, so pages may pass an ``N_``-marked constant.
    """
    if not countries:
        st.info(_("Choose at least one country in the sidebar to show incidents."), icon="ℹ️")
        return
    names = ", ".join(country_names.get(c, c) for c in countries)
    if note:
        message = _(
            "No incidents match these filters ({countries}, in the chosen dates). "
            "Widen the date range or pick other countries in the sidebar; {note}"
        ).format(countries=names, note=_(note))
    else:
        message = _(
            "No incidents match these filters ({countries}, in the chosen dates). "
            "Widen the date range or pick other countries in the sidebar."
        ).format(countries=names)
    st.info(message, icon="ℹ️")


def attribution_footer(shown: pd.DataFrame | None = None) -> None:
    """Sources and licences under every page (the licences ask for it).

    ``shown``: the incidents the page shows; their sources are credited (ACLED, UCDP with its
    version, own files, demo) and no other incident source is. Boundaries and places always are.
    """
    st.divider()
    st.caption(footer_text(credits_of(shown) if shown is not None else ()))


def credits_of(shown: pd.DataFrame) -> tuple[SourceCredit, ...]:
    """Credits of the incident sources among ``shown``, naming the store's files and UCDP versions."""
    from dashboard.ui import caching  # local: components stays importable without a store

    try:
        batches = caching.batches_table(caching.current_db_url(), caching.get_store().data_version())
    except IncidentsError:
        batches = None  # the page has shown the store's error; credit the sources without files
    return shown_credits(shown, batches)


def page_freshness(today: date | None = None) -> Freshness | None:
    """How current the store's incidents are (``None`` when the store cannot be read: the page says why).

    ``today`` defaults to the server's date. A bad ``SAHEL_STALE_AFTER_DAYS`` is reported
    with ``st.error`` and the default is used.
    """
    from dashboard.ui import caching  # local: components stays importable without a store

    try:
        days = stale_after_days()
    except SettingError as exc:
        domain_error(exc)
        days = DEFAULT_STALE_AFTER_DAYS
    try:
        db_url = caching.current_db_url()
        version = caching.get_store().data_version()
        # Dated by the rows pages show by default: real sources only once real rows exist.
        sources = caching.source_status_cached(db_url, version).default_sources
        data_range = caching.source_date_range(db_url, version, sources)
        batches = caching.batches_table(db_url, version)
    except (IncidentsError, GeodataError):
        return None
    newest = data_range[1] if data_range else None
    return freshness(newest, batches, today=today or date.today(), stale_after_days=days)


def data_dates_header(today: date | None = None) -> Freshness | None:
    """Show "data as of" and "last import" at the top of every page, and a warning when the data are old.

    The app calls it once per run before the page (dashboard/app.py), so every page has it.
    """
    fresh = page_freshness(today)
    if fresh is None:
        return None
    st.caption(fresh.summary())
    warning = fresh.warning()
    if warning:
        st.warning(warning, icon="⏳")
    return fresh


def inbox_badge(user: User | None) -> int:
    """Sidebar line on every page: the user's unread in-app alerts.

    One count query per run, on the outbox's status index: cheap enough to need no cache.
    """
    if user is None:
        return 0
    from dashboard.ui import caching  # local: components stays importable without a store

    try:
        unread = unread_count(caching.get_store(), user.name)
    except IncidentsError:
        return 0  # the page itself reports a store problem
    if unread:
        line = ngettext(
            "**{count} unread alert** in your Inbox", "**{count} unread alerts** in your Inbox", unread
        ).format(count=unread)
        st.sidebar.markdown(f":small[:material/notifications: {line}]")
    else:  # markdown, not a caption: a page's last caption is its attribution footer
        none = _("No unread alerts")
        st.sidebar.markdown(f":small[:gray[:material/notifications_none: {none}]]")
    return unread


def since_last_visit() -> int:
    """Overview: "Since your last visit: N new incidents in your watches".

    "Your last visit" is when you last read your inbox: N counts the distinct incidents of your
    unread in-app alerts (kept in the store, so it survives sign-out and works across browsers).
    """
    from dashboard.builders.watches import unread_incidents
    from dashboard.ui import caching
    from dashboard.ui.auth import current_user

    user = current_user()
    if user is None:
        return 0
    try:
        messages = inbox(caching.get_store(), user.name)
    except IncidentsError:
        return 0
    count = unread_incidents(messages)
    if count:
        st.info(
            ngettext(
                "Since your last visit: **{count} new incident** in your watches (see the Inbox).",
                "Since your last visit: **{count} new incidents** in your watches (see the Inbox).",
                count,
            ).format(count=count),
            icon=":material/notifications_active:",
        )
    return count


def domain_error(exc: DomainError) -> None:
    """One clear sentence for a data or store problem; never a traceback."""
    st.error(f"{exc}", icon="🚫")


def write_then_rerun(write: Callable[[], Written], done: Callable[[Written], str], *, flash_key: str) -> None:
    """Run a store write a form asked for: a domain error is shown where the form is; on success
    the page reruns (fresh data) and shows ``done``'s sentence from ``st.session_state[flash_key]``."""
    try:
        written = write()
    except IncidentsError as exc:
        domain_error(exc)
    else:
        st.session_state[flash_key] = done(written)
        st.rerun()


def csv_download(label: str, table: pd.DataFrame, file_name: str, key: str) -> None:
    """A button that downloads ``table`` as a formula-safe UTF-8 CSV named ``file_name``."""
    st.download_button(label, data=to_csv_bytes(table), file_name=file_name, mime="text/csv", key=key)


def trend_chart(trend: pd.DataFrame, title: str, key: str) -> None:
    """A unit's incidents and fatalities per period (:func:`build_unit_trend_figure`), full width."""
    st.plotly_chart(build_unit_trend_figure(trend, title), width="stretch", key=key)
