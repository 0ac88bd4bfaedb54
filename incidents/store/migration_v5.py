"""Migration 5: compact incident rows (label dictionary, batch keys, day numbers).

Versions 1-4 stored every incident as 29 mostly-text columns, with ``batch_id`` and
``imported_at`` repeated on every row. Version 5 keeps the same information in
``incident_rows``: label columns hold ``labels.label_id``, ``event_day`` is days since
1970-01-01, and ``batch_key`` points at ``batches.batch_key`` (the row's ``imported_at`` is
its batch's ``created_at``: both were always written from the same timestamp). About half
the bytes per row and about twice the insert speed on SQLite (docs/performance.md).

``incidents`` becomes a read-only view with the old columns, names and values, so SQL
written against the old table (reports, ad-hoc queries of the database file) keeps working.

The DDL here is frozen: later versions change things in new migrations, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

from incidents.errors import StoreError
from incidents.i18n import _

_V5 = MetaData()
# Only here so incident_rows' foreign key resolves; never created by this migration.
Table("batches", _V5, Column("batch_key", Integer))
V5_LABELS = Table(
    "labels",
    _V5,
    Column("label_id", Integer, primary_key=True, autoincrement=True),
    Column("text", Text, nullable=False, unique=True),
)
#: Label columns of version 5, in table order.
V5_LABEL_COLUMNS: Final = (
    "source_dataset",
    "date_precision",
    "country_iso3",
    "country",
    "admin1_code",
    "admin1_name",
    "admin2_code",
    "admin2_name",
    "reported_country",
    "reported_admin1",
    "reported_admin2",
    "location",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "actor_group",
    "source",
)
V5_INCIDENT_ROWS = Table(
    "incident_rows",
    _V5,
    Column("incident_id", String(200), primary_key=True),
    Column("source_dataset", Integer, nullable=False),
    Column("source_event_id", String(180), nullable=False),
    Column("event_day", Integer, nullable=False),
    Column("date_precision", Integer, nullable=False),
    Column("country_iso3", Integer),
    Column("country", Integer),
    Column("admin1_code", Integer),
    Column("admin1_name", Integer),
    Column("admin2_code", Integer),
    Column("admin2_name", Integer),
    Column("reported_country", Integer),
    Column("reported_admin1", Integer),
    Column("reported_admin2", Integer),
    Column("location", Integer),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("geo_precision", SmallInteger, nullable=False),
    Column("event_type", Integer, nullable=False),
    Column("sub_event_type", Integer),
    Column("actor1", Integer),
    Column("actor2", Integer),
    Column("actor_group", Integer, nullable=False),
    Column("fatalities", Integer, nullable=False),
    Column("civilian_targeting", Boolean, nullable=False),
    Column("notes", Text),
    Column("source", Integer),
    Column("batch_key", Integer, ForeignKey("batches.batch_key"), nullable=False),
)
#: Created after the rows are copied (one sort each instead of per-row B-tree updates).
_INDEXES: Final = (
    "CREATE INDEX ix_incident_rows_event_day ON incident_rows (event_day)",
    "CREATE INDEX ix_incident_rows_country_day ON incident_rows (country_iso3, event_day)",
    "CREATE INDEX ix_incident_rows_batch ON incident_rows (batch_key)",
)
#: The columns of the view ``incidents``, in the canonical order (docs/architecture.md, 'Canonical incident').
V5_VIEW_COLUMNS: Final = (
    "incident_id",
    "source_dataset",
    "source_event_id",
    "event_date",
    "date_precision",
    "country_iso3",
    "country",
    "admin1_code",
    "admin1_name",
    "admin2_code",
    "admin2_name",
    "reported_country",
    "reported_admin1",
    "reported_admin2",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "actor_group",
    "fatalities",
    "civilian_targeting",
    "notes",
    "source",
    "batch_id",
    "imported_at",
)


def _day_sql(dialect: str, date_sql: str) -> str:
    """Days since 1970-01-01 of a DATE column (SQLite stores dates as ISO text)."""
    if dialect == "postgresql":
        return f"({date_sql} - DATE '1970-01-01')"
    return f"CAST(round(julianday({date_sql}) - 2440587.5) AS INTEGER)"


def _date_sql(dialect: str, day_sql: str) -> str:
    """The DATE of a day number, as the old column held it (ISO text on SQLite)."""
    if dialect == "postgresql":
        return f"(DATE '1970-01-01' + {day_sql})"
    return f"date({day_sql} * 86400, 'unixepoch')"


def view_sql(
    dialect: str,
    view_columns: Sequence[str] = V5_VIEW_COLUMNS,
    label_columns: Sequence[str] = V5_LABEL_COLUMNS,
) -> str:
    """``CREATE VIEW incidents``: the version-4 table's columns, decoded from ``incident_rows``.

    Migration 7 calls it with its own (frozen) columns: the decoding has not changed since.
    """
    expressions = {name: f"r.{name}" for name in view_columns}
    joins = ["JOIN batches b ON b.batch_key = r.batch_key"]
    for name in label_columns:
        expressions[name] = f"l_{name}.text"
        joins.append(f"LEFT JOIN labels l_{name} ON l_{name}.label_id = r.{name}")
    expressions["event_date"] = _date_sql(dialect, "r.event_day")
    expressions["batch_id"] = "b.batch_id"
    expressions["imported_at"] = "b.created_at"
    select_list = ",\n    ".join(f"{sql} AS {name}" for name, sql in expressions.items())
    return f"CREATE VIEW incidents AS\nSELECT\n    {select_list}\nFROM incident_rows r\n" + "\n".join(joins)


def _add_batch_keys(conn: Connection) -> None:
    """``batches.batch_key``: unique, numbered in creation order.

    PostgreSQL draws later keys from a sequence; SQLite (one writer) takes ``max + 1``.
    """
    dialect = conn.dialect.name
    conn.exec_driver_sql("ALTER TABLE batches ADD COLUMN batch_key INTEGER")
    batch_ids = (
        conn.exec_driver_sql("SELECT batch_id FROM batches ORDER BY created_at, batch_id").scalars().all()
    )
    if batch_ids:
        marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        conn.exec_driver_sql(
            f"UPDATE batches SET batch_key = {marker} WHERE batch_id = {marker}",
            [(key, batch_id) for key, batch_id in enumerate(batch_ids, start=1)],
        )
    conn.exec_driver_sql("CREATE UNIQUE INDEX ux_batches_batch_key ON batches (batch_key)")
    if dialect == "postgresql":
        conn.exec_driver_sql("CREATE SEQUENCE batches_batch_key_seq OWNED BY batches.batch_key")
        conn.exec_driver_sql(f"SELECT setval('batches_batch_key_seq', {len(batch_ids) + 1}, false)")
        conn.exec_driver_sql(
            "ALTER TABLE batches ALTER COLUMN batch_key SET DEFAULT nextval('batches_batch_key_seq')"
        )


def compact_incident_rows(conn: Connection) -> None:
    """Move every incident from the text table into ``incident_rows``; ``incidents`` becomes a view."""
    dialect = conn.dialect.name
    _add_batch_keys(conn)
    _V5.create_all(conn, tables=[V5_LABELS, V5_INCIDENT_ROWS])
    distinct = "\nUNION\n".join(f"SELECT {name} AS text FROM incidents" for name in V5_LABEL_COLUMNS)
    conn.exec_driver_sql(
        f"INSERT INTO labels (text) SELECT text FROM ({distinct}) AS texts "
        "WHERE text IS NOT NULL ORDER BY text"
    )
    values = {column.name: f"i.{column.name}" for column in V5_INCIDENT_ROWS.columns}
    joins = ["JOIN batches b ON b.batch_id = i.batch_id"]
    for name in V5_LABEL_COLUMNS:
        values[name] = f"l_{name}.label_id"
        joins.append(f"LEFT JOIN labels l_{name} ON l_{name}.text = i.{name}")
    values["event_day"] = _day_sql(dialect, "i.event_date")
    values["batch_key"] = "b.batch_key"
    conn.exec_driver_sql(
        f"INSERT INTO incident_rows ({', '.join(values)})\n"
        f"SELECT {', '.join(values.values())}\nFROM incidents i\n" + "\n".join(joins)
    )
    old = conn.exec_driver_sql("SELECT count(*) FROM incidents").scalar_one()
    new = conn.exec_driver_sql("SELECT count(*) FROM incident_rows").scalar_one()
    if old != new:  # only if an incident named a batch that does not exist
        raise StoreError(
            _(
                "schema migration 5 copied {new} of {old} incidents (some name a batch that is not in "
                "`batches`); nothing was changed. Repair the store or restore a backup, then reopen it"
            ).format(new=new, old=old)
        )
    conn.exec_driver_sql("DROP TABLE incidents")
    for create_index in _INDEXES:
        conn.exec_driver_sql(create_index)
    conn.exec_driver_sql(view_sql(dialect))
