"""All Streamlit caching of the dashboard, in one place (docs/architecture.md, 'Caching').

Cached functions take only hashable arguments (URLs, dates, tuples of ISO3 codes, the
store's ``data_version`` counter) and read no globals or environment, so a cache entry
can never outlive the data it was built from: any committed import or undo bumps
``data_version`` and with it the key. GeoDataFrames are returned from resource caches
(shared, never hashed); callers must not mutate them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Literal, NamedTuple

import geopandas as gpd
import pandas as pd
import streamlit as st

from geodata.areas import unit_areas_km2
from geodata.boundaries import country_names, load_admin0, load_admin1, load_admin2
from incidents.analytics import LATEST_COUNT
from incidents.demo import demo_may_autoload, ensure_demo_loaded
from incidents.filtered import DatabaseIncidents, DateGrain, FilteredIncidents, FrameIncidents
from incidents.i18n import N_, LazyText
from incidents.query import IncidentFilter
from incidents.selection import apply_filter
from incidents.settings import DISPLAY_SIMPLIFY_DEG, query_answers
from incidents.sources import SourceStatus, date_span, of_sources, source_status
from incidents.store import IncidentStore, open_store, resolve_db_url
from incidents.store.developments import list_developments
from incidents.store.filtered_sql import answers_in_sql

if TYPE_CHECKING:
    from dashboard.builders.outlook_data import OutlookRun


def current_db_url() -> str:
    """The store URL in force (``SAHEL_DB_URL`` or the default), password included: a cache key."""
    return resolve_db_url().render_as_string(hide_password=False)


@st.cache_resource(
    show_spinner=LazyText(
        N_(
            "Opening the incident store (a store from an older version is upgraded once, about "
            "15 s per million incidents)…"
        )
    )
)
def _open_store(db_url: str) -> IncidentStore:
    return open_store(db_url)


@st.cache_resource(show_spinner=LazyText(N_("First start: loading the synthetic demo data…")))
def _demo_on_first_start(db_url: str, allowed: bool) -> bool:
    """Load the demo into a never-used store, once per server process (when ``allowed``)."""
    return ensure_demo_loaded(_open_store(db_url)) if allowed else False


def get_store() -> IncidentStore:
    """The shared store of this server process.

    Keyed on the resolved URL, so tests (and a changed ``SAHEL_DB_URL``) get their own store.
    On a first start the embedded default store (``SAHEL_DB_URL`` unset) gets the demo data,
    unless ``SAHEL_DEMO=off`` or its demo was removed; a store named by ``SAHEL_DB_URL``
    never does (``incidents.demo.demo_may_autoload``).
    """
    db_url = current_db_url()
    store = _open_store(db_url)
    _demo_on_first_start(db_url, demo_may_autoload())
    return store


def store_and_version() -> tuple[IncidentStore, str, int]:
    """The shared store (:func:`get_store`), its URL and its data version: the keys of the cached reads."""
    store = get_store()
    return store, current_db_url(), store.data_version()


@st.cache_data(show_spinner=False, max_entries=8)
def incident_date_range(db_url: str, data_version: int) -> tuple[date, date] | None:
    """First and last event date in the store, or None when it is empty."""
    del data_version  # part of the key: a new import can widen the range
    return _open_store(db_url).date_range()


@st.cache_data(show_spinner=False)
def country_names_cached() -> dict[str, str]:
    """ISO3 -> country name, focus countries first."""
    return country_names()


def _simplified(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from dashboard.builders.maps import simplified_for_display  # the same display step bench/query.py uses

    return simplified_for_display(frame, DISPLAY_SIMPLIFY_DEG)


@st.cache_resource(show_spinner=False)
def map_boundaries() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(admin-0, admin-1) simplified for display. Shared: do not mutate."""
    return _simplified(load_admin0()), _simplified(load_admin1())


def map_corridors(db_url: str | None = None, data_version: int | None = None) -> gpd.GeoDataFrame:
    """The store's active corridor segments, one feature per segment. Shared: do not mutate.

    Keyed on ``data_version`` (read from the store when not given), so an upload, edit or
    retirement on the Corridors page shows on every map at the next rerun.
    """
    url = current_db_url() if db_url is None else db_url
    version = _open_store(url).data_version() if data_version is None else data_version
    return active_corridors(url, version)


#: Filters whose rows are kept for every session (a briefing room looks at a few views at once);
#: each entry holds at most two row subsets of the analysis frame.
FILTERED_ENTRIES = 6


@st.cache_resource(show_spinner=False, max_entries=FILTERED_ENTRIES, ttl=3600)
def _filtered_rows(
    db_url: str, incidents_version: int, data_version: int, filter_key: str, _chosen: IncidentFilter
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``filter_key`` (the filter's repr) stands for ``_chosen``, which is not hashed."""
    del filter_key
    frame = _analysis_frame(db_url, incidents_version)
    return apply_filter(frame, _chosen, active_corridors(db_url, data_version))


def filtered_rows(
    db_url: str, data_version: int, chosen: IncidentFilter
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows in ``chosen``'s period, rows in the period before), as :func:`apply_filter` gives.

    Computed once per filter and store version for every session: filtering a million rows
    was a fifth of a page run's server time, and people in one meeting share their filters.
    Each call returns its own lazy copies (pandas 3's copy-on-write, hence ``pandas>=3``): a page
    that assigns into its frames (``frame.loc[...] = ...``, a new column) changes nobody else's.
    Writing into a column's underlying array (``.array[i] = ...``, ``.to_numpy()`` then writing)
    bypasses that and would change every session's rows: pages never do.
    """
    incidents_version = _open_store(db_url).incidents_version()
    current, previous = _filtered_rows(db_url, incidents_version, data_version, repr(chosen), chosen)
    return current.copy(deep=False), previous.copy(deep=False)


def filtered_incidents(db_url: str, data_version: int, chosen: IncidentFilter) -> FilteredIncidents:
    """The incidents of ``chosen`` (dates resolved) as the pages ask for them.

    Answered by the database when ``SAHEL_QUERIES`` says so (the default on PostgreSQL) and it
    can (a corridor filter needs PostGIS), else by the shared in-memory rows
    (:func:`filtered_rows`). Either way the answers are kept per filter and store version for
    every session.
    """
    store = _open_store(db_url)
    if query_answers(store.backend) == "database" and answers_in_sql(store, chosen):
        key = _AnswerKey(db_url, store.incidents_version(), data_version, repr(chosen))
        return _CachedDatabaseIncidents(store, chosen, active_corridors(db_url, data_version), key=key)
    current, previous = filtered_rows(db_url, data_version, chosen)
    return FrameIncidents(current, previous)


def answers_from_database(db_url: str) -> bool:
    """Whether the filtered pages' figures come from SQL (``SAHEL_QUERIES``; the default on PostgreSQL)."""
    return query_answers(_open_store(db_url).backend) == "database"


class _AnswerKey(NamedTuple):
    """What a database answer depends on: the store, both versions (corridor edits bump
    ``data_version``) and the filter."""

    db_url: str
    incidents_version: int
    data_version: int
    filter_key: str


@dataclass(frozen=True)
class _CachedDatabaseIncidents(DatabaseIncidents):
    """:class:`DatabaseIncidents` whose four reads are cached here for every session."""

    key: _AnswerKey | None = None

    def _answer_key(self) -> _AnswerKey:
        assert self.key is not None  # filtered_incidents always sets it
        return self.key

    def grouped(
        self,
        keys: Sequence[str],
        dates: DateGrain | None = None,
        previous: bool = False,
        both: bool = False,
    ) -> pd.DataFrame:
        return _grouped_answer(self._answer_key(), tuple(keys), dates, previous, both, self)

    def latest_ids(self, n: int = LATEST_COUNT) -> tuple[str, ...]:
        return _latest_answer(self._answer_key(), n, self)

    def rows(self) -> pd.DataFrame:
        return _rows_answer(self._answer_key(), self).copy(deep=False)

    def map_points(self) -> pd.DataFrame:
        return _points_answer(self._answer_key(), self).copy(deep=False)

    def within(self, level: Literal["admin1", "admin2"], code: str) -> _CachedDatabaseIncidents:
        key = self._answer_key()
        return replace(
            self, unit=(level, code), key=key._replace(filter_key=f"{key.filter_key}|{level}={code}")
        )


@st.cache_data(show_spinner=False, max_entries=512, ttl=3600)
def _grouped_answer(
    key: _AnswerKey,
    keys: tuple[str, ...],
    dates: DateGrain | None,
    previous: bool,
    both: bool,
    _view: DatabaseIncidents,
) -> pd.DataFrame:
    """A few hundred grouped rows: a data cache (each caller gets its own copy)."""
    return DatabaseIncidents.grouped(_view, keys, dates, previous, both=both)


@st.cache_resource(show_spinner=False, max_entries=FILTERED_ENTRIES, ttl=3600)
def _points_answer(key: _AnswerKey, _view: DatabaseIncidents) -> pd.DataFrame:
    """Every matching incident's point (a map above its marker limit): shared like :func:`_rows_answer`."""
    return DatabaseIncidents.map_points(_view)


@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)
def _latest_answer(key: _AnswerKey, n: int, _view: DatabaseIncidents) -> tuple[str, ...]:
    return DatabaseIncidents.latest_ids(_view, n)


@st.cache_resource(show_spinner=LazyText(N_("Loading incidents…")), max_entries=FILTERED_ENTRIES, ttl=3600)
def _rows_answer(key: _AnswerKey, _view: DatabaseIncidents) -> pd.DataFrame:
    """The rows a page draws (shared like :func:`filtered_rows`' frames: callers get lazy copies)."""
    return DatabaseIncidents.rows(_view)


@st.cache_data(show_spinner=False, max_entries=8)
def key_developments_cached(db_url: str, data_version: int) -> pd.DataFrame:
    """Key developments held in the store; ``data_version`` is only a cache key (an edit bumps it)."""
    del data_version
    return list_developments(_open_store(db_url))


def key_developments() -> pd.DataFrame:
    """The analyst-maintained key developments (timeline markers, pivot dates), oldest first."""
    db_url = current_db_url()
    return key_developments_cached(db_url, _open_store(db_url).data_version())


@st.cache_resource(show_spinner=LazyText(N_("Loading incidents…")), max_entries=2)
def _analysis_frame(db_url: str, incidents_version: int) -> pd.DataFrame:
    del incidents_version  # part of the key: only an import or undo loads a fresh frame
    return _open_store(db_url).load_analysis_frame()


def analysis_frame(db_url: str, data_version: int) -> pd.DataFrame:
    """Every incident's analysis columns, held once per incidents version and shared read-only.

    A resource cache, not a data cache: a million rows are not copied on every rerun.
    Keyed on the store's ``incidents_version`` (looked up here, one small query), not on
    ``data_version``, so saving a view or editing a corridor does not reload the rows.
    Callers must not mutate it; filtering returns new frames.
    """
    del data_version  # callers pass it for symmetry; incidents_version is the real key
    return _analysis_frame(db_url, _open_store(db_url).incidents_version())


@st.cache_data(show_spinner=False, max_entries=8)
def source_status_cached(db_url: str, data_version: int) -> SourceStatus:
    """Whether real (non-demo) rows are stored and how many demo rows: the default source selection."""
    del data_version  # part of the key: an import, undo or demo removal changes the answer
    return source_status(_open_store(db_url))


@st.cache_resource(show_spinner=False, max_entries=4)
def _source_frame(db_url: str, incidents_version: int, sources: tuple[str, ...]) -> pd.DataFrame:
    return of_sources(_analysis_frame(db_url, incidents_version), sources)


def source_frame(db_url: str, data_version: int, sources: tuple[str, ...]) -> pd.DataFrame:
    """The analysis frame limited to the selected data sources (``()``: every source).

    Every analytic over the whole covered area (risk index, exposure, corridor activity,
    before/after) starts from this frame, so the sidebar's data-source choice (real sources
    only, by default, once the store holds real data) applies to them as well. Shared: do
    not mutate.
    """
    del data_version  # callers pass it for symmetry; incidents_version is the real key
    return _source_frame(db_url, _open_store(db_url).incidents_version(), tuple(sources))


@st.cache_data(show_spinner=False, max_entries=8)
def source_date_range(db_url: str, data_version: int, sources: tuple[str, ...]) -> tuple[date, date] | None:
    """First and last event date of the selected sources (presets and "as of" count from the last).

    Asked of the database when it answers the pages, so they never load the analysis frame.
    """
    if answers_from_database(db_url):
        return _open_store(db_url).date_range(sources)
    return date_span(source_frame(db_url, data_version, sources))


@st.cache_data(show_spinner=False, max_entries=32)
def incident_details(db_url: str, data_version: int, incident_ids: tuple[str, ...]) -> pd.DataFrame:
    """Full rows (notes, actors, sources) for the incidents a page displays."""
    del data_version
    return _open_store(db_url).load_incident_details(list(incident_ids))


@st.cache_resource(show_spinner=False)
def admin1_options() -> dict[str, str]:
    """admin1_code -> "Name (ISO3)" for the region filter."""
    admin1 = load_admin1().sort_values(["iso3", "admin1_name"])
    return {
        str(code): f"{name} ({iso3})"
        for code, name, iso3 in zip(admin1["admin1_code"], admin1["admin1_name"], admin1["iso3"], strict=True)
    }


@st.cache_data(show_spinner=False)
def admin2_options() -> dict[str, str]:
    """admin2_code -> "Name, admin-1 (ISO3)" for the Watches form."""
    admin2 = load_admin2().sort_values(["iso3", "admin1_name", "admin2_name"])
    return {
        str(code): f"{name}, {region} ({iso3})"
        for code, name, region, iso3 in zip(
            admin2["admin2_code"], admin2["admin2_name"], admin2["admin1_name"], admin2["iso3"], strict=True
        )
    }


@st.cache_data(show_spinner=False, max_entries=4)
def corridor_names(db_url: str, data_version: int) -> dict[str, str]:
    """corridor_id -> name of the store's active corridors, in corridor order (the corridor filter).

    A retired corridor drops out and an uploaded one appears at the next rerun: every
    corridor change bumps ``data_version``.
    """
    lines = active_corridor_lines(db_url, data_version)
    return dict(zip(lines["corridor_id"].astype(str), lines["corridor_name"].astype(str), strict=True))


@st.cache_resource(show_spinner=False, max_entries=2)
def unit_areas(level: Literal["admin1", "admin2"]) -> pd.Series:
    """Area in km² per unit code of ``level`` (rates per 10,000 km²). Shared: do not mutate."""
    return unit_areas_km2(level)


@st.cache_resource(show_spinner=False)
def map_admin2() -> gpd.GeoDataFrame:
    """Admin-2 units simplified for display, like :func:`map_boundaries`. Shared: do not mutate."""
    from geodata.boundaries import load_admin2  # local: keeps this addition append-only

    return _simplified(load_admin2())


@st.cache_resource(show_spinner=False, max_entries=8)
def map_corridor_buffers(db_url: str, data_version: int, width_km: float) -> gpd.GeoDataFrame:
    """Buffer zones of ``width_km`` each side around the store's active corridors, for the map.

    The same polygons as the corridor filter. Shared: do not mutate.
    """
    from geodata.corridors import buffer_corridors_km  # local: keeps this addition append-only

    return buffer_corridors_km(width_km, active_corridor_lines(db_url, data_version))


@st.cache_resource(show_spinner=False, max_entries=4)
def active_corridors(db_url: str, data_version: int) -> gpd.GeoDataFrame:
    """Active corridor segments from the store (latest versions). Shared: do not mutate.

    Every corridor-dependent figure of the dashboard (the corridor filter, corridor risk
    units, before/after, exposure, buffers) is computed from this frame, never from the
    shipped file: a retired corridor disappears and an uploaded route is used everywhere.
    """
    from incidents.store.corridors import active_corridor_segments  # local: append-only addition

    del data_version  # part of the key: every corridor change bumps it
    return active_corridor_segments(_open_store(db_url))


@st.cache_resource(show_spinner=False, max_entries=4)
def active_corridor_lines(db_url: str, data_version: int) -> gpd.GeoDataFrame:
    """One line per active corridor (``corridor_id``, ``corridor_name``). Shared: do not mutate."""
    from geodata.corridors import corridor_set  # local: append-only addition

    return corridor_set(active_corridors(db_url, data_version)).lines()


@st.cache_data(show_spinner=False, max_entries=4)
def corridor_versions_table(db_url: str, data_version: int) -> pd.DataFrame:
    """Every stored corridor version (history table of the Corridors page)."""
    from incidents.store.corridors import list_corridor_versions  # local: append-only addition

    del data_version
    return list_corridor_versions(_open_store(db_url))


@st.cache_resource(show_spinner=LazyText(N_("Finding incidents near corridors…")), max_entries=4)
def corridor_hits_cached(
    db_url: str, data_version: int, km: float, sources: tuple[str, ...] = ()
) -> pd.DataFrame:
    """(incident row, corridor, nearest segment) within ``km`` of the active corridors, over the
    whole :func:`source_frame` of this version (rows index that frame). Shared: do not mutate."""
    from incidents.risk.corridor_activity import corridor_hits  # local: append-only addition

    frame = source_frame(db_url, data_version, sources)
    return corridor_hits(frame, active_corridors(db_url, data_version), km=km)


@st.cache_data(show_spinner=False, max_entries=4)
def corridor_units_cached(db_url: str, data_version: int) -> pd.DataFrame:
    """Length of each active corridor in each admin-1/admin-2 unit."""
    from incidents.risk.corridor_activity import corridor_units  # local: append-only addition

    return corridor_units(active_corridors(db_url, data_version))


@st.cache_data(show_spinner=LazyText(N_("Computing the conflict index…")), max_entries=16)
def risk_table_cached(
    db_url: str,
    data_version: int,
    level: str,
    as_of: date,
    window_days: int,
    corridor_km: float,
    sources: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Conflict index, levels and trend flags of every unit of ``level``, over the WHOLE store.

    Never on a country-filtered frame: a unit's level must not depend on what else is in view.
    The data-source selection does apply (``sources``; ``()`` every source).
    """
    from incidents.risk.index import RiskConfig  # local: append-only addition
    from incidents.risk.table import build_risk_table

    return build_risk_table(
        source_frame(db_url, data_version, sources),
        level=level,  # type: ignore[arg-type]
        as_of=as_of,
        config=RiskConfig(window_days=window_days),
        corridor_km=corridor_km,
        corridors=active_corridors(db_url, data_version) if level == "corridor" else None,
    )


def map_corridor_lines(db_url: str, data_version: int) -> gpd.GeoDataFrame:
    """One line per active corridor (risk-level colouring). Shared: do not mutate."""
    return active_corridor_lines(db_url, data_version)


@st.cache_data(show_spinner=False, max_entries=4)
def sites_table(db_url: str, data_version: int) -> pd.DataFrame:
    """Every stored site and route (Site exposure page)."""
    from incidents.store.sites import list_sites  # local: append-only addition

    del data_version  # part of the key: storing or undoing a sites batch bumps it
    return list_sites(_open_store(db_url))


@st.cache_data(show_spinner=LazyText(N_("Rating site exposure…")), max_entries=8)
def site_exposure_cached(
    db_url: str, data_version: int, as_of: date, sources: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Exposure of every stored site as of ``as_of``, over the WHOLE store (no country filter),
    counting the selected data sources (``()``: every source).

    The admin-2 risk levels come from ``compute_risk_index`` on the same frame and date, and
    distances to corridors use the store's active corridor versions.
    """
    from incidents.risk.exposure import site_exposure  # local: append-only addition
    from incidents.risk.index import compute_risk_index

    frame = source_frame(db_url, data_version, sources)
    risk = compute_risk_index(frame, level="admin2", as_of=as_of) if len(frame) else None
    return site_exposure(
        sites_table(db_url, data_version),
        frame,
        as_of=as_of,
        risk_levels_admin2=risk,
        corridors=active_corridors(db_url, data_version),  # none active: no nearest corridor
    )


@st.cache_data(show_spinner=False, max_entries=8)
def saved_views(db_url: str, data_version: int) -> list:
    """Every saved view (``incidents.store.saved_views.SavedView``) in briefing order.

    A save, rename, move or delete bumps ``data_version``, which is part of the key.
    """
    from incidents.store.saved_views import load_views  # local: keeps this addition append-only

    del data_version
    return load_views(_open_store(db_url))


@st.cache_data(show_spinner=False, max_entries=8)
def committed_batches(db_url: str, data_version: int) -> pd.DataFrame:
    """``batch_id``, ``created_at`` (UTC) and ``rows_accepted`` of committed incident batches.

    Site imports (format ``"sites"``, incidents.store.sites) share the batches table; they are left out.
    """
    del data_version
    batches = _open_store(db_url).list_batches()
    keep = (batches["status"] == "committed") & (batches["format"] != "sites")
    batches = batches[keep][["batch_id", "created_at", "rows_accepted"]].copy()
    batches["created_at"] = pd.to_datetime(batches["created_at"], utc=True)
    batches["rows_accepted"] = batches["rows_accepted"].astype("int64")
    return batches.reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=8)
def batches_table(db_url: str, data_version: int) -> pd.DataFrame:
    """Every batch (:meth:`IncidentStore.list_batches`): the credits name their files and versions,
    and "last import" is the newest committed one. A new import or undo bumps ``data_version``."""
    del data_version
    return _open_store(db_url).list_batches()


#: The columns an admin-level outlook reads: its cache key fingerprints exactly these.
_OUTLOOK_COLUMNS = ("event_date", "admin1_code", "admin2_code", "fatalities")


@st.cache_resource(show_spinner=False, max_entries=4)
def _outlook_key(db_url: str, incidents_version: int, sources: tuple[str, ...]) -> tuple[str, str]:
    """(origin, fingerprint of the columns an outlook reads) of the selected sources' frame."""
    from dashboard.builders.outlook_data import outlook_origin

    frame = _source_frame(db_url, incidents_version, sources)
    hashed = pd.util.hash_pandas_object(frame[list(_OUTLOOK_COLUMNS)], index=False).to_numpy()
    return outlook_origin(frame), hashlib.sha256(hashed.tobytes()).hexdigest()


@st.cache_data(
    show_spinner=LazyText(N_("Computing the outlook: fitting and backtesting the models (up to a minute)…")),
    max_entries=6,
)
def _outlook_run(
    fingerprint: str,
    level: str,
    origin: str,
    _db_url: str,
    _incidents_version: int,
    _sources: tuple[str, ...],
) -> OutlookRun:
    """Keyed on the content it reads (``fingerprint``), level and origin; the ``_`` arguments say
    where that content is and are not part of the key, so identical data share one run."""
    from dashboard.builders.outlook_data import run_outlook  # the engine (scikit-learn) loads on first use

    del fingerprint
    return run_outlook(_source_frame(_db_url, _incidents_version, _sources), level, origin)


def outlook_run(db_url: str, data_version: int, level: str, sources: tuple[str, ...] = ()) -> OutlookRun:
    """The outlook (:class:`dashboard.builders.outlook_data.OutlookRun`) of the selected data
    sources at ``level``, from their last complete month.

    Keyed on the store's ``incidents_version`` (through a fingerprint of the incidents' dates,
    units and fatalities: saving a view does not refit the models, and two stores holding the
    same incidents share one run), the level and the origin. A refusal (``OutlookDataError``) is
    not cached: it is raised before any model runs.
    """
    del data_version  # callers pass it for symmetry; incidents_version is the real key
    version = _open_store(db_url).incidents_version()
    origin, fingerprint = _outlook_key(db_url, version, tuple(sources))
    return _outlook_run(fingerprint, level, origin, db_url, version, tuple(sources))


@st.cache_data(show_spinner=False, max_entries=8)
def outlook_adjustments(db_url: str, data_version: int, level: str) -> pd.DataFrame:
    """The analysts' outlook adjustments in force at ``level``.

    Keyed on ``data_version``, which every adjustment bumps: a change shows at the next run. Not
    part of :func:`outlook_run` (keyed on the incidents only), so an adjustment never refits a model.
    """
    from incidents.outlook.adjustments import list_adjustments  # only the Outlook page needs it

    return list_adjustments(_open_store(db_url), level)
