"""The store contract, run against SQLite and (when available; always in CI) PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

import incidents.store.sql as sql
from incidents.admin_join import attach_admin_units
from incidents.auth import LOCAL_ADMIN
from incidents.errors import BatchNotFoundError, StoreError, StoreURLError
from incidents.store import BatchMeta, IncidentStore, open_store, resolve_db_url
from incidents.store.migrations import LATEST_VERSION, current_version
from tests.conftest import WRITER_KINDS, open_test_store


@pytest.fixture(params=WRITER_KINDS)
def writer_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IncidentStore]:
    """Both backends, and SQLite's child-process batch writer (tests/conftest.py): for the tests
    about writing batches. The others use the root conftest's ``store`` (SQLite, PostgreSQL)."""
    yield from open_test_store(request, tmp_path, request.param)


def incidents(ids: list[str], dataset: str = "manual") -> pd.DataFrame:
    n = len(ids)
    frame = pd.DataFrame(
        {
            "source_dataset": [dataset] * n,
            "source_event_id": ids,
            "event_date": pd.date_range("2024-01-01", periods=n, freq="D"),
            "date_precision": ["day"] * n,
            "latitude": [16.27 if i % 2 == 0 else 14.1 for i in range(n)],
            "longitude": [-0.04 if i % 2 == 0 else -1.63 for i in range(n)],
            "geo_precision": [1] * n,
            "event_type": ["battle"] * n,
            "actor_group": ["JNIM"] * n,
            "fatalities": list(range(n)),
            "civilian_targeting": [i % 3 == 0 for i in range(n)],
            "notes": ["<script>alert(1)</script>"] + ["note"] * (n - 1),
        }
    )
    return attach_admin_units(frame)


META = BatchMeta(file_name="f.csv", sha256="0" * 64, format="generic", rows_read=3)


def test_new_store_is_migrated_and_empty(store: IncidentStore) -> None:
    with store.engine.connect() as conn:
        assert current_version(conn) == LATEST_VERSION
    assert store.count_incidents() == 0
    assert store.data_version() == 0
    assert store.load_incidents().empty


def test_batch_round_trip_keeps_values(writer_store: IncidentStore) -> None:
    record = writer_store.add_batch(incidents(["a", "b", "c"]), META)
    assert record.rows_accepted == 3
    loaded = writer_store.load_incidents()
    assert loaded["incident_id"].tolist() == ["manual:a", "manual:b", "manual:c"]
    assert loaded["fatalities"].tolist() == [0, 1, 2]
    assert loaded["civilian_targeting"].tolist() == [True, False, False]
    assert loaded.loc[0, "notes"] == "<script>alert(1)</script>"
    assert loaded.loc[0, "admin2_name"] == "Gao"
    assert (loaded["batch_id"] == record.batch_id).all()
    assert writer_store.data_version() == 1


def test_filters_by_country_and_inclusive_dates(store: IncidentStore) -> None:
    store.add_batch(incidents(["a", "b", "c", "d"]), META)
    assert set(store.load_incidents(countries=["BFA"])["country_iso3"]) == {"BFA"}
    assert len(store.load_incidents(countries=["BFA"])) == 2
    window = store.load_incidents(since=date(2024, 1, 2), until=date(2024, 1, 3))
    assert window["event_date"].dt.date.tolist() == [date(2024, 1, 2), date(2024, 1, 3)]
    assert store.load_incidents(countries=[]).empty


def test_existing_ids(store: IncidentStore) -> None:
    store.add_batch(incidents(["a", "b"]), META)
    assert store.existing_incident_ids(["manual:a", "manual:z"]) == {"manual:a"}


def test_duplicate_id_aborts_the_whole_batch(writer_store: IncidentStore) -> None:
    writer_store.add_batch(incidents(["a"]), META)
    with pytest.raises(StoreError, match="already stored"):
        writer_store.add_batch(incidents(["b", "a"]), META)
    assert writer_store.count_incidents() == 1
    assert len(writer_store.list_batches()) == 1
    assert writer_store.data_version() == 1


def test_undo_removes_exactly_that_batch_and_is_audited(writer_store: IncidentStore) -> None:
    first = writer_store.add_batch(incidents(["a", "b"]), META)
    writer_store.add_batch(incidents(["c"]), META)
    assert writer_store.undo_batch(first.batch_id, user_name="ana") == 2
    assert writer_store.load_incidents()["incident_id"].tolist() == ["manual:c"]
    batches = writer_store.list_batches().set_index("batch_id")
    assert batches.loc[first.batch_id, "status"] == "undone"
    log = writer_store.audit_log()
    assert log.iloc[-1][["action", "batch_id", "user_name"]].tolist() == ["undo", first.batch_id, "ana"]
    with pytest.raises(StoreError, match="already undone"):
        writer_store.undo_batch(first.batch_id)
    with pytest.raises(BatchNotFoundError):
        writer_store.undo_batch("nope")


def test_reopening_keeps_data(writer_store: IncidentStore) -> None:
    writer_store.add_batch(incidents(["a"]), META)
    reopened = open_store(writer_store.url.render_as_string(hide_password=False))
    try:
        assert reopened.count_incidents() == 1
    finally:
        reopened.close()


def test_sqlite_store_uses_wal(sqlite_store: IncidentStore) -> None:
    with sqlite_store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_url_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAHEL_DB_URL", raising=False)
    default = resolve_db_url()
    assert default.get_backend_name() == "sqlite"
    assert default.database is not None and default.database.endswith("var/sahel.db")
    monkeypatch.setenv("SAHEL_DB_URL", "postgresql://u:p@h/db")
    assert resolve_db_url().drivername == "postgresql+psycopg"
    monkeypatch.setenv("SAHEL_DB_URL", "mysql://u:p@h/db")
    with pytest.raises(StoreURLError, match="supported"):
        resolve_db_url()
    monkeypatch.setenv("SAHEL_DB_URL", "not a url")
    with pytest.raises(StoreURLError, match="not a database URL"):
        resolve_db_url()


def test_unreachable_server_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot open the store"):
        open_store("postgresql://nobody:x@127.0.0.1:1/none?connect_timeout=2")


class InjectedFailure(RuntimeError):
    pass


def test_failure_mid_commit_leaves_the_store_unchanged(
    writer_store: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:

    writer_store.add_batch(incidents(["keep"]), META)
    before = (writer_store.count_incidents(), len(writer_store.list_batches()), writer_store.data_version())
    monkeypatch.setattr(sql, "INSERT_CHUNK_ROWS", 2)  # several chunks, so the failure is mid-way
    monkeypatch.setattr(sql, "BULK_CHUNK_ROWS", 2)  # the same for the child-process writer
    calls: list[float] = []

    def fail_after_first_chunk(share: float) -> None:
        calls.append(share)
        if len(calls) == 2:
            raise InjectedFailure("disk full")

    with pytest.raises(InjectedFailure):
        writer_store.add_batch(incidents(["a", "b", "c", "d", "e"]), META, progress=fail_after_first_chunk)
    assert calls[0] == pytest.approx(0.4)
    assert (
        writer_store.count_incidents(),
        len(writer_store.list_batches()),
        writer_store.data_version(),
    ) == before
    assert writer_store.load_incidents()["incident_id"].tolist() == ["manual:keep"]


def test_date_range(store: IncidentStore) -> None:
    assert store.date_range() is None
    store.add_batch(incidents(["a", "b", "c"]), META)
    assert store.date_range() == (date(2024, 1, 1), date(2024, 1, 3))


def test_analysis_frame_is_compact_and_details_are_complete(store: IncidentStore) -> None:
    from incidents.store.sql import ANALYSIS_COLUMNS

    store.add_batch(incidents(["a", "b", "c"]), META)
    frame = store.load_analysis_frame()
    assert list(frame.columns) == list(ANALYSIS_COLUMNS)
    assert str(frame["event_type"].dtype) == "category"
    assert frame["fatalities"].tolist() == [0, 1, 2]
    assert frame["event_date"].dt.date.tolist() == [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)]
    details = store.load_incident_details(["manual:c", "manual:a", "manual:zzz"])
    assert sorted(details["incident_id"]) == ["manual:a", "manual:c"]
    assert details.set_index("incident_id").loc["manual:a", "notes"] == "<script>alert(1)</script>"
    assert store.load_analysis_frame().shape[0] == 3
    empty = open_store(f"sqlite:///{store.url.database}.empty.db") if store.backend == "sqlite" else None
    if empty is not None:
        assert empty.load_analysis_frame().empty
        empty.close()


def test_incidents_version_moves_only_with_incidents(store: IncidentStore) -> None:
    from incidents.store import saved_views

    assert store.incidents_version() == 0
    record = store.add_batch(incidents(["a"]), META)
    assert store.incidents_version() == 1
    before = (store.incidents_version(), store.data_version())
    saved_views.save_view(
        store, saved_views.SavedView(name="mali", title="Mali", notes="", query="country=MLI"), by=LOCAL_ADMIN
    )
    assert store.incidents_version() == before[0]
    assert store.data_version() > before[1]
    store.undo_batch(record.batch_id)
    assert store.incidents_version() == 2


def test_nearby_fields_are_load_incidents_columns(store: IncidentStore) -> None:
    store.add_batch(incidents(["a", "b", "c", "d"]), META)
    store.add_batch(incidents(["x", "y"], dataset="acled"), META)
    since, until = date(2024, 1, 2), date(2024, 1, 3)
    nearby = store.load_nearby_fields(since, until)
    full = store.load_incidents(since=since, until=until)
    pd.testing.assert_frame_equal(nearby, full.loc[:, list(sql.NEARBY_COLUMNS)])
    assert sorted(nearby["incident_id"]) == ["acled:y", "manual:b", "manual:c"]
    empty = store.load_nearby_fields(date(2030, 1, 1), date(2030, 1, 2))
    pd.testing.assert_frame_equal(
        empty, store.load_incidents(since=date(2030, 1, 1)).loc[:, list(sql.NEARBY_COLUMNS)]
    )
