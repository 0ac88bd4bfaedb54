"""Store lifecycle: migrations keep data, readers are never blocked or shown half a batch."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from incidents.errors import StoreError
from incidents.store import IncidentStore, open_store
from incidents.store import migrations as migrations_module
from incidents.store.migrations import Migration, current_version
from tests.unit.test_store import META, incidents
from tests.unit.test_store_compact import open_upgraded, rich_incidents, write_v4_batch

ROOT = Path(__file__).resolve().parents[2]


def _add_reviewed_flag(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE incident_rows ADD COLUMN reviewed BOOLEAN NOT NULL DEFAULT FALSE"))


def test_a_new_migration_upgrades_an_existing_store_without_losing_rows(
    store: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add_batch(incidents(["a", "b"]), META)
    url = store.url.render_as_string(hide_password=False)
    next_version = migrations_module.LATEST_VERSION + 1
    upgraded = (*migrations_module.MIGRATIONS, Migration(next_version, "reviewed flag", _add_reviewed_flag))
    monkeypatch.setattr(migrations_module, "MIGRATIONS", upgraded)
    monkeypatch.setattr(migrations_module, "LATEST_VERSION", next_version)
    reopened = open_store(url)
    try:
        with reopened.engine.connect() as conn:
            assert current_version(conn) == next_version
            query = text("SELECT reviewed FROM incident_rows ORDER BY incident_id")
            flags = conn.execute(query).scalars().all()
        assert [bool(flag) for flag in flags] == [False, False]
        assert reopened.load_incidents()["incident_id"].tolist() == ["manual:a", "manual:b"]
        again = open_store(url)  # applying twice is a no-op
        with again.engine.connect() as conn:
            assert current_version(conn) == next_version
        again.close()
    finally:
        reopened.close()


def test_a_store_from_a_newer_program_is_refused(store: IncidentStore) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO schema_version (version, applied_at, description) VALUES (99, :at, 'future')"),
            {"at": "2030-01-01 00:00:00"},
        )
    with pytest.raises(StoreError, match="newer"):
        open_store(store.url.render_as_string(hide_password=False))


def _counts_seen_during(args: list[str], url: str, reader: IncidentStore) -> tuple[set[int], int, str]:
    """Run ``python -m incidents ARGS`` on ``url`` while ``reader`` counts incidents as fast as it
    can: (every count seen, until and just after the command ends; how many reads; its stdout)."""
    env = {**os.environ, "SAHEL_DB_URL": url}
    writer = subprocess.Popen(
        [sys.executable, "-m", "incidents", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: set[int] = set()
    reads = 0
    try:
        while writer.poll() is None:
            seen.add(reader.count_incidents())
            reads += 1
            time.sleep(0.01)
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
    finally:
        if writer.poll() is None:
            writer.kill()
    seen.add(reader.count_incidents())
    return seen, reads, out


def test_readers_keep_working_and_see_whole_batches_while_the_cli_imports(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    reader = open_store(url)
    seen, reads, _out = _counts_seen_during(["demo", "--rows", "40000"], url, reader)
    reader.close()
    assert reads > 5, "the reader must have run while the import was in progress"
    # The demo is two batches (40,000 synthetic rows, 19 UCDP rows): never a partial batch.
    assert seen <= {0, 19, 40_000, 40_019}
    assert 40_019 in seen


def test_version_2_seeds_key_developments_and_corridors(store: IncidentStore) -> None:
    with store.engine.connect() as conn:
        titles = conn.execute(text("SELECT title FROM key_developments")).scalars().all()
        corridors = (
            conn.execute(
                text("SELECT corridor_id FROM corridor_versions WHERE version = 1 AND status = 'active'")
            )
            .scalars()
            .all()
        )
    assert any("counter-terrorism cooperation" in title for title in titles)
    assert sorted(corridors) == [f"C{i}" for i in range(1, 10)]


def test_a_version_1_store_is_upgraded_to_the_latest_version_with_its_incidents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'v1.db'}"
    monkeypatch.setattr(migrations_module, "MIGRATIONS", migrations_module.MIGRATIONS[:1])
    monkeypatch.setattr(migrations_module, "LATEST_VERSION", 1)
    old = open_store(url)
    with old.engine.begin() as conn:  # as the version-1 program wrote an import
        batch_id = "20240101T000000Z-00000000"
        write_v4_batch(conn, rich_incidents(["a"]), batch_id, datetime.now(UTC), "committed")
    old.close()
    upgraded = open_upgraded(url, monkeypatch)
    try:
        with upgraded.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM key_developments")).scalar_one() > 20
        assert upgraded.load_incidents()["incident_id"].tolist() == ["acled:a"]
    finally:
        upgraded.close()


@pytest.mark.slow
def test_readers_see_whole_batches_while_the_cli_streams_a_large_import_to_the_writer_process(
    tmp_path: Path,
) -> None:
    """A CSV over the writer-process threshold: the CLI checks and hands over chunks, a child writes them."""
    from bench.ingest import write_acled_csv
    from incidents.store.sqlite_bulk import BULK_MIN_ROWS

    rows = BULK_MIN_ROWS + 10_000
    csv = tmp_path / "large.csv"
    write_acled_csv(rows, csv)
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    reader = open_store(url)
    seen, reads, out = _counts_seen_during(["import", str(csv), "--max-mb", "200"], url, reader)
    assert reads > 5, "the reader must have run while the import was in progress"
    assert seen == {0, rows} or seen == {rows}  # never part of the batch
    assert f"{rows} rows read, {rows} accepted" in out
    with reader.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    reader.close()
