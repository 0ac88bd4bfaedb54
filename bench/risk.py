"""Risk-index benchmark: the conflict index of every unit over N incidents.

    python bench/risk.py --rows 1000000 [--level admin2]

Generates N synthetic incidents (the demo generator, spread over 2012-2025), builds the
compact analysis frame the dashboard caches (categories, numpy numbers), then times
``compute_risk_index`` for the level over the default 365-day window ending at the last
event date: once cold (first call of the process: loads the gazetteer and assigns its
populated places to units, cached afterwards) and ``--repeat`` times warm (what each
dashboard rerun with a new as-of date or window costs). Also times ``trend_flags`` and
the joined ``build_risk_table``. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from bench.common import peak_rss_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--level", choices=("admin1", "admin2", "corridor"), default="admin2")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--window-days",
        type=int,
        default=365,
        help="e.g. 5000 to put every incident in the window (worst case)",
    )
    args = parser.parse_args()

    from incidents.demo import generate_demo_incidents
    from incidents.risk.index import RiskConfig, compute_risk_index
    from incidents.risk.table import build_risk_table
    from incidents.risk.trends import trend_flags
    from incidents.store.sql import ANALYSIS_COLUMNS, analysis_frame_from_rows

    start = time.perf_counter()
    generated = generate_demo_incidents(n=args.rows, seed=11)
    frame = analysis_frame_from_rows(generated[list(ANALYSIS_COLUMNS)])
    del generated
    generate_s = time.perf_counter() - start
    as_of = frame["event_date"].max().date()
    config = RiskConfig(window_days=args.window_days)

    start = time.perf_counter()
    index = compute_risk_index(frame, level=args.level, as_of=as_of, config=config)
    cold_s = time.perf_counter() - start
    warm = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        compute_risk_index(frame, level=args.level, as_of=as_of, config=config)
        warm.append(time.perf_counter() - start)
    start = time.perf_counter()
    trend_flags(frame, level=args.level, as_of=as_of)
    trends_s = time.perf_counter() - start
    start = time.perf_counter()
    build_risk_table(frame, level=args.level, as_of=as_of, config=config)
    table_s = time.perf_counter() - start

    first_day = pd.Timestamp(as_of) - pd.Timedelta(days=args.window_days - 1)
    window_rows = int((frame["event_date"] >= first_day).sum())
    print(
        json.dumps(
            {
                "benchmark": "risk",
                "rows": len(frame),
                "rows_in_window": window_rows,
                "level": args.level,
                "window_days": args.window_days,
                "units": len(index),
                "units_with_events": int((index["events"] > 0).sum()),
                "as_of": as_of.isoformat(),
                "generate_s": round(generate_s, 2),
                "index_cold_s": round(cold_s, 3),
                "index_warm_median_s": round(statistics.median(warm), 3),
                "index_warm_max_s": round(max(warm), 3),
                "trend_flags_s": round(trends_s, 3),
                "risk_table_s": round(table_s, 3),
                "level_counts": {
                    str(k): int(v) for k, v in index["risk_level"].value_counts().sort_index().items()
                },
                "peak_rss_mb": round(peak_rss_mb()),
            }
        )
    )


if __name__ == "__main__":
    main()
