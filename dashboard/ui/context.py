"""What every analysis page starts from: the store, the filter, and the filtered incidents.

Pages call :func:`load_page_data` once; it draws the shared sidebar filters and returns
the filtered incidents as a :class:`incidents.filtered.FilteredIncidents`: figures from the
shared in-memory rows (SQLite) or from the database (PostgreSQL), the same either way
(``caching.filtered_incidents``). Pages ask it for their figures and read ``incidents`` (every
matching row) only when they draw each point.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from dashboard.ui import caching, components
from dashboard.ui.filters import FilterOptions, current_filter, render_filters
from geodata.boundaries import DEFAULT_COUNTRIES
from geodata.errors import GeodataError
from incidents.errors import IncidentsError
from incidents.filtered import FilteredIncidents
from incidents.i18n import _
from incidents.query import IncidentFilter
from incidents.selection import apply_filter
from incidents.sources import SourceStatus
from incidents.store import IncidentStore

__all__ = [
    "PageData",
    "apply_filter",
    "demo_hidden",
    "load_analysis_page_data",
    "load_page_data",
    "load_page_data_and_developments",
    "selected_sources",
]


@dataclass(frozen=True)
class PageData:
    store: IncidentStore
    db_url: str
    data_version: int
    country_names: dict[str, str]
    data_range: tuple[date, date] | None
    filter: IncidentFilter  # dates resolved
    view: FilteredIncidents  # the filtered incidents: figures, and rows on demand
    sources: SourceStatus  # real rows stored? demo rows? (the banner and the default sources)

    @property
    def incidents(self) -> pd.DataFrame:
        """Every matching row's analysis columns: read from the database on demand when it answers."""
        return self.view.rows()

    @property
    def shown_sources(self) -> pd.DataFrame:
        """The sources of the rows shown (the demo notice and the credits), without reading every row."""
        return self.view.sources_shown()

    @property
    def empty(self) -> bool:
        return self.view.count == 0

    @property
    def analysis(self) -> pd.DataFrame:
        """Every incident of the selected data sources, all countries and dates (whole-area analytics)."""
        return caching.source_frame(self.db_url, self.data_version, self.filter.sources)

    @property
    def demo_hidden(self) -> bool:
        """The store holds demo rows that the data-source selection leaves out."""
        return self.sources.hides_demo(self.filter.sources)


def load_page_data_and_developments() -> tuple[PageData, pd.DataFrame]:
    """:func:`load_page_data` and the key developments; on a domain error, say it and stop the page."""
    try:
        return load_page_data(), caching.key_developments()
    except (IncidentsError, GeodataError) as exc:
        components.domain_error(exc)
        st.stop()


def load_analysis_page_data() -> PageData:
    """:func:`load_page_data` for a page analysing the whole store (Risk levels, Outlook): on a
    domain error, or with no incident stored, say so and stop the page."""
    try:
        data = load_page_data()
    except (IncidentsError, GeodataError) as exc:
        components.domain_error(exc)
        st.stop()
    if data.data_range is None:
        st.info(_("The store holds no incidents yet: import a file on the Import page."), icon="ℹ️")
        st.stop()
    return data


def load_page_data() -> PageData:
    """Open the store, draw the sidebar filters, and filter the cached incidents.

    The corridor filter offers, and measures against, the store's active corridors. The data
    sources default to the real ones once the store holds real data; dates (presets, the
    store's range) count from the selected sources' incidents.
    """
    store = caching.get_store()
    db_url = caching.current_db_url()
    version = store.data_version()
    names = caching.country_names_cached()
    status = caching.source_status_cached(db_url, version)
    defaults = status.default_sources
    before = current_filter(DEFAULT_COUNTRIES, defaults).sources
    options = FilterOptions(
        country_names=names,
        admin1_names=caching.admin1_options(),
        corridor_names=caching.corridor_names(db_url, version),
        data_range=caching.source_date_range(db_url, version, before),
        default_sources=defaults,
    )
    chosen = render_filters(options, DEFAULT_COUNTRIES)
    data_range = options.data_range
    if chosen.sources != before:  # the source widget changed this run: count dates from the new choice
        data_range = caching.source_date_range(db_url, version, chosen.sources)
        chosen = chosen.resolved(data_range)
    view = caching.filtered_incidents(db_url, version, chosen)
    return PageData(store, db_url, version, names, data_range, chosen, view, status)


def selected_sources(db_url: str, data_version: int) -> tuple[str, ...]:
    """The data sources of the session's filter, for pages without the sidebar filters.

    The same default as the sidebar (real sources only once real data is stored); a choice
    made on another page, or in the address bar, carries over.
    """
    defaults = caching.source_status_cached(db_url, data_version).default_sources
    return current_filter(DEFAULT_COUNTRIES, defaults).sources


def demo_hidden(db_url: str, data_version: int, sources: tuple[str, ...]) -> bool:
    """Whether ``sources`` leaves out demo rows the store holds (the banner's caption)."""
    return caching.source_status_cached(db_url, data_version).hides_demo(sources)
