"""PostgreSQL ``COPY`` both ways: batches sent from Arrow-written CSV on a writer thread, and
large numeric answers read back as CSV that Arrow parses (:func:`read_numbers`).

Why: building one Python tuple per cell for the driver's ``write_row`` made sending the rows
most of a million-row import on PostgreSQL (1.7 times the naive baseline), and the import
waited for each chunk to be sent before checking the next. Arrow writes a chunk as CSV in
C++ and the server parses it in its own process; on one thread the writing of a chunk
overlaps the checking of the next, as SQLite's writer process does
(:mod:`incidents.store.sqlite_bulk`).

The thread uses the batch's own connection and transaction, never at the same time as the
caller: the caller touches the connection again only after :meth:`CopyThread.finish`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, Final

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg.copy import QueuedLibpqWriter

from incidents.store import schema
from incidents.store.arrow_rows import incident_rows_table
from incidents.store.labels import encode_labels

#: Chunks handed to the thread and not yet sent: the caller waits beyond this (bounded memory).
MAX_WAITING: Final = 1
#: Rows per piece of CSV handed to the connection's sending thread.
COPY_PIECE_ROWS: Final = 16_384

_STOP: Final = object()


def copy_incident_rows(conn: Any, frame: pd.DataFrame, batch_key: int) -> None:
    """Send canonical ``frame`` into ``incident_rows`` on ``conn`` (psycopg), inside its transaction.

    New label texts are added on the same connection first, so they commit or roll back
    with the batch.
    """
    labels = encode_labels(conn, frame)
    table = incident_rows_table(frame, labels, batch_key, booleans=True)
    # Strings are quoted and NULLs written as nothing: COPY's CSV reads an unquoted empty
    # field as NULL and "" as an empty string, so both survive.
    options = pa_csv.WriteOptions(include_header=False, batch_size=COPY_PIECE_ROWS)
    preparer = conn.dialect.identifier_preparer
    columns = ", ".join(preparer.quote(name) for name in table.column_names)
    # Arrow writes UTF-8 whatever the connection's client encoding: say so, or a server set to
    # another encoding would store mangled accents without an error.
    table_name = preparer.format_table(schema.incident_rows)
    sql = f"COPY {table_name} ({columns}) FROM STDIN (FORMAT csv, ENCODING 'UTF8')"
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        # Piece by piece through psycopg's queued writer: its own thread sends a piece while
        # Arrow writes the next (both release the GIL), so the server parses as the CSV is made.
        with cursor.copy(sql, writer=QueuedLibpqWriter(cursor)) as copy:
            for piece in table.to_batches(max_chunksize=COPY_PIECE_ROWS):
                sink = pa.BufferOutputStream()
                pa_csv.write_csv(piece, sink, options)
                copy.write(memoryview(sink.getvalue()))
    finally:
        cursor.close()


class CopyThread:
    """Runs ``send(item)`` for each submitted item, in order, on one thread.

    The first error stops the sending (later items are dropped) and is raised in the
    caller by the next :meth:`submit` or by :meth:`finish`. ``cancel`` interrupts a send in
    progress (for a batch given up: :meth:`abort`).
    """

    def __init__(self, send: Callable[[Any], None], cancel: Callable[[], None] | None = None) -> None:
        self._send = send
        self._cancel = cancel
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=MAX_WAITING)
        self._error: BaseException | None = None
        self._aborted = False
        self._thread = threading.Thread(target=self._run, name="pg-copy", daemon=True)
        self._thread.start()

    def submit(self, item: Any) -> None:
        """Hand ``item`` over; waits while :data:`MAX_WAITING` items are not yet taken."""
        self._raise_error()
        self._queue.put(item)

    def finish(self) -> None:
        """Wait until everything submitted is sent; raise the sending's error, if any."""
        self.close()
        self._raise_error()

    def close(self) -> None:
        """Stop after what is in hand (idempotent); errors stay for :meth:`finish`."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._join()

    def abort(self) -> None:
        """Stop now: drop what waits, interrupt the send in progress (the batch is given up)."""
        if not self._thread.is_alive():
            return
        self._aborted = True
        if self._cancel is not None:
            self._cancel()
        self.close()

    def _join(self) -> None:
        """Wait for the thread; a second Ctrl-C interrupts its send again instead of leaving it
        running on a connection about to be rolled back and reused."""
        interrupted: BaseException | None = None
        while self._thread.is_alive():
            try:
                self._thread.join()
            except KeyboardInterrupt as exc:
                interrupted, self._aborted = exc, True
                if self._cancel is not None:
                    self._cancel()
        if interrupted is not None:
            raise interrupted

    def _run(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            if self._error is None and not self._aborted:
                try:
                    self._send(item)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                    self._error = exc

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error


def read_numbers(conn: Any, query: Any, types: dict[str, pa.DataType]) -> dict[str, Any]:
    """The columns of ``query`` (numbers, named and typed by ``types`` in select order) as numpy
    arrays, read with ``COPY (query) TO STDOUT`` on ``conn``, inside its transaction.

    Why: a map of millions of incidents reads one row per point; the driver's Python tuples
    took about 3 s per million rows, Arrow parses the same rows as CSV in a fraction of that.
    Parameters are bound by psycopg on the client (``COPY`` takes none on the server).
    """
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    sink = pa.BufferOutputStream()
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(f"COPY ({compiled}) TO STDOUT (FORMAT csv)", compiled.params) as copy:
            for block in copy:
                sink.write(block)
    finally:
        cursor.close()
    names = list(types)
    table = pa_csv.read_csv(
        sink.getvalue(),
        read_options=pa_csv.ReadOptions(column_names=names),
        convert_options=pa_csv.ConvertOptions(column_types=types),
    )
    return {name: table[name].to_numpy() for name in names}
