"""The database answers a filter as the in-memory path does (incidents/filtered.py), on SQLite and
PostgreSQL: the same counts, key figures, top units and actors, newest ids, time series, region ×
month matrices, choropleth rates, hexagons, heat cells, credits and rows, for filters of every kind
(dates, countries, event types, actors, regions, sources, minimum fatalities, the corridor filter
on PostGIS), with ties and ids whose order depends on the collation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from dashboard.builders.map_layers import heat_layer, hexagon_aggregation
from geodata.areas import unit_areas_km2
from incidents.analytics import INCIDENT_COUNT, incidents_by, unit_summary
from incidents.credits import incident_credits
from incidents.demo import generate_demo_incidents
from incidents.filtered import DatabaseIncidents, FrameIncidents
from incidents.query import IncidentFilter
from incidents.selection import apply_filter
from incidents.store import BatchMeta, IncidentStore
from incidents.store.corridors import active_corridor_segments
from incidents.store.filtered_sql import answers_in_sql, filter_condition, filter_texts

YEAR = {"preset": "last_365"}


def _own_rows(seed: int, n: int) -> pd.DataFrame:
    """Rows of an analyst's own file: another source, points shared with each other, ids that
    sort differently by code point and by a language's collation, and ties on the newest day."""
    rows = generate_demo_incidents(n=n, seed=seed)
    rows["source_dataset"] = "generic"
    rows["source_event_id"] = [f"own-{i}" for i in range(n)]
    rows.loc[rows.index[:6], "source_event_id"] = ["Zeta", "alpha", "Émile", "beta", "_x", "Alpha"]
    rows["incident_id"] = "generic:" + rows["source_event_id"]
    newest = rows["event_date"].max()
    rows.loc[rows.index[:6], "event_date"] = newest  # six incidents tie on the newest day
    # Every fourth incident at the point of the one before it (as a gazetteer geocodes places).
    rows.loc[rows.index[1::4], ["latitude", "longitude"]] = rows.loc[
        rows.index[0::4][: len(rows.index[1::4])], ["latitude", "longitude"]
    ].to_numpy()
    return rows


@pytest.fixture
def filled(store: IncidentStore) -> IncidentStore:
    store.add_batch(generate_demo_incidents(n=2500, seed=5), BatchMeta("demo.csv", "1" * 64, "demo"))
    store.add_batch(_own_rows(seed=6, n=400), BatchMeta("own.csv", "2" * 64, "generic"))
    return store


def _filters(store: IncidentStore) -> list[IncidentFilter]:
    data_range = store.date_range()
    assert data_range is not None
    admin1 = str(store.load_analysis_frame(["admin1_code"])["admin1_code"].dropna().iloc[0])
    end = data_range[1]
    chosen = [
        IncidentFilter(countries=("MLI", "BFA", "NER"), **YEAR),
        IncidentFilter(countries=("MLI",), preset="all", sources=("generic",)),
        IncidentFilter(
            countries=("BFA", "NER"),
            preset="custom",
            since=end - timedelta(days=500),
            until=end - timedelta(days=20),
            event_types=("battle", "abduction"),
            min_fatalities=1,
        ),
        IncidentFilter(countries=("MLI", "BFA", "NER"), preset="all", admin1_codes=(admin1,)),
        IncidentFilter(
            countries=("MLI", "BFA", "NER"), preset="last_90", actor_groups=("JNIM", "state forces")
        ),
        IncidentFilter(countries=("TCD",), preset="all"),  # a country without incidents
        IncidentFilter(countries=(), preset="all"),  # nothing chosen
    ]
    if store.postgis_schema() is not None:
        chosen.append(
            IncidentFilter(countries=("MLI", "NER", "BFA"), preset="all", corridor_id="C1", corridor_km=60)
        )
        chosen.append(IncidentFilter(countries=("MLI",), preset="all", corridor_id="retired", corridor_km=60))
    return [one.resolved(data_range) for one in chosen]


def _pair(store: IncidentStore, chosen: IncidentFilter) -> tuple[FrameIncidents, DatabaseIncidents]:
    corridors = active_corridor_segments(store)
    in_memory = FrameIncidents(*apply_filter(store.load_analysis_frame(), chosen, corridors))
    return in_memory, DatabaseIncidents(store, chosen, corridors)


def test_every_page_figure_is_the_same_from_the_database(filled: IncidentStore) -> None:
    batches = filled.list_batches()
    matched: dict[str, int] = {}
    for chosen in _filters(filled):
        memory, database = _pair(filled, chosen)
        context = repr(chosen)
        assert database.count == memory.count, context
        matched[context] = memory.count
        assert database.key_figures() == memory.key_figures(), context
        for level in ("admin1", "admin2"):
            pd.testing.assert_frame_equal(database.top_units(level, 10), memory.top_units(level, 10))
            areas = unit_areas_km2(level)
            pd.testing.assert_frame_equal(
                unit_summary(database.summary(), level, areas, 365),
                unit_summary(memory.summary(), level, areas, 365),
            )
        pd.testing.assert_frame_equal(database.top_actor_groups(8), memory.top_actor_groups(8))
        assert database.latest_ids(15) == memory.latest_ids(15), context
        for freq in ("W", "M"):
            for by in ("event_type", "actor_group", "country_iso3", None):
                for measure in ("incidents", "fatalities"):
                    pd.testing.assert_frame_equal(
                        database.series(freq=freq, by=by, measure=measure),
                        memory.series(freq=freq, by=by, measure=measure),
                    )
        months = pd.period_range(chosen.since, chosen.until, freq="M")
        for level in ("admin1", "admin2"):
            for measure in ("incidents", "fatalities", "rate"):
                for sort in ("total", "name", "recent"):
                    for wanted in (months, None):
                        asked = {"level": level, "measure": measure, "sort": sort, "months": wanted}
                        pd.testing.assert_frame_equal(
                            database.region_month_matrix(areas=unit_areas_km2(level), **asked),
                            memory.region_month_matrix(areas=unit_areas_km2(level), **asked),
                        )
        assert incident_credits(database.sources_shown(), batches) == incident_credits(
            memory.sources_shown(), batches
        )
        pd.testing.assert_series_equal(
            incidents_by(database.summary(), "source_dataset"),
            incidents_by(memory.summary(), "source_dataset"),
        )
        rows = database.rows()
        pd.testing.assert_frame_equal(
            rows, memory.rows().reset_index(drop=True)[list(rows.columns)], check_categorical=False
        )
    # Every filter but the two empty ones finds incidents (a retired corridor finds none).
    found = [
        count for context, count in matched.items() if "TCD" not in context and "countries=()" not in context
    ]
    assert sum(count > 0 for count in found) >= len(found) - 1
    assert min(count for context, count in matched.items() if "sources=('generic',)" in context) > 0


def test_the_map_draws_the_same_hexagons_and_heat_from_the_databases_points(filled: IncidentStore) -> None:
    for chosen in _filters(filled)[:2]:
        memory, database = _pair(filled, chosen)
        points = database.map_points()
        assert list(points.columns) == ["longitude", "latitude", "fatalities"]  # only what a map draws
        assert len(points) == memory.count > 0
        ordered = points.sort_values(list(points.columns), ignore_index=True)
        want = memory.map_points()[list(points.columns)].sort_values(list(points.columns), ignore_index=True)
        pd.testing.assert_frame_equal(ordered, want, check_dtype=False)
        pd.testing.assert_frame_equal(
            hexagon_aggregation(points, 25)[0], hexagon_aggregation(memory.map_points(), 25)[0]
        )
        for mode in ("count", "fatalities"):
            assert heat_layer(points, mode)[0].data == heat_layer(memory.map_points(), mode)[0].data


def test_one_units_figures_are_the_same_from_the_database(filled: IncidentStore) -> None:
    chosen = _filters(filled)[0]
    memory, database = _pair(filled, chosen)
    for level in ("admin1", "admin2"):
        busiest = memory.top_units(level, 3)["unit_code"].astype(str)
        for code in (*busiest, "XX-none"):
            one_memory, one_database = memory.within(level, code), database.within(level, code)
            assert one_database.count == one_memory.count, (level, code)
            assert one_database.key_figures() == one_memory.key_figures()
            pd.testing.assert_frame_equal(
                one_database.unit_trend(level, code), one_memory.unit_trend(level, code)
            )
            pd.testing.assert_frame_equal(one_database.top_actor_groups(8), one_memory.top_actor_groups(8))
            assert one_database.latest_ids(10) == one_memory.latest_ids(10)
        assert 0 < memory.within(level, busiest.iloc[0]).count < memory.count


def test_the_previous_period_counts_the_days_just_before(filled: IncidentStore) -> None:
    chosen = _filters(filled)[0]
    assert chosen.since is not None
    prev_start, prev_end = chosen.previous_period()
    frame = filled.load_analysis_frame()
    want = int(
        (
            (frame["event_date"] >= pd.Timestamp(prev_start))
            & (frame["event_date"] <= pd.Timestamp(prev_end))
            & frame["country_iso3"].isin(chosen.countries)
        ).sum()
    )
    assert want > 0
    assert DatabaseIncidents(filled, chosen).key_figures().previous_incidents == want


def test_a_text_the_store_has_never_seen_matches_nothing(filled: IncidentStore) -> None:
    chosen = IncidentFilter(countries=("MLI",), preset="all", admin1_codes=("XX-none",)).resolved(
        filled.date_range()
    )
    database = DatabaseIncidents(filled, chosen)
    assert database.count == 0
    assert database.latest_ids() == ()
    assert database.series(freq="M", by=None, measure="incidents").empty
    assert database.rows().empty


def test_the_corridor_filter_in_sql_needs_postgis(filled: IncidentStore) -> None:
    chosen = IncidentFilter(countries=("MLI",), corridor_id="C1").resolved(filled.date_range())
    assert answers_in_sql(filled, chosen) == (filled.postgis_schema() is not None)
    assert answers_in_sql(filled, replace(chosen, corridor_id=None))
    with pytest.raises(ValueError, match="PostGIS"):
        filter_condition(chosen, None, filled.label_ids(filter_texts(chosen)), postgis_schema=None)


def test_grouping_refuses_a_column_that_is_not_a_category(filled: IncidentStore) -> None:
    with pytest.raises(ValueError, match="not category columns"):
        filled.grouped_incidents(select(1).scalar_subquery() == 1, ("fatalities",))


def test_grouped_months_start_on_the_first_day(filled: IncidentStore) -> None:
    chosen = IncidentFilter(countries=("MLI", "BFA", "NER"), preset="all").resolved(filled.date_range())
    grouped = DatabaseIncidents(filled, chosen).grouped(("event_type",), "month")
    assert not grouped.duplicated(["event_type", "event_date"]).any(), "one row per type and month"
    days = pd.DatetimeIndex(grouped["event_date"])
    assert (days.day == 1).all() and len(days.unique()) > 12
    assert int(grouped[INCIDENT_COUNT].sum()) == DatabaseIncidents(filled, chosen).count
    assert np.issubdtype(grouped[INCIDENT_COUNT].dtype, np.integer)
    assert date(1970, 1, 1) < days.min().date()
