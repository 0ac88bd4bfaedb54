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

Protocol: one JSON object per line over the child's stdin and stdout. Rows travel as Arrow
IPC files in a private directory (mode 0700, in /dev/shm when it has room): writing one
costs the parent about a fifth of what pickling into the pipe did, and the child maps it
without copying. The child acknowledges each file and deletes it; the parent keeps at most
:data:`MAX_IN_FLIGHT` files unacknowledged (memory stays bounded) and removes the
directory when the batch ends. Nothing is ever unpickled.

Killed imports leave nothing behind. The child ends as soon as its parent is gone, even in
the middle of a write or while waiting for the write lock: on Linux the kernel sends it
SIGKILL (``prctl(PR_SET_PDEATHSIG)``), elsewhere a watcher thread sees ``os.getppid()``
change; the end of its input does the same between messages. Once the batch is committed
the child no longer depends on its parent (it only checkpoints). The hand-over directory is
named ``sahel-batch-<parent pid>-…``: when both processes were killed (``kill -9``), the
next batch removes the directories whose process is gone (:func:`remove_stale_batch_dirs`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Final

import pandas as pd
import pyarrow as pa

from incidents.errors import SchemaError, StoreError
from incidents.i18n import _
from incidents.model import conform_incidents
from incidents.store import schema
from incidents.store.arrow_rows import incident_rows_table
from incidents.store.labels import encode_with

#: Smallest batch worth a child process (starting one costs about half a second).
BULK_MIN_ROWS: Final = 50_000
#: Rows per file handed to the child (IncidentStore's writer splits at this); one Arrow ingest each.
BULK_CHUNK_ROWS: Final = 100_000
#: Files handed over and not yet written: the parent waits beyond this (bounded memory).
MAX_IN_FLIGHT: Final = 2
#: Free space /dev/shm needs for the hand-over files (at most 1 + MAX_IN_FLIGHT of ~45 MB each).
SHM_MIN_FREE_BYTES: Final = 512 * 2**20
#: The child's SQLite page cache, KiB (as the store's own connections).
CACHE_KIB: Final = 64 * 1024
#: Milliseconds the child waits for another writer (as the store's own connections do).
BUSY_TIMEOUT_MS: Final = 30_000

_SHM: Final = "/dev/shm"
#: Prefix of the hand-over directories; the parent's pid follows (``sahel-batch-<pid>-…``).
BATCH_DIR_PREFIX: Final = "sahel-batch-"
_BATCH_DIR_PID: Final = re.compile(re.escape(BATCH_DIR_PREFIX) + r"(\d+)-")
#: Seconds between the child's checks that its parent is alive (where the kernel cannot tell it).
PARENT_POLL_S: Final = 0.5
#: Linux prctl option: signal this process when its parent ends.
_PR_SET_PDEATHSIG: Final = 1

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
        self.batch_id = batch_id
        self.created_at = created_at
        self.rows = 0
        self.committed = False
        self._in_flight = 0
        self._files = 0
        remove_stale_batch_dirs()
        self._directory = Path(
            tempfile.mkdtemp(prefix=f"{BATCH_DIR_PREFIX}{os.getpid()}-", dir=_shared_memory_dir())
        )
        try:
            self._process = _spawn(database)
        except OSError:
            shutil.rmtree(self._directory, ignore_errors=True)
            raise
        begin = {"batch_id": batch_id, "created_at": _sqlite_datetime(created_at), "fields": fields}
        self._send({"op": "begin", "directory": str(self._directory), **begin})

    def write(self, incidents: pd.DataFrame, *, conformed: bool = False) -> None:
        """Hand ``incidents`` to the child as one file; it writes them while the caller goes on.

        ``conformed``: the rows come from ``conform_incidents``; the child need not check them.
        """
        while self._in_flight >= MAX_IN_FLIGHT:
            self._expect("written")
        table = pa.Table.from_pandas(incidents, preserve_index=False)
        path = self._directory / f"{self._files:06d}.arrow"
        self._files += 1
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as file:
            file.write_table(table)
        self._send({"op": "rows", "path": str(path), "conformed": conformed})
        self._in_flight += 1
        self.rows += len(incidents)

    def commit(self, fields: dict[str, Any], audit_details: str, audit_at: datetime) -> int:
        """Finish the batch row, audit, bump the versions and commit; return the rows written."""
        self._send(
            {"op": "commit", "fields": fields, "details": audit_details, "at": _sqlite_datetime(audit_at)}
        )
        while self._in_flight:
            self._expect("written")
        reply = self._expect("committed")
        self.committed = True
        return int(reply["rows"])

    def close(self) -> None:
        """End the child; an uncommitted batch is rolled back (closing its input does that)."""
        stdin, stdout = self._process.stdin, self._process.stdout
        for stream in (stdin, stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if self.committed:
            # The child still checkpoints the WAL; reap it in the background, not waiting.
            threading.Thread(target=self._process.wait, daemon=True, name="batch-writer-reaper").start()
        else:
            try:
                self._process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._directory, ignore_errors=True)

    def _send(self, message: dict[str, Any]) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(message).encode() + b"\n")
            stdin.flush()
        except OSError:  # BrokenPipeError included
            # The child stopped: it has said why on stdout, unless it was killed.
            self._raise(self._receive())

    def _expect(self, op: str) -> dict[str, Any]:
        reply = self._receive()
        if reply.get("op") != op:
            self._raise(reply)
        if op == "written":
            self._in_flight -= 1
        return reply

    def _receive(self) -> dict[str, Any]:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            line = stdout.readline()
            reply = json.loads(line) if line else None
        except (OSError, ValueError):
            reply = None
        if not isinstance(reply, dict):
            code = self._process.wait()
            raise StoreError(
                _(
                    "the batch writer process stopped (exit code {code}); nothing of this batch was "
                    "stored. Run the import again"
                ).format(code=code)
            )
        return reply

    def _raise(self, reply: dict[str, Any]) -> None:
        if reply.get("op") != "error":
            raise StoreError(
                _("the batch writer process answered {answer}; nothing was stored").format(
                    answer=repr(reply.get("op"))
                )
            )
        if reply.get("kind") == "schema":
            raise SchemaError(str(reply.get("text")))
        raise StoreError(str(reply.get("text")))


def _shared_memory_dir() -> str | None:
    """``/dev/shm`` when it is writable with room to spare (files there never touch a disk), else the default.

    Containers often get a small ``/dev/shm`` (Docker: 64 MB); a full one would fail the import.
    """
    shm = Path(_SHM)
    try:
        stats = os.statvfs(shm)
    except OSError:
        return None
    room = stats.f_bavail * stats.f_frsize
    usable = shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) and room >= SHM_MIN_FREE_BYTES
    return str(shm) if usable else None


def remove_stale_batch_dirs(folders: list[str] | None = None) -> list[Path]:
    """Remove hand-over directories left by killed imports; return those removed.

    A directory ``sahel-batch-<pid>-…`` (in /dev/shm and the temporary folder, or ``folders``)
    is stale when no process ``<pid>`` exists; directories of running processes, of other
    users and without a pid in their name are left alone.
    """
    removed: list[Path] = []
    places = folders if folders is not None else [_SHM, tempfile.gettempdir()]
    for place in dict.fromkeys(places):
        try:
            candidates = list(Path(place).glob(f"{BATCH_DIR_PREFIX}*"))
        except OSError:
            continue
        for directory in candidates:
            found = _BATCH_DIR_PID.match(directory.name)
            if found is None or _process_exists(int(found.group(1))):
                continue
            try:
                if directory.is_symlink() or not directory.is_dir() or directory.stat().st_uid != os.getuid():
                    continue
            except OSError:
                continue
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
    return removed


def _process_exists(pid: int) -> bool:
    if pid <= 0:
        return True  # not a name this module writes: leave it alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    except OverflowError:
        return False
    return True


def _spawn(database: Path) -> subprocess.Popen[bytes]:
    # ``-c`` puts the working directory first on the child's sys.path: started in the folder
    # that holds this copy of ``incidents``, the child imports the parent's code, installed
    # or not, with no PYTHONPATH (the database path is made absolute for that reason).
    package_root = str(Path(__file__).resolve().parents[2])
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD_COMMAND, os.path.abspath(database), str(os.getpid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=package_root,
    )


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
        # No automatic checkpoint at COMMIT: the child checkpoints after telling the parent
        # the batch is committed (a million rows: 0.3 s the import no longer waits for).
        pragmas = (
            f"busy_timeout={BUSY_TIMEOUT_MS}",
            "foreign_keys=OFF",
            "synchronous=NORMAL",
            f"cache_size=-{CACHE_KIB}",
            "wal_autocheckpoint=0",
        )
        for pragma in pragmas:
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

    def write(self, incidents: pd.DataFrame, *, conformed: bool = False) -> None:
        frame = incidents if conformed else conform_incidents(incidents)
        labels = encode_with(frame, self._label_ids)
        table = incident_rows_table(frame, labels, self.batch_key, booleans=False)
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
            (schema.INCIDENTS_VERSION_KEY,),
        )
        self._cursor.execute("SELECT count(*) FROM store_meta WHERE key = ?", (schema.INCIDENTS_VERSION_KEY,))
        if not self._cursor.fetchall()[0][0]:  # stores created before this counter existed
            self._cursor.execute(
                "INSERT INTO store_meta (key, value) VALUES (?, 1)", (schema.INCIDENTS_VERSION_KEY,)
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

    def checkpoint(self) -> None:
        """Copy the WAL into the database file (what SQLite's automatic checkpoint would do).

        Best effort: a reader holding an old snapshot can stop it part-way, and the next
        write on the store's own connections checkpoints again.
        """
        with contextlib.suppress(Exception):
            self._cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self._cursor.fetchall()

    def close(self) -> None:
        self._cursor.close()
        self._connection.close()


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


def _reply(stdout: IO[bytes], message: dict[str, Any]) -> None:
    stdout.write(json.dumps(message).encode() + b"\n")
    stdout.flush()


def _read_rows(path: str) -> pd.DataFrame:
    """A chunk the parent wrote (Arrow IPC, pandas dtypes in its metadata); the file is deleted."""
    try:
        with pa.memory_map(path) as source:
            return pa.ipc.open_file(source).read_all().to_pandas()
    finally:
        Path(path).unlink(missing_ok=True)


def child_main(database: str, stdin: IO[bytes], stdout: IO[bytes]) -> int:
    """Run one batch: returns 0 when committed, 1 when rolled back (error or end of input)."""
    writer: _Writer | None = None
    directory: str | None = None
    try:
        first = stdin.readline()
        if not first:
            return 1  # the parent gave up before the batch began
        begin = json.loads(first)
        directory = str(begin["directory"])
        writer = _Writer(database)
        writer.begin(begin["batch_id"], begin["created_at"], begin["fields"])
        while line := stdin.readline():
            message = json.loads(line)
            if message["op"] == "rows":
                before = writer.rows
                writer.write(_read_rows(message["path"]), conformed=bool(message.get("conformed")))
                _reply(stdout, {"op": "written", "rows": writer.rows - before})
            elif message["op"] == "commit":
                writer.commit(message["fields"], message["details"], message["at"])
                # Committed: the checkpoint may outlive the parent (it does not wait for it).
                _release_from_parent()
                _reply(stdout, {"op": "committed", "rows": writer.rows})
                writer.checkpoint()
                return 0
        return 1  # the parent gave up: closing without COMMIT rolls back
    except Exception as exc:  # noqa: BLE001 - any failure goes back to the parent as text
        kind, text = _error_kind(exc)
        with contextlib.suppress(OSError):  # the parent may be gone already
            _reply(stdout, {"op": "error", "kind": kind, "text": text})
        return 1
    finally:
        if writer is not None:
            writer.close()
        if directory is not None:  # files the parent left if it died mid-batch
            shutil.rmtree(directory, ignore_errors=True)


_parent_watch = threading.Event()  # set: the child no longer ends with its parent


def _end_with_parent(parent_pid: int) -> None:
    """End this process as soon as ``parent_pid`` (the importer) is gone, whatever it is doing.

    Linux: the kernel sends SIGKILL when the parent ends (the uncommitted transaction is
    discarded by SQLite, the directory removed by the next batch). Everywhere: a daemon
    thread compares ``os.getppid()`` with the parent (a re-parented child sees another pid).
    """
    libc_name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    if libc_name:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(libc_name, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)

    def watch() -> None:
        while not _parent_watch.is_set():
            if os.getppid() != parent_pid:
                os._exit(1)  # no rollback needed: SQLite discards an unfinished transaction
            time.sleep(PARENT_POLL_S)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _release_from_parent() -> None:
    """After the commit: the child may finish (checkpoint) even if the parent has gone."""
    _parent_watch.set()
    libc_name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    if libc_name:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(libc_name, use_errno=True).prctl(_PR_SET_PDEATHSIG, 0, 0, 0, 0)


def main() -> int:
    """The child process: ``python -c`` runs this with the database path and the parent's pid."""
    if len(sys.argv) > 2:
        _end_with_parent(int(sys.argv[2]))
    # The protocol gets its own copy of stdout; anything a library prints goes to stderr.
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return child_main(sys.argv[1], sys.stdin.buffer, protocol)
