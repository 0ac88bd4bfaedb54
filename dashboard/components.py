"""Small reusable UI pieces: demo banner, empty state, data dates, attribution footer, domain errors.

Kept together so every page says the same thing the same way (DESIGN.md §5: the UI says
demo rows are synthetic on every view that shows them).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard.attribution import DEMO_NOTICE, footer_text, shown_credits
from geodata.errors import GeodataError
from incidents.credits import SourceCredit
from incidents.errors import IncidentsError
from incidents.freshness import Freshness, freshness
from incidents.settings import DEFAULT_STALE_AFTER_DAYS, SettingError, stale_after_days

DomainError = IncidentsError | GeodataError


def has_demo_rows(incidents: pd.DataFrame) -> bool:
    """True when any shown row is synthetic (``source_dataset == "demo"``)."""
    return bool(len(incidents)) and bool((incidents["source_dataset"] == "demo").any())


def demo_banner(incidents: pd.DataFrame) -> bool:
    """Show the synthetic-data warning when demo rows are shown; return whether it was shown."""
    if not has_demo_rows(incidents):
        return False
    st.warning(
        f"**{DEMO_NOTICE}.** The incidents marked *demo* were generated to show how the dashboard "
        "works. Import real data (ACLED, UCDP or your own) to replace them.",
        icon="⚠️",
    )
    return True


MAP_EMPTY_NOTE = "the map shows the boundaries only."


def empty_state(
    countries: tuple[str, ...], country_names: dict[str, str], *, note: str = MAP_EMPTY_NOTE
) -> None:
    """Explain why nothing is shown and what to change, instead of an empty or broken view.

    ``note`` ends the message with what the page still shows (pages without a map pass "").
    """
    if not countries:
        st.info("Choose at least one country in the sidebar to show incidents.", icon="ℹ️")
        return
    names = ", ".join(country_names.get(c, c) for c in countries)
    ending = f"; {note}" if note else "."
    st.info(
        f"No incidents match these filters ({names}, in the chosen dates). "
        f"Widen the date range or pick other countries in the sidebar{ending}",
        icon="ℹ️",
    )


def attribution_footer(shown: pd.DataFrame | None = None) -> None:
    """Sources and licences under every page (the licences ask for it).

    ``shown``: the incidents the page shows; their sources are credited (ACLED, UCDP with its
    version, own files, demo) and no other incident source is. Boundaries and places always are.
    """
    st.divider()
    st.caption(footer_text(credits_of(shown) if shown is not None else ()))


def credits_of(shown: pd.DataFrame) -> tuple[SourceCredit, ...]:
    """Credits of the incident sources among ``shown``, naming the store's files and UCDP versions."""
    from dashboard import caching  # local: components stays importable without a store

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
    from dashboard import caching  # local: components stays importable without a store

    try:
        days = stale_after_days()
    except SettingError as exc:
        domain_error(exc)
        days = DEFAULT_STALE_AFTER_DAYS
    try:
        db_url = caching.current_db_url()
        version = caching.get_store().data_version()
        data_range = caching.incident_date_range(db_url, version)
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


def domain_error(exc: DomainError) -> None:
    """One clear sentence for a data or store problem; never a traceback."""
    st.error(f"{exc}", icon="🚫")
