"""Compact incident rows (schema version 5): label dictionary, batch keys, the ``incidents`` view,
and the migration of a version-4 store. Run against SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import column, inspect, table, text

from incidents.cli.main import main as cli_main
from incidents.model import INCIDENT_COLUMNS, conform_incidents
from incidents.store import BatchMeta, IncidentStore, open_store, schema
from incidents.store import migrations as migrations_module
from incidents.store.labels import LABEL_COLUMNS, MISSING, encode_labels
from incidents.store.migrations import V1_INCIDENTS, current_version
from incidents.store.sql import ANALYSIS_COLUMNS, analysis_frame_from_rows

META = BatchMeta(file_name="f.csv", sha256="0" * 64, format="generic", rows_read=3)
V4_BATCHES = V1_INCIDENTS.metadata.tables["batches"]


def rich_incidents(ids: list[str], dataset: str = "acled", first_day: str = "2023-12-30") -> pd.DataFrame:
    """Canonical rows with every label column used: NULLs, accents, a text shared by two columns."""
    n = len(ids)

    def cycle(*values: Any) -> list[Any]:
        return [values[i % len(values)] for i in range(n)]

    frame = pd.DataFrame(
        {
            "source_dataset": [dataset] * n,
            "source_event_id": ids,
            "event_date": pd.date_range(first_day, periods=n, freq="3D"),
            "date_precision": cycle("day", "week", "month"),
            "country_iso3": cycle("MLI", "BFA", None),
            "country": cycle("Mali", "Burkina Faso", None),
            "admin1_code": cycle("ML-7", None, "BF-13"),
            "admin1_name": cycle("Gao", None, "Sahel"),
            "admin2_code": cycle("ML.GA.GA", None),
            "admin2_name": cycle("Gao", None),  # same text as admin1_name: one label
            "reported_country": cycle("Mali", "Burkina-Faso", None),
            "reported_admin1": cycle("Ségou", None),
            "reported_admin2": cycle(None, "Tominian"),
            "location": cycle("Ménaka", "near Djibo", ""),  # "" is a label, not NULL
            "latitude": cycle(16.27, 14.1, -0.5),
            "longitude": cycle(-0.04, -1.63, 2.25),
            "geo_precision": cycle(1, 2, 3),
            "event_type": cycle("battle", "abduction", "other"),
            "sub_event_type": cycle("Armed clash", None),
            "actor1": cycle("JNIM", "Mali", None),  # "Mali" also a country
            "actor2": cycle(None, "Civilians (Mali)"),
            "actor_group": cycle("JNIM", "state forces", "unidentified"),
            "fatalities": list(range(n)),
            "civilian_targeting": cycle(True, False),
            "notes": cycle("<script>alert(1)</script>", None, "note ünicode"),
            "source": cycle("Le Monde", None),
        }
    )
    return conform_incidents(frame)


def with_batch(frame: pd.DataFrame, batch_id: str, created_at: datetime) -> pd.DataFrame:
    out = frame.copy()
    out["batch_id"] = batch_id
    out["imported_at"] = pd.Timestamp(created_at)
    return conform_incidents(out)


def expected(*frames: pd.DataFrame) -> pd.DataFrame:
    rows = pd.concat(frames).sort_values(["event_date", "incident_id"], kind="stable")
    return conform_incidents(rows)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield request.getfixturevalue("pg_url")


def test_every_column_round_trips(store: IncidentStore) -> None:
    first = rich_incidents([f"a{i}" for i in range(7)])
    second = rich_incidents([f"b{i}" for i in range(5)], dataset="ucdp", first_day="2024-02-01")
    one = store.add_batch(first, META)
    two = store.add_batch(second, META)
    loaded = store.load_incidents()
    want = expected(
        with_batch(first, one.batch_id, one.created_at), with_batch(second, two.batch_id, two.created_at)
    )
    pd.testing.assert_frame_equal(loaded, want)
    details = store.load_incident_details(["ucdp:b3", "acled:a0"]).sort_values("incident_id")
    pd.testing.assert_frame_equal(
        details.reset_index(drop=True),
        want[want["incident_id"].isin(["ucdp:b3", "acled:a0"])]
        .sort_values("incident_id")
        .reset_index(drop=True),
    )
    assert store.count_incidents(source_dataset="ucdp") == 5
    assert store.count_incidents(source_dataset="manual") == 0
    mali = store.load_incidents(countries=["MLI"], since=date(2024, 1, 1))
    assert (
        mali["incident_id"].tolist()
        == want.loc[
            (want["country_iso3"] == "MLI") & (want["event_date"] >= "2024-01-01"), "incident_id"
        ].tolist()
    )


def test_labels_are_shared_and_null_stays_null(store: IncidentStore) -> None:
    store.add_batch(rich_incidents(["a", "b", "c"]), META)
    store.add_batch(rich_incidents(["d", "e"]), META)  # no new label texts
    with store.engine.connect() as conn:
        labels = conn.execute(text("SELECT text FROM labels")).scalars().all()
        nulls = conn.execute(
            text("SELECT count(*) FROM incident_rows WHERE country_iso3 IS NULL OR notes IS NULL")
        ).scalar_one()
    assert len(labels) == len(set(labels))
    assert labels.count("Mali") == 1 and "" in labels
    assert nulls == 3  # a third of the rows have no country, a third no notes: b, c, e


def test_the_incidents_view_shows_readable_rows(store: IncidentStore) -> None:
    record = store.add_batch(rich_incidents(["a", "b"]), META)
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM incidents ORDER BY incident_id")).mappings().all()
    assert list(rows[0].keys()) == list(INCIDENT_COLUMNS)
    assert rows[0]["country"] == "Mali" and rows[1]["country"] == "Burkina Faso"
    assert rows[1]["reported_admin1"] is None and rows[0]["notes"] == "<script>alert(1)</script>"
    assert str(rows[0]["event_date"]) == "2023-12-30" and rows[0]["batch_id"] == record.batch_id


def test_analysis_frame_matches_decoding_text(store: IncidentStore) -> None:
    frame = rich_incidents([f"a{i}" for i in range(9)])
    record = store.add_batch(frame, META)
    ordered = expected(with_batch(frame, record.batch_id, record.created_at))
    want = analysis_frame_from_rows(
        list(
            ordered[list(ANALYSIS_COLUMNS)]
            .astype(object)
            .where(ordered[list(ANALYSIS_COLUMNS)].notna(), None)
            .itertuples(index=False, name=None)
        )
    )
    pd.testing.assert_frame_equal(store.load_analysis_frame(), want)


def test_batch_keys_and_undo(store: IncidentStore) -> None:
    one = store.add_batch(rich_incidents(["a", "b"]), META)
    two = store.add_batch(rich_incidents(["c"]), META)
    with store.engine.connect() as conn:
        keys = conn.execute(text("SELECT batch_id, batch_key FROM batches")).all()
    assert sorted(key for _id, key in keys) == [1, 2]
    assert "batch_key" not in store.list_batches().columns
    # The analysis frame names each row's batch, as the full rows do (the credits name its file).
    analysis = store.load_analysis_frame().set_index("incident_id")["batch_id"].astype(str).to_dict()
    assert analysis == store.load_incidents().set_index("incident_id")["batch_id"].to_dict()
    assert sorted(analysis.values()) == sorted([one.batch_id, one.batch_id, two.batch_id])
    assert store.undo_batch(one.batch_id) == 2
    assert store.load_incidents()["batch_id"].tolist() == [two.batch_id]
    three = store.add_batch(rich_incidents(["a"]), META)  # the undone id can come back
    assert set(store.load_incidents()["batch_id"]) == {two.batch_id, three.batch_id}


# ---- migration 4 -> 5 -------------------------------------------------------------------


def write_v4_batch(conn: Any, frame: pd.DataFrame, batch_id: str, created_at: datetime, status: str) -> None:
    """Rows as the version-4 store wrote them: text columns, batch_id and imported_at per row."""
    conn.execute(
        V4_BATCHES.insert().values(
            batch_id=batch_id,
            file_name="old.csv",
            sha256="1" * 64,
            format="acled",
            user_name="ana",
            created_at=created_at,
            rows_read=len(frame),
            rows_accepted=len(frame),
            rows_rejected=0,
            rows_duplicate=0,
            status=status,
        )
    )
    if status == "undone":
        return  # the old undo deleted the rows and kept the batch
    records = []
    for row in frame.itertuples(index=False):
        record = {
            name: (None if pd.isna(value) else value) for name, value in zip(frame.columns, row, strict=True)
        }
        record["event_date"] = row.event_date.date()
        record.update(
            batch_id=batch_id,
            imported_at=created_at,
            geo_precision=int(row.geo_precision),
            fatalities=int(row.fatalities),
            civilian_targeting=bool(row.civilian_targeting),
        )
        records.append(record)
    conn.execute(V1_INCIDENTS.insert(), records)


#: Label columns of ``incident_rows`` in versions 5 and 6.
V6_LABEL_COLUMNS = tuple(name for name in LABEL_COLUMNS if name != "event_type_reported")
V6_ROW_COLUMNS = tuple(
    column.name
    for column in schema.incident_rows.columns
    if column.name not in ("event_type_reported", "uncertainty_km")
)


def write_v6_batch(conn: Any, frame: pd.DataFrame, batch_id: str, created_at: datetime) -> None:
    """Rows as the version-5 and -6 programs wrote them: the columns of those versions only."""
    batch_key = IncidentStore._insert_batch(conn, batch_id, created_at, META, len(frame))
    labels = encode_labels(conn, frame, V6_LABEL_COLUMNS)
    records = []
    for position, row in enumerate(frame.itertuples(index=False)):
        record: dict[str, Any] = {
            name: (None if pd.isna(value) else value)
            for name, value in zip(frame.columns, row, strict=True)
            if name in V6_ROW_COLUMNS
        }
        for name in V6_LABEL_COLUMNS:
            code = int(labels[name][position])
            record[name] = None if code == MISSING else code
        record.update(
            event_day=(row.event_date.date() - date(1970, 1, 1)).days,
            geo_precision=int(row.geo_precision),
            fatalities=int(row.fatalities),
            civilian_targeting=bool(row.civilian_targeting),
            batch_key=batch_key,
        )
        records.append(record)
    rows = table("incident_rows", *(column(name) for name in V6_ROW_COLUMNS))
    conn.execute(rows.insert(), records)


def test_a_version_4_store_is_compacted_without_losing_anything(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _migrations_up_to(4, monkeypatch)
    first = rich_incidents([f"a{i}" for i in range(8)])
    undone = rich_incidents(["u1", "u2"], dataset="manual")
    second = rich_incidents([f"b{i}" for i in range(6)], dataset="ucdp", first_day="2024-03-01")
    stamps = [
        datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        datetime(2025, 2, 1, tzinfo=UTC),
        datetime(2025, 3, 1, 12, tzinfo=UTC),
    ]
    old = open_store(url)
    try:
        with old.engine.begin() as conn:
            assert current_version(conn) == 4
            write_v4_batch(conn, first, "20250102T030405Z-aaaaaaaa", stamps[0], "committed")
            write_v4_batch(conn, undone, "20250201T000000Z-bbbbbbbb", stamps[1], "undone")
            write_v4_batch(conn, second, "20250301T120000Z-cccccccc", stamps[2], "committed")
        with old.engine.connect() as conn:
            table_before = conn.execute(text("SELECT * FROM incidents ORDER BY incident_id")).all()
            columns = ", ".join(ANALYSIS_COLUMNS)
            analysis_rows = conn.execute(
                text(f"SELECT {columns} FROM incidents ORDER BY event_date, incident_id")
            ).all()
        batches_before = old.list_batches()
    finally:
        old.close()

    store = open_upgraded(url, monkeypatch)
    try:
        with store.engine.connect() as conn:
            v4_columns = ", ".join(column.name for column in V1_INCIDENTS.columns)
            view_after = conn.execute(text(f"SELECT {v4_columns} FROM incidents ORDER BY incident_id")).all()
        assert view_after == table_before  # every column of every row, as SQL sees it
        want = expected(
            with_batch(first, "20250102T030405Z-aaaaaaaa", stamps[0]),
            with_batch(second, "20250301T120000Z-cccccccc", stamps[2]),
        )
        pd.testing.assert_frame_equal(store.load_incidents(), want)
        pd.testing.assert_frame_equal(store.load_analysis_frame(), analysis_frame_from_rows(analysis_rows))
        pd.testing.assert_frame_equal(store.list_batches(), batches_before)
        assert store.count_incidents(source_dataset="ucdp") == 6
        assert store.date_range() == (date(2023, 12, 30), want["event_date"].max().date())
        assert store.existing_incident_ids(["acled:a1", "manual:u1"]) == {"acled:a1"}
        # Batches keep working across the migration: a new one, then undo an old one.
        record = store.add_batch(rich_incidents(["u1"], dataset="manual"), META)
        with store.engine.connect() as conn:
            keys = dict(conn.execute(text("SELECT batch_id, batch_key FROM batches")).all())
        assert sorted(keys.values()) == [1, 2, 3, 4] and keys[record.batch_id] == 4
        assert store.undo_batch("20250102T030405Z-aaaaaaaa") == 8
        assert sorted(store.load_incidents()["incident_id"]) == sorted(
            ["manual:u1", *[f"ucdp:b{i}" for i in range(6)]]
        )
    finally:
        store.close()


def test_an_empty_version_4_store_migrates(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _migrations_up_to(4, monkeypatch)
    open_store(url).close()
    monkeypatch.undo()
    store = open_store(url)
    try:
        assert store.count_incidents() == 0 and store.date_range() is None
        store.add_batch(rich_incidents(["a"]), META)
        assert store.load_incidents()["incident_id"].tolist() == ["acled:a"]
        assert np.isclose(store.load_analysis_frame()["latitude"].iloc[0], 16.27)
    finally:
        store.close()


def test_the_cli_says_when_it_upgrades_an_older_store(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _migrations_up_to(4, monkeypatch)
    open_store(url).close()
    monkeypatch.undo()
    monkeypatch.setenv("SAHEL_DB_URL", url)
    assert cli_main(["batches"]) == 0
    latest = migrations_module.LATEST_VERSION
    assert f"upgrading the store from schema version 4 to {latest}" in capsys.readouterr().err
    assert cli_main(["batches"]) == 0  # already upgraded: nothing to say
    assert "upgrading" not in capsys.readouterr().err


def test_a_new_store_is_created_without_an_upgrade_message(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    open_store(
        f"sqlite:///{tmp_path / 'new.db'}", on_upgrade=lambda old, new: calls.append((old, new))
    ).close()
    assert calls == []


class InjectedFailure(RuntimeError):
    pass


def test_a_failed_batch_leaves_no_labels_or_batch_key(
    store: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import incidents.store.sql as sql

    monkeypatch.setattr(sql, "INSERT_CHUNK_ROWS", 2)

    def fail(share: float) -> None:
        raise InjectedFailure("disk full")

    with pytest.raises(InjectedFailure):
        store.add_batch(rich_incidents(["a", "b", "c"]), META, progress=fail)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM labels")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM batches")).scalar_one() == 0
    record = store.add_batch(rich_incidents(["a"]), META)
    assert store.load_incidents()["batch_id"].tolist() == [record.batch_id]


def _migrations_up_to(version: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``open_store`` create or migrate stores as the program of schema ``version`` did."""
    monkeypatch.setattr(migrations_module, "MIGRATIONS", migrations_module.MIGRATIONS[:version])
    monkeypatch.setattr(migrations_module, "LATEST_VERSION", version)


def _make_version_4_store(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _migrations_up_to(4, monkeypatch)
    open_store(url).close()
    monkeypatch.undo()


def open_upgraded(url: str, monkeypatch: pytest.MonkeyPatch) -> IncidentStore:
    """The store at ``url`` opened by this program (``monkeypatch`` undone), checked to be at
    the latest schema version; the caller closes it."""
    monkeypatch.undo()
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            assert current_version(conn) == migrations_module.LATEST_VERSION
    except BaseException:
        store.close()
        raise
    return store


def test_a_failed_migration_leaves_no_half_schema(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _make_version_4_store(url, monkeypatch)

    def create_then_fail(conn: Any) -> None:
        conn.exec_driver_sql("CREATE TABLE half_done (a INTEGER)")
        raise InjectedFailure("killed mid-migration")

    monkeypatch.setattr(
        migrations_module,
        "MIGRATIONS",
        [*migrations_module.MIGRATIONS[:4], migrations_module.Migration(5, "fails", create_then_fail)],
    )
    monkeypatch.setattr(migrations_module, "LATEST_VERSION", 5)
    with pytest.raises(InjectedFailure):
        open_store(url)
    monkeypatch.undo()
    store = open_store(url)  # the real migration 5 still applies cleanly afterwards
    try:
        with store.engine.connect() as conn:
            assert not inspect(conn).has_table("half_done")  # the DDL rolled back with the rest
            assert current_version(conn) == migrations_module.LATEST_VERSION
    finally:
        store.close()


def test_opening_an_old_store_from_several_processes_at_once_migrates_it_once(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _make_version_4_store(url, monkeypatch)
    with ThreadPoolExecutor(max_workers=3) as pool:  # three replicas starting together
        stores = list(pool.map(lambda _: open_store(url), range(3)))
    for opened in stores:
        opened.close()
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            versions = conn.execute(text("SELECT version FROM schema_version ORDER BY version")).scalars()
            assert list(versions) == list(range(1, migrations_module.LATEST_VERSION + 1))
    finally:
        store.close()


def test_migration_6_drops_the_secondary_indexes_and_keeps_the_rows(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _migrations_up_to(5, monkeypatch)
    old = open_store(url)
    rows = rich_incidents([f"a{i}" for i in range(5)])
    created_at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    try:
        with old.engine.begin() as conn:
            write_v6_batch(conn, rows, "20250102T030405Z-aaaaaaaa", created_at)
        with old.engine.connect() as conn:
            assert len(inspect(conn).get_indexes("incident_rows")) == 3
    finally:
        old.close()
    store = open_upgraded(url, monkeypatch)
    try:
        with store.engine.connect() as conn:
            assert inspect(conn).get_indexes("incident_rows") == []
        want = expected(with_batch(rows, "20250102T030405Z-aaaaaaaa", created_at))
        pd.testing.assert_frame_equal(store.load_incidents(), want)
        assert store.date_range() is not None and store.count_incidents() == 5
    finally:
        store.close()
