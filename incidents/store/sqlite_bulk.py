"""Large SQLite batches written by a child process through ADBC, while the parent goes on.

Why: Python's ``sqlite3`` binds one Python object per cell, 28 per incident; at a million
rows building and binding them is most of an import's time. ADBC's SQLite driver binds
straight from Arrow buffers in C (about twice as fast, measured in docs/performance.md), and
in a child process the write of one chunk overlaps the validation of the next on the
parent's other core.

Why a child process and not a thread: ADBC links its own copy of SQLite. Two copies of
SQLite in one process must never open the same database file: when one closes its file
descriptor, POSIX drops the other's locks, which can corrupt the file
(https://sqlite.org/howtocorrupt.html, section 2.2.1). The ADBC copy therefore lives alone
in this child and never shares a process with the store's own ``sqlite3`` connections.

Atomicity: the child holds one transaction (``BEGIN IMMEDIATE`` first, so it owns the write
lock) and commits only on the parent's ``commit`` message. End of input (the parent gave up,
failed or was killed) or any error rolls back and exits; if the child itself is killed,
SQLite discards the unfinished transaction. Either way the store is as it was.

Protocol: pickled tuples over the child's stdin and stdout, parent to child
``("begin", ...)`` once, ``("rows", frame)`` (canonical incidents, any number), then
``("commit", ...)``; child to parent ``("committed", rows)`` or ``("error", kind, text)``.
The parent never waits for a chunk to be written: the pipe's back-pressure paces it. The
pipes are private to the two processes; nothing read from a file is ever unpickled.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from incidents.errors import SchemaError, StoreError
from incidents.model import conform_incidents
from incidents.store import schema
from incidents.store.labels import LABEL_COLUMNS, MISSING, encode_with

#: Smallest batch worth a child process (starting one costs about half a second).
BULK_MIN_ROWS: Final = 50_000
#: Rows per message to the child; each is ingested as one Arrow table.
BULK_CHUNK_ROWS: Final = 100_000
#: Milliseconds the child waits for another writer (as the store's own connections do).
BUSY_TIMEOUT_MS: Final = 30_000

_INCIDENTS_VERSION_KEY: Final = "incidents_version"
#: The child's program (``-c``: running this module with ``-m`` would import it twice).
_CHILD_COMMAND: Final = "import sys; from incidents.store.sqlite_bulk import main; sys.exit(main())"


def bulk_available() -> bool:
    """Whether the ADBC SQLite driver is installed (it is a listed dependency)."""
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401
    except ImportError:
        return False
    return True


# ---- parent side -------------------------------------------------------------------------


class SqliteBulkBatch:
    """The parent's handle on one batch being written by the child (see the module docstring)."""

    def __init__(self, database: Path, batch_id: str, created_at: datetime, fields: dict[str, Any]) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
        }
        self.batch_id = batch_id
        self.created_at = created_at
        self.rows = 0
        self.committed = False
        self._process = subprocess.Popen(
            [sys.executable, "-c", _CHILD_COMMAND, str(database)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._send(("begin", batch_id, _sqlite_datetime(created_at), fields))

    def write(self, incidents: pd.DataFrame) -> None:
        """Hand ``incidents`` to the child; it writes them while the caller goes on."""
        for start in range(0, len(incidents), BULK_CHUNK_ROWS):
            self._send(("rows", incidents.iloc[start : start + BULK_CHUNK_ROWS]))
        self.rows += len(incidents)

    def commit(self, fields: dict[str, Any], audit_details: str, audit_at: datetime) -> int:
        """Finish the batch row, audit, bump the versions and commit; return the rows written."""
        self._send(("commit", fields, audit_details, _sqlite_datetime(audit_at)))
        reply = self._receive()
        if reply[0] != "committed":
            self._raise(reply)
        self.committed = True
        return int(reply[1])

    def close(self) -> None:
        """End the child; an uncommitted batch is rolled back (closing its input does that)."""
        stdin, stdout = self._process.stdin, self._process.stdout
        for stream in (stdin, stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _send(self, message: tuple[Any, ...]) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            pickle.dump(message, stdin, protocol=pickle.HIGHEST_PROTOCOL)
            stdin.flush()
        except (BrokenPipeError, OSError):
            # The child stopped: it has said why on stdout, unless it was killed.
            self._raise(self._receive())

    def _receive(self) -> tuple[Any, ...]:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            reply = pickle.load(stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            code = self._process.wait()
            raise StoreError(
                f"the batch writer process stopped (exit code {code}); nothing of this batch was "
                "stored. Run the import again"
            ) from None
        return tuple(reply)

    def _raise(self, reply: tuple[Any, ...]) -> None:
        if reply[0] != "error":
            raise StoreError(f"the batch writer process answered {reply[0]!r}; nothing was stored")
        _kind, text = reply[1], reply[2]
        if _kind == "schema":
            raise SchemaError(text)
        raise StoreError(text)


def _sqlite_datetime(value: datetime) -> str:
    """A datetime as the store's own connections write it (SQLAlchemy's SQLite format)."""
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    processor = schema.batches.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    assert processor is not None
    return str(processor(value))


# ---- child side --------------------------------------------------------------------------


class _Writer:
    """The child's transaction: one batch, label ids, incident rows."""

    def __init__(self, database: str) -> None:
        import adbc_driver_sqlite.dbapi as adbc

        self._connection = adbc.connect(database, autocommit=True)
        self._cursor = self._connection.cursor()
        # Foreign keys off on this connection only: every row's batch_key is this batch's,
        # whose row is inserted first in the same transaction, so SQLite's per-row parent
        # lookup proves nothing and cost 1 s per million rows (tests run foreign_key_check).
        for pragma in (f"busy_timeout={BUSY_TIMEOUT_MS}", "foreign_keys=OFF", "synchronous=NORMAL"):
            self._cursor.execute(f"PRAGMA {pragma}")
            self._cursor.fetchall()
        self._cursor.execute("BEGIN IMMEDIATE")
        self._labels: dict[str, int] | None = None
        self.batch_key = 0
        self.rows = 0

    def begin(self, batch_id: str, created_at: str, fields: dict[str, Any]) -> None:
        columns = ["batch_id", "created_at", "status", "rows_accepted", *fields]
        values = [batch_id, created_at, "committed", 0, *fields.values()]
        self._cursor.execute(
            f"INSERT INTO batches ({', '.join(columns)}, batch_key) VALUES ({', '.join('?' * len(columns))}, "
            "(SELECT coalesce(max(batch_key), 0) + 1 FROM batches))",
            values,
        )
        self._cursor.execute("SELECT batch_key FROM batches WHERE batch_id = ?", (batch_id,))
        self.batch_key = int(self._cursor.fetchall()[0][0])

    def write(self, incidents: pd.DataFrame) -> None:
        frame = conform_incidents(incidents)
        labels = encode_with(frame, self._label_ids)
        table = _incident_rows_table(frame, labels, self.batch_key)
        # Primary-key order: the id index grows at its right edge.
        table = table.take(pc.sort_indices(table, sort_keys=[("incident_id", "ascending")]))
        self._cursor.adbc_ingest(schema.incident_rows.name, table, mode="append")
        self.rows += len(frame)

    def commit(self, fields: dict[str, Any], audit_details: str, audit_at: str) -> None:
        assignments = ", ".join(f"{name} = ?" for name in [*fields, "rows_accepted"])
        self._cursor.execute(
            f"UPDATE batches SET {assignments} WHERE batch_key = ?",
            [*fields.values(), self.rows, self.batch_key],
        )
        self._cursor.execute(
            "INSERT INTO audit (at, user_name, action, batch_id, details) "
            "SELECT ?, user_name, 'import', batch_id, ? FROM batches WHERE batch_key = ?",
            (audit_at, audit_details, self.batch_key),
        )
        self._cursor.execute(
            "UPDATE store_meta SET value = value + 1 WHERE key IN ('data_version', ?)",
            (_INCIDENTS_VERSION_KEY,),
        )
        self._cursor.execute("SELECT count(*) FROM store_meta WHERE key = ?", (_INCIDENTS_VERSION_KEY,))
        if not self._cursor.fetchall()[0][0]:  # stores created before this counter existed
            self._cursor.execute(
                "INSERT INTO store_meta (key, value) VALUES (?, 1)", (_INCIDENTS_VERSION_KEY,)
            )
        self._cursor.execute("COMMIT")

    def _label_ids(self, texts: list[str]) -> dict[str, int]:
        """Ids of ``texts``, adding the new ones (this transaction holds the write lock)."""
        if self._labels is None:
            self._cursor.execute("SELECT text, label_id FROM labels")
            self._labels = {str(text): int(label_id) for text, label_id in self._cursor.fetchall()}
        known = self._labels
        missing = [text for text in texts if text not in known]
        if missing:
            self._cursor.execute("SELECT coalesce(max(label_id), 0) FROM labels")
            last = int(self._cursor.fetchall()[0][0])
            self._cursor.adbc_ingest(
                schema.labels.name, pa.table({"text": pa.array(missing, pa.string())}), mode="append"
            )
            self._cursor.execute("SELECT text, label_id FROM labels WHERE label_id > ?", (last,))
            known.update({str(text): int(label_id) for text, label_id in self._cursor.fetchall()})
        return {text: known[text] for text in texts}

    def close(self) -> None:
        self._cursor.close()
        self._connection.close()


def _incident_rows_table(frame: pd.DataFrame, labels: dict[str, np.ndarray], batch_key: int) -> pa.Table:
    """``incident_rows`` as Arrow columns, typed as the store's ``sqlite3`` path writes them."""
    columns: dict[str, pa.Array] = {}
    for column in schema.incident_rows.columns:
        name = column.name
        if name in LABEL_COLUMNS:
            ids = labels[name]
            columns[name] = pa.array(ids, type=pa.int64(), mask=ids == MISSING)
        elif name == "event_day":
            days = frame["event_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
            columns[name] = pa.array(days)
        elif name in ("latitude", "longitude"):
            columns[name] = pa.array(frame[name].to_numpy(dtype=np.float64))
        elif name in ("geo_precision", "fatalities"):
            columns[name] = pa.array(frame[name].to_numpy(dtype=np.int64))
        elif name == "civilian_targeting":  # SQLite has no booleans: 0/1 as sqlite3 writes them
            columns[name] = pa.array(frame[name].to_numpy(dtype=bool).astype(np.int64))
        elif name == "batch_key":
            columns[name] = pa.array(np.full(len(frame), batch_key, dtype=np.int64))
        else:  # incident_id, source_event_id, notes
            columns[name] = pa.array(frame[name].array, type=pa.large_string(), from_pandas=True)
    return pa.table(columns)


def _error_kind(exc: BaseException) -> tuple[str, str]:
    text = str(exc)
    if isinstance(exc, SchemaError):
        return "schema", text
    if "UNIQUE constraint failed" in text:
        return "store", (
            "the batch holds incident ids that are already stored; nothing was written. "
            "Remove duplicates before committing"
        )
    first_line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return "store", f"could not write to the store: {first_line}; nothing of this batch was stored"


def _reply(stdout: IO[bytes], message: tuple[Any, ...]) -> None:
    pickle.dump(message, stdout, protocol=pickle.HIGHEST_PROTOCOL)
    stdout.flush()


def child_main(database: str, stdin: IO[bytes], stdout: IO[bytes]) -> int:
    """Run one batch: returns 0 when committed, 1 when rolled back (error or end of input)."""
    writer: _Writer | None = None
    try:
        message = pickle.load(stdin)
        writer = _Writer(database)
        writer.begin(*message[1:])
        while True:
            try:
                message = pickle.load(stdin)
            except EOFError:
                return 1  # the parent gave up: closing without COMMIT rolls back
            if message[0] == "rows":
                writer.write(message[1])
            elif message[0] == "commit":
                writer.commit(*message[1:])
                _reply(stdout, ("committed", writer.rows))
                return 0
    except Exception as exc:  # noqa: BLE001 - any failure goes back to the parent as text
        with contextlib.suppress(OSError):  # the parent may be gone already
            _reply(stdout, ("error", *_error_kind(exc)))
        return 1
    finally:
        if writer is not None:
            writer.close()


def main() -> int:
    """The child process: ``python -c`` runs this with the database path as its argument."""
    # The protocol gets its own copy of stdout; anything a library prints goes to stderr.
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return child_main(sys.argv[1], sys.stdin.buffer, protocol)
