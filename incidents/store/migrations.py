"""Schema migrations: an ordered list, each applied once inside a transaction.

A store records every applied version in ``schema_version``; opening a store applies
the missing ones in order, so upgrading the product never drops data. Append new
migrations at the end; never edit one that has shipped.

Each migration carries its own DDL (its own ``Table`` definitions or literal SQL) and never
reads :mod:`incidents.store.schema`, which describes only the latest version: editing a
table there cannot change what an old migration does. tests/unit/test_store_migrations.py
checks that every past version upgrades to a new store's schema, matches the schema
recorded when it shipped, and that schema.py describes the latest one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    inspect,
    select,
)

from geodata.corridors import load_corridor_segments
from incidents.developments import load_key_developments
from incidents.errors import StoreError
from incidents.i18n import _
from incidents.store.migration_v5 import V5_LABEL_COLUMNS, V5_VIEW_COLUMNS, compact_incident_rows, view_sql
from incidents.store.migration_v8 import create_outlook_adjustments
from incidents.store.migration_v9 import create_alert_tables


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


# ---- version 1, frozen: the tables as migration 1 created them (schema.py moves on) -----

_V1 = MetaData()
V1_STORE_META = Table(
    "store_meta",
    _V1,
    Column("key", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)
V1_BATCHES = Table(
    "batches",
    _V1,
    Column("batch_id", String(64), primary_key=True),
    Column("file_name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("format", String(32), nullable=False),
    Column("user_name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("rows_accepted", Integer, nullable=False),
    Column("rows_rejected", Integer, nullable=False),
    Column("rows_duplicate", Integer, nullable=False),
    Column("status", String(16), nullable=False),
)
V1_AUDIT = Table(
    "audit",
    _V1,
    Column("audit_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_name", Text, nullable=False),
    Column("action", String(32), nullable=False),
    Column("batch_id", String(64)),
    Column("details", Text),
)
#: The text-valued incidents table of versions 1-4 (migration 5 turns it into a view).
V1_INCIDENTS = Table(
    "incidents",
    _V1,
    Column("incident_id", String(200), primary_key=True),
    Column("source_dataset", String(16), nullable=False),
    Column("source_event_id", String(180), nullable=False),
    Column("event_date", Date, nullable=False),
    Column("date_precision", String(8), nullable=False),
    Column("country_iso3", String(3)),
    Column("country", Text),
    Column("admin1_code", String(32)),
    Column("admin1_name", Text),
    Column("admin2_code", String(32)),
    Column("admin2_name", Text),
    Column("reported_country", Text),
    Column("reported_admin1", Text),
    Column("reported_admin2", Text),
    Column("location", Text),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("geo_precision", SmallInteger, nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("sub_event_type", Text),
    Column("actor1", Text),
    Column("actor2", Text),
    Column("actor_group", String(32), nullable=False),
    Column("fatalities", Integer, nullable=False),
    Column("civilian_targeting", Boolean, nullable=False),
    Column("notes", Text),
    Column("source", Text),
    Column("batch_id", String(64), ForeignKey("batches.batch_id"), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Index("ix_incidents_event_date", "event_date"),
    Index("ix_incidents_country_date", "country_iso3", "event_date"),
    Index("ix_incidents_batch", "batch_id"),
)


#: ``schema_version``, as every version has had it (made before migration 1 when missing).
_VERSIONS = MetaData()
SCHEMA_VERSION_TABLE = Table(
    "schema_version",
    _VERSIONS,
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
    Column("description", Text, nullable=False),
)

# ---- versions 2-4, frozen: the tables as migrations 2-4 created them ----------------------

_V2 = MetaData()
# Only here so the foreign key of ``sites`` resolves; migration 1 made it, migration 2 never does.
Table("batches", _V2, Column("batch_id", String(64), primary_key=True))
V2_KEY_DEVELOPMENTS = Table(
    "key_developments",
    _V2,
    Column("development_id", Integer, primary_key=True, autoincrement=True),
    Column("date", Date, nullable=False),
    Column("date_precision", String(8), nullable=False),
    Column("scope", String(8), nullable=False),
    Column("title", Text, nullable=False),
    Column("category", String(32), nullable=False),
    Column("source", Text, nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
V2_CORRIDOR_VERSIONS = Table(
    "corridor_versions",
    _V2,
    Column("version_id", Integer, primary_key=True, autoincrement=True),
    Column("corridor_id", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("armed_groups", Text, nullable=False),
    Column("sources", Text, nullable=False),
    Column("source_refs", Text, nullable=False),
    Column("confidence", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("segments_geojson", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ux_corridor_versions", "corridor_id", "version", unique=True),
)
V2_SITES = Table(
    "sites",
    _V2,
    Column("site_id", String(200), primary_key=True),
    Column("batch_id", String(64), ForeignKey("batches.batch_id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("site_type", Text, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("geometry_wkt", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_sites_batch", "batch_id"),
)

_V3 = MetaData()
V3_SAVED_VIEWS = Table(
    "saved_views",
    _V3,
    Column("view_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("position", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("notes", Text, nullable=False),
    Column("query", Text, nullable=False),
    Column("center_lat", Float),
    Column("center_lon", Float),
    Column("zoom", Integer),
    Column("layers", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

_V4 = MetaData()
V4_USERS = Table(
    "users",
    _V4,
    Column("user_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
V4_SIGNIN_ATTEMPTS = Table(
    "signin_attempts",
    _V4,
    Column("attempt_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_name", String(64), nullable=False),
    Column("client_key", String(128), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Index("ix_signin_attempts_user_at", "user_name", "at"),
    Index("ix_signin_attempts_client_at", "client_key", "at"),
)


def _initial(conn: Connection) -> None:
    _V1.create_all(conn)
    conn.execute(V1_STORE_META.insert().values(key="data_version", value=0))


def _reference_tables(conn: Connection) -> None:
    """Key developments, corridor versions and sites, seeded from the shipped reference data.

    Frozen DDL (the tables above); the seeded rows come from the reference files this program ships.
    """
    _V2.create_all(conn, tables=[V2_KEY_DEVELOPMENTS, V2_CORRIDOR_VERSIONS, V2_SITES])
    now = datetime.now(UTC)
    developments = [{**row, "updated_at": now} for row in _shipped_development_rows()]
    if developments:
        conn.execute(V2_KEY_DEVELOPMENTS.insert(), developments)
    corridors = [{**row, "created_at": now} for row in _shipped_corridor_rows()]
    if corridors:
        conn.execute(V2_CORRIDOR_VERSIONS.insert(), corridors)


@functools.cache
def _shipped_development_rows() -> tuple[dict[str, Any], ...]:
    """The shipped key developments as rows, without their clock time: read once per process."""
    return tuple(
        {
            "date": row.date.date(),
            "date_precision": row.date_precision,
            "scope": row.scope,
            "title": row.title,
            "category": row.category,
            "source": row.source,
            "updated_by": "shipped",
        }
        for row in load_key_developments().itertuples(index=False)
    )


@functools.cache
def _shipped_corridor_rows() -> tuple[dict[str, Any], ...]:
    """The shipped corridors as version-1 rows, without their clock time.

    Built once per process: writing each corridor's segments as GeoJSON takes about 50 ms, and
    every new store (every test's, every benchmark's) would otherwise pay it again.
    """
    rows = []
    for corridor_id, group in load_corridor_segments().groupby("corridor_id", sort=True):
        first = group.iloc[0]
        rows.append(
            {
                "corridor_id": str(corridor_id),
                "version": 1,
                "name": str(first["corridor_name"]),
                "armed_groups": str(first["armed_groups"]),
                "sources": str(first["sources"]),
                "source_refs": str(first.get("source_refs", "") or ""),
                "confidence": "medium",
                "status": "active",
                "segments_geojson": group.to_json(drop_id=True),
                "note": "shipped with the product (geodata/data/corridors.geojson)",
                "created_by": "shipped",
            }
        )
    return tuple(rows)


#: Secondary indexes of ``incident_rows`` made by migration 5 and dropped by migration 6.
_V5_INCIDENT_ROW_INDEXES: Final = (
    "ix_incident_rows_event_day",
    "ix_incident_rows_country_day",
    "ix_incident_rows_batch",
)


def _drop_incident_row_indexes(conn: Connection) -> None:
    """Drop the incident rows' date, country and batch indexes: they cost more than they save.

    Measured at 1,000,000 rows (docs/performance.md): every query they served (date range,
    a date or country window, a batch's rows for undo) takes about 0.1 s as a full scan, and
    the dashboard reads the whole table into memory anyway; keeping them cost about 2 s on
    every large import (SQLite rebuilt all three) and a third of the table's size again.
    The primary key (incident id) stays: duplicate checks look ids up one by one.
    """
    for name in _V5_INCIDENT_ROW_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


#: Label columns of ``incident_rows`` from version 7: version 5's and the reported event type.
V7_LABEL_COLUMNS: Final = (*V5_LABEL_COLUMNS, "event_type_reported")
#: Where version 7 put its two new columns in the view ``incidents`` (after which of version 5's).
_V7_VIEW_ADDITIONS: Final = {"geo_precision": "uncertainty_km", "event_type": "event_type_reported"}
#: The columns of the view ``incidents`` from version 7: the canonical incident of that version.
V7_VIEW_COLUMNS: Final = tuple(
    added for name in V5_VIEW_COLUMNS for added in (name, _V7_VIEW_ADDITIONS.get(name)) if added is not None
)


def _add_reported_type_and_uncertainty(conn: Connection) -> None:
    """Two nullable columns on ``incident_rows``; rows stored before get NULL (not known then).

    ``event_type_reported``: the source's own event type label ("Remote violence"), a
    ``labels.label_id`` like the other label columns. ``uncertainty_km``: the radius in km
    of the area a row's point stands for (e.g. a district centroid). The view ``incidents``
    shows both, in the canonical order. Frozen DDL.
    """
    dialect = conn.dialect.name
    real = "DOUBLE PRECISION" if dialect == "postgresql" else "FLOAT"
    conn.exec_driver_sql("ALTER TABLE incident_rows ADD COLUMN event_type_reported INTEGER")
    conn.exec_driver_sql(f"ALTER TABLE incident_rows ADD COLUMN uncertainty_km {real}")
    conn.exec_driver_sql("DROP VIEW incidents")
    conn.exec_driver_sql(view_sql(dialect, V7_VIEW_COLUMNS, V7_LABEL_COLUMNS))


def _add_account_language(conn: Connection) -> None:
    """Migration 10: ``users.language``, the interface language an account chose (NULL until chosen)."""
    conn.exec_driver_sql("ALTER TABLE users ADD COLUMN language VARCHAR(8)")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "incidents, batches, audit, store_meta", _initial),
    Migration(2, "key developments, corridor versions, sites", _reference_tables),
    Migration(3, "saved views", lambda conn: _V3.create_all(conn, tables=[V3_SAVED_VIEWS])),
    Migration(
        4,
        "accounts and sign-in attempts",
        lambda conn: _V4.create_all(conn, tables=[V4_USERS, V4_SIGNIN_ATTEMPTS]),
    ),
    Migration(5, "compact incident rows: label dictionary, batch keys, day numbers", compact_incident_rows),
    Migration(6, "incident rows without secondary indexes", _drop_incident_row_indexes),
    Migration(7, "reported event type and location uncertainty", _add_reported_type_and_uncertainty),
    Migration(8, "analysts' outlook adjustments (what-if)", create_outlook_adjustments),
    Migration(9, "watches and alerts; account e-mail", create_alert_tables),
    Migration(10, "account interface language", _add_account_language),
)

LATEST_VERSION = MIGRATIONS[-1].version


#: PostgreSQL advisory lock key serialising migrations ("SAHL" in ASCII).
MIGRATION_LOCK_KEY: Final = 0x5341484C


def current_version(conn: Connection) -> int:
    """Highest applied schema version (0 for a new, empty database)."""
    if not inspect(conn).has_table("schema_version"):
        return 0
    versions = conn.execute(select(SCHEMA_VERSION_TABLE.c.version)).scalars().all()
    return max(versions, default=0)


def migrate(conn: Connection, on_upgrade: Callable[[int, int], None] | None = None) -> int:
    """Apply every pending migration; return the resulting version.

    ``on_upgrade(old, new)`` is called first when an existing store (not a new one) is behind,
    so callers can say why this open takes longer (a large store takes seconds per million rows).
    """
    if conn.dialect.name == "postgresql":
        # Held until this transaction ends: a second replica opening the store at the same
        # moment waits here, then finds it up to date (instead of migrating it twice).
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
    _VERSIONS.create_all(conn, tables=[SCHEMA_VERSION_TABLE])
    version = current_version(conn)
    if version > LATEST_VERSION:
        raise StoreError(
            _(
                "the store has schema version {version}, newer than this program "
                "understands ({latest}); upgrade the dashboard before using this store"
            ).format(version=version, latest=LATEST_VERSION)
        )
    if 0 < version < LATEST_VERSION and on_upgrade is not None:
        on_upgrade(version, LATEST_VERSION)
    for migration in MIGRATIONS:
        if migration.version <= version:
            continue
        migration.apply(conn)
        conn.execute(
            SCHEMA_VERSION_TABLE.insert().values(
                version=migration.version,
                applied_at=datetime.now(UTC),
                description=migration.description,
            )
        )
        version = migration.version
    return version
