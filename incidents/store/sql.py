"""The incident store over SQLAlchemy Core: SQLite (embedded default) or PostgreSQL.

All SQL lives here, parameterised. One import is one batch written in one
transaction, so readers see all of a batch or none of it. A ``data_version``
counter changes with every write; the dashboard keys its caches on it, which works
across processes and replicas.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from sqlalchemy import Engine, create_engine, delete, event, func, select, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from incidents.errors import BatchNotFoundError, StoreError
from incidents.model import INCIDENT_COLUMNS, conform_incidents
from incidents.store import schema
from incidents.store.location import describe_url, resolve_db_url
from incidents.store.migrations import migrate

INSERT_CHUNK_ROWS: Final = 20_000
#: Ids per IN (...) query: under SQLite's 32,766 bound-parameter limit (3.32+).
ID_LOOKUP_CHUNK: Final = 30_000
#: SQLite waits this long for a concurrent writer instead of failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS: Final = 30_000


@dataclass(frozen=True)
class BatchMeta:
    """Provenance of one import."""

    file_name: str
    sha256: str
    format: str
    user_name: str = "local"
    rows_read: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0


@dataclass(frozen=True)
class BatchRecord:
    batch_id: str
    rows_accepted: int
    created_at: datetime


def new_batch_id(now: datetime | None = None) -> str:
    """Sortable, unique batch id: UTC timestamp plus a random suffix."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex[:8]}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the importing writer
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _to_records(frame: pd.DataFrame) -> Iterator[list[dict[str, Any]]]:
    """Plain-Python rows (no pandas NA/Timestamp) in chunks, for executemany."""
    data = frame.astype(object).where(frame.notna(), None)
    data["event_date"] = [value.date() for value in frame["event_date"]]
    data["imported_at"] = [value.to_pydatetime() for value in frame["imported_at"]]
    for column in ("latitude", "longitude"):
        data[column] = frame[column].astype(float).tolist()
    for column in ("geo_precision", "fatalities"):
        data[column] = frame[column].astype(int).tolist()
    data["civilian_targeting"] = frame["civilian_targeting"].astype(bool).tolist()
    columns = list(data.columns)
    values = data.to_numpy()
    for start in range(0, len(values), INSERT_CHUNK_ROWS):
        yield [dict(zip(columns, row, strict=True)) for row in values[start : start + INSERT_CHUNK_ROWS]]


class IncidentStore:
    """Incidents, batches and audit in one SQL database. Open it with :func:`open_store`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.url: URL = engine.url

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def backend(self) -> str:
        return self.url.get_backend_name()

    def describe(self) -> str:
        return describe_url(self.url)

    def close(self) -> None:
        self._engine.dispose()

    # ---- reading -------------------------------------------------------------------

    def data_version(self) -> int:
        """Counter bumped by every committed write; cache key for derived data."""
        with self._engine.connect() as conn:
            value = conn.execute(
                select(schema.store_meta.c.value).where(schema.store_meta.c.key == "data_version")
            ).scalar_one()
        return int(value)

    def count_incidents(self, source_dataset: str | None = None) -> int:
        query = select(func.count()).select_from(schema.incidents)
        if source_dataset is not None:
            query = query.where(schema.incidents.c.source_dataset == source_dataset)
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def date_range(self) -> tuple[date, date] | None:
        """First and last event date in the store, or ``None`` when it is empty."""
        column = schema.incidents.c.event_date
        with self._engine.connect() as conn:
            first, last = conn.execute(select(func.min(column), func.max(column))).one()
        if first is None or last is None:
            return None
        return pd.Timestamp(first).date(), pd.Timestamp(last).date()

    def existing_incident_ids(self, incident_ids: Iterable[str]) -> set[str]:
        """Which of these ids are already stored (for idempotent imports)."""
        ids = list(dict.fromkeys(incident_ids))
        found: set[str] = set()
        column = schema.incidents.c.incident_id
        with self._engine.connect() as conn:
            for start in range(0, len(ids), ID_LOOKUP_CHUNK):
                chunk = ids[start : start + ID_LOOKUP_CHUNK]
                found.update(conn.execute(select(column).where(column.in_(chunk))).scalars())
        return found

    def load_incidents(
        self,
        countries: Sequence[str] | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> pd.DataFrame:
        """Canonical incidents, optionally limited by country ISO3 and inclusive date range."""
        table = schema.incidents
        query = select(*[table.c[name] for name in INCIDENT_COLUMNS])
        if countries is not None:
            query = query.where(table.c.country_iso3.in_(list(countries)))
        if since is not None:
            query = query.where(table.c.event_date >= since)
        if until is not None:
            query = query.where(table.c.event_date <= until)
        query = query.order_by(table.c.event_date, table.c.incident_id)
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        frame = pd.DataFrame(rows, columns=list(INCIDENT_COLUMNS))
        if frame.empty:
            return conform_incidents(frame)
        frame["civilian_targeting"] = frame["civilian_targeting"].astype(bool)
        frame["fatalities"] = frame["fatalities"].astype(np.int64)
        return conform_incidents(frame)

    def list_batches(self) -> pd.DataFrame:
        """Every batch, newest first."""
        table = schema.batches
        with self._engine.connect() as conn:
            rows = conn.execute(select(table).order_by(table.c.created_at.desc())).mappings().all()
        return pd.DataFrame(rows, columns=[c.name for c in table.columns])

    def audit_log(self) -> pd.DataFrame:
        table = schema.audit
        with self._engine.connect() as conn:
            rows = conn.execute(select(table).order_by(table.c.audit_id)).mappings().all()
        return pd.DataFrame(rows, columns=[c.name for c in table.columns])

    # ---- writing -------------------------------------------------------------------

    def add_batch(
        self,
        incidents: pd.DataFrame,
        meta: BatchMeta,
        progress: Callable[[float], None] | None = None,
    ) -> BatchRecord:
        """Write ``incidents`` as one new batch, atomically; return its record.

        Rows must be canonical and new: an id already stored aborts the whole batch
        (callers remove duplicates first and report them as ``duplicate_in_store``).
        ``progress`` receives the written share (0-1) after each chunk; if it raises,
        the transaction rolls back and nothing of the batch is stored.
        """
        now = datetime.now(UTC)
        batch_id = new_batch_id(now)
        frame = incidents.copy()
        frame["batch_id"] = batch_id
        frame["imported_at"] = pd.Timestamp(now)
        frame = conform_incidents(frame)
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    schema.batches.insert().values(
                        batch_id=batch_id,
                        file_name=meta.file_name,
                        sha256=meta.sha256,
                        format=meta.format,
                        user_name=meta.user_name,
                        created_at=now,
                        rows_read=meta.rows_read,
                        rows_accepted=len(frame),
                        rows_rejected=meta.rows_rejected,
                        rows_duplicate=meta.rows_duplicate,
                        status="committed",
                    )
                )
                written = 0
                for chunk in _to_records(frame):
                    conn.execute(schema.incidents.insert(), chunk)
                    written += len(chunk)
                    if progress is not None:
                        progress(written / max(len(frame), 1))
                details = f"{len(frame)} rows from {meta.file_name}"
                self._log(conn, meta.user_name, "import", batch_id, details)
                self._bump_version(conn)
        except IntegrityError as exc:
            raise StoreError(
                "the batch holds incident ids that are already stored; nothing was written. "
                "Remove duplicates before committing"
            ) from exc
        except OperationalError as exc:
            raise StoreError(f"could not write to the store {self.describe()}: {exc.orig}") from exc
        return BatchRecord(batch_id=batch_id, rows_accepted=len(frame), created_at=now)

    def undo_batch(self, batch_id: str, user_name: str = "local") -> int:
        """Remove exactly the rows of ``batch_id``; keep the batch row (status ``undone``) and audit it."""
        with self._engine.begin() as conn:
            status = conn.execute(
                select(schema.batches.c.status).where(schema.batches.c.batch_id == batch_id)
            ).scalar_one_or_none()
            if status is None:
                raise BatchNotFoundError(
                    f"no batch {batch_id!r} in the store; list batches with `python -m incidents batches`"
                )
            if status == "undone":
                raise StoreError(f"batch {batch_id!r} was already undone")
            removed = conn.execute(
                delete(schema.incidents).where(schema.incidents.c.batch_id == batch_id)
            ).rowcount
            conn.execute(
                update(schema.batches)
                .where(schema.batches.c.batch_id == batch_id)
                .values(status="undone")
            )
            self._log(conn, user_name, "undo", batch_id, f"{removed} rows removed")
            self._bump_version(conn)
        return int(removed)

    @staticmethod
    def _log(conn: Any, user_name: str, action: str, batch_id: str | None, details: str) -> None:
        conn.execute(
            schema.audit.insert().values(
                at=datetime.now(UTC), user_name=user_name, action=action, batch_id=batch_id, details=details
            )
        )

    @staticmethod
    def _bump_version(conn: Any) -> None:
        conn.execute(
            update(schema.store_meta)
            .where(schema.store_meta.c.key == "data_version")
            .values(value=schema.store_meta.c.value + 1)
        )


def open_store(url: str | None = None) -> IncidentStore:
    """Open (and create or migrate) the store at ``url`` / ``SAHEL_DB_URL`` / the default."""
    resolved = resolve_db_url(url)
    if resolved.get_backend_name() == "sqlite" and resolved.database not in (None, "", ":memory:"):
        Path(resolved.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(resolved, pool_pre_ping=True)
        if resolved.get_backend_name() == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        with engine.begin() as conn:
            migrate(conn)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot open the store {describe_url(resolved)}: {getattr(exc, 'orig', exc)}. "
            "Check SAHEL_DB_URL and that the database server is running"
        ) from exc
    return IncidentStore(engine)
