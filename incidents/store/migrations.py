"""Schema migrations: an ordered list, each applied once inside a transaction.

A store records every applied version in ``schema_version``; opening a store applies
the missing ones in order, so upgrading the product never drops data. Append new
migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, inspect, select

from geodata.corridors import load_corridor_segments
from incidents.developments import load_key_developments
from incidents.errors import StoreError
from incidents.store import schema


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _initial(conn: Connection) -> None:
    tables = [
        schema.store_meta,
        schema.batches,
        schema.audit,
        schema.incidents,
    ]
    schema.metadata.create_all(conn, tables=tables)
    conn.execute(schema.store_meta.insert().values(key="data_version", value=0))


def _reference_tables(conn: Connection) -> None:
    """Key developments, corridor versions and sites, seeded from the shipped reference data."""
    schema.metadata.create_all(
        conn, tables=[schema.key_developments, schema.corridor_versions, schema.sites]
    )
    now = datetime.now(UTC)
    developments = load_key_developments()
    if len(developments):
        conn.execute(
            schema.key_developments.insert(),
            [
                {
                    "date": row.date.date(),
                    "date_precision": row.date_precision,
                    "scope": row.scope,
                    "title": row.title,
                    "category": row.category,
                    "source": row.source,
                    "updated_by": "shipped",
                    "updated_at": now,
                }
                for row in developments.itertuples(index=False)
            ],
        )
    segments = load_corridor_segments()
    rows = []
    for corridor_id, group in segments.groupby("corridor_id", sort=True):
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
                "created_at": now,
            }
        )
    if rows:
        conn.execute(schema.corridor_versions.insert(), rows)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "incidents, batches, audit, store_meta", _initial),
    Migration(2, "key developments, corridor versions, sites", _reference_tables),
    Migration(3, "saved views", lambda conn: schema.metadata.create_all(conn, tables=[schema.saved_views])),
    Migration(
        4,
        "accounts and sign-in attempts",
        lambda conn: schema.metadata.create_all(conn, tables=[schema.users, schema.signin_attempts]),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    """Highest applied schema version (0 for a new, empty database)."""
    if not inspect(conn).has_table("schema_version"):
        return 0
    versions = conn.execute(select(schema.schema_version.c.version)).scalars().all()
    return max(versions, default=0)


def migrate(conn: Connection) -> int:
    """Apply every pending migration; return the resulting version."""
    schema.metadata.create_all(conn, tables=[schema.schema_version])
    version = current_version(conn)
    if version > LATEST_VERSION:
        raise StoreError(
            f"the store has schema version {version}, newer than this program "
            f"understands ({LATEST_VERSION}); upgrade the dashboard before using this store"
        )
    for migration in MIGRATIONS:
        if migration.version <= version:
            continue
        migration.apply(conn)
        conn.execute(
            schema.schema_version.insert().values(
                version=migration.version,
                applied_at=datetime.now(UTC),
                description=migration.description,
            )
        )
        version = migration.version
    return version
