"""Schema version 8, frozen: ``outlook_adjustments``, the analysts' what-if adjustments of the outlook.

Every change of an adjustment is a new row (version = previous + 1 per level and unit), never
an edit, like ``corridor_versions``: ``status`` ``active`` (the percentage in force) or
``removed``. The table is defined here once; :mod:`incidents.store.schema` copies it
(``Table.to_metadata``) while it is the latest definition. When the table changes, a new
migration changes it and schema.py gets its own definition again.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, DateTime, Float, Index, Integer, MetaData, String, Table, Text

_V8 = MetaData()
V8_OUTLOOK_ADJUSTMENTS = Table(
    "outlook_adjustments",
    _V8,
    Column("adjustment_id", Integer, primary_key=True, autoincrement=True),
    Column("level", String(16), nullable=False),  # admin1 | admin2 | corridor
    Column("unit_code", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # active | removed
    Column("percent", Float, nullable=False),  # -90 .. +300: the expected count times (1 + percent / 100)
    Column("note", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ux_outlook_adjustments", "level", "unit_code", "version", unique=True),
)


def create_outlook_adjustments(conn: Connection) -> None:
    """Migration 8: the empty ``outlook_adjustments`` table (frozen DDL above)."""
    _V8.create_all(conn, tables=[V8_OUTLOOK_ADJUSTMENTS])
