"""Matching: every committed incident batch, once, against every active watch; undo withdraws.

One pass (:func:`match_pending`) does two things, each batch in its own transaction:

1. **New batches.** Every committed incident batch not yet in ``alert_batches`` (the cursor)
   is read, each active watch's filters and area are applied (:mod:`incidents.alerts.areas`),
   and the matches are written with the cursor row. The batch's ``batches`` row is locked first
   (PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED``: a second runner skips it, an undo waits;
   SQLite: ``BEGIN IMMEDIATE``, its one write lock), and the cursor row's primary key makes a
   batch matched once even if two runners read the same list.
2. **Undone batches.** A matched batch that was undone since: its matches not yet sent are
   ``withdrawn``; those already queued or delivered become ``retracted`` (a correction is owed).

``alert_matches`` is unique on (watch, ``incident_id``), the incident's stable identity
(``source_dataset:source_event_id``), so an incident never alerts a watch twice whatever batch
brings it again. The one exception is on purpose: an incident whose batch was undone and that
is imported again is alerted again only if recipients never heard of it (``withdrawn``) or were
told it was withdrawn (``corrected``); if its correction is still owed, the correction is dropped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import pandas as pd
from sqlalchemy import Connection, and_, select, update
from sqlalchemy.exc import IntegrityError

from incidents.alerts.areas import filter_mask, locate
from incidents.alerts.store import StoredWatch, active_watches
from incidents.errors import StoreError
from incidents.i18n import _
from incidents.store import schema
from incidents.store.corridors import active_corridor_segments
from incidents.store.sql import SQLITE_BEGIN_OPTION, IncidentStore

PENDING: Final = "pending"
QUEUED: Final = "queued"
DELIVERED: Final = "delivered"
WITHDRAWN: Final = "withdrawn"
RETRACTED: Final = "retracted"
CORRECTED: Final = "corrected"
#: Never sent because its watch was removed first (:func:`incidents.alerts.outbox.drop_removed`).
DROPPED: Final = "dropped"
MATCH_STATUSES: Final = (PENDING, QUEUED, DELIVERED, WITHDRAWN, RETRACTED, CORRECTED, DROPPED)
#: Incidents whose existing match rows are looked up per statement.
_LOOKUP_CHUNK: Final = 500
#: What an alert shows of an incident, kept with the match (the incident rows go with an undo).
ALERT_FIELDS: Final = (
    "incident_id",
    "event_date",
    "country_iso3",
    "country",
    "admin1_name",
    "admin2_name",
    "location",
    "latitude",
    "longitude",
    "event_type",
    "sub_event_type",
    "fatalities",
    "actor1",
    "actor2",
    "notes",
    "source_dataset",
    "source",
)


@dataclass(frozen=True)
class MatchReport:
    """What one pass did."""

    batches_matched: int
    matches: int
    withdrawn: int
    retracted: int
    undone_batches: int


def match_pending(store: IncidentStore, *, now: datetime | None = None) -> MatchReport:
    """Match every committed batch not matched yet, then handle batches undone since matching."""
    moment = now or datetime.now(UTC)
    batches = pending_batches(store)
    watches = active_watches(store)
    corridors = (
        active_corridor_segments(store) if any(w.watch.area.kind == "corridor" for w in watches) else None
    )
    matched = new_matches = 0
    for batch_id in batches:
        rows = batch_matches(store.load_batch_incidents(batch_id), watches, corridors) if watches else []
        written = _record_batch(store, batch_id, rows, moment)
        if written is not None:
            matched += 1
            new_matches += written
    withdrawn, retracted, undone = handle_undone(store, now=moment)
    return MatchReport(matched, new_matches, withdrawn, retracted, undone)


def pending_batches(store: IncidentStore) -> list[str]:
    """Committed incident batches not matched yet, oldest first."""
    batches, cursor = schema.batches, schema.alert_batches
    query = (
        select(batches.c.batch_id)
        .where(
            batches.c.status == "committed",
            batches.c.format != "sites",
            ~select(cursor.c.batch_id).where(cursor.c.batch_id == batches.c.batch_id).exists(),
        )
        .order_by(batches.c.created_at, batches.c.batch_id)
    )
    with store.engine.connect() as conn:
        return [str(value) for value in conn.execute(query).scalars()]


def batch_matches(
    incidents: pd.DataFrame, watches: Sequence[StoredWatch], corridors: Any = None
) -> list[dict[str, Any]]:
    """The match rows (without batch and time) of ``incidents`` for each watch."""
    rows: list[dict[str, Any]] = []
    if incidents.empty:
        return rows
    for stored in watches:
        candidates = incidents[filter_mask(incidents, stored.watch.filters)]
        inside, distance = locate(stored.watch, candidates, corridors)
        for (_index, incident), km in zip(candidates[inside].iterrows(), distance[inside], strict=True):
            rows.append(
                {
                    "watch_name": stored.name,
                    "watch_version": stored.version,
                    "incident_id": str(incident["incident_id"]),
                    "distance_km": None if math.isnan(km) else round(float(km), 3),
                    "incident": incident_json(incident),
                }
            )
    return rows


def incident_json(incident: pd.Series) -> str:
    """The :data:`ALERT_FIELDS` of one incident as JSON (dates ISO, missing values null)."""
    values: dict[str, Any] = {}
    for name in ALERT_FIELDS:
        value = incident[name]
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            values[name] = None
        elif name == "event_date":
            values[name] = pd.Timestamp(value).date().isoformat()
        elif name == "fatalities":
            values[name] = int(value)
        elif name in ("latitude", "longitude"):
            values[name] = float(value)
        else:
            values[name] = str(value)
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def write_transaction(store: IncidentStore) -> Any:
    """A transaction that holds the store's write lock from its first statement (SQLite)."""
    return store.engine.execution_options(**{SQLITE_BEGIN_OPTION: "BEGIN IMMEDIATE"}).begin()


def _record_batch(
    store: IncidentStore, batch_id: str, rows: list[dict[str, Any]], now: datetime
) -> int | None:
    """Write the cursor row and the matches of one batch; None when another runner has it or it went."""
    batches, cursor = schema.batches, schema.alert_batches
    try:
        with write_transaction(store) as conn:
            lock = select(batches.c.batch_id).where(
                batches.c.batch_id == batch_id, batches.c.status == "committed"
            )
            if conn.dialect.name == "postgresql":
                lock = lock.with_for_update(skip_locked=True)
            if conn.execute(lock).first() is None:
                return None  # another runner is matching it, or it was undone meanwhile
            if (
                conn.execute(select(cursor.c.batch_id).where(cursor.c.batch_id == batch_id)).first()
                is not None
            ):
                return None  # matched by another runner since we listed it
            written = _write_matches(conn, batch_id, rows, now)
            conn.execute(cursor.insert().values(batch_id=batch_id, matched_at=now, matches=written))
            return written
    except IntegrityError as exc:
        raise StoreError(
            _(
                "batch {batch} was matched by another alerts runner at the same time; the next pass goes on"
            ).format(batch=batch_id)
        ) from exc


def _write_matches(conn: Connection, batch_id: str, rows: list[dict[str, Any]], now: datetime) -> int:
    table = schema.alert_matches
    existing: dict[tuple[str, str], dict[str, Any]] = {}
    for watch_name in {row["watch_name"] for row in rows}:
        ids = [row["incident_id"] for row in rows if row["watch_name"] == watch_name]
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            query = select(
                table.c.match_id, table.c.incident_id, table.c.status, table.c.correction_id
            ).where(
                table.c.watch_name == watch_name, table.c.incident_id.in_(ids[start : start + _LOOKUP_CHUNK])
            )
            for found in conn.execute(query).mappings():
                existing[(watch_name, str(found["incident_id"]))] = dict(found)
    inserts = []
    written = 0
    for row in rows:
        values = {**row, "batch_id": batch_id, "matched_at": now}
        before = existing.get((row["watch_name"], row["incident_id"]))
        if before is None:
            inserts.append({**values, "status": PENDING, "message_id": None, "correction_id": None})
            continue
        status = _revived_status(before)
        if status is None:
            continue  # the same incident never alerts a watch twice
        revived = {**values, "status": status}
        if status == PENDING:
            revived |= {"message_id": None, "correction_id": None}
        conn.execute(update(table).where(table.c.match_id == before["match_id"]).values(**revived))
        written += status == PENDING
    if inserts:
        conn.execute(table.insert(), inserts)
    return written + len(inserts)


def _revived_status(before: dict[str, Any]) -> str | None:
    """The status of a match whose incident comes back in a new batch (None: leave it as it is)."""
    if before["status"] in (WITHDRAWN, CORRECTED, DROPPED):
        return PENDING  # recipients never heard of it, or were told to disregard it
    if before["status"] == RETRACTED and before["correction_id"] is None:
        return DELIVERED  # its correction was never sent: nothing to correct any more
    return None


def handle_undone(store: IncidentStore, *, now: datetime | None = None) -> tuple[int, int, int]:
    """Withdraw or retract the matches of matched batches undone since; (withdrawn, retracted, batches)."""
    moment = now or datetime.now(UTC)
    batches, cursor, matches = schema.batches, schema.alert_batches, schema.alert_matches
    query = (
        select(cursor.c.batch_id)
        .join(batches, batches.c.batch_id == cursor.c.batch_id)
        .where(batches.c.status == "undone", cursor.c.undo_handled_at.is_(None))
        .order_by(cursor.c.matched_at, cursor.c.batch_id)
    )
    with store.engine.connect() as conn:
        undone = [str(value) for value in conn.execute(query).scalars()]
    withdrawn = retracted = handled = 0
    for batch_id in undone:
        with write_transaction(store) as conn:
            lock = select(cursor.c.batch_id).where(
                cursor.c.batch_id == batch_id, cursor.c.undo_handled_at.is_(None)
            )
            if conn.dialect.name == "postgresql":
                lock = lock.with_for_update(skip_locked=True)
            if conn.execute(lock).first() is None:
                continue
            of_batch = matches.c.batch_id == batch_id
            withdrawn += conn.execute(
                update(matches).where(and_(of_batch, matches.c.status == PENDING)).values(status=WITHDRAWN)
            ).rowcount
            retracted += conn.execute(
                update(matches)
                .where(and_(of_batch, matches.c.status.in_((QUEUED, DELIVERED))))
                .values(status=RETRACTED)
            ).rowcount
            conn.execute(update(cursor).where(cursor.c.batch_id == batch_id).values(undo_handled_at=moment))
            handled += 1
    return withdrawn, retracted, handled


def list_matches(
    store: IncidentStore, *, watch_name: str | None = None, since: datetime | None = None
) -> pd.DataFrame:
    """Matches (newest first) with the incident's alert fields as columns."""
    table = schema.alert_matches
    columns = [
        "match_id",
        "watch_name",
        "incident_id",
        "batch_id",
        "matched_at",
        "distance_km",
        "status",
        "incident",
    ]
    query = select(*(table.c[name] for name in columns))
    if watch_name is not None:
        query = query.where(table.c.watch_name == watch_name)
    if since is not None:
        query = query.where(table.c.matched_at >= since)
    with store.engine.connect() as conn:
        rows = (
            conn.execute(query.order_by(table.c.matched_at.desc(), table.c.match_id.desc())).mappings().all()
        )
    frame = pd.DataFrame(rows, columns=columns)
    frame["matched_at"] = pd.to_datetime(frame["matched_at"], utc=True)
    details = pd.DataFrame([json.loads(text) for text in frame["incident"]], columns=list(ALERT_FIELDS))
    frame = frame.drop(columns="incident").reset_index(drop=True)
    for name in ALERT_FIELDS:
        if name != "incident_id":
            frame[name] = details[name].to_numpy() if len(details) else pd.Series([], dtype=object)
    return frame
