"""The incident store over SQLAlchemy Core: SQLite (embedded default) or PostgreSQL.

All SQL lives here, parameterised. One import is one batch written in one
transaction, so readers see all of a batch or none of it. A ``data_version``
counter changes with every write; the dashboard keys its caches on it, which works
across processes and replicas.

Incidents are stored compactly (schema version 5, :mod:`incidents.store.migration_v5`):
the table ``incident_rows`` holds label ids (:mod:`incidents.store.labels`) instead of
repeated text, the event date as a day number and a small ``batch_key`` instead of
``batch_id`` + ``imported_at``. Every frame this module returns is canonical text, decoded
here. People who query the database file with SQL use the view ``incidents``: the same
columns and values as the version-4 table of that name, and since version 7 the reported
event type and the location uncertainty too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    ColumnElement,
    Engine,
    Integer,
    case,
    cast,
    create_engine,
    delete,
    event,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from incidents.analytics import INCIDENT_COUNT
from incidents.errors import BatchNotFoundError, StoreError
from incidents.i18n import _
from incidents.model import INCIDENT_COLUMNS, conform_incidents
from incidents.store import schema
from incidents.store.labels import (
    LABEL_COLUMNS,
    MISSING,
    codes_array,
    decode_categorical,
    decode_strings,
    distinct_ids,
    encode_labels,
    existing_label_ids,
    label_texts,
    python_ids,
)
from incidents.store.location import describe_url, resolve_db_url
from incidents.store.migrations import migrate
from incidents.store.pg_copy import CopyThread, copy_incident_rows, read_numbers
from incidents.store.sqlite_bulk import BULK_CHUNK_ROWS, BULK_MIN_ROWS, SqliteBulkBatch, bulk_available

INSERT_CHUNK_ROWS: Final = 20_000
INCIDENTS_VERSION_KEY: Final = schema.INCIDENTS_VERSION_KEY
#: Ids per IN (...) query: under SQLite's 32,766 bound-parameter limit (3.32+).
ID_LOOKUP_CHUNK: Final = 30_000
#: SQLite waits this long for a concurrent writer instead of failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS: Final = 30_000
#: SQLite page cache per connection, KiB (negative PRAGMA cache_size means KiB).
SQLITE_CACHE_KIB: Final = 64 * 1024
#: Day 0 of ``incident_rows.event_day``.
EPOCH: Final = date(1970, 1, 1)


def actor_details(user_name: str, role: str) -> str:
    """`` by analyst 'ana'`` for audit details when the role is known, else ``""``."""
    return f" by {role} {user_name!r}" if role else ""


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
    #: The importer's role, recorded in the audit details ("" when unknown, e.g. tests).
    role: str = ""


@dataclass(frozen=True)
class BatchRecord:
    batch_id: str
    rows_accepted: int
    created_at: datetime


def new_batch_id(now: datetime | None = None) -> str:
    """Sortable, unique batch id: UTC timestamp plus a random suffix."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex[:8]}"


#: Connection execution option naming the statement that opens a SQLite transaction.
SQLITE_BEGIN_OPTION: Final = "sahel_sqlite_begin"


def _sqlite_begin(conn: Any) -> None:
    """Open every SQLite transaction with an explicit BEGIN (``BEGIN IMMEDIATE`` on request).

    Python's sqlite3 only begins a transaction before INSERT/UPDATE/DELETE, so DDL that came
    first (a migration's CREATE TABLE) was committed at once and a failed migration left half
    a schema behind. With the driver's own handling off (:func:`_sqlite_pragmas`) and this
    BEGIN, DDL and data change together or not at all (SQLAlchemy's documented recipe).
    """
    conn.exec_driver_sql(conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "BEGIN"))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions begin in _sqlite_begin, DDL included
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the importing writer
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Page cache up to 64 MiB (default 2 MiB): large imports update three indexes plus the
    # primary key, and a cache that holds their hot pages cuts the commit time.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def day_number(value: date) -> int:
    """Days since :data:`EPOCH` of a date (of a datetime or Timestamp: its calendar day)."""
    return (date(value.year, value.month, value.day) - EPOCH).days


def _day_numbers(event_date: pd.Series) -> np.ndarray:
    """``event_day`` values of canonical (midnight, naive) event dates."""
    return event_date.to_numpy().astype("datetime64[D]").astype(np.int64)


def _to_rows(
    frame: pd.DataFrame, labels: dict[str, np.ndarray], batch_key: int, order: np.ndarray | None = None
) -> tuple[list[str], Iterator[list[tuple[Any, ...]]]]:
    """``incident_rows`` column names and DBAPI-ready row tuples in chunks of ``INSERT_CHUNK_ROWS``.

    ``labels`` are the encoded label columns (:func:`encode_labels`); ``order`` (positions)
    sets the order in which rows are written; default: as given. Every value is a plain int,
    float, bool, str or None, which the driver binds as they are.
    """
    columns = [column.name for column in schema.incident_rows.columns]
    parameters = python_ids(list(labels.values()))
    numbers: dict[str, np.ndarray] = {
        "event_day": _day_numbers(frame["event_date"]),
        "latitude": frame["latitude"].to_numpy(dtype=np.float64),
        "longitude": frame["longitude"].to_numpy(dtype=np.float64),
        "geo_precision": frame["geo_precision"].to_numpy(dtype=np.int64),
        "fatalities": frame["fatalities"].to_numpy(dtype=np.int64),
        "civilian_targeting": frame["civilian_targeting"].to_numpy(dtype=bool),
        # NULL, not NaN, where unknown: PostgreSQL would store NaN as a number.
        "uncertainty_km": _floats_or_none(frame["uncertainty_km"]),
    }

    def chunks() -> Iterator[list[tuple[Any, ...]]]:
        # Python values are built one chunk at a time: a million-row batch never holds
        # all its cells as Python objects at once.
        step = INSERT_CHUNK_ROWS
        for start in range(0, len(frame), step):
            stop = min(start + step, len(frame))
            rows = np.arange(start, stop) if order is None else order[start:stop]
            values: list[list[Any]] = []
            for name in columns:
                if name in labels:
                    values.append(parameters[labels[name][rows]].tolist())
                elif name in numbers:
                    values.append(numbers[name][rows].tolist())
                elif name == "batch_key":
                    values.append([batch_key] * len(rows))
                else:  # incident_id, source_event_id, notes: text
                    values.append(frame[name].iloc[rows].to_numpy(dtype=object, na_value=None).tolist())
            yield list(zip(*values, strict=True))

    return columns, chunks()


def _floats_or_none(values: pd.Series) -> np.ndarray:
    """Floats as an object array with None for NaN (SQL NULL)."""
    numbers = values.to_numpy(dtype=np.float64)
    out = numbers.astype(object)
    out[np.isnan(numbers)] = None
    return out


def _prefetched(chunks: Iterator[list[tuple[Any, ...]]]) -> Iterator[list[tuple[Any, ...]]]:
    """``chunks``, with the next one built on a helper thread while the caller writes this one.

    The driver releases the GIL while SQLite executes a chunk, so building the next chunk's
    Python values overlaps with the write (two cores). Only one chunk is built ahead.
    """
    iterator = iter(chunks)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-rows") as pool:
        pending = pool.submit(next, iterator, None)
        while (chunk := pending.result()) is not None:
            pending = pool.submit(next, iterator, None)
            yield chunk


def _insert_chunks(conn: Any, columns: list[str], chunks: Iterator[list[tuple[Any, ...]]]) -> Iterator[int]:
    """Insert each chunk on ``conn`` (inside its open transaction); yield the rows written."""
    preparer = conn.dialect.identifier_preparer
    table_name = preparer.format_table(schema.incident_rows)
    column_sql = ", ".join(preparer.quote(name) for name in columns)
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table_name} ({column_sql}) VALUES ({', '.join([marker] * len(columns))})"
    for chunk in chunks:
        conn.exec_driver_sql(sql, chunk)
        yield len(chunk)


def _dbapi_integrity_errors(engine: Engine) -> tuple[type[BaseException], ...]:
    """The driver's own IntegrityError (raised unwrapped by psycopg's COPY)."""
    error = getattr(engine.dialect.dbapi, "IntegrityError", None)
    return (error,) if isinstance(error, type) else ()


#: What a search for possible duplicates reads of stored incidents (:meth:`IncidentStore.load_nearby_fields`).
NEARBY_COLUMNS: Final = ("incident_id", "source_dataset", "event_date", "event_type", "latitude", "longitude")
#: Columns the dashboard filters and aggregates on (no free text).
ANALYSIS_COLUMNS: Final = (
    "incident_id",
    "source_dataset",
    "event_date",
    "country_iso3",
    "admin1_code",
    "admin1_name",
    "admin2_code",
    "admin2_name",
    "latitude",
    "longitude",
    "geo_precision",
    "event_type",
    "actor1",
    "actor2",
    "actor_group",
    "fatalities",
    "civilian_targeting",
    "batch_id",  # which import each row came from: the credits of the rows shown name it
)
#: Analysis columns held as pandas categories (few distinct values, many rows).
CATEGORY_COLUMNS: Final = (
    "source_dataset",
    "country_iso3",
    "admin1_code",
    "admin1_name",
    "admin2_code",
    "admin2_name",
    "event_type",
    "actor1",
    "actor2",
    "actor_group",
    "batch_id",
)


#: ``incident_rows`` columns that hold an analysis column in another form.
_ANALYSIS_STORED: Final = {"event_date": "event_day", "batch_id": "batch_key"}


def analysis_frame_from_rows(rows: Sequence[Any]) -> pd.DataFrame:
    """Rows of :data:`ANALYSIS_COLUMNS` as a compact frame (categories, numpy numbers)."""
    frame = pd.DataFrame(rows, columns=list(ANALYSIS_COLUMNS))
    frame["incident_id"] = frame["incident_id"].astype("string")
    for column in CATEGORY_COLUMNS:
        frame[column] = frame[column].astype("category")
    frame["event_date"] = pd.to_datetime(frame["event_date"]).astype("datetime64[ns]")
    frame["latitude"] = frame["latitude"].astype("float64")
    frame["longitude"] = frame["longitude"].astype("float64")
    frame["geo_precision"] = frame["geo_precision"].astype("int8")
    frame["fatalities"] = frame["fatalities"].astype("int64")
    frame["civilian_targeting"] = frame["civilian_targeting"].astype(bool)
    return frame


def _fetch_rows(conn: Any, query: Any) -> list[tuple[Any, ...]]:
    """The driver's own row tuples for ``query``.

    A SQLAlchemy ``Row`` per row (and its result processors) cost about 2 s per million
    rows; every value read here is a plain int, float, str, bool or None anyway (SQLite
    returns 0/1 for booleans, which :func:`_column_arrays` converts).
    """
    result = conn.execute(query)
    try:
        return list(result.cursor.fetchall()) if result.cursor is not None else []
    finally:
        result.close()


def _column_arrays(rows: Sequence[tuple[Any, ...]], names: Sequence[str]) -> dict[str, np.ndarray]:
    """One numpy array per ``incident_rows`` column: label ids int64 (:data:`MISSING` for NULL),
    numbers typed, text as objects (None for NULL)."""
    # One 2-D object array, then a column view each: ~4x faster than zip(*rows).
    table = np.array(rows, dtype=object) if rows else np.empty((0, len(names)), dtype=object)
    arrays: dict[str, np.ndarray] = {}
    for position, name in enumerate(names):
        values = table[:, position]
        if name in LABEL_COLUMNS:
            arrays[name] = codes_array(values)
        elif name in ("latitude", "longitude", "uncertainty_km"):
            arrays[name] = values.astype(np.float64)  # NULL (None) -> NaN
        elif name == "civilian_targeting":
            arrays[name] = values.astype(bool)
        elif name in ("event_day", "geo_precision", "fatalities", "batch_key"):
            arrays[name] = values.astype(np.int64)
        else:  # incident_id, source_event_id, notes
            arrays[name] = values.copy()
    return arrays


def _by_date_and_id(arrays: dict[str, np.ndarray], keep: Sequence[str]) -> dict[str, np.ndarray]:
    """``arrays`` (those named in ``keep``) ordered by (event_day, incident_id), as
    ``ORDER BY event_day, incident_id`` on SQLite.

    SQLite's BINARY collation compares UTF-8 bytes, as Arrow's string sort does; sorting here
    (C, ~0.3 s per million) instead of in SQLite (a temporary B-tree, ~4 s) gives the same order.
    Arrays left out of ``keep`` are not reordered (the ids' objects take 0.3 s per million).
    """
    keys = pa.table({"day": arrays["event_day"], "id": pa.array(arrays["incident_id"], type=pa.string())})
    order = pc.sort_indices(keys, sort_keys=[("day", "ascending"), ("id", "ascending")]).to_numpy()
    return {name: arrays[name][order] for name in keep}


def _ordered_rows(
    conn: Any, query: Any, names: Sequence[str], keep: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Columns of ``query`` (``names``) ordered by event date, then incident id; only those in
    ``keep`` (None: all) are returned (``names`` must hold event_day and incident_id).

    PostgreSQL sorts (its collation decides the id order, as before version 5); SQLite's
    rows are sorted here, with the same result.
    """
    table = schema.incident_rows
    kept = list(names) if keep is None else list(keep)
    if conn.dialect.name != "sqlite":
        ordered = query.order_by(table.c.event_day, table.c.incident_id)
        arrays = _column_arrays(_fetch_rows(conn, ordered), names)
        return {name: arrays[name] for name in kept}
    return _by_date_and_id(_column_arrays(_fetch_rows(conn, query), names), kept)


def _analysis_names(columns: Sequence[str] | None) -> tuple[str, ...]:
    """The analysis columns asked for (None: all of :data:`ANALYSIS_COLUMNS`), each once; at least one."""
    if columns is None:
        return ANALYSIS_COLUMNS
    if isinstance(columns, str):
        raise TypeError(f"columns must be a sequence of column names, not the string {columns!r}")
    if not columns:
        raise ValueError("columns must name at least one analysis column (None: all of them)")
    unknown = [name for name in columns if name not in ANALYSIS_COLUMNS]
    if unknown:
        raise ValueError(f"not analysis columns: {unknown}; allowed: {list(ANALYSIS_COLUMNS)}")
    return tuple(dict.fromkeys(columns))


def _analysis_frame_from_codes(
    conn: Any, columns: dict[str, np.ndarray], names: Sequence[str] = ANALYSIS_COLUMNS
) -> pd.DataFrame:
    """The analysis columns ``names`` from ``incident_rows`` columns (event_day, label ids).

    Same frame as :func:`analysis_frame_from_rows` on the decoded text, but categories are
    built straight from the label ids: no Python string per cell.
    """
    texts = label_texts(
        conn,
        distinct_ids(
            *(columns[name] for name in names if name in CATEGORY_COLUMNS and name in LABEL_COLUMNS)
        ),
    )
    data: dict[str, Any] = {}
    for name in names:
        if name == "batch_id":
            data[name] = _batch_categorical(conn, columns["batch_key"])
        elif name in CATEGORY_COLUMNS:
            data[name] = decode_categorical(columns[name], texts)
        elif name == "incident_id":
            data[name] = pd.array(columns[name], dtype="string")
        elif name == "event_date":
            data[name] = _dates(columns["event_day"])
        elif name == "geo_precision":
            data[name] = columns[name].astype(np.int8)
        else:  # latitude, longitude, fatalities, civilian_targeting: already typed
            data[name] = columns[name]
    return pd.DataFrame(data)


def _no_jit(conn: Any) -> None:
    """Turn PostgreSQL's JIT compiler off for this transaction: it spent 0.6 s compiling a
    grouped read that then ran in 0.3 s (5M incidents); reads here are short."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit = off")


def _day_or_month(backend: str, dates: Literal["day", "month"]) -> Any:
    """``event_day``, or the day number of the first day of its month (grouping by month)."""
    table = schema.incident_rows
    if dates == "day":
        return table.c.event_day
    day = table.c.event_day
    day_of_month: Any
    if backend == "postgresql":
        day_of_month = func.extract("day", literal_column("DATE '1970-01-01'") + day)
    else:
        day_of_month = func.strftime("%d", day * 86400, "unixepoch")
    return day - (cast(day_of_month, Integer) - 1)


def _dates(days: np.ndarray) -> np.ndarray:
    """``datetime64[ns]`` midnight of each day number."""
    return days.astype("datetime64[D]").astype("datetime64[ns]")


def _label_id_of(text: str) -> Any:
    """Scalar subquery: the label id of ``text`` (NULL, so matching nothing, when unknown)."""
    labels = schema.labels
    return select(labels.c.label_id).where(labels.c.text == text).scalar_subquery()


#: ``incident_rows`` columns in table order, as the canonical reads select them.
_ROW_COLUMNS: Final = tuple(column.name for column in schema.incident_rows.columns)


def _stored(names: Sequence[str]) -> list[Any]:
    """Select list for these ``incident_rows`` columns; label ids read as :data:`MISSING` for NULL
    (all-integer columns convert to numpy at once)."""
    table = schema.incident_rows
    return [
        func.coalesce(table.c[name], MISSING).label(name) if name in LABEL_COLUMNS else table.c[name]
        for name in names
    ]


def _canonical_from_columns(conn: Any, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """Canonical incidents (:func:`conform_incidents`) from ``incident_rows`` columns."""
    if not len(columns["incident_id"]):
        return conform_incidents(pd.DataFrame([], columns=list(INCIDENT_COLUMNS)))
    texts = label_texts(conn, distinct_ids(*(columns[name] for name in LABEL_COLUMNS)))
    batch_positions, batch_ids, imported_at = _batches_of(conn, columns["batch_key"])
    data: dict[str, Any] = {}
    for name in INCIDENT_COLUMNS:
        if name in LABEL_COLUMNS:
            data[name] = decode_strings(columns[name], texts)
        elif name == "event_date":
            data[name] = _dates(columns["event_day"])
        elif name == "batch_id":
            data[name] = batch_ids[batch_positions]
        elif name == "imported_at":
            data[name] = imported_at.take(batch_positions)
        elif name in columns:
            data[name] = columns[name]
    return conform_incidents(pd.DataFrame(data))  # a column the store lacks is added empty


def _batches_of(conn: Any, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """For rows' batch keys: each row's position among the distinct batches, their ids and times."""
    distinct, positions = np.unique(keys, return_inverse=True)
    table = schema.batches
    query = select(table.c.batch_key, table.c.batch_id, table.c.created_at).where(
        table.c.batch_key.in_(distinct.tolist())
    )
    found = {int(key): (batch_id, created_at) for key, batch_id, created_at in conn.execute(query)}
    batch_ids = np.array([found[int(key)][0] for key in distinct], dtype=object)
    # Parsed as the old per-row imported_at column was: naive SQLite values are UTC.
    imported_at = pd.DatetimeIndex(pd.to_datetime([found[int(key)][1] for key in distinct], utc=True))
    return positions.reshape(-1), batch_ids, imported_at


def _batch_categorical(conn: Any, keys: np.ndarray) -> pd.Categorical:
    """Rows' batch ids as ``category``, as ``Series(ids).astype("category")`` makes it (sorted).

    Batch keys are small positive integers: counting them finds the few present in
    milliseconds (a sort of a million keys took 0.2 s).
    """
    distinct = np.flatnonzero(np.bincount(keys)) if len(keys) else np.empty(0, dtype=np.int64)
    table = schema.batches
    query = select(table.c.batch_key, table.c.batch_id).where(table.c.batch_key.in_(distinct.tolist()))
    found = {int(key): str(batch_id) for key, batch_id in conn.execute(query)}
    ids = [found[int(key)] for key in distinct]
    categories = pd.Index(sorted(ids))
    lookup = np.full(int(distinct.max()) + 1 if len(distinct) else 1, -1, dtype=np.int64)
    lookup[distinct] = categories.get_indexer(ids)
    return pd.Categorical.from_codes(lookup[keys], dtype=pd.CategoricalDtype(categories))


class BatchWriter(Protocol):
    """One batch being written (:meth:`IncidentStore.batch_writer`)."""

    batch_id: str

    def write(
        self,
        incidents: pd.DataFrame,
        progress: Callable[[float], None] | None = None,
        *,
        conformed: bool = False,
    ) -> None:
        """Add canonical incidents to the batch; ``progress`` gets the share of these written.

        ``conformed=True``: the rows come straight from :func:`conform_incidents` (the import
        pipeline's do), so the writer does not check them again (0.3 s per million rows).
        """

    def commit(self, meta: BatchMeta) -> BatchRecord:
        """Store the batch with ``meta``'s provenance and counts; nothing is stored before."""


def _batch_fields(meta: BatchMeta) -> dict[str, Any]:
    """The ``batches`` columns that come from ``meta`` (the accepted count is the rows written)."""
    return {
        "file_name": meta.file_name,
        "sha256": meta.sha256,
        "format": meta.format,
        "user_name": meta.user_name,
        "rows_read": meta.rows_read,
        "rows_rejected": meta.rows_rejected,
        "rows_duplicate": meta.rows_duplicate,
    }


def _import_details(rows: int, meta: BatchMeta) -> str:
    return f"{rows} rows from {meta.file_name}{actor_details(meta.user_name, meta.role)}"


def _start_bulk(database: Path, batch_id: str, now: datetime, meta: BatchMeta) -> SqliteBulkBatch | None:
    """The writer process for a large SQLite batch, or None when none can start (write here then)."""
    try:
        return SqliteBulkBatch(database, batch_id, now, _batch_fields(meta))
    except OSError:  # no process could be started (limits, memory): same batch, written in-process
        return None


def _handed_over_in_parts(
    frame: pd.DataFrame, progress: Callable[[float], None] | None
) -> Iterator[pd.DataFrame]:
    """``frame`` in parts of :data:`BULK_CHUNK_ROWS` rows for a writer running beside the caller;
    ``progress`` gets the share handed over once each part has been taken."""
    for start in range(0, len(frame), BULK_CHUNK_ROWS):
        yield frame.iloc[start : start + BULK_CHUNK_ROWS]
        if progress is not None:
            progress(min(start + BULK_CHUNK_ROWS, len(frame)) / max(len(frame), 1))


class _SqlBatchWriter:
    """A batch written on this process's connection, inside one open transaction."""

    def __init__(
        self, conn: Any, transaction: Any, batch_id: str, created_at: datetime, batch_key: int
    ) -> None:
        self.batch_id = batch_id
        self._conn, self._transaction = conn, transaction
        self._created_at, self._batch_key = created_at, batch_key
        self._rows = 0

    def write(
        self,
        incidents: pd.DataFrame,
        progress: Callable[[float], None] | None = None,
        *,
        conformed: bool = False,
    ) -> None:
        frame = incidents.reset_index(drop=True) if conformed else conform_incidents(incidents)
        self._write_rows(frame, progress)
        self._rows += len(frame)

    def _write_rows(self, frame: pd.DataFrame, progress: Callable[[float], None] | None) -> None:
        """Insert canonical ``frame`` on this connection, in its transaction."""
        # Insert in primary-key order: the id index then grows at its right edge instead of
        # splitting pages all over the tree. Chunks are taken in this order one at a time
        # (no sorted copy); pyarrow sorts the ids without a Python string per row.
        order = pc.sort_indices(pa.array(frame["incident_id"].array)).to_numpy()
        labels = encode_labels(self._conn, frame)
        columns, chunks = _to_rows(frame, labels, self._batch_key, order)
        written = 0
        for count in _insert_chunks(self._conn, columns, _prefetched(chunks)):
            written += count
            if progress is not None:
                progress(written / max(len(frame), 1))

    def commit(self, meta: BatchMeta) -> BatchRecord:
        conn, table = self._conn, schema.batches
        conn.execute(
            update(table)
            .where(table.c.batch_id == self.batch_id)
            .values(**_batch_fields(meta), rows_accepted=self._rows)
        )
        IncidentStore._log(conn, meta.user_name, "import", self.batch_id, _import_details(self._rows, meta))
        IncidentStore._bump_version(conn)
        IncidentStore._bump_incidents_version(conn)
        self._transaction.commit()
        return BatchRecord(batch_id=self.batch_id, rows_accepted=self._rows, created_at=self._created_at)

    def close(self) -> None:
        """Nothing runs beside the caller here (the PostgreSQL writer's thread does)."""


class _PgCopyBatchWriter(_SqlBatchWriter):
    """A PostgreSQL batch sent with COPY by a writer thread (:mod:`incidents.store.pg_copy`)."""

    def __init__(
        self, conn: Any, transaction: Any, batch_id: str, created_at: datetime, batch_key: int
    ) -> None:
        super().__init__(conn, transaction, batch_id, created_at, batch_key)
        dbapi_connection = conn.connection.dbapi_connection
        self._thread = CopyThread(
            lambda frame: copy_incident_rows(conn, frame, batch_key), cancel=dbapi_connection.cancel_safe
        )

    def _write_rows(self, frame: pd.DataFrame, progress: Callable[[float], None] | None) -> None:
        for part in _handed_over_in_parts(frame, progress):  # a large write overlaps too
            self._thread.submit(part)

    def commit(self, meta: BatchMeta) -> BatchRecord:
        self._thread.finish()
        return super().commit(meta)

    def close(self) -> None:
        # Reached after commit (the thread has stopped: nothing to do) or when the batch is given
        # up: then nothing more is sent, and the chunk in flight is cancelled before the rollback.
        self._thread.abort()


class _BulkBatchWriter:
    """A batch written by the SQLite child process (:mod:`incidents.store.sqlite_bulk`)."""

    def __init__(self, bulk: SqliteBulkBatch) -> None:
        self.batch_id = bulk.batch_id
        self._bulk = bulk

    def write(
        self,
        incidents: pd.DataFrame,
        progress: Callable[[float], None] | None = None,
        *,
        conformed: bool = False,
    ) -> None:
        # The child's acknowledgements pace the handing-over.
        for part in _handed_over_in_parts(incidents, progress):
            self._bulk.write(part, conformed=conformed)

    def commit(self, meta: BatchMeta) -> BatchRecord:
        rows = self._bulk.commit(
            _batch_fields(meta), _import_details(self._bulk.rows, meta), datetime.now(UTC)
        )
        return BatchRecord(batch_id=self.batch_id, rows_accepted=rows, created_at=self._bulk.created_at)


class IncidentStore:
    """Incidents, batches and audit in one SQL database. Open it with :func:`open_store`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.url: URL = engine.url
        self._postgis_schema: str | None = None
        self._postgis_looked_up = False

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

    def incidents_version(self) -> int:
        """Counter bumped only when incidents change (an import or an undo).

        Keys the large in-memory incident frame, so saving a view or editing a key
        development does not make every dashboard reload a million rows.
        """
        with self._engine.connect() as conn:
            value = conn.execute(
                select(schema.store_meta.c.value).where(schema.store_meta.c.key == INCIDENTS_VERSION_KEY)
            ).scalar_one_or_none()
        return int(value or 0)

    def count_incidents(self, source_dataset: str | None = None) -> int:
        table = schema.incident_rows
        query = select(func.count()).select_from(table)
        if source_dataset is not None:
            query = query.where(table.c.source_dataset == _label_id_of(source_dataset))
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def date_range(self, sources: Sequence[str] = ()) -> tuple[date, date] | None:
        """First and last event date in the store (of ``sources`` only, when given); ``None`` when empty."""
        table = schema.incident_rows
        column = table.c.event_day
        query = select(func.min(column), func.max(column))
        if sources:
            labels = schema.labels
            query = query.where(
                table.c.source_dataset.in_(select(labels.c.label_id).where(labels.c.text.in_(list(sources))))
            )
        with self._engine.connect() as conn:
            first, last = conn.execute(query).one()
        if first is None or last is None:
            return None
        return EPOCH + timedelta(days=int(first)), EPOCH + timedelta(days=int(last))

    def existing_incident_ids(self, incident_ids: Iterable[str]) -> set[str]:
        """Which of these ids are already stored (for idempotent imports)."""
        ids = list(dict.fromkeys(incident_ids))
        found: set[str] = set()
        column = schema.incident_rows.c.incident_id
        with self._engine.connect() as conn:
            if not ids or conn.execute(select(column).limit(1)).first() is None:
                return found  # empty store (a first import): nothing to look up
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
        table = schema.incident_rows
        query = select(*_stored(_ROW_COLUMNS))
        if countries is not None:
            labels = schema.labels
            country_ids = select(labels.c.label_id).where(labels.c.text.in_(list(countries)))
            query = query.where(table.c.country_iso3.in_(country_ids))
        if since is not None:
            query = query.where(table.c.event_day >= day_number(since))
        if until is not None:
            query = query.where(table.c.event_day <= day_number(until))
        with self._engine.connect() as conn:
            return _canonical_from_columns(conn, _ordered_rows(conn, query, _ROW_COLUMNS))

    def load_nearby_fields(self, since: date, until: date) -> pd.DataFrame:
        """:data:`NEARBY_COLUMNS` of the incidents dated ``since`` to ``until``, by date then id.

        What the search for possible duplicates needs of stored incidents, and nothing else:
        the same values and dtypes as those columns of :meth:`load_incidents`, without reading
        the 23 others (a 1,000-row import into a million-row store spent 7.7 s reading them).
        """
        table = schema.incident_rows
        names = ["event_day" if name == "event_date" else name for name in NEARBY_COLUMNS]
        query = select(*_stored(names)).where(
            table.c.event_day >= day_number(since), table.c.event_day <= day_number(until)
        )
        with self._engine.connect() as conn:
            columns = _ordered_rows(conn, query, names)
            labels = [columns["source_dataset"], columns["event_type"]]
            texts = label_texts(conn, distinct_ids(*labels)) if len(columns["incident_id"]) else {}
        data = {
            "incident_id": columns["incident_id"],
            "source_dataset": decode_strings(columns["source_dataset"], texts),
            "event_date": _dates(columns["event_day"]),
            "event_type": decode_strings(columns["event_type"], texts),
            "latitude": columns["latitude"],
            "longitude": columns["longitude"],
        }
        return pd.DataFrame(
            {name: pd.Series(data[name]).astype(INCIDENT_COLUMNS[name]) for name in NEARBY_COLUMNS}
        )

    def load_analysis_frame(
        self, columns: Sequence[str] | None = None, where: ColumnElement[bool] | None = None
    ) -> pd.DataFrame:
        """Every stored incident, analysis columns only (:data:`ANALYSIS_COLUMNS`), compact.

        The dashboard holds this in memory per ``data_version`` and filters it there:
        repeated text becomes ``category``, so a million rows take about 100 MB and a filter
        change costs milliseconds. Free text (notes, actors) is fetched only for the rows
        shown, with :meth:`load_incident_details`.

        ``columns`` (some of :data:`ANALYSIS_COLUMNS`, in any order) reads only those: the
        frame equals the full one's ``[list(columns)]``, same rows, order and dtypes. A report
        that needs a few columns of a million rows skips reading and decoding the others: the
        outlook's four (source, date, fatalities, unit code) take 2.1-2.4 s on SQLite, every
        column 6.3 s (bench/outlook.py, docs/performance.md).

        ``where`` (a condition on ``incident_rows``, :mod:`incidents.store.filtered_sql`) reads
        only the matching rows: what a page draws, not the whole store.
        """
        names = _analysis_names(columns)
        wanted = [_ANALYSIS_STORED.get(name, name) for name in names]
        # The order (event date, then id) needs both, whichever columns are asked for.
        stored = list(dict.fromkeys(("incident_id", "event_day", *wanted)))
        query = select(*_stored(stored))
        if where is not None:
            query = query.where(where)
        with self._engine.connect() as conn:
            rows = _ordered_rows(conn, query, stored, keep=wanted)
            if not len(rows[wanted[0]]):
                return analysis_frame_from_rows([]).loc[:, list(names)]
            return _analysis_frame_from_codes(conn, rows, names)

    def grouped_incidents(
        self,
        where: ColumnElement[bool],
        keys: Sequence[str],
        dates: Literal["day", "month"] | None = None,
        *,
        split: date | None = None,
    ) -> pd.DataFrame:
        """The incidents matching ``where``, counted by the database per distinct ``keys``.

        ``keys`` are analysis category columns (``admin1_code``, ``event_type``, ``batch_id``…);
        ``dates`` adds ``event_date``: the day, or the first day of the month; ``split`` adds
        ``before_split`` (dated before that day: two periods from one scan). One row per
        group with :data:`incidents.analytics.INCIDENT_COUNT` incidents, their summed
        ``fatalities`` and how many targeted civilians (``civilian_targeting``): the analytics
        give the same figures from it as from the rows, and a page reads hundreds of groups
        instead of millions of rows.
        """
        unknown = [key for key in keys if key not in CATEGORY_COLUMNS]
        if unknown:
            raise ValueError(f"not category columns: {unknown}; allowed: {list(CATEGORY_COLUMNS)}")
        table = schema.incident_rows
        names = [_ANALYSIS_STORED.get(key, key) for key in dict.fromkeys(keys)]
        groups: list[Any] = _stored(names)
        if dates is not None:
            groups.append(_day_or_month(self.backend, dates).label("event_day"))
            names.append("event_day")
        if split is not None:
            groups.append(case((table.c.event_day < day_number(split), 1), else_=0).label("before_split"))
            names.append("before_split")
        civilian = func.sum(case((table.c.civilian_targeting, 1), else_=0))
        measures = [func.count().label("n"), func.sum(table.c.fatalities).label("f"), civilian.label("c")]
        query = select(*groups, *measures).where(where)
        if groups:
            # By the expressions, not their labels: a label that is also a column's name
            # (``event_day`` for the month) would group by the column.
            query = query.group_by(*(getattr(group, "element", group) for group in groups))
        with self._engine.connect() as conn:
            _no_jit(conn)
            rows = [row for row in _fetch_rows(conn, query) if row[-3]]  # no match: one row of 0
            columns = _column_arrays([row[: len(names)] for row in rows], names)
            analysis = [*dict.fromkeys(keys), *(["event_date"] if dates else [])]
            frame = _analysis_frame_from_codes(conn, columns, analysis)
        if split is not None:
            frame["before_split"] = columns["before_split"].astype(np.int64).astype(bool)
        sums = np.array([row[-3:] for row in rows], dtype=np.int64).reshape(-1, 3)
        frame[INCIDENT_COUNT] = sums[:, 0]
        frame["fatalities"] = sums[:, 1]
        frame["civilian_targeting"] = sums[:, 2]
        return frame

    def load_map_points(self, where: ColumnElement[bool]) -> pd.DataFrame:
        """``longitude``, ``latitude`` and ``fatalities`` of every incident matching ``where``, in
        no particular order: what a map's hexagons and heat layer need of each incident.

        On PostgreSQL read with ``COPY`` (:func:`incidents.store.pg_copy.read_numbers`): an
        all-dates map may need millions of points, and the driver's Python tuples cost about
        3 s per million rows.
        """
        table = schema.incident_rows
        query = select(table.c.longitude, table.c.latitude, table.c.fatalities).where(where)
        types = {"longitude": pa.float64(), "latitude": pa.float64(), "fatalities": pa.int64()}
        with self._engine.connect() as conn:
            _no_jit(conn)
            if self.backend == "postgresql":
                return pd.DataFrame(read_numbers(conn, query, types))
            rows = _fetch_rows(conn, query)
        values = np.array(rows, dtype=np.float64).reshape(-1, 3)
        return pd.DataFrame(
            {"longitude": values[:, 0], "latitude": values[:, 1], "fatalities": values[:, 2].astype(np.int64)}
        )

    def newest_incident_ids(self, where: ColumnElement[bool], n: int) -> tuple[str, ...]:
        """Ids of the ``n`` most recent incidents matching ``where`` (ties: the larger id first).

        Ids compare by code point, as Python's and the in-memory path's sort do: PostgreSQL
        is told to (``COLLATE "C"``), whatever the database's collation.
        """
        table = schema.incident_rows
        collation = "C" if self.backend == "postgresql" else "BINARY"
        query = (
            select(table.c.incident_id)
            .where(where)
            .order_by(table.c.event_day.desc(), table.c.incident_id.collate(collation).desc())
            .limit(max(n, 0))
        )
        with self._engine.connect() as conn:
            _no_jit(conn)
            return tuple(str(value) for value in conn.execute(query).scalars())

    def label_ids(self, texts: Sequence[str]) -> dict[str, int]:
        """The label id of each of these texts the store holds (a text no incident has is left out).

        A filter compares label columns with these ids: the planner then knows how many rows
        match (a subquery on ``labels`` hid it, and PostgreSQL sorted millions of rows to disk).
        """
        with self._engine.connect() as conn:
            return existing_label_ids(conn, list(dict.fromkeys(texts)))

    def postgis_schema(self) -> str | None:
        """The schema holding PostGIS's functions, or None without PostGIS (always on SQLite).

        The corridor filter in SQL needs it and names its functions with it, so a store whose
        ``search_path`` is its own schema still reaches them. Looked up once per store object:
        restart the dashboard after installing PostGIS.
        """
        if self.backend != "postgresql":
            return None
        if not self._postgis_looked_up:
            query: Any = literal_column(
                "(SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
                " WHERE e.extname = 'postgis')"
            )
            with self._engine.connect() as conn:
                found = conn.execute(select(query)).scalar_one_or_none()
            self._postgis_schema = None if found is None else str(found)
            self._postgis_looked_up = True
        return self._postgis_schema

    def load_incident_details(self, incident_ids: Sequence[str]) -> pd.DataFrame:
        """Full canonical rows for these ids (popups, tables of latest incidents)."""
        ids = list(dict.fromkeys(incident_ids))
        table = schema.incident_rows
        query = select(*_stored(_ROW_COLUMNS))
        rows: list[Any] = []
        with self._engine.connect() as conn:
            for start in range(0, len(ids), ID_LOOKUP_CHUNK):
                chunk = ids[start : start + ID_LOOKUP_CHUNK]
                rows.extend(_fetch_rows(conn, query.where(table.c.incident_id.in_(chunk))))
            return _canonical_from_columns(conn, _column_arrays(rows, _ROW_COLUMNS))

    def load_batch_incidents(self, batch_id: str) -> pd.DataFrame:
        """Canonical incidents stored by one batch (none once it is undone), by date then id."""
        batches = schema.batches
        batch_key = select(batches.c.batch_key).where(batches.c.batch_id == batch_id).scalar_subquery()
        query = select(*_stored(_ROW_COLUMNS)).where(schema.incident_rows.c.batch_key == batch_key)
        with self._engine.connect() as conn:
            return _canonical_from_columns(conn, _ordered_rows(conn, query, _ROW_COLUMNS))

    def list_batches(self) -> pd.DataFrame:
        """Every batch, newest first."""
        table = schema.batches
        columns = [table.c[name] for name in schema.BATCH_COLUMNS]
        with self._engine.connect() as conn:
            rows = conn.execute(select(*columns).order_by(table.c.created_at.desc())).mappings().all()
        return pd.DataFrame(rows, columns=list(schema.BATCH_COLUMNS))

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
        with self.batch_writer(meta, expected_rows=len(incidents)) as batch:
            batch.write(incidents, progress)
            return batch.commit(meta)

    @contextmanager
    def batch_writer(self, meta: BatchMeta, expected_rows: int = 0) -> Iterator[BatchWriter]:
        """One new batch written in parts, as one transaction.

        ``write`` the incidents in as many parts as convenient (an import streams them as it
        validates), then ``commit(meta)`` with the final counts. Leaving the block without a
        successful commit, an error included, rolls everything back: nothing is stored.
        Large SQLite batches (``expected_rows`` >= :data:`BULK_MIN_ROWS`) are written by a
        child process (:mod:`incidents.store.sqlite_bulk`) while the caller goes on.
        """
        now = datetime.now(UTC)
        batch_id = new_batch_id(now)
        database = self._bulk_database(expected_rows)
        duplicate_errors: tuple[type[BaseException], ...] = (
            IntegrityError,
            *_dbapi_integrity_errors(self._engine),
        )
        try:
            bulk = _start_bulk(database, batch_id, now, meta) if database is not None else None
            if bulk is not None:
                try:
                    yield _BulkBatchWriter(bulk)
                finally:
                    bulk.close()
                return
            with self._engine.connect() as conn:
                transaction = conn.begin()
                try:
                    # First statement of the transaction is a write: on SQLite it takes the write
                    # lock now, so the batch key and new label ids cannot race another writer.
                    batch_key = self._insert_batch(conn, batch_id, now, meta, 0)
                    copies = conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"
                    writer_class = _PgCopyBatchWriter if copies else _SqlBatchWriter
                    writer = writer_class(conn, transaction, batch_id, now, batch_key)
                    try:
                        yield writer
                    finally:
                        writer.close()  # the writer thread stops before the rollback below
                finally:
                    if transaction.is_active:
                        transaction.rollback()
        except duplicate_errors as exc:
            raise StoreError(
                _(
                    "the batch holds incident ids that are already stored; nothing was written. "
                    "Remove duplicates before committing"
                )
            ) from exc
        except OperationalError as exc:
            raise StoreError(
                _("could not write to the store {store}: {error}").format(
                    store=self.describe(), error=exc.orig
                )
            ) from exc

    def _bulk_database(self, expected_rows: int) -> Path | None:
        """The SQLite file a child process should write this batch to, or None (write here)."""
        database = self.url.database
        if (
            self.backend != "sqlite"
            or expected_rows < BULK_MIN_ROWS
            or database in (None, "", ":memory:")
            or not bulk_available()
        ):
            return None
        return Path(str(database)).resolve()

    def undo_batch(self, batch_id: str, user_name: str = "local", *, role: str = "") -> int:
        """Remove exactly the rows (incidents or sites) of ``batch_id``; keep the batch, audit the undo."""
        with self._engine.begin() as conn:
            status = conn.execute(
                select(schema.batches.c.status).where(schema.batches.c.batch_id == batch_id)
            ).scalar_one_or_none()
            if status is None:
                raise BatchNotFoundError(
                    _(
                        "no batch {batch} in the store; list batches with `python -m incidents batches`"
                    ).format(batch=repr(batch_id))
                )
            if status == "undone":
                raise StoreError(_("batch {batch} was already undone").format(batch=repr(batch_id)))
            batches = schema.batches
            batch_key = select(batches.c.batch_key).where(batches.c.batch_id == batch_id).scalar_subquery()
            rows = schema.incident_rows
            removed = conn.execute(delete(rows).where(rows.c.batch_key == batch_key)).rowcount
            removed += conn.execute(delete(schema.sites).where(schema.sites.c.batch_id == batch_id)).rowcount
            conn.execute(
                update(schema.batches).where(schema.batches.c.batch_id == batch_id).values(status="undone")
            )
            actor = actor_details(user_name, role)
            self._log(conn, user_name, "undo", batch_id, f"{removed} rows removed{actor}")
            self._bump_version(conn)
            self._bump_incidents_version(conn)
        return int(removed)

    def undo_batches(
        self,
        batch_ids: Sequence[str],
        user_name: str = "local",
        *,
        role: str = "",
        action: str = "undo",
        meta: dict[str, int] | None = None,
    ) -> int:
        """Undo several committed batches in one transaction (all or none); audit each as ``action``.

        ``meta`` keys are set in ``store_meta`` in the same transaction (e.g. a flag that
        remembers why the batches went). Returns the incident rows removed.
        """
        removed_total = 0
        with self._engine.begin() as conn:
            batches = schema.batches
            for batch_id in dict.fromkeys(batch_ids):
                status = conn.execute(
                    select(batches.c.status).where(batches.c.batch_id == batch_id)
                ).scalar_one_or_none()
                if status is None:
                    raise BatchNotFoundError(
                        _("no batch {batch} in the store; nothing was removed").format(batch=repr(batch_id))
                    )
                if status == "undone":
                    raise StoreError(
                        _("batch {batch} was already undone; nothing was removed").format(
                            batch=repr(batch_id)
                        )
                    )
                batch_key = (
                    select(batches.c.batch_key).where(batches.c.batch_id == batch_id).scalar_subquery()
                )
                rows = schema.incident_rows
                removed = int(conn.execute(delete(rows).where(rows.c.batch_key == batch_key)).rowcount)
                conn.execute(update(batches).where(batches.c.batch_id == batch_id).values(status="undone"))
                actor = actor_details(user_name, role)
                self._log(conn, user_name, action, batch_id, f"{removed} rows removed{actor}")
                removed_total += removed
            for key, value in (meta or {}).items():
                self._set_meta(conn, key, value)
            self._bump_version(conn)
            if batch_ids:
                self._bump_incidents_version(conn)
        return removed_total

    def meta_value(self, key: str) -> int | None:
        """The ``store_meta`` value of ``key`` (a counter or flag), or None when never set."""
        table = schema.store_meta
        with self._engine.connect() as conn:
            value = conn.execute(select(table.c.value).where(table.c.key == key)).scalar_one_or_none()
        return None if value is None else int(value)

    def set_meta_value(self, key: str, value: int) -> None:
        """Set a ``store_meta`` flag (not one of the version counters: they only grow)."""
        with self._engine.begin() as conn:
            self._set_meta(conn, key, value)
            self._bump_version(conn)

    @staticmethod
    def _set_meta(conn: Any, key: str, value: int) -> None:
        table = schema.store_meta
        if key in ("data_version", INCIDENTS_VERSION_KEY):
            raise ValueError(f"{key!r} is a version counter; it is bumped, never set")
        if not conn.execute(update(table).where(table.c.key == key).values(value=value)).rowcount:
            conn.execute(table.insert().values(key=key, value=value))

    @staticmethod
    def _insert_batch(conn: Any, batch_id: str, now: datetime, meta: BatchMeta, rows_accepted: int) -> int:
        """Insert the ``batches`` row of a new incident batch; return its ``batch_key``.

        PostgreSQL draws the key from the column's sequence; SQLite (one writer at a time)
        takes the next number.
        """
        table = schema.batches
        values: dict[str, Any] = {
            "batch_id": batch_id,
            "file_name": meta.file_name,
            "sha256": meta.sha256,
            "format": meta.format,
            "user_name": meta.user_name,
            "created_at": now,
            "rows_read": meta.rows_read,
            "rows_accepted": rows_accepted,
            "rows_rejected": meta.rows_rejected,
            "rows_duplicate": meta.rows_duplicate,
            "status": "committed",
        }
        if conn.dialect.name != "postgresql":
            values["batch_key"] = select(func.coalesce(func.max(table.c.batch_key), 0) + 1).scalar_subquery()
        conn.execute(table.insert().values(**values))
        return int(conn.execute(select(table.c.batch_key).where(table.c.batch_id == batch_id)).scalar_one())

    @staticmethod
    def _log(conn: Any, user_name: str, action: str, batch_id: str | None, details: str) -> None:
        conn.execute(
            schema.audit.insert().values(
                at=datetime.now(UTC), user_name=user_name, action=action, batch_id=batch_id, details=details
            )
        )

    @staticmethod
    def _bump_incidents_version(conn: Any) -> None:
        meta = schema.store_meta
        bumped = conn.execute(
            update(meta).where(meta.c.key == INCIDENTS_VERSION_KEY).values(value=meta.c.value + 1)
        ).rowcount
        if not bumped:  # stores created before this counter existed
            conn.execute(meta.insert().values(key=INCIDENTS_VERSION_KEY, value=1))

    @staticmethod
    def _bump_version(conn: Any) -> None:
        conn.execute(
            update(schema.store_meta)
            .where(schema.store_meta.c.key == "data_version")
            .values(value=schema.store_meta.c.value + 1)
        )


def open_store(
    url: str | None = None, *, on_upgrade: Callable[[int, int], None] | None = None
) -> IncidentStore:
    """Open (and create or migrate) the store at ``url`` / ``SAHEL_DB_URL`` / the default.

    ``on_upgrade(old, new)``: called before an existing store's schema is upgraded.
    """
    resolved = resolve_db_url(url)
    if resolved.get_backend_name() == "sqlite" and resolved.database not in (None, "", ":memory:"):
        Path(resolved.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        # A pooled server connection can go stale (a restart, a dropped link): test it before use.
        # A SQLite file cannot, and the test cost a query on every page run's every read.
        engine = create_engine(resolved, pool_pre_ping=resolved.get_backend_name() != "sqlite")
        if resolved.get_backend_name() == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        # IMMEDIATE: take the write lock before reading the schema version, so two processes
        # opening an old store at once migrate it once (PostgreSQL: an advisory lock in migrate).
        migrating = engine.execution_options(**{SQLITE_BEGIN_OPTION: "BEGIN IMMEDIATE"})
        with migrating.begin() as conn:
            migrate(conn, on_upgrade)
    except SQLAlchemyError as exc:
        raise StoreError(
            _(
                "cannot open the store {store}: {error}. "
                "Check SAHEL_DB_URL and that the database server is running"
            ).format(store=describe_url(resolved), error=getattr(exc, "orig", exc))
        ) from exc
    return IncidentStore(engine)
