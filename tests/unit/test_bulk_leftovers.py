"""Killed imports leave nothing behind: no hand-over directories, no writer process holding the lock.

Real processes and ``kill -9``: an importer (a Python process running a bulk SQLite batch)
and its writer child (incidents.store.sqlite_bulk).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import incidents.store.sql as sql
import incidents.store.sqlite_bulk as sqlite_bulk
from incidents.store import open_store
from tests.unit.test_store import incidents
from tests.unit.test_store_bulk_write import META, _alive

ROOT = str(Path(__file__).resolve().parents[2])
PREFIX = "sahel-batch-"  # sqlite_bulk.BATCH_DIR_PREFIX

#: The importer: starts a bulk batch, hands over one chunk, says its writer's pid and
#: directory, then (when told) is killed with its writer, or alone.
IMPORTER = """
import os, sys
sys.path.insert(0, {root!r})
import incidents.store.sql as sql
import incidents.store.sqlite_bulk as sqlite_bulk
from incidents.store import open_store
from tests.unit.test_store import incidents
from tests.unit.test_store_bulk_write import META
sql.BULK_MIN_ROWS = 0
sqlite_bulk.SHM_MIN_FREE_BYTES = 2**62  # hand-over directory in TMPDIR (the test's folder)
store = open_store({url!r})
print("ready", flush=True)
sys.stdin.readline()  # the test takes the write lock (or not) first
with store.batch_writer(META) as batch:
    batch.write(incidents(["a", "b", "c"]))
    writer = batch._bulk._process.pid
    print(writer, batch._bulk._directory, flush=True)
    if {kill_writer!r}:
        os.kill(writer, 9)
    os.kill(os.getpid(), 9)  # killed mid-import, before commit
"""


def _run_importer(
    tmp_path: Path, *, kill_writer: bool, hold_lock: bool
) -> tuple[int, Path, sqlite3.Connection]:
    """Run IMPORTER until it is killed; return its writer's pid, its directory and the lock holder."""
    database = tmp_path / "bulk.db"
    script = IMPORTER.format(root=ROOT, url=f"sqlite:///{database}", kill_writer=kill_writer)
    env = {**os.environ, "TMPDIR": str(tmp_path / "spill")}
    importer = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    assert importer.stdout is not None and importer.stdin is not None
    assert importer.stdout.readline().strip() == "ready"
    locker = sqlite3.connect(database, timeout=60, isolation_level=None)
    if hold_lock:
        locker.execute("BEGIN IMMEDIATE")  # the writer will wait for this lock
    importer.stdin.write("go\n")
    importer.stdin.flush()
    pid, directory = importer.stdout.readline().split()
    assert importer.wait(timeout=120) == -signal.SIGKILL
    return int(pid), Path(directory), locker


@pytest.fixture
def spill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Hand-over directories go to tmp_path/spill (the test never looks at the real /dev/shm)."""
    folder = tmp_path / "spill"
    folder.mkdir()
    monkeypatch.setattr(sqlite_bulk, "_SHM", str(tmp_path / "no-shm"), raising=False)
    monkeypatch.setattr(sqlite_bulk, "SHM_MIN_FREE_BYTES", 2**62)
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setattr(sql, "BULK_MIN_ROWS", 0)
    return folder


@pytest.mark.slow
def test_the_writer_ends_with_its_importer_even_while_waiting_for_the_lock(
    tmp_path: Path, spill: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'bulk.db'}")
    store.add_batch(incidents(["kept"]), META)
    writer, _directory, locker = _run_importer(tmp_path, kill_writer=False, hold_lock=True)
    # The writer waits up to its busy timeout for the lock the test still holds; it must not
    # outlive its importer by that long (it would then hold the write lock itself).
    deadline = time.monotonic() + sqlite_bulk.BUSY_TIMEOUT_MS / 1000 / 3
    while _alive(writer) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(writer), "the writer outlived its importer"
    locker.execute("ROLLBACK")
    locker.close()
    assert store.count_incidents() == 1
    store.add_batch(incidents(["d"]), META)  # nobody holds the write lock
    assert store.count_incidents() == 2
    store.close()


def test_the_next_batch_removes_the_directory_of_a_killed_import(tmp_path: Path, spill: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'bulk.db'}")
    store.add_batch(incidents(["kept"]), META)
    writer, directory, locker = _run_importer(tmp_path, kill_writer=True, hold_lock=False)
    locker.close()
    assert not _alive(writer)
    assert directory.parent == spill and directory.is_dir(), "kill -9 of both leaves the directory"
    live = spill / f"{PREFIX}{os.getpid()}-live"  # a running import's
    old_style = spill / f"{PREFIX}x1y2z3"  # no pid: not ours to judge
    unrelated = spill / "other-folder"
    for folder in (live, old_style, unrelated):
        folder.mkdir()

    store.add_batch(incidents(["d"]), META)  # the next bulk batch cleans up first

    assert not directory.exists()
    assert live.is_dir() and old_style.is_dir() and unrelated.is_dir()
    assert store.count_incidents() == 2
    store.close()


def test_stale_directories_are_found_by_pid(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(gone.stdout)
    stale = tmp_path / f"{PREFIX}{dead_pid}-abc"
    stale.mkdir()
    (stale / "000001.arrow").write_bytes(b"left over")
    mine = tmp_path / f"{PREFIX}{os.getpid()}-abc"
    mine.mkdir()
    if _alive(dead_pid):  # the pid was reused already: nothing to test this time
        pytest.skip("the pid was reused")
    assert sqlite_bulk.remove_stale_batch_dirs([str(tmp_path)]) == [stale]
    assert not stale.exists() and mine.is_dir()


def test_the_portable_watch_ends_a_writer_whose_parent_is_not_the_one_it_was_given() -> None:
    # Where the kernel cannot signal it, the writer compares os.getppid() with its importer's pid:
    # here its real parent (this test) is not pid 1, so it ends instead of sleeping.
    code = (
        f"import sys, time; sys.path.insert(0, {ROOT!r}); "
        "from incidents.store.sqlite_bulk import _end_with_parent; _end_with_parent(1); time.sleep(600)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 1
