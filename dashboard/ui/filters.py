"""The sidebar filters shared by every analysis page, kept in session state and the URL.

One :class:`~incidents.query.IncidentFilter` is the truth: it lives in
``st.session_state["incident_filter"]``, the widgets start from it (so it survives a visit
to a page without filters), and it is mirrored in the query string (so a copied link
reopens the same view). Widget keys (``filter_*``) are the test contract: AppTest finds
widgets by key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Final

import streamlit as st

from incidents.freshness import anchored_period
from incidents.i18n import N_, Labels, _, bound
from incidents.model import ACTOR_GROUP_LABELS, ACTOR_GROUPS, EVENT_TYPE_LABELS, EVENT_TYPES, SOURCE_DATASETS
from incidents.query import DATE_PRESETS, MAX_CORRIDOR_KM, IncidentFilter
from incidents.query_links import MAX_MIN_FATALITIES, MIN_CORRIDOR_KM, bound_query_params

STATE_KEY: Final = "incident_filter"
KEY_COUNTRIES: Final = "filter_countries"
KEY_PERIOD: Final = "filter_period"
KEY_DATES: Final = "filter_dates"
KEY_TYPES: Final = "filter_types"
KEY_ACTORS: Final = "filter_actors"
KEY_MIN_FATALITIES: Final = "filter_min_fatalities"
KEY_ADMIN1: Final = "filter_admin1"
KEY_CORRIDOR: Final = "filter_corridor"
KEY_CORRIDOR_KM: Final = "filter_corridor_km"
KEY_SOURCES: Final = "filter_sources"
#: The default data sources the session's filter started from (to follow a change of default).
KEY_DEFAULT_SOURCES: Final = "filter_default_sources"

PRESET_LABELS: Final[Mapping[str, str]] = Labels(
    {
        "last_30": N_("Last 30 days"),
        "last_90": N_("Last 90 days"),
        "last_365": N_("Last 365 days"),
        "all": N_("All dates"),
        "custom": N_("Custom range…"),
    }
)
SOURCE_LABELS: Final[Mapping[str, str]] = Labels(
    {
        "acled": "ACLED",
        "ucdp": "UCDP GED",
        "generic": N_("Own spreadsheets"),
        "manual": N_("Manual entries"),
        "demo": N_("Synthetic demo"),
    }
)
#: Query-string keys owned by the filters; any other key (a page's own) is preserved.
FILTER_PARAM_KEYS: Final = frozenset(
    {
        "country",
        "type",
        "actor",
        "admin1",
        "source",
        "period",
        "from",
        "to",
        "min_fatalities",
        "corridor",
        "corridor_km",
    }
)


@dataclass(frozen=True)
class FilterOptions:
    """What the widgets can offer: names of countries, regions and corridors, and the data's dates."""

    country_names: Mapping[str, str]
    admin1_names: Mapping[str, str]  # admin1_code -> "Name (ISO3)"
    corridor_names: Mapping[str, str]  # corridor_id -> name
    data_range: tuple[date, date] | None
    #: The data sources selected when the URL names none: the real ones once the store holds
    #: real data (incidents.sources), else () for every source.
    default_sources: tuple[str, ...] = ()


def preset_label(preset: str, data_range: tuple[date, date] | None) -> str:
    """The period's label; a relative one says what it counts back from (the newest incident, not today).

    With data to 2022-12-30, "last_365" reads "Last 365 days to 2022-12-30, the newest incident".
    """
    label = PRESET_LABELS[preset]
    if DATE_PRESETS.get(preset) is None:
        return label
    return anchored_period(label, data_range[1] if data_range else None)


def current_filter(default_countries: Sequence[str], default_sources: Sequence[str] = ()) -> IncidentFilter:
    """The session's filter; on a session's first run, read from the URL.

    A URL without a data source gets ``default_sources`` (real sources only once the store
    holds real data); ``source=demo`` in the address bar still shows the demo.
    """
    defaults = tuple(default_sources)
    if STATE_KEY not in st.session_state:
        params = {key: st.query_params.get_all(key) for key in st.query_params}
        # Bounded first: a crafted link (huge numbers, year 1, NaN) must not reach a widget.
        bounded = bound_query_params(params)
        for notice in bounded.notices:
            st.toast(markdown_text(notice), icon="⚠️", duration="long")
        st.session_state[STATE_KEY] = IncidentFilter.from_query_params(
            bounded.params, default_countries, defaults
        )
        st.session_state[KEY_DEFAULT_SOURCES] = defaults
    chosen: IncidentFilter = st.session_state[STATE_KEY]
    applied = st.session_state.get(KEY_DEFAULT_SOURCES)
    if applied is not None and applied != defaults and chosen.sources == applied:
        # The store changed under this session (real data imported, the demo removed) and the
        # user had kept the default sources: follow the new default.
        chosen = replace(chosen, sources=defaults)
        st.session_state[STATE_KEY] = chosen
        st.session_state[KEY_DEFAULT_SOURCES] = defaults
        st.session_state.pop(KEY_SOURCES, None)  # the widget starts again from the filter
    return chosen


def render_filters(options: FilterOptions, default_countries: Sequence[str]) -> IncidentFilter:
    """Draw the sidebar widgets, store and mirror the result, and return it with dates resolved."""
    stored = current_filter(default_countries, options.default_sources)
    sidebar = st.sidebar
    sidebar.header(_("Filters"))
    countries = sidebar.multiselect(
        _("Countries"),
        options=list(options.country_names),
        default=[c for c in stored.countries if c in options.country_names],
        format_func=lambda iso3: f"{options.country_names.get(iso3, iso3)} ({iso3})",
        key=KEY_COUNTRIES,
    )
    preset = sidebar.selectbox(
        _("Period"),
        options=list(DATE_PRESETS),
        index=list(DATE_PRESETS).index(stored.preset),
        format_func=bound(lambda value: preset_label(str(value), options.data_range)),
        key=KEY_PERIOD,
        help=_("Presets count back from the latest incident in the store, not from today."),
    )
    since, until = _custom_dates(sidebar, preset, stored, options.data_range)
    with sidebar.expander(_("More filters"), expanded=_has_more(stored, options.default_sources)):
        event_types = st.multiselect(
            _("Event types"),
            options=list(EVENT_TYPES),
            default=list(stored.event_types),
            format_func=bound(EVENT_TYPE_LABELS.__getitem__),
            key=KEY_TYPES,
            placeholder=_("All event types"),
        )
        actor_groups = st.multiselect(
            _("Actor groups"),
            options=list(ACTOR_GROUPS),
            default=list(stored.actor_groups),
            format_func=bound(ACTOR_GROUP_LABELS.__getitem__),
            key=KEY_ACTORS,
            placeholder=_("All actor groups"),
            help=_("The armed group involved; an army-versus-JNIM battle counts as JNIM."),
        )
        min_fatalities = st.number_input(
            _("Minimum fatalities"),
            min_value=0,
            max_value=MAX_MIN_FATALITIES,
            value=min(stored.min_fatalities, MAX_MIN_FATALITIES),
            step=1,
            key=KEY_MIN_FATALITIES,
        )
        admin1_options = {
            code: name
            for code, name in options.admin1_names.items()
            if any(name.endswith(f"({iso3})") for iso3 in countries)
        }
        admin1_codes = st.multiselect(
            _("Regions (admin-1)"),
            options=list(admin1_options),
            default=[c for c in stored.admin1_codes if c in admin1_options],
            format_func=lambda code: admin1_options.get(code, code),
            key=KEY_ADMIN1,
            placeholder=_("All regions"),
        )
        corridor_ids = ["", *options.corridor_names]
        corridor = st.selectbox(
            _("Near a corridor"),
            options=corridor_ids,
            index=corridor_ids.index(stored.corridor_id) if stored.corridor_id in corridor_ids else 0,
            format_func=bound(
                lambda cid: _("Anywhere") if not cid else f"{cid} — {options.corridor_names[str(cid)]}"
            ),
            key=KEY_CORRIDOR,
            help=_("Incidents within the distance below of the corridor line (an aid, not a track)."),
        )
        corridor_km = st.slider(
            _("Distance from the corridor (km)"),
            min_value=int(MIN_CORRIDOR_KM),
            max_value=int(MAX_CORRIDOR_KM),
            value=min(max(int(stored.corridor_km), int(MIN_CORRIDOR_KM)), int(MAX_CORRIDOR_KM)),
            step=5,
            key=KEY_CORRIDOR_KM,
            disabled=not corridor,
        )
        sources = st.multiselect(
            _("Data sources"),
            options=list(SOURCE_DATASETS),
            default=list(stored.sources),
            format_func=bound(SOURCE_LABELS.__getitem__),
            key=KEY_SOURCES,
            placeholder=_("All sources (synthetic demo included)")
            if options.default_sources
            else _("All sources"),
            help=_("Once real data is stored, the synthetic demo is left out unless you add it here."),
        )
    if not sources and options.default_sources:
        # Cleared on purpose: every source, the demo included. Said explicitly, so the link keeps it.
        sources = list(SOURCE_DATASETS)
    chosen = IncidentFilter(
        countries=tuple(countries),
        since=since,
        until=until,
        preset=str(preset),
        event_types=tuple(event_types),
        actor_groups=tuple(actor_groups),
        min_fatalities=int(min_fatalities),
        admin1_codes=tuple(admin1_codes),
        corridor_id=corridor or None,
        corridor_km=float(corridor_km),
        sources=tuple(sources),
    )
    st.session_state[STATE_KEY] = chosen
    sync_query_params(chosen)
    return chosen.resolved(options.data_range)


def sync_query_params(chosen: IncidentFilter) -> None:
    """Mirror the filter in the URL, keeping any page-specific keys already there."""
    wanted = chosen.to_query_params()
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    kept = {key: value for key, value in current.items() if key not in FILTER_PARAM_KEYS}
    normalised = {key: value if isinstance(value, list) else [value] for key, value in wanted.items()}
    if {key: value for key, value in current.items() if key in FILTER_PARAM_KEYS} != normalised:
        st.query_params.from_dict({**kept, **wanted})


def markdown_text(text: str) -> str:
    """``text`` shown literally by Streamlit's markdown (a link's value must not become a link or markup)."""
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~$:])", r"\\\1", text)


def _has_more(chosen: IncidentFilter, default_sources: Sequence[str] = ()) -> bool:
    return bool(
        chosen.event_types
        or chosen.actor_groups
        or chosen.min_fatalities
        or chosen.admin1_codes
        or chosen.corridor_id
        or (chosen.sources and tuple(chosen.sources) != tuple(default_sources))
    )


def _custom_dates(
    sidebar: st.delta_generator.DeltaGenerator,
    preset: object,
    stored: IncidentFilter,
    data_range: tuple[date, date] | None,
) -> tuple[date | None, date | None]:
    if preset != "custom":
        return None, None
    default = replace(stored, preset="last_365").resolved(data_range) if not stored.since else stored
    start = default.since or date.today() - timedelta(days=364)
    end = default.until or date.today()
    lowest = min(start, data_range[0]) if data_range else start
    highest = max(end, data_range[1] if data_range else end, date.today())
    picked = sidebar.date_input(
        _("Dates"),
        value=(start, end),
        min_value=lowest,
        max_value=highest,
        key=KEY_DATES,
        help=_("Inclusive start and end dates."),
    )
    return date_pair(picked, start, end)


def date_pair(picked: object, start: date, end: date) -> tuple[date, date]:
    """The (start, end) of a date_input; mid-selection it holds one date: treat it as the start."""
    if isinstance(picked, tuple | list):
        if len(picked) == 2:
            return picked[0], picked[1]
        if len(picked) == 1:
            return picked[0], max(picked[0], end)
        return start, end
    if isinstance(picked, date):
        return picked, picked
    return start, end
