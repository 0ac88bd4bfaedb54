"""Import one file: read → detect → adapt → validate → dedupe → commit as one batch.

:func:`prepare_import` does everything but writing, so the UI can show the preview and
the report before the user confirms and the CLI can do a dry run; :func:`commit_import`
writes the prepared rows atomically. A file-level problem raises
:class:`~incidents.errors.FileLevelError` before anything is written.

Preparing is :func:`~incidents.ingest.stream.prepare_stream` with its chunks collected:
one code path whether the rows are written in one piece or as they are checked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Unpack

import pandas as pd

from incidents.i18n import _
from incidents.ingest.detect import FORMATS
from incidents.ingest.report import ImportReport
from incidents.ingest.staged import RawTable
from incidents.ingest.stream import (
    CHUNK_ROWS,
    DEFAULT_MAX_BYTES,
    PREVIEW_ROWS,
    PreparedStream,
    Progress,
    StreamOptions,
    no_progress,
    prepare_stream,
)
from incidents.store import BatchMeta, IncidentStore

__all__ = [
    "CHUNK_ROWS",
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "PREVIEW_ROWS",
    "PreparedImport",
    "PreparedStream",
    "Progress",
    "commit_import",
    "import_file",
    "prepare_import",
    "write_stream",
]

#: Progress share once every chunk is checked and handed over: the batch is being finished.
_COMMIT_SHARE = 0.9


@dataclass(frozen=True)
class PreparedImport:
    """A validated file, ready to commit: the rows to write and the report so far."""

    report: ImportReport
    rows: pd.DataFrame  # canonical, deduplicated
    raw: RawTable  # the file's first PREVIEW_ROWS rows only (the full table is freed early)

    @property
    def preview(self) -> pd.DataFrame:
        return self.raw.frame.head(PREVIEW_ROWS)


def prepare_import(
    source: Path | bytes, store: IncidentStore, **options: Unpack[StreamOptions]
) -> PreparedImport:
    """Read and validate ``source`` against ``store`` without writing anything.

    Takes the options of :func:`~incidents.ingest.stream.prepare_stream`. ``chunk_rows``
    changes memory use and nothing else: rows and report are the same. ``encoding`` names a
    CSV's encoding (default: recognise UTF-8, UTF-16 or Windows-1252).
    """
    stream = prepare_stream(source, store, **options)
    rows = stream.collect()
    return PreparedImport(report=stream.report(), rows=rows, raw=stream.raw)


def commit_import(
    prepared: PreparedImport,
    store: IncidentStore,
    *,
    user_name: str = "local",
    role: str = "",
    progress: Progress = no_progress,
) -> ImportReport:
    """Write the prepared rows as one batch (all or nothing); return the final report.

    A file with no new rows writes no batch: re-importing a file changes nothing.
    """
    report = prepared.report
    if prepared.rows.empty:
        progress(1.0, _("nothing new to write"))
        return ImportReport(**{**report.__dict__, "dry_run": False})
    record = store.add_batch(
        prepared.rows,
        _batch_meta(report, user_name, role),
        progress=lambda share: progress(0.8 + 0.2 * share, _("writing to the store")),
    )
    return ImportReport(**{**report.__dict__, "dry_run": False, "batch_id": record.batch_id})


def _batch_meta(report: ImportReport, user_name: str, role: str) -> BatchMeta:
    """A batch's provenance and counts, from its import report."""
    return BatchMeta(
        file_name=report.file,
        sha256=report.sha256,
        format=report.format,
        user_name=user_name,
        role=role,
        rows_read=report.rows_read,
        rows_rejected=report.rows_rejected,
        rows_duplicate=report.rows_duplicate,
    )


def write_stream(
    stream: PreparedStream,
    store: IncidentStore,
    *,
    user_name: str = "local",
    role: str = "",
    progress: Progress = no_progress,
) -> ImportReport:
    """Check ``stream`` and write its rows as they are checked: one batch, all or nothing.

    The CLI's import. Each chunk goes to the store's batch writer as soon as it is
    checked, so on SQLite the writing of one chunk (a child process,
    :mod:`incidents.store.sqlite_bulk`) overlaps the checking of the next. Any error
    leaves the writer's block and rolls the whole batch back; a file with no new rows
    writes no batch, as :func:`commit_import`.
    """
    meta = BatchMeta(
        file_name=stream.file, sha256=stream.sha256, format=stream.format, user_name=user_name, role=role
    )
    with store.batch_writer(meta, expected_rows=stream.rows_read) as batch:
        for chunk in stream.chunks():
            batch.write(chunk, conformed=True)  # validation's rows, conformed there
        report = stream.report()
        if report.rows_accepted == 0:
            progress(1.0, _("nothing new to write"))
            return replace(report, dry_run=False)  # leaving without commit writes nothing
        progress(_COMMIT_SHARE, _("writing to the store"))
        record = batch.commit(_batch_meta(report, user_name, role))
    progress(1.0, _("written"))
    return replace(report, dry_run=False, batch_id=record.batch_id)


def import_file(
    source: Path | bytes,
    store: IncidentStore,
    *,
    dry_run: bool = False,
    user_name: str = "local",
    role: str = "",
    progress: Progress = no_progress,
    **options: object,
) -> ImportReport:
    """Check and (unless ``dry_run``) write one file as its rows are checked; the CLI's call."""
    stream = prepare_stream(source, store, progress=progress, **options)  # type: ignore[arg-type]
    if dry_run:
        stream.collect()
        return stream.report()
    return write_stream(stream, store, user_name=user_name, role=role, progress=progress)
