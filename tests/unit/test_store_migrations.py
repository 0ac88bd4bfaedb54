"""Migrations cannot drift: on SQLite and PostgreSQL,

* a store built at every past schema version (with rows in it) and then upgraded has exactly the
  schema of a new store: tables, columns (type, nullability, default), keys, indexes, views;
* every version's schema is the one recorded in tests/fixtures/store_schema/ (so editing an old
  migration, or a table definition an old migration still read, changes no store);
* the latest schema is the one incidents/store/schema.py describes (so a column added to
  schema.py without a migration, or a migration without schema.py, fails here).

A new migration N+1 needs a new recorded schema: ``python -m tests.unit.test_store_migrations``
(SQLite always; PostgreSQL when SAHEL_TEST_PG_URL is set) adds the missing versions and never
rewrites a recorded one.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, column, create_engine, inspect, table, text

from incidents.store import migrations as migrations_module
from incidents.store import open_store, schema
from incidents.store.migrations import LATEST_VERSION, current_version
from tests.conftest import PG_ENV
from tests.pg_schemas import empty_pg_schema
from tests.unit.test_store_compact import (
    rich_incidents,
    url,  # noqa: F401 - the SQLite/PostgreSQL store URL fixture
    write_v4_batch,
    write_v6_batch,
)

SNAPSHOTS = Path(__file__).resolve().parents[1] / "fixtures" / "store_schema"


# ---- what a store's schema is --------------------------------------------------------------


def _squeeze(sql: str | None) -> str | None:
    return None if sql is None else re.sub(r"\s+", " ", sql).strip()


def _column(name: str, kind: str, not_null: Any, default: Any) -> str:
    return (
        f"{name} {kind}"
        + (" NOT NULL" if not_null else "")
        + ("" if default is None else f" DEFAULT {default}")
    )


def _sqlite_structure(conn: Connection) -> dict[str, Any]:
    def rows(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in conn.exec_driver_sql(sql).all()]

    tables: dict[str, Any] = {}
    names = rows(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    for (name,) in names:
        info = rows(f"PRAGMA table_info('{name}')")  # cid, name, type, notnull, dflt_value, pk
        indexes = {}
        for _seq, index, unique, origin, partial in rows(f"PRAGMA index_list('{name}')"):
            columns = [row[2] for row in rows(f"PRAGMA index_info('{index}')")]
            kind = "UNIQUE INDEX" if unique else "INDEX"
            indexes[index] = f"{kind} ({', '.join(columns)}) origin {origin}" + (
                " PARTIAL" if partial else ""
            )
        tables[name] = {
            "columns": [
                _column(col, kind, notnull, default) for _cid, col, kind, notnull, default, _pk in info
            ],
            "primary_key": [row[1] for row in sorted((r for r in info if r[5]), key=lambda r: r[5])],
            "foreign_keys": sorted(
                f"({fk_from}) REFERENCES {fk_table} ({fk_to}) ON UPDATE {on_update} ON DELETE {on_delete} "
                f"MATCH {match}"
                for _id, _seq, fk_table, fk_from, fk_to, on_update, on_delete, match in rows(
                    f"PRAGMA foreign_key_list('{name}')"
                )
            ),
            "indexes": [f"{index} {definition}" for index, definition in sorted(indexes.items())],
        }
    views = {
        name: [f"{row[1]} {row[2]}".strip() for row in rows(f"PRAGMA table_info('{name}')")]
        for (name,) in rows("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name")
    }
    return {"tables": tables, "views": views}


def _pg_structure(conn: Connection) -> dict[str, Any]:
    def rows(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in conn.execute(text(sql)).all()]

    tables: dict[str, Any] = {}
    names = rows(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    for (name,) in names:
        columns = rows(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            f"WHERE a.attrelid = '{name}'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        )
        constraints = rows(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            f"WHERE conrelid = '{name}'::regclass ORDER BY conname"
        )
        indexes = rows(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            f"AND tablename = '{name}' ORDER BY indexname"
        )
        schema_prefix = conn.execute(text("SELECT current_schema()")).scalar_one() + "."
        tables[name] = {
            "columns": [_column(*row) for row in columns],
            "constraints": [f"{conname} {definition}" for conname, _contype, definition in constraints],
            "indexes": [definition.replace(schema_prefix, "") for _index, definition in indexes],
        }
    sequences = rows(
        "SELECT s.relname, t.relname, a.attname FROM pg_class s "
        "JOIN pg_namespace n ON n.oid = s.relnamespace "
        "LEFT JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass "
        "AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
        "LEFT JOIN pg_class t ON t.oid = d.refobjid "
        "LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
        "WHERE s.relkind = 'S' AND n.nspname = current_schema() ORDER BY s.relname"
    )
    views = {
        name: [
            f"{attname} {kind}"
            for attname, kind in rows(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                f"WHERE a.attrelid = '{name}'::regclass AND a.attnum > 0 ORDER BY a.attnum"
            )
        ]
        for (name,) in rows(
            "SELECT table_name FROM information_schema.views WHERE table_schema = current_schema() "
            "ORDER BY table_name"
        )
    }
    return {
        "tables": tables,
        "sequences": [f"{seq} OWNED BY {owner}.{col}" for seq, owner, col in sequences],
        "views": views,
    }


def structure(conn: Connection) -> dict[str, Any]:
    """Tables (columns with type, NOT NULL and default; keys; indexes), sequences and the views'
    columns, as the database's own catalog reports them. JSON-ready, stable across servers."""
    return _pg_structure(conn) if conn.dialect.name == "postgresql" else _sqlite_structure(conn)


def definitions(conn: Connection) -> dict[str, Any]:
    """The stored DDL text: SQLite's ``sqlite_master``; PostgreSQL's view definitions."""
    if conn.dialect.name == "postgresql":
        found = conn.execute(
            text("SELECT viewname, definition FROM pg_views WHERE schemaname = current_schema() ORDER BY 1")
        ).all()
    else:
        found = conn.exec_driver_sql(
            "SELECT type || ' ' || name || ' ON ' || tbl_name, sql FROM sqlite_master ORDER BY 1"
        ).all()
    return {name: _squeeze(sql) for name, sql in found}


def describe(store_url: str) -> dict[str, Any]:
    engine = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return {"version": current_version(conn), **structure(conn), "ddl": definitions(conn)}
    finally:
        engine.dispose()


def _dialect(store_url: str) -> str:
    return "postgresql" if store_url.startswith("postgresql") else "sqlite"


def recorded(dialect: str) -> dict[str, Any]:
    path = SNAPSHOTS / f"{dialect}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _migrations_up_to(version: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``open_store`` create or migrate stores as the program of schema ``version`` did."""
    monkeypatch.setattr(migrations_module, "MIGRATIONS", migrations_module.MIGRATIONS[:version])
    monkeypatch.setattr(migrations_module, "LATEST_VERSION", version)


# ---- rows an older program wrote ------------------------------------------------------------

STAMP = datetime(2025, 3, 1, 12, tzinfo=UTC)
BATCH_ID = "20250301T120000Z-aaaaaaaa"


def _insert(conn: Connection, table_name: str, /, **values: Any) -> None:
    conn.execute(table(table_name, *(column(key) for key in values)).insert().values(**values))


def write_rows_of_version(conn: Connection, version: int) -> dict[str, int]:
    """A few rows in every table ``version`` has that users fill; returns the expected counts."""
    incidents = rich_incidents(["a0", "a1", "a2"])
    if version <= 4:
        write_v4_batch(conn, incidents, BATCH_ID, STAMP, "committed")
    else:
        write_v6_batch(conn, incidents, BATCH_ID, STAMP)
    _insert(conn, "audit", at=STAMP, user_name="ana", action="import", batch_id=BATCH_ID, details="SYNTHETIC")
    counts = {"incidents": 3, "batches": 1, "audit": 1}
    if version >= 2:
        _insert(
            conn,
            "sites",
            site_id="site:1",
            batch_id=BATCH_ID,
            name="SYNTHETIC office",
            site_type="office",
            kind="site",
            latitude=16.27,
            longitude=-0.04,
            geometry_wkt="POINT (-0.04 16.27)",
            created_at=STAMP,
        )
        counts["sites"] = 1
    if version >= 3:
        _insert(
            conn,
            "saved_views",
            name="SYNTHETIC view",
            position=1,
            title="Gao",
            notes="",
            query="country=MLI",
            center_lat=16.27,
            center_lon=-0.04,
            zoom=7,
            layers="[]",
            created_by="ana",
            updated_at=STAMP,
        )
        counts["saved_views"] = 1
    if version >= 4:
        _insert(
            conn,
            "users",
            name="ana",
            role="analyst",
            password_hash="$argon2id$SYNTHETIC",
            disabled=False,
            created_at=STAMP,
            updated_at=STAMP,
        )
        _insert(conn, "signin_attempts", at=STAMP, user_name="ana", client_key="", succeeded=True)
        counts.update(users=1, signin_attempts=1)
    if version >= 8:
        _insert(
            conn,
            "outlook_adjustments",
            level="admin2",
            unit_code="BF-BAL",
            version=1,
            status="active",
            percent=25.0,
            note="SYNTHETIC adjustment",
            created_by="ana",
            created_at=STAMP,
        )
        counts["outlook_adjustments"] = 1
    return counts


def _counts(store_url: str, names: list[str]) -> dict[str, int]:
    engine = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return {name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in names}
    finally:
        engine.dispose()


@contextmanager
def _another_empty_store(store_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as ``store_url``."""
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'new.db'}"
    else:
        with empty_pg_schema(os.environ[PG_ENV]) as new_url:
            yield new_url


# ---- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", range(1, LATEST_VERSION))
def test_a_store_of_every_past_version_upgrades_to_a_new_stores_schema(
    version: int,
    url: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialect = _dialect(url)
    with monkeypatch.context() as patched:
        _migrations_up_to(version, patched)
        old = open_store(url)
        try:
            with old.engine.begin() as conn:
                assert current_version(conn) == version
                counts = write_rows_of_version(conn, version)
        finally:
            old.close()
    at_version = describe(url)
    snapshot = recorded(dialect).get(str(version))
    assert snapshot is not None, f"no recorded {dialect} schema of version {version} in {SNAPSHOTS}"
    assert {key: at_version[key] for key in snapshot} == snapshot, f"version {version} is not as recorded"

    open_store(url).close()  # the upgrade
    upgraded = describe(url)
    assert _counts(url, list(counts)) == counts  # nothing lost on the way

    with _another_empty_store(url, tmp_path) as new_url:
        open_store(new_url).close()
        new = describe(new_url)
    assert upgraded["version"] == new["version"] == LATEST_VERSION
    assert upgraded == new


def test_a_new_store_has_the_recorded_latest_schema(url: str) -> None:  # noqa: F811
    open_store(url).close()
    found = describe(url)
    snapshot = recorded(_dialect(url)).get(str(LATEST_VERSION))
    assert snapshot is not None, (
        f"no recorded schema of version {LATEST_VERSION}: record it (module docstring)"
    )
    assert {key: found[key] for key in snapshot} == snapshot


def _declared_indexes(declared: Any) -> set[tuple[Any, ...]]:
    out = {
        (index.name, tuple(c.name for c in index.columns), bool(index.unique)) for index in declared.indexes
    }
    out |= {(None, (c.name,), True) for c in declared.columns if c.unique}
    return out


def test_the_latest_schema_is_what_schema_py_describes(url: str) -> None:  # noqa: F811
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            found = inspect(conn)
            assert sorted(found.get_table_names()) == sorted(schema.metadata.tables)
            assert found.get_view_names() == ["incidents"]
            for name, declared in schema.metadata.tables.items():
                columns = found.get_columns(name)
                assert [c["name"] for c in columns] == [c.name for c in declared.columns], name
                for got, want in zip(columns, declared.columns, strict=True):
                    where = f"{name}.{want.name}"
                    assert got["type"]._type_affinity is want.type._type_affinity, where
                    assert got["nullable"] == want.nullable, where
                    length = getattr(want.type, "length", None)
                    assert getattr(got["type"], "length", None) == length, where
                assert found.get_pk_constraint(name)["constrained_columns"] == [
                    c.name for c in declared.primary_key
                ]
                assert sorted(
                    (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
                    for fk in found.get_foreign_keys(name)
                ) == sorted(
                    ((fk.parent.name,), fk.column.table.name, (fk.column.name,))
                    for fk in declared.foreign_keys
                ), name
                indexes = {
                    (index["name"], tuple(index["column_names"]), bool(index["unique"]))
                    for index in found.get_indexes(name)
                    if not index.get("duplicates_constraint")
                } | {(None, tuple(u["column_names"]), True) for u in found.get_unique_constraints(name)}
                assert indexes == _declared_indexes(declared), name
    finally:
        store.close()


# ---- recording the schema of a new version ------------------------------------------------------


def _record(dialect: str, make_url_for: Any) -> None:
    snapshots = recorded(dialect)
    for version in range(1, LATEST_VERSION + 1):
        if str(version) in snapshots:
            continue  # a shipped version's schema is never re-recorded
        with make_url_for() as store_url:
            with pytest.MonkeyPatch.context() as patched:
                _migrations_up_to(version, patched)
                open_store(store_url).close()
            found = describe(store_url)
        snapshots[str(version)] = {key: found[key] for key in found if key not in ("version", "ddl")}
        print(f"recorded the {dialect} schema of version {version}")
    SNAPSHOTS.mkdir(parents=True, exist_ok=True)
    path = SNAPSHOTS / f"{dialect}.json"
    path.write_text(json.dumps(snapshots, indent=1, sort_keys=True) + "\n", encoding="utf-8")


@contextmanager
def _sqlite_file() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{Path(directory) / 'store.db'}"


if __name__ == "__main__":
    _record("sqlite", _sqlite_file)
    pg = os.environ.get(PG_ENV)
    if pg:
        _record("postgresql", lambda: empty_pg_schema(pg))
    else:
        print("SAHEL_TEST_PG_URL is not set: PostgreSQL not recorded", file=sys.stderr)
