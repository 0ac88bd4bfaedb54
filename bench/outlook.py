"""Outlook benchmark: the short-term outlook of every unit over N stored incidents.

    python bench/outlook.py --rows 1000000 [--level admin2] [--origins 24]

Fills a fresh SQLite store with N synthetic incidents (the demo generator, spread over
2012-2025), then times what ``python -m incidents outlook`` does: read the rows from the
store (only the columns the panel uses, as the CLI does), build the unit-month panel, and
the served outlook at the last complete month (the gate's backtest, the models' fits and
the forecasts), with the 3-month window probability and the what-if scenarios the Outlook
page adds; then a ``--backtest`` of ``--origins``
origins and its JSON summary. Prints one JSON object: wall-clock seconds per phase,
``engine_s`` (panel, outlook and scenarios from the rows in memory: what a dashboard rerun
with the analysis frame cached costs), ``fit_and_forecast_s`` (the same with the store read:
what the CLI costs) and CPU seconds per phase.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import fill_store, peak_rss_mb

T = TypeVar("T")


CPU: dict[str, float] = {}


def timed(call: Callable[[], T], name: str = "") -> tuple[T, float]:
    """``call()`` and its wall-clock seconds; its CPU seconds go to ``CPU[name]`` (the machine is
    shared: CPU time shows what a phase costs when other jobs slow the wall clock)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = call()
    if name:
        CPU[name] = round(time.process_time() - cpu, 2)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--level", choices=("admin1", "admin2"), default="admin2")
    parser.add_argument("--origins", type=int, default=24)
    args = parser.parse_args()

    from incidents.outlook.backtest import run_backtest, summary
    from incidents.outlook.forecast import backtest_origins, history_until, served_outlook
    from incidents.outlook.panel import build_panel, last_complete_month, panel_columns
    from incidents.outlook.scenarios import build_scenarios
    from incidents.sources import cli_rows

    load_before = round(os.getloadavg()[0], 1)
    with tempfile.TemporaryDirectory() as tmp:
        store, fill_s = fill_store(args.rows, Path(tmp) / "outlook.db")
        (_, _, frame), read_s = timed(
            lambda: cli_rows(store, include_demo=True, columns=panel_columns(args.level)), "read_store"
        )
        store.close()
        panel, panel_s = timed(lambda: build_panel(frame, args.level), "panel")
        origin = panel.month_index(last_complete_month(frame))
        served, outlook_s = timed(lambda: served_outlook(panel, origin), "outlook")
        scenarios, scenarios_s = timed(lambda: build_scenarios(panel, origin), "scenarios")
        origins = backtest_origins(panel, origin, args.origins)

        def backtest() -> dict[str, Any]:
            return summary(
                run_backtest(history_until(panel, origin), panel.months, origins, origin), args.level
            )

        document, backtest_s = timed(backtest, "backtest")

    engine_s = panel_s + outlook_s + scenarios_s
    print(
        json.dumps(
            {
                "benchmark": "outlook",
                "rows": len(frame),
                "level": args.level,
                "units": len(panel.units),
                "months": len(panel.months),
                "origin": str(panel.months[origin]),
                "fill_store_s": round(fill_s, 1),
                "read_store_s": round(read_s, 2),
                "panel_s": round(panel_s, 2),
                "outlook_s": round(outlook_s, 2),
                "scenarios_s": round(scenarios_s, 3),
                "engine_s": round(engine_s, 2),
                "fit_and_forecast_s": round(read_s + engine_s, 2),
                "fit_and_forecast_target_s": 10,
                "backtest_origins": len(origins),
                "backtest_s": round(backtest_s, 2),
                "backtest_target_s": 60,
                "served_by": sorted(served.table["served_by"].unique()),
                "window_brier_served": next(
                    (row["brier"] for row in document["window"] if row["forecaster"] == "served"), None
                ),
                "scenario_rows": len(scenarios),
                "cpu_s": CPU,
                "load_average_1min_before": load_before,
                "peak_rss_mb": round(peak_rss_mb()),
            }
        )
    )


if __name__ == "__main__":
    main()
