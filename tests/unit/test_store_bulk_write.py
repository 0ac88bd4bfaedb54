"""Bulk-write details of ``IncidentStore.add_batch`` on SQLite: indexes, atomicity and write order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import incidents.store.sql as sql
from incidents.ingest.adapters import _fold as fold_label
from incidents.ingest.parse import _fold as fold_date_text
from incidents.ingest.parse import remove_whitespace
from incidents.store import BatchMeta, IncidentStore, open_store
from tests.unit.test_store import incidents

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
