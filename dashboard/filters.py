"""Sidebar filters of the map page: countries, date range and basemap.

Widget keys (``filter_countries``, ``filter_dates``, ``basemap``) are part of the test
contract: AppTest finds widgets by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from dashboard.maps import BASEMAPS
from geodata.boundaries import DEFAULT_COUNTRIES

KEY_COUNTRIES = "filter_countries"
KEY_DATES = "filter_dates"
KEY_BASEMAP = "basemap"
DEFAULT_WINDOW_DAYS = 365


@dataclass(frozen=True)
class Filters:
    """What the user picked; hashable, so it can be passed to cached loaders piecewise."""

    countries: tuple[str, ...]
    since: date
    until: date
    basemap: str


def default_dates(data_range: tuple[date, date] | None, today: date | None = None) -> tuple[date, date]:
    """The last 365 days of data (or all of it when shorter); the last 365 days when there is none."""
    if data_range is None:
        end = today or date.today()
        return end - timedelta(days=DEFAULT_WINDOW_DAYS), end
    first, last = data_range
    return max(first, last - timedelta(days=DEFAULT_WINDOW_DAYS)), last


def render_filters(country_names: dict[str, str], data_range: tuple[date, date] | None) -> Filters:
    """Draw the sidebar widgets and return the current choice."""
    sidebar = st.sidebar
    sidebar.header("Filters")
    options = list(country_names)
    countries = sidebar.multiselect(
        "Countries",
        options=options,
        default=[c for c in DEFAULT_COUNTRIES if c in country_names],
        format_func=lambda iso3: f"{country_names.get(iso3, iso3)} ({iso3})",
        key=KEY_COUNTRIES,
    )
    start, end = default_dates(data_range)
    lowest = min(start, data_range[0]) if data_range else start
    highest = max(end, date.today())
    picked = sidebar.date_input(
        "Dates",
        value=(start, end),
        min_value=lowest,
        max_value=highest,
        key=KEY_DATES,
        help="Inclusive. Defaults to the last 365 days of data.",
    )
    since, until = _date_pair(picked, start, end)
    basemap = sidebar.selectbox(
        "Basemap",
        options=list(BASEMAPS),
        format_func=BASEMAPS.__getitem__,
        key=KEY_BASEMAP,
        help="'No basemap' works without internet. OpenStreetMap tiles need a connection.",
    )
    return Filters(countries=tuple(countries), since=since, until=until, basemap=str(basemap))


def _date_pair(picked: object, start: date, end: date) -> tuple[date, date]:
    # While the user is picking a range the widget holds one date: treat it as the start.
    if isinstance(picked, tuple | list):
        if len(picked) == 2:
            return picked[0], picked[1]
        if len(picked) == 1:
            return picked[0], end if picked[0] <= end else picked[0]
        return start, end
    if isinstance(picked, date):
        return picked, picked
    return start, end
