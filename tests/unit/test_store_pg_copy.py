"""PostgreSQL batches sent with COPY from Arrow CSV on a writer thread (incidents/store/pg_copy.py):
every awkward cell arrives as it was given, in parts, and any failure stores nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from incidents.errors import StoreError
from incidents.store import IncidentStore, open_store
from incidents.store import sql as store_sql
from incidents.store.pg_copy import CopyThread
from incidents.store.sql import BatchMeta
from tests.unit.test_store_compact import META, expected, rich_incidents, with_batch

pytestmark = pytest.mark.postgres

#: Texts CSV must quote or escape, an empty text (not NULL) and a NULL.
AWKWARD_TEXTS = [
    'a "quoted" word, then a comma',
    "two\nlines\r\nand a tab\there",
    "back\\slash \\N and \\. alone",
    "",
    None,
    "تمبكتو · Ménaka — «  »",
    ",",
]


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[IncidentStore]:
    opened = open_store(pg_url)
    assert opened.backend == "postgresql"
    yield opened
    opened.close()


def _awkward(ids: list[str]) -> pd.DataFrame:
    frame = rich_incidents(ids)
    n = len(frame)
    frame["notes"] = pd.Series([AWKWARD_TEXTS[i % len(AWKWARD_TEXTS)] for i in range(n)], dtype="string")
    frame["source_event_id"] = pd.Series([f'id,"{i}"\n' for i in range(n)], dtype="string")
    # Floats that a short decimal form would not give back exactly.
    frame["latitude"] = [0.1 + 0.2, 16.271234567890123, -1e-300, 25.0, 14.5, 3.0000000000000004, 9.9][:n]
    frame["uncertainty_km"] = [np.nan, 0.0, 1e-9, 12.5, np.nan, 7.25, 2.0][:n]
    frame["civilian_targeting"] = [True, False, True, True, False, False, True][:n]
    return frame


def test_awkward_cells_arrive_exactly_as_given(pg_store: IncidentStore) -> None:
    frame = _awkward([f"x{i}" for i in range(7)])
    record = pg_store.add_batch(frame, META)
    loaded = pg_store.load_incidents()
    pd.testing.assert_frame_equal(loaded, expected(with_batch(frame, record.batch_id, record.created_at)))
    details = pg_store.load_incident_details(frame["incident_id"].tolist()).set_index("incident_id")
    notes = details.loc[frame["incident_id"], "notes"].tolist()
    assert [None if pd.isna(note) else note for note in notes] == AWKWARD_TEXTS  # "" stays "", NULL NULL
    assert details["uncertainty_km"].isna().sum() == 2  # NaN stored as NULL


def test_a_batch_written_in_parts_reports_progress_and_stores_every_part(
    pg_store: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_sql, "BULK_CHUNK_ROWS", 3)
    frame = _awkward([f"p{i}" for i in range(7)])
    shares: list[float] = []
    with pg_store.batch_writer(META, expected_rows=len(frame)) as batch:
        batch.write(frame.iloc[:5], shares.append)
        batch.write(frame.iloc[5:])
        record = batch.commit(META)
    assert shares == [0.6, 1.0]  # parts of 3 then 2 of the first write
    assert record.rows_accepted == 7
    assert sorted(pg_store.load_incidents()["incident_id"]) == sorted(frame["incident_id"])


def test_a_duplicate_in_a_later_part_stores_nothing(
    pg_store: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_sql, "BULK_CHUNK_ROWS", 2)
    first = _awkward([f"d{i}" for i in range(5)])
    again = first.iloc[[1]]  # same incident_id as a row already sent in part one
    version = pg_store.data_version()
    with (
        pytest.raises(StoreError, match="already stored"),
        pg_store.batch_writer(META, expected_rows=6) as batch,
    ):
        batch.write(first)
        batch.write(again)
        batch.commit(META)
    assert pg_store.load_incidents().empty
    assert pg_store.list_batches().empty
    assert pg_store.data_version() == version


def test_a_failure_of_the_caller_while_parts_are_sent_stores_nothing(pg_store: IncidentStore) -> None:
    frame = _awkward([f"f{i}" for i in range(7)])
    meta = BatchMeta("f.csv", "2" * 64, "acled")
    with (
        pytest.raises(RuntimeError, match="reader failed"),
        pg_store.batch_writer(meta, expected_rows=7) as batch,
    ):
        batch.write(frame)
        raise RuntimeError("reader failed")
    assert pg_store.load_incidents().empty and pg_store.list_batches().empty
    # The writer thread is gone and the connection usable: the next import works.
    assert pg_store.add_batch(frame, META).rows_accepted == 7
    assert not [thread for thread in threading.enumerate() if thread.name == "pg-copy"]


def test_the_copy_thread_sends_in_order_and_hands_its_first_error_to_the_caller() -> None:
    sent: list[int] = []

    def send(item: int) -> None:
        if item == 3:
            raise ValueError("cannot send 3")
        sent.append(item)

    thread = CopyThread(send)
    for item in (1, 2, 3):
        thread.submit(item)
    with pytest.raises(ValueError, match="cannot send 3"):
        for item in range(4, 50):  # the error reaches a later submit at the latest...
            thread.submit(item)
    with pytest.raises(ValueError, match="cannot send 3"):
        thread.finish()  # ...and finish, always
    assert sent == [1, 2]  # nothing after the failure is sent
    thread.close()  # idempotent


def test_the_copy_thread_finishes_everything_submitted() -> None:
    sent: list[int] = []
    thread = CopyThread(sent.append)
    for item in range(20):
        thread.submit(item)
    thread.finish()
    assert sent == list(range(20))


def test_abort_interrupts_the_send_in_progress_and_drops_what_waits() -> None:
    started, cancelled = threading.Event(), threading.Event()
    sent: list[int] = []

    def send(item: int) -> None:
        started.set()
        if not cancelled.wait(timeout=30):  # a COPY the server is still busy with
            raise AssertionError("never cancelled")
        sent.append(item)
        raise RuntimeError("canceling statement due to user request")

    thread = CopyThread(send, cancel=cancelled.set)
    thread.submit(1)
    thread.submit(2)  # waits in the queue behind the send in progress
    assert started.wait(timeout=30)
    thread.abort()
    assert cancelled.is_set() and sent == [1]  # item 2 was never sent
    thread.abort()  # idempotent


def test_text_arrives_intact_whatever_the_connection_encoding(pg_url: str) -> None:
    """COPY says its data is UTF-8: a client encoding of WIN1252 must not mangle accents."""
    open_store(pg_url).close()  # made in UTF-8: the shipped reference rows are not all WIN1252
    store = open_store(f"{pg_url}&client_encoding=WIN1252")
    try:
        frame = rich_incidents(["e1", "e2"])
        frame["notes"] = pd.Series(["Ménaka, «  près de Ségou »", "Tombouctou — où ?"], dtype="string")
        store.add_batch(frame, META)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW client_encoding").scalar_one() == "WIN1252"
        details = store.load_incident_details(frame["incident_id"].tolist()).sort_values("incident_id")
        assert details["notes"].tolist() == frame["notes"].tolist()
    finally:
        store.close()
