"""Bulk-write details of ``IncidentStore.add_batch`` on SQLite: indexes, atomicity and write order."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import incidents.store.sql as sql
import incidents.store.sqlite_bulk as sqlite_bulk
from incidents.errors import StoreError
from incidents.ingest.adapters import _fold as fold_label
from incidents.ingest.parse import _fold as fold_date_text
from incidents.ingest.parse import remove_whitespace
from incidents.store import BatchMeta, IncidentStore, open_store
from tests.unit.test_store import incidents
from tests.unit.test_store_compact import rich_incidents

META = BatchMeta(file_name="f.csv", sha256="0" * 64, format="generic", rows_read=3)


class InjectedFailure(Exception):
    pass


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[IncidentStore]:
    store = open_store(f"sqlite:///{tmp_path / 'bulk.db'}")
    yield store
    store.close()


def test_batches_write_no_secondary_indexes(sqlite_store: IncidentStore) -> None:
    """Schema 6: incident rows carry their primary key only, and stay intact over several batches."""
    sqlite_store.add_batch(incidents(["c", "a", "b"]), META)
    sqlite_store.add_batch(incidents(["d"]), META)
    with sqlite_store.engine.connect() as conn:
        indexes = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'incident_rows' "
            "AND sql IS NOT NULL"
        ).all()
        assert indexes == []
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    ids = sqlite_store.load_incidents()["incident_id"].tolist()
    assert sorted(ids) == ["manual:a", "manual:b", "manual:c", "manual:d"]


def test_a_failed_chunked_batch_writes_nothing(
    sqlite_store: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql, "INSERT_CHUNK_ROWS", 2)

    def fail(share: float) -> None:
        raise InjectedFailure("disk full")

    with pytest.raises(InjectedFailure):
        sqlite_store.add_batch(incidents(["a", "b", "c", "d", "e"]), META, progress=fail)
    assert sqlite_store.count_incidents() == 0
    assert sqlite_store.list_batches().empty


def test_vectorised_text_helpers_match_the_python_regex() -> None:
    cells = pd.Series(
        [" 12 .5", "a\u00a0b", None, "Févr. 2022", "X\tY  z", "", "Civilian  Targeting ", "ÉTÉ\u2003x"],
        dtype="string",
    )
    assert remove_whitespace(cells).equals(cells.str.replace(r"\s+", "", regex=True))
    expected_date = cells.str.lower().str.normalize("NFKD").str.replace(r"[\u0300-\u036f]", "", regex=True)
    assert fold_date_text(cells).equals(expected_date)
    expected_label = (
        cells.str.normalize("NFKD")
        .str.replace(r"[\u0300-\u036f]", "", regex=True)
        .str.casefold()
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
    )
    assert fold_label(cells).equals(expected_label)


def _bulk_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> IncidentStore:
    monkeypatch.setattr(sql, "BULK_MIN_ROWS", 0)
    store = open_store(f"sqlite:///{tmp_path / 'bulk.db'}")
    store.add_batch(incidents(["kept"]), META)
    return store


def test_a_killed_writer_process_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _bulk_store(tmp_path, monkeypatch)
    before = (store.count_incidents(), len(store.list_batches()), store.data_version())
    with pytest.raises(StoreError, match="writer process stopped"), store.batch_writer(META) as batch:
        batch.write(incidents(["a", "b"]))
        assert isinstance(batch, sql._BulkBatchWriter)
        batch._bulk._process.kill()
        batch._bulk._process.wait()
        batch.write(incidents(["c"]))
        batch.commit(META)
    assert (store.count_incidents(), len(store.list_batches()), store.data_version()) == before
    store.add_batch(incidents(["d"]), META)  # no lock or half batch left behind
    assert sorted(store.load_incidents()["incident_id"]) == ["manual:d", "manual:kept"]
    store.close()


def test_readers_see_the_old_rows_until_the_writer_process_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _bulk_store(tmp_path, monkeypatch)
    reader = open_store(f"sqlite:///{tmp_path / 'bulk.db'}")
    with store.batch_writer(META) as batch:
        batch.write(incidents(["a", "b", "c"]))
        assert reader.count_incidents() == 1  # WAL: readers never wait for the writer
        assert reader.load_incidents()["incident_id"].tolist() == ["manual:kept"]
        record = batch.commit(META)
    assert record.rows_accepted == 3
    assert reader.count_incidents() == 4
    with reader.engine.connect() as conn:  # the child skips SQLite's own check: nothing to find
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    reader.close()
    store.close()


PARENT_DIES_MID_BATCH = """
import os, sys
sys.path.insert(0, {root!r})
import incidents.store.sql as sql
from incidents.store import open_store
from tests.unit.test_store import incidents
from tests.unit.test_store_compact import rich_incidents
from tests.unit.test_store_bulk_write import META
sql.BULK_MIN_ROWS = 0
store = open_store({url!r})
with store.batch_writer(META) as batch:
    batch.write(incidents(["a", "b", "c"]))
    print(batch._bulk._process.pid, flush=True)
    os.kill(os.getpid(), 9)  # killed mid-import, before commit
"""


@pytest.mark.slow
def test_an_import_killed_mid_batch_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _bulk_store(tmp_path, monkeypatch)
    before = (store.count_incidents(), len(store.list_batches()), store.data_version())
    root = str(Path(__file__).resolve().parents[2])
    script = PARENT_DIES_MID_BATCH.format(root=root, url=f"sqlite:///{tmp_path / 'bulk.db'}")
    parent = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert parent.returncode == -9, parent.stderr
    child_pid = int(parent.stdout.split()[0])
    deadline = time.monotonic() + 30
    while _alive(child_pid) and time.monotonic() < deadline:  # the child sees its input end
        time.sleep(0.05)
    assert not _alive(child_pid)
    assert (store.count_incidents(), len(store.list_batches()), store.data_version()) == before
    store.add_batch(incidents(["d"]), META)  # the write lock was released
    assert store.count_incidents() == 2
    store.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


def _stored_cells(store: IncidentStore) -> dict[str, list[tuple[object, ...]]]:
    """Every cell with its SQLite storage class, minus ids and clock times (they differ by design)."""
    skip = {"batch_id", "created_at", "at"}
    cells: dict[str, list[tuple[object, ...]]] = {}
    with store.engine.connect() as conn:
        for table in ("incident_rows", "labels", "batches", "audit", "store_meta"):
            names = [
                row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({table})") if row[1] not in skip
            ]
            select_list = ", ".join(f"typeof({name}), {name}" for name in names)
            cells[table] = [tuple(row) for row in conn.exec_driver_sql(f"SELECT {select_list} FROM {table}")]
    return cells


def stores_by_both_writers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batches: list[pd.DataFrame]
) -> dict[str, IncidentStore]:
    """Two SQLite stores given the same ``batches``: written in this process ("here") and by
    the bulk writer's child process ("child"). The caller closes them."""
    meta = BatchMeta(file_name="f.csv", sha256="1" * 64, format="acled", user_name="ana", role="analyst")
    stores = {}
    for kind, threshold in (("here", 10**9), ("child", 0)):
        monkeypatch.setattr(sql, "BULK_MIN_ROWS", threshold)
        stores[kind] = open_store(f"sqlite:///{tmp_path / f'{kind}.db'}")
        for frame in batches:
            stores[kind].add_batch(frame, meta)
    return stores


def test_both_sqlite_writers_store_identical_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batches = [rich_incidents([f"a{i}" for i in range(7)]), rich_incidents(["u1", "u2"], dataset="ucdp")]
    stores = stores_by_both_writers(tmp_path, monkeypatch, batches)
    assert _stored_cells(stores["child"]) == _stored_cells(stores["here"])
    assert _stored_cells(stores["here"])["incident_rows"]  # not vacuously equal
    for store in stores.values():
        store.close()


def test_without_room_in_shared_memory_the_rows_travel_through_the_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _bulk_store(tmp_path, monkeypatch)
    monkeypatch.setattr(sqlite_bulk, "SHM_MIN_FREE_BYTES", 2**62)  # as a 64 MB container /dev/shm
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "spill"))
    (tmp_path / "spill").mkdir()
    with store.batch_writer(META) as batch:
        batch.write(incidents(["a", "b"]))
        assert isinstance(batch, sql._BulkBatchWriter)
        directory = batch._bulk._directory
        assert directory.parent == tmp_path / "spill" and oct(directory.stat().st_mode & 0o777) == "0o700"
        batch.commit(META)
    assert not directory.exists()  # removed when the batch ends
    assert store.count_incidents() == 3
    store.close()


def test_when_no_writer_process_can_start_the_batch_is_written_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _bulk_store(tmp_path, monkeypatch)

    def cannot_fork(database: Path) -> None:
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(sqlite_bulk, "_spawn", cannot_fork)
    monkeypatch.setattr(sqlite_bulk, "SHM_MIN_FREE_BYTES", 2**62)  # hand-over dir under tmp_path
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "spill"))
    (tmp_path / "spill").mkdir()
    with store.batch_writer(META) as batch:
        assert isinstance(batch, sql._SqlBatchWriter)
        batch.write(incidents(["a", "b"]))
        batch.commit(META)
    assert store.count_incidents() == 3
    assert list((tmp_path / "spill").iterdir()) == []  # the unused hand-over dir was removed
    store.close()
