"""What every analysis page starts from: the store, the filter, and the filtered incidents.

Pages call :func:`load_page_data` once; it draws the shared sidebar filters and returns
the frames the page needs. Filtering is in memory on the cached analysis frame, so a
filter change costs milliseconds even with a million stored incidents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard import caching
from dashboard.filters import FilterOptions, render_filters
from dashboard.selection import apply_filter
from geodata.boundaries import DEFAULT_COUNTRIES
from incidents.query import IncidentFilter
from incidents.store import IncidentStore

__all__ = ["PageData", "apply_filter", "load_page_data"]


@dataclass(frozen=True)
class PageData:
    store: IncidentStore
    db_url: str
    data_version: int
    country_names: dict[str, str]
    data_range: tuple[date, date] | None
    filter: IncidentFilter  # dates resolved
    incidents: pd.DataFrame  # filtered analysis frame
    previous: pd.DataFrame  # same filter, the period of equal length just before

    @property
    def empty(self) -> bool:
        return self.incidents.empty


def load_page_data() -> PageData:
    """Open the store, draw the sidebar filters, and filter the cached incidents.

    The corridor filter offers, and measures against, the store's active corridors.
    """
    store = caching.get_store()
    db_url = caching.current_db_url()
    version = store.data_version()
    names = caching.country_names_cached()
    data_range = caching.incident_date_range(db_url, version)
    options = FilterOptions(
        country_names=names,
        admin1_names=caching.admin1_options(),
        corridor_names=caching.corridor_names(db_url, version),
        data_range=data_range,
    )
    chosen = render_filters(options, DEFAULT_COUNTRIES)
    frame = caching.analysis_frame(db_url, version)
    current, previous = apply_filter(frame, chosen, caching.active_corridors(db_url, version))
    return PageData(store, db_url, version, names, data_range, chosen, current, previous)
