"""Ingest benchmark: the full import against the naive notebook baseline.

    python bench/ingest.py --rows 1000000
    python bench/ingest.py --rows 1000000 --backend postgresql --pg-url postgresql://…

Generates N synthetic ACLED-format rows spread over the region (from the demo generator),
then times in separate fresh processes, on the same file:

(a) the project's full import into a fresh store (SQLite, or a new schema on PostgreSQL):
    read, validate, spatially assign, dedupe, commit (``incidents.ingest.pipeline.import_file``,
    the CLI's call);
(b) the naive baseline: ``pandas.read_csv`` + ``geopandas.sjoin`` to admin-1 + ``sjoin``
    to admin-2, nothing else.

Prints one JSON object: both times, ratio a/b, rows/s and each phase's peak RSS (for the
full import: its process plus the SQLite writer process it starts, added up).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ChildPeakRss, add_backend_arguments, bench_store_url, peak_rss_mb, run_phase
from incidents.ingest.detect import ACLED_API_COLUMNS as ACLED_COLUMNS

ACLED_TYPES = {
    "battle": ("Battles", "Armed clash"),
    "explosion_remote_violence": ("Explosions/Remote violence", "Remote explosive/landmine/IED"),
    "violence_against_civilians": ("Violence against civilians", "Attack"),
    "abduction": ("Violence against civilians", "Abduction/forced disappearance"),
    "protest_riot": ("Protests", "Peaceful protest"),
    "strategic_development": ("Strategic developments", "Looting/property destruction"),
    "other": ("Strategic developments", "Other"),
}


def write_acled_csv(rows: int, path: Path) -> None:
    """Synthetic ACLED-format rows (never real ACLED data) with demo-like geography."""
    import pandas as pd

    from incidents.demo import generate_demo_incidents

    demo = generate_demo_incidents(n=rows, seed=7)
    event_type = demo["event_type"].astype(object)
    acled_type = event_type.map({k: v[0] for k, v in ACLED_TYPES.items()})
    acled_sub = event_type.map({k: v[1] for k, v in ACLED_TYPES.items()})
    frame = pd.DataFrame(
        {
            "event_id_cnty": "BEN" + pd.Series(range(1, rows + 1)).astype(str),
            "event_date": demo["event_date"].dt.strftime("%Y-%m-%d"),
            "year": demo["event_date"].dt.year,
            "time_precision": 1,
            "disorder_type": "Political violence",
            "event_type": acled_type,
            "sub_event_type": acled_sub,
            "actor1": demo["actor1"],
            "assoc_actor_1": "",
            "inter1": "Rebel group",
            "actor2": demo["actor2"],
            "assoc_actor_2": "",
            "inter2": "State forces",
            "interaction": "",
            "civilian_targeting": demo["civilian_targeting"].map({True: "Civilian targeting", False: ""}),
            "iso": 466,
            "region": "Western Africa",
            "country": demo["country"],
            "admin1": demo["admin1_name"],
            "admin2": demo["admin2_name"],
            "admin3": "",
            "location": demo["location"],
            "latitude": demo["latitude"].round(4),
            "longitude": demo["longitude"].round(4),
            "geo_precision": demo["geo_precision"],
            "source": "Synthetic benchmark",
            "source_scale": "Other",
            "notes": "SYNTHETIC benchmark row",
            "fatalities": demo["fatalities"],
            "tags": "",
            "timestamp": 1700000000,
        },
        columns=ACLED_COLUMNS,
    )
    frame.to_csv(path, index=False)


class StageClock:
    """Seconds per pipeline stage, keyed by the progress label that starts the stage.

    Commit progress arrives after each written chunk, so "ready to commit" holds the
    commit's set-up and its first chunk, and "writing to the store" the rest.
    """

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.label = "reading bytes + sha256"
        self.seconds: dict[str, float] = {}

    def __call__(self, _share: float, label: str) -> None:
        self.mark(label)

    def mark(self, label: str) -> None:
        now = time.perf_counter()
        self.seconds[self.label] = self.seconds.get(self.label, 0.0) + now - self.start
        self.start, self.label = now, label


def phase_full(csv: Path, db_url: str) -> dict[str, object]:
    """``import_file``: exactly what ``python -m incidents import`` runs (rows written as checked)."""
    from incidents.ingest.pipeline import DEFAULT_MAX_BYTES, import_file
    from incidents.store import open_store

    store = open_store(db_url)
    clock = StageClock()
    with ChildPeakRss(command_contains="incidents.store.sqlite_bulk") as writer_rss:
        start = time.perf_counter()
        # The benchmark file can exceed the interactive upload limit (1M rows ~ 295 MB).
        report = import_file(csv, store, max_bytes=max(csv.stat().st_size, DEFAULT_MAX_BYTES), progress=clock)
        seconds = time.perf_counter() - start
        clock.mark("done")
        time.sleep(1.0)  # the writer checkpoints after the import returns: measure that too
    stages = {label: round(value, 2) for label, value in clock.seconds.items()}
    own, writer = peak_rss_mb(), writer_rss.peak_mb
    return {
        "seconds": seconds,
        "rows_accepted": report.rows_accepted,
        # Both processes' peaks added up: an upper bound on what the import held at once.
        "peak_rss_mb": own + writer,
        "parent_peak_rss_mb": own,
        "writer_peak_rss_mb": writer,
        "stages_s": stages,
    }


def phase_naive(csv: Path) -> dict[str, float]:
    import geopandas as gpd
    import pandas as pd

    from geodata.boundaries import ADMIN1_FILE, ADMIN2_FILE

    admin1 = gpd.read_file(ADMIN1_FILE)
    admin2 = gpd.read_file(ADMIN2_FILE)
    start = time.perf_counter()
    frame = pd.read_csv(csv)
    points = gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["longitude"], frame["latitude"]), crs=4326
    )
    joined = gpd.sjoin(points, admin1[["admin1_code", "geometry"]], how="left", predicate="within")
    joined = gpd.sjoin(
        joined.drop(columns="index_right"),
        admin2[["admin2_code", "geometry"]],
        how="left",
        predicate="within",
    )
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows_out": len(joined), "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--phase", choices=["full", "naive"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    add_backend_arguments(parser)
    args = parser.parse_args()
    if args.phase == "full":
        print(json.dumps(phase_full(args.csv, args.db_url)))
        return
    if args.phase == "naive":
        print(json.dumps(phase_naive(args.csv)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "acled_synthetic.csv"
        write_acled_csv(args.rows, csv)
        script = Path(__file__).resolve()
        with bench_store_url(args.backend, Path(tmp), args.pg_url) as db_url:
            full = run_phase(script, "--phase", "full", "--csv", str(csv), "--db-url", db_url)
        naive = run_phase(script, "--phase", "naive", "--csv", str(csv))
        if full["rows_accepted"] != args.rows:  # an error, whatever the timing (the CI smoke run)
            raise SystemExit(f"the import accepted {full['rows_accepted']} of {args.rows} rows")
        print(
            json.dumps(
                {
                    "benchmark": "ingest",
                    "backend": args.backend,
                    "rows": args.rows,
                    "csv_mb": round(csv.stat().st_size / 2**20, 1),
                    "full_import_s": round(full["seconds"], 2),
                    "naive_sjoin_s": round(naive["seconds"], 2),
                    "ratio_full_over_naive": round(full["seconds"] / naive["seconds"], 2),
                    "full_rows_per_s": round(args.rows / full["seconds"]),
                    "full_rows_accepted": full["rows_accepted"],
                    "naive_rows_out": naive["rows_out"],
                    "full_peak_rss_mb": round(full["peak_rss_mb"]),
                    "full_peak_rss_parent_writer_mb": [
                        round(full["parent_peak_rss_mb"]),
                        round(full["writer_peak_rss_mb"]),
                    ],
                    "full_stages_s": full["stages_s"],
                    "naive_peak_rss_mb": round(naive["peak_rss_mb"]),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
