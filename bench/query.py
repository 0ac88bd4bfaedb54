"""Query benchmark: what one filter change costs the dashboard with N incidents stored.

    python bench/query.py --rows 1000000
    python bench/query.py --rows 5000000 --backend postgresql --pg-url postgresql://…

Fills a fresh store (SQLite, or a new schema on PostgreSQL) with N synthetic incidents, then for
a series of filter changes recomputes everything the Overview, Map, Timeline and Risk heatmap
pages need, with the same functions the pages call (browser rendering excluded; the map's HTML
is rendered). ``--answers memory`` loads the cached analysis frame once (as the dashboard does
per store version) and filters it; ``--answers database`` asks the database
(incidents/filtered.py), each answer once per filter change as the dashboard's cache keeps it;
``auto`` is the dashboard's default (the database on PostgreSQL, memory on SQLite).
Prints one JSON object: median, p90 and p95 seconds per filter change, per page, and the
largest map HTML.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from bench.common import add_answers_argument, add_backend_arguments, bench_store_url, fill_store, peak_rss_mb

POINT_LIMIT = 10_000  # incidents.settings.MAP_MAX_POINTS, as the Map page uses

FILTERS: list[dict[str, Any]] = [
    {"countries": ("MLI", "BFA", "NER"), "preset": "last_365"},
    {"countries": ("MLI",), "preset": "last_90"},
    {"countries": ("MLI", "BFA", "NER"), "preset": "all"},
    {"countries": ("BFA",), "preset": "last_365", "event_types": ("battle", "abduction")},
    {"countries": ("NER", "MLI"), "preset": "last_365", "corridor_id": "C2", "corridor_km": 50.0},
    {"countries": ("MLI", "BFA", "NER", "TCD", "LBY"), "preset": "all", "min_fatalities": 5},
    {"countries": ("MLI", "BFA", "NER"), "preset": "last_30", "actor_groups": ("JNIM",)},
    {"countries": ("MLI",), "preset": "custom", "since": date(2022, 1, 1), "until": date(2023, 6, 30)},
]


@functools.cache
def map_boundaries() -> tuple[Any, Any]:
    """(admin-0, admin-1) simplified for display once per process, as dashboard/ui/caching.py does."""
    from dashboard.builders.maps import simplified_for_display
    from geodata.boundaries import load_admin0, load_admin1

    return simplified_for_display(load_admin0()), simplified_for_display(load_admin1())


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def answering(store: Any, chosen: Any, answers: str, frame: Callable[[], pd.DataFrame]) -> tuple[Any, float]:
    """The filtered incidents as the pages get them (``answers``: memory or database; a corridor
    filter without PostGIS is answered in memory, as by the dashboard), and the seconds of the
    in-memory filtering step (0 from the database: each query filters)."""
    from incidents.filtered import DatabaseIncidents, FrameIncidents
    from incidents.selection import apply_filter
    from incidents.store.filtered_sql import answers_in_sql

    if answers == "memory" or not answers_in_sql(store, chosen):
        rows = frame()
        (current, previous), t_filter = timed(lambda: apply_filter(rows, chosen))
        return FrameIncidents(current, previous), t_filter

    answered: dict[Any, pd.DataFrame] = {}  # a page run's answers, as dashboard/ui/caching.py keeps them

    class Memoised(DatabaseIncidents):
        def grouped(self, keys: Any, dates: Any = None, previous: bool = False, both: bool = False) -> Any:
            key = (tuple(keys), dates, previous, both)
            if key not in answered:
                answered[key] = DatabaseIncidents.grouped(self, keys, dates, previous, both)
            return answered[key]

    return Memoised(store, chosen), 0.0


def one_change(
    store: Any,
    frame: Callable[[], pd.DataFrame],
    spec: dict[str, Any],
    developments: pd.DataFrame,
    answers: str,
) -> dict[str, Any]:
    from dashboard.builders.charts import build_heatmap_figure, build_timeline_figure
    from dashboard.builders.maps import build_incident_map_with_info
    from geodata.areas import unit_areas_km2
    from geodata.corridors import load_corridor_segments
    from incidents.analytics import developments_in_range, unit_summary
    from incidents.query import IncidentFilter

    chosen = IncidentFilter(**spec).resolved(store.date_range())
    assert chosen.since is not None and chosen.until is not None
    days = max(1, (chosen.until - chosen.since).days)
    view, t_filter = answering(store, chosen, answers, frame)

    def overview() -> None:
        view.key_figures()
        view.top_units("admin1", 10)
        view.top_actor_groups(10)
        store.load_incident_details(list(view.latest_ids(15)))

    def timeline() -> None:
        series = view.series(freq="W", by="event_type", measure="incidents")
        devs = developments_in_range(developments, chosen.since, chosen.until, chosen.countries)
        build_timeline_figure(series, measure="incidents", rolling_window=4, developments=devs, title="t")

    def risk() -> None:
        matrix = view.region_month_matrix(
            level="admin1", measure="incidents", areas=unit_areas_km2("admin1"), sort="total"
        )
        build_heatmap_figure(matrix, measure="incidents", title="r")

    def map_page() -> int:
        # As dashboard/ui/incident_map.py: popups' rows up to the point limit, else the points.
        if view.count <= POINT_LIMIT:
            shown = store.load_incident_details(view.rows()["incident_id"].tolist())
        else:
            shown = view.map_points()
        summary = unit_summary(view.summary(), "admin1", unit_areas_km2("admin1"), days)
        choropleth = summary.assign(
            value=summary["incidents_per_10k_km2"], label=summary["unit_name"].astype(str)
        )
        admin0, admin1 = map_boundaries()
        build = build_incident_map_with_info(
            shown,
            admin0=admin0,
            admin1=admin1,
            corridors=load_corridor_segments(),
            heat="count",
            choropleth=choropleth[["unit_code", "value", "label"]],
            max_points=POINT_LIMIT,
        )
        return len(build.map.get_root().render())

    _, t_overview = timed(overview)
    _, t_timeline = timed(timeline)
    _, t_risk = timed(risk)
    html_bytes, t_map = timed(map_page)
    return {
        "rows_matched": view.count,
        "filter_s": t_filter,
        "overview_s": t_overview,
        "timeline_s": t_timeline,
        "risk_s": t_risk,
        "map_s": t_map,
        "analytics_total_s": t_filter + t_overview + t_timeline + t_risk,
        "total_s": t_filter + t_overview + t_timeline + t_risk + t_map,
        "map_html_bytes": html_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=2, help="passes over the filter list")
    add_backend_arguments(parser)
    add_answers_argument(parser)
    args = parser.parse_args()
    from incidents.settings import query_answers

    answers = query_answers(args.backend, {"SAHEL_QUERIES": args.answers})

    from incidents.developments import load_key_developments

    with tempfile.TemporaryDirectory() as tmp, bench_store_url(args.backend, Path(tmp), args.pg_url) as url:
        store, fill_s = fill_store(args.rows, url)
        frame = functools.cache(store.load_analysis_frame)  # loaded once, if anything asks for it
        _, load_s = timed(frame) if answers == "memory" else (None, 0.0)
        developments = load_key_developments()
        one_change(store, frame, FILTERS[0], developments, answers)  # warm caches (boundaries, indexes)
        runs = [
            one_change(store, frame, spec, developments, answers)
            for _ in range(args.repeats)
            for spec in FILTERS
        ]
        store.close()
    if runs[0]["rows_matched"] == 0:  # an error whatever the timing (the CI smoke run)
        raise SystemExit("the first filter (three countries, last 365 days) matched no incident")

    def median(key: str) -> float:
        return round(statistics.median(run[key] for run in runs), 3)

    totals = sorted(run["total_s"] for run in runs)
    print(
        json.dumps(
            {
                "benchmark": "query",
                "backend": args.backend,
                "answers": answers,
                "rows": args.rows,
                "filter_changes": len(runs),
                "fill_store_s": round(fill_s, 1),
                "load_analysis_frame_s": round(load_s, 2),
                "median_total_s": median("total_s"),
                "p90_total_s": round(totals[int(0.9 * (len(totals) - 1))], 3),
                "p95_total_s": round(totals[int(0.95 * (len(totals) - 1))], 3),
                "median_analytics_s": median("analytics_total_s"),
                "median_by_page_s": {
                    "filter": median("filter_s"),
                    "overview": median("overview_s"),
                    "timeline": median("timeline_s"),
                    "risk": median("risk_s"),
                    "map": median("map_s"),
                },
                "max_map_html_mb": round(max(run["map_html_bytes"] for run in runs) / 1e6, 2),
                "peak_rss_mb": round(peak_rss_mb()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
