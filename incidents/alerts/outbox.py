"""The outbox: alerts and corrections queued in the store, then delivered with nothing lost.

* :func:`queue_alerts`: a watch's ``pending`` matches become messages (one per recipient and
  channel) when its delivery is due: at once (``immediate``) or at its digest time. The matches
  turn ``queued`` in the same transaction, locked row by row (PostgreSQL ``FOR UPDATE SKIP
  LOCKED``; SQLite ``BEGIN IMMEDIATE``), so two runners never queue a match twice.
* :func:`queue_corrections`: ``retracted`` matches (their batch was undone after they were sent)
  become one correction per recipient.
* :func:`deliver`: due messages are claimed (``sending``, with a lease) in one short locked
  transaction, then sent outside it; success marks them ``sent`` (and their matches ``delivered``
  or ``corrected``), a failure schedules a retry with exponential backoff until
  :data:`~incidents.settings.GIVE_UP_HOURS` after queueing, then ``failed``. A runner killed
  mid-send leaves its claim to expire: the message is sent again then (at least once; receivers
  may drop a repeat by its ``X-Sahel-Delivery`` id).
* Paused and removed watches: a paused watch gets no new matches, and its alerts not yet sent
  (``pending`` matches, messages not claimed) wait, unclaimed, until it is resumed. A removed
  watch's unsent alerts are dropped (:func:`drop_removed`: messages and matches ``dropped``), at
  removal and again by every claim, in the claim's own transaction, so a runner never sends an
  alert of a watch removed before the claim. Corrections still go: they withdraw what recipients
  were already told.

In-app messages are "delivered" by being there: the inbox shows them until they are read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pandas as pd
from sqlalchemy import Connection, and_, func, or_, select, update

from incidents.alerts.matching import (
    CORRECTED,
    DELIVERED,
    DROPPED,
    PENDING,
    QUEUED,
    RETRACTED,
    write_transaction,
)
from incidents.alerts.messages import ALERT, CORRECTION, dashboard_link, email_message, webhook_body
from incidents.alerts.store import (
    ACTIVE,
    REMOVED,
    StoredWatch,
    active_watches,
    get_watch,
    list_watches,
    watch_secret,
)
from incidents.alerts.transport import post_webhook, send_email
from incidents.alerts.watches import Schedule, parse_delivery
from incidents.auth.accounts import account_language
from incidents.errors import DeliveryError, WatchNotFoundError
from incidents.i18n import supported, use_language
from incidents.settings import (
    CLAIM_LEASE_S,
    GIVE_UP_HOURS,
    RETRY_FIRST_S,
    RETRY_MAX_S,
    SMTP_URL_ENV,
    SmtpSettings,
    public_url,
)
from incidents.store import schema
from incidents.store.sql import IncidentStore

SENDING: Final = "sending"
SENT: Final = "sent"
FAILED: Final = "failed"
READ: Final = "read"
#: ``DROPPED`` (from matching, the same word): an alert of a watch removed before it was sent.
OUTBOX_STATUSES: Final = (PENDING, SENDING, SENT, FAILED, READ, DROPPED)
#: Messages claimed per transaction by one runner.
CLAIM_BATCH: Final = 50


def utc(value: datetime) -> datetime:
    """SQLite gives naive UTC datetimes back: make every one aware."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class DeliveryReport:
    """Messages of one delivery round: sent, left for a retry, given up."""

    sent: int
    retried: int
    failed: int


def last_slot(schedule: Schedule, now: datetime) -> datetime:
    """The latest digest time at or before ``now`` (``now`` itself for immediate delivery)."""
    if schedule.mode == "immediate":
        return now
    slot = now.astimezone(UTC).replace(hour=schedule.hour, minute=schedule.minute, second=0, microsecond=0)
    if schedule.weekday is None:
        return slot if slot <= now else slot - timedelta(days=1)
    slot -= timedelta(days=(slot.weekday() - schedule.weekday) % 7)
    return slot if slot <= now else slot - timedelta(days=7)


def queue_alerts(store: IncidentStore, *, now: datetime | None = None) -> int:
    """Queue the due ``pending`` matches of every active watch; returns the messages queued."""
    moment = now or datetime.now(UTC)
    queued = 0
    for stored in active_watches(store):
        slot = last_slot(parse_delivery(stored.watch.delivery), moment)
        table = schema.alert_matches
        with write_transaction(store) as conn:
            query = (
                select(table.c.match_id, table.c.matched_at, table.c.distance_km, table.c.incident)
                .where(table.c.watch_name == stored.name, table.c.status == PENDING)
                .order_by(table.c.matched_at, table.c.match_id)
            )
            rows = conn.execute(_locked(conn, query)).mappings().all()
            if not rows or utc(rows[0]["matched_at"]) > slot:
                continue  # nothing new, or a digest whose time has not come
            first = _queue(conn, stored, ALERT, rows, moment)
            ids = [row["match_id"] for row in rows]
            conn.execute(
                update(table).where(table.c.match_id.in_(ids)).values(status=QUEUED, message_id=first)
            )
            queued += len(_recipients(stored))
    return queued


def queue_corrections(store: IncidentStore, *, now: datetime | None = None) -> int:
    """Queue one correction per recipient for every watch with ``retracted`` matches; returns the messages."""
    moment = now or datetime.now(UTC)
    table = schema.alert_matches
    queued = 0
    for stored in list_watches(store, include_removed=True):
        with write_transaction(store) as conn:
            query = (
                select(table.c.match_id, table.c.matched_at, table.c.distance_km, table.c.incident)
                .where(
                    table.c.watch_name == stored.name,
                    table.c.status == RETRACTED,
                    table.c.correction_id.is_(None),
                )
                .order_by(table.c.matched_at, table.c.match_id)
            )
            rows = conn.execute(_locked(conn, query)).mappings().all()
            if not rows:
                continue
            first = _queue(conn, stored, CORRECTION, rows, moment)
            ids = [row["match_id"] for row in rows]
            conn.execute(update(table).where(table.c.match_id.in_(ids)).values(correction_id=first))
            queued += len(_recipients(stored))
    return queued


def deliver(
    store: IncidentStore,
    *,
    smtp: SmtpSettings | None,
    now: datetime | None = None,
    give_up: timedelta = timedelta(hours=GIVE_UP_HOURS),
) -> DeliveryReport:
    """Send every due message once; returns what happened to them."""
    moment = now or datetime.now(UTC)
    sent = retried = failed = 0
    while True:
        claimed = _claim(store, moment)
        if not claimed:
            break
        for message in claimed:
            try:
                _send(store, message, smtp, moment)
            except DeliveryError as exc:
                gave_up = _failed(store, message, str(exc), moment, give_up)
                failed += gave_up
                retried += not gave_up
            else:
                _sent(store, message, moment)
                sent += 1
    return DeliveryReport(sent, retried, failed)


# ---- queueing ------------------------------------------------------------------------------------


def _locked(conn: Connection, query: Any) -> Any:
    return query.with_for_update(skip_locked=True) if conn.dialect.name == "postgresql" else query


def _recipients(stored: StoredWatch) -> list[tuple[str, str]]:
    recipients = stored.watch.recipients
    return [
        *(("email", address) for address in recipients.emails),
        *(("webhook", url) for url in recipients.webhooks),
        *(("inapp", user) for user in recipients.users),
    ]


def _queue(
    conn: Connection, stored: StoredWatch, kind: str, rows: Sequence[Any], now: datetime
) -> int | None:
    """Insert one message per recipient; returns the first message's id (None: no recipient)."""
    incidents = [{**json.loads(row["incident"]), "distance_km": row["distance_km"]} for row in rows]
    users = schema.users
    chosen = conn.execute(select(users.c.language).where(users.c.name == stored.owner)).scalar_one_or_none()
    with use_language(supported(chosen)):  # the area in words, as the owner's messages will read
        area = stored.watch.describe_area()
    content: dict[str, Any] = {
        "kind": kind,
        "watch": stored.name,
        "area": area,
        "incidents": incidents,
        "match_ids": [int(row["match_id"]) for row in rows],
    }
    if kind == ALERT:  # a correction's incidents were undone: the dashboard no longer shows them
        content["link"] = dashboard_link(incidents, public_url())
    payload = json.dumps(
        content,
        ensure_ascii=False,
        sort_keys=True,
    )
    common = {"watch_name": stored.name, "kind": kind, "payload": payload, "status": PENDING, "attempts": 0}
    common |= {"created_at": now, "next_attempt_at": now, "last_error": ""}
    rows = [
        {**common, "channel": channel, "recipient": recipient} for channel, recipient in _recipients(stored)
    ]
    if not rows:
        return None
    outbox = schema.alert_outbox
    return min(conn.execute(outbox.insert().returning(outbox.c.message_id), rows).scalars())


# ---- paused and removed watches ------------------------------------------------------------------


def _watch_statuses(conn: Connection) -> dict[str, str]:
    """The status of every watch's latest version, read in ``conn``'s transaction."""
    versions = schema.watch_versions
    latest = (
        select(versions.c.watch_name, func.max(versions.c.version).label("version"))
        .group_by(versions.c.watch_name)
        .subquery()
    )
    query = select(versions.c.watch_name, versions.c.status).join(
        latest, and_(versions.c.watch_name == latest.c.watch_name, versions.c.version == latest.c.version)
    )
    return {str(name): str(status) for name, status in conn.execute(query)}


def drop_removed(store: IncidentStore, *, now: datetime | None = None) -> int:
    """Drop the unsent alerts of removed watches (see the module docstring); returns the messages dropped."""
    moment = now or datetime.now(UTC)
    with write_transaction(store) as conn:
        removed = [name for name, status in _watch_statuses(conn).items() if status == REMOVED]
        return _drop_removed(conn, removed, moment)


def _drop_removed(conn: Connection, removed: Sequence[str], now: datetime) -> int:
    if not removed:
        return 0
    outbox, matches = schema.alert_outbox, schema.alert_matches
    # Alerts not sent and not being sent (a live claim is another runner's, mid-send: it finishes).
    unsent = and_(
        outbox.c.watch_name.in_(list(removed)),
        outbox.c.kind == ALERT,
        or_(
            outbox.c.status == PENDING,
            and_(outbox.c.status == SENDING, outbox.c.next_attempt_at <= now),
        ),
    )
    dropped = conn.execute(
        update(outbox)
        .where(unsent)
        .values(status=DROPPED, last_error="its watch was removed before it was sent")
    ).rowcount
    of_removed = matches.c.watch_name.in_(list(removed))
    conn.execute(update(matches).where(of_removed, matches.c.status == PENDING).values(status=DROPPED))
    queued = set(
        conn.execute(select(matches.c.match_id).where(of_removed, matches.c.status == QUEUED)).scalars()
    )
    if queued:
        in_flight = select(outbox.c.payload).where(
            outbox.c.watch_name.in_(list(removed)), outbox.c.kind == ALERT, outbox.c.status == SENDING
        )
        for payload in conn.execute(in_flight).scalars():
            queued -= set(json.loads(payload)["match_ids"])
        if queued:
            conn.execute(update(matches).where(matches.c.match_id.in_(sorted(queued))).values(status=DROPPED))
    return int(dropped)


# ---- delivering ----------------------------------------------------------------------------------


def _claim(store: IncidentStore, now: datetime, channel: str | None = None) -> list[dict[str, Any]]:
    """Take up to :data:`CLAIM_BATCH` due messages (pending, or a dead runner's expired claim),
    of one ``channel`` when given.

    Alerts of a paused watch are left where they are; those of a removed watch are dropped first.
    """
    outbox = schema.alert_outbox
    with write_transaction(store) as conn:
        statuses = _watch_statuses(conn)
        _drop_removed(conn, [name for name, status in statuses.items() if status == REMOVED], now)
        held = [name for name, status in statuses.items() if status != ACTIVE]
        due = and_(outbox.c.status.in_((PENDING, SENDING)), outbox.c.next_attempt_at <= now)
        if held:
            due = and_(due, or_(outbox.c.kind == CORRECTION, outbox.c.watch_name.not_in(held)))
        if channel is not None:
            due = and_(due, outbox.c.channel == channel)
        query = select(outbox).where(due).order_by(outbox.c.message_id).limit(CLAIM_BATCH)
        rows = [dict(row) for row in conn.execute(_locked(conn, query)).mappings()]
        if rows:
            lease = now + timedelta(seconds=CLAIM_LEASE_S)
            ids = [row["message_id"] for row in rows]
            conn.execute(
                update(outbox)
                .where(outbox.c.message_id.in_(ids))
                .values(status=SENDING, next_attempt_at=lease)
            )
    return rows


def owner_language(store: IncidentStore, watch_name: str) -> str | None:
    """The language the watch's owner chose for their account, or None (English then)."""
    try:
        owner = get_watch(store, watch_name).owner
    except WatchNotFoundError:
        return None
    return supported(account_language(store, owner))


def _send(store: IncidentStore, message: dict[str, Any], smtp: SmtpSettings | None, now: datetime) -> None:
    payload = json.loads(message["payload"])
    message_id = int(message["message_id"])
    if message["channel"] == "email":
        if smtp is None:
            raise DeliveryError(f"{SMTP_URL_ENV} is not set, so no e-mail can be sent")
        send_email(
            smtp,
            email_message(
                payload,
                sender=smtp.sender,
                recipient=message["recipient"],
                message_id=message_id,
                language=owner_language(store, message["watch_name"]),
            ),
        )
    elif message["channel"] == "webhook":
        secret = watch_secret(store, message["watch_name"])
        if not secret:
            raise DeliveryError(f"the watch {message['watch_name']!r} has no webhook secret any more")
        post_webhook(
            message["recipient"],
            webhook_body(payload, message_id=message_id),
            secret=secret,
            timestamp=int(now.timestamp()),
            delivery_id=message_id,
        )
    # in-app: stored is delivered; the inbox reads it


def _sent(store: IncidentStore, message: dict[str, Any], now: datetime) -> None:
    outbox, matches = schema.alert_outbox, schema.alert_matches
    match_ids = json.loads(message["payload"])["match_ids"]
    with write_transaction(store) as conn:
        conn.execute(
            update(outbox)
            .where(outbox.c.message_id == message["message_id"])
            .values(status=SENT, sent_at=now, attempts=outbox.c.attempts + 1, last_error="")
        )
        before, after = (QUEUED, DELIVERED) if message["kind"] == ALERT else (RETRACTED, CORRECTED)
        conn.execute(
            update(matches)
            .where(matches.c.match_id.in_(match_ids), matches.c.status == before)
            .values(status=after)
        )


def _failed(
    store: IncidentStore, message: dict[str, Any], error: str, now: datetime, give_up: timedelta
) -> bool:
    """Record a failed attempt; returns whether the message is given up (``failed``)."""
    outbox = schema.alert_outbox
    attempts = int(message["attempts"]) + 1
    gave_up = now - utc(message["created_at"]) >= give_up
    delay = min(RETRY_FIRST_S * 2 ** (attempts - 1), RETRY_MAX_S)
    with write_transaction(store) as conn:
        conn.execute(
            update(outbox)
            .where(outbox.c.message_id == message["message_id"])
            .values(
                status=FAILED if gave_up else PENDING,
                attempts=attempts,
                next_attempt_at=now + timedelta(seconds=delay),
                last_error=error[:500],
            )
        )
    return gave_up


# ---- reading: the outbox for admins, the in-app inbox ----------------------------------------------

OUTBOX_COLUMNS: Final = (
    "message_id",
    "watch_name",
    "kind",
    "channel",
    "recipient",
    "status",
    "attempts",
    "created_at",
    "next_attempt_at",
    "sent_at",
    "last_error",
)


def list_outbox(store: IncidentStore, *, status: str | None = None) -> pd.DataFrame:
    """Outbox messages (newest first, no payload): what was sent, what waits, what failed and why."""
    outbox = schema.alert_outbox
    query = select(*(outbox.c[name] for name in OUTBOX_COLUMNS))
    if status is not None:
        query = query.where(outbox.c.status == status)
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(outbox.c.message_id.desc())).mappings().all()
    frame = pd.DataFrame(rows, columns=list(OUTBOX_COLUMNS))
    for name in ("created_at", "next_attempt_at", "sent_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


def inbox(store: IncidentStore, user_name: str) -> list[dict[str, Any]]:
    """The user's in-app alerts, newest first: id, kind, watch, time, read, and the payload."""
    outbox = schema.alert_outbox
    query = (
        select(
            outbox.c.message_id,
            outbox.c.kind,
            outbox.c.watch_name,
            outbox.c.created_at,
            outbox.c.status,
            outbox.c.payload,
        )
        .where(
            outbox.c.channel == "inapp", outbox.c.recipient == user_name, outbox.c.status.in_((SENT, READ))
        )
        .order_by(outbox.c.message_id.desc())
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        {
            "message_id": int(row["message_id"]),
            "kind": row["kind"],
            "watch_name": row["watch_name"],
            "created_at": utc(row["created_at"]),
            "read": row["status"] == READ,
            "payload": json.loads(row["payload"]),
        }
        for row in rows
    ]


def unread_count(store: IncidentStore, user_name: str) -> int:
    outbox = schema.alert_outbox
    query = select(func.count()).where(
        and_(outbox.c.channel == "inapp", outbox.c.recipient == user_name, outbox.c.status == SENT)
    )
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def mark_read(store: IncidentStore, user_name: str, message_ids: Sequence[int]) -> int:
    """Mark the user's own in-app messages read (others' ids are ignored); returns how many changed."""
    outbox = schema.alert_outbox
    with store.engine.begin() as conn:
        return int(
            conn.execute(
                update(outbox)
                .where(
                    outbox.c.message_id.in_(list(message_ids)),
                    outbox.c.recipient == user_name,
                    outbox.c.channel == "inapp",
                    outbox.c.status == SENT,
                )
                .values(status=READ)
            ).rowcount
        )


def deliver_inapp(store: IncidentStore, *, now: datetime | None = None) -> int:
    """Mark due in-app messages sent (being stored is their delivery); returns how many.

    For the app right after its own import: the inbox shows the alerts at once, while e-mails and
    webhooks (network, retries) wait for the runner. Claimed as :func:`deliver` claims (locked,
    with a lease), so a runner at the same time never takes the same message.
    """
    moment = now or datetime.now(UTC)
    delivered = 0
    while claimed := _claim(store, moment, channel="inapp"):
        for message in claimed:
            _sent(store, message, moment)
        delivered += len(claimed)
    return delivered
