"""Helpers shared by the benchmark scripts (not tests: they print JSON, assert nothing)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Sampler:
    """Calls :meth:`sample` every ``interval_s`` in a background thread, from ``with`` until its end
    (and once more at the end, so a short phase is sampled at least once)."""

    def __init__(self, interval_s: float, name: str) -> None:
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=name)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.sample()

    def sample(self) -> None:
        raise NotImplementedError


class ChildPeakRss(Sampler):
    """Largest peak resident memory (VmHWM) of child processes running ``command_contains``.

    The import's SQLite writer is a child process. ``getrusage(RUSAGE_CHILDREN)`` is no use
    for it: Linux carries the parent's high-water mark at spawn time into the child's, so it
    would report this process's size again. VmHWM belongs to the child's own address space;
    it only grows, so sampling it every ``interval_s`` until the child exits loses at most
    the last interval's growth.
    """

    def __init__(self, command_contains: str, interval_s: float = 0.05) -> None:
        super().__init__(interval_s, name="child-rss")
        self.peak_kib = 0
        self._command_contains = command_contains.encode()

    @property
    def peak_mb(self) -> float:
        return self.peak_kib / 1024

    def sample(self) -> None:
        for pid in _child_pids():
            with contextlib.suppress(OSError, ValueError):
                # Between fork and exec a child still shows this process's memory: skip it.
                if self._command_contains not in Path(f"/proc/{pid}/cmdline").read_bytes():
                    continue
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kib = max(self.peak_kib, int(line.split()[1]))


def _child_pids() -> list[str]:
    pids: list[str] = []
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            pids.extend(children.read_text().split())
    return pids


def run_phase(script: Path, *args: str) -> dict[str, Any]:
    """Run one phase in a fresh interpreter so its peak RSS and timing are its own."""
    result = subprocess.run(
        [sys.executable, str(script), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"phase {args} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def fill_store(rows: int, db: Path | str) -> tuple[Any, float]:
    """A fresh store holding ``rows`` demo incidents (seed 11), and the seconds it took.

    ``db``: a SQLite file, or a store URL (:func:`bench_store_url`).
    """
    from incidents.demo import generate_demo_incidents
    from incidents.store import BatchMeta, open_store

    store = open_store(db if isinstance(db, str) else f"sqlite:///{db}")
    start = time.perf_counter()
    frame = generate_demo_incidents(n=rows, seed=11)
    store.add_batch(frame, BatchMeta("bench (synthetic)", "0" * 64, "demo"))
    return store, time.perf_counter() - start


#: Where the PostgreSQL benchmarks find their server when ``--pg-url`` is not given.
PG_URL_ENVS = ("SAHEL_BENCH_PG_URL", "SAHEL_TEST_PG_URL")


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """``--backend sqlite|postgresql`` and ``--pg-url`` (a server the benchmark may write a schema in)."""
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url",
        default=next((os.environ[name] for name in PG_URL_ENVS if os.environ.get(name)), None),
        help=f"PostgreSQL server for --backend postgresql (default: ${PG_URL_ENVS[0]} or ${PG_URL_ENVS[1]})",
    )


def add_answers_argument(parser: argparse.ArgumentParser) -> None:
    """``--answers auto|memory|database``: who computes the filtered pages' figures (``SAHEL_QUERIES``)."""
    parser.add_argument(
        "--answers",
        choices=("auto", "memory", "database"),
        default="auto",
        help="who computes the filtered pages' figures, as SAHEL_QUERIES (auto: the database on "
        "PostgreSQL, memory on SQLite)",
    )


@contextlib.contextmanager
def bench_store_url(backend: str, folder: Path, pg_url: str | None = None) -> Iterator[str]:
    """The URL of a new, empty store: a SQLite file in ``folder``, or a fresh schema on the
    PostgreSQL server ``pg_url`` (its ``search_path``), dropped when the benchmark ends."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    if not pg_url:
        raise SystemExit(f"--backend postgresql needs --pg-url or ${PG_URL_ENVS[0]}")
    from tests.pg_schemas import empty_pg_schema

    with empty_pg_schema(pg_url, prefix="bench") as url:
        yield url
