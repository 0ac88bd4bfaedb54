"""Schema version 9, frozen: watches and alerts (issue #17), and an e-mail address per account.

* ``watch_versions``: every version of every watch (an area, filters, recipients, a delivery
  mode), never edited, like ``corridor_versions``: ``status`` ``active``, ``paused`` or
  ``removed``; ``spec`` is the watch as JSON (:mod:`incidents.alerts.watches`);
  ``webhook_secret`` signs its webhooks and is copied from version to version.
* ``alert_matches``: one row per (watch, incident) ever matched; unique on the pair, so the
  same incident (its stable ``incident_id``, ``source_dataset:source_event_id``) never alerts a
  watch twice, whatever batch brought it. ``incident`` keeps what the alert shows (an undone
  batch deletes the incident rows, and the correction still has to name them).
* ``alert_batches``: the cursor: every incident batch already matched (or present before
  alerts existed: the migration enters those, so a first run does not alert on history),
  and when its undo was handled.
* ``alert_outbox``: the messages to deliver (e-mail, webhook, in-app), with attempts and status.
* ``users.email``: the account's own address (a viewer's watch may e-mail only that).

The tables are defined here once; :mod:`incidents.store.schema` copies them
(``Table.to_metadata``) while they are the latest definitions.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    column,
    select,
    table,
)

_V9 = MetaData()
V9_WATCH_VERSIONS = Table(
    "watch_versions",
    _V9,
    # One row per version of a watch: the pair is the key (two writers of one version collide).
    Column("watch_name", String(120), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("status", String(16), nullable=False),  # active | paused | removed
    Column("owner", String(64), nullable=False),  # the account the watch belongs to
    Column("spec", Text, nullable=False),  # JSON: area, filters, recipients, delivery
    Column("webhook_secret", Text, nullable=False),  # "" when the watch has no webhook
)
V9_ALERT_MATCHES = Table(
    "alert_matches",
    _V9,
    Column("match_id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", String(200), nullable=False),
    Column("watch_name", String(120), nullable=False),
    Column("batch_id", String(64), nullable=False),
    Column("watch_version", Integer, nullable=False),
    Column("matched_at", DateTime(timezone=True), nullable=False),
    Column("distance_km", Float),  # to the watched site, route or corridor; NULL for units, polygons
    Column("incident", Text, nullable=False),  # JSON: the fields an alert shows
    # pending | queued | delivered | withdrawn | retracted | corrected
    Column("status", String(16), nullable=False),
    Column("message_id", Integer),  # alert_outbox row of the alert that carried it
    Column("correction_id", Integer),  # alert_outbox row of its correction
    Index("ux_alert_matches", "watch_name", "incident_id", unique=True),
    Index("ix_alert_matches_status", "status"),
    Index("ix_alert_matches_batch", "batch_id"),
)
V9_ALERT_BATCHES = Table(
    "alert_batches",
    _V9,
    Column("batch_id", String(64), primary_key=True),
    Column("matched_at", DateTime(timezone=True), nullable=False),
    Column("matches", Integer, nullable=False),
    Column("undo_handled_at", DateTime(timezone=True)),
)
V9_ALERT_OUTBOX = Table(
    "alert_outbox",
    _V9,
    Column("message_id", Integer, primary_key=True, autoincrement=True),
    Column("watch_name", String(120), nullable=False),
    Column("kind", String(16), nullable=False),  # alert | correction
    Column("channel", String(16), nullable=False),  # email | webhook | inapp
    Column("recipient", Text, nullable=False),
    Column("payload", Text, nullable=False),  # JSON: what the message says
    Column("status", String(16), nullable=False),  # pending | sending | sent | failed | read
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("last_error", Text, nullable=False),
    Index("ix_alert_outbox_status_next", "status", "next_attempt_at"),
)


def create_alert_tables(conn: Connection) -> None:
    """Migration 9: the watch and alert tables, the batches already stored, ``users.email``."""
    _V9.create_all(conn, tables=[V9_WATCH_VERSIONS, V9_ALERT_MATCHES, V9_ALERT_BATCHES, V9_ALERT_OUTBOX])
    conn.exec_driver_sql("ALTER TABLE users ADD COLUMN email TEXT")
    batches = table("batches", column("batch_id"), column("status"), column("format"))
    existing = conn.execute(
        select(batches.c.batch_id).where(batches.c.status == "committed", batches.c.format != "sites")
    ).scalars()
    now = datetime.now(UTC)
    rows = [{"batch_id": batch_id, "matched_at": now, "matches": 0} for batch_id in existing]
    if rows:
        conn.execute(V9_ALERT_BATCHES.insert(), rows)
