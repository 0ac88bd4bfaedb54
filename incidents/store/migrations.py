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


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "incidents, batches, audit, store_meta", _initial),
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
