"""Import one file: read → detect → adapt → validate → dedupe → commit as one batch.

:func:`prepare_import` does everything but writing, so the UI can show the preview and
the report before the user confirms and the CLI can do a dry run; :func:`commit_import`
writes the prepared rows atomically. A file-level problem raises
:class:`~incidents.errors.FileLevelError` before anything is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from incidents.errors import FileLevelError
from incidents.ingest.adapters import adapt
from incidents.ingest.dedupe import find_duplicates
from incidents.ingest.detect import detect_format
from incidents.ingest.mapping import ColumnMapping, suggest_mapping
from incidents.ingest.report import ImportReport
from incidents.ingest.staged import RawTable
from incidents.ingest.table import read_raw_table
from incidents.ingest.validate import validate_staged
from incidents.store import BatchMeta, IncidentStore

FORMATS: Final = ("auto", "acled", "ucdp", "generic")
DEFAULT_MAX_BYTES: Final = 200 * 2**20
#: Rows of the file kept for the preview once the file is staged.
PREVIEW_ROWS: Final = 20

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class PreparedImport:
    """A validated file, ready to commit: the rows to write and the report so far."""

    report: ImportReport
    rows: pd.DataFrame  # canonical, deduplicated
    raw: RawTable  # the file's first PREVIEW_ROWS rows only (the full table is freed early)

    @property
    def preview(self) -> pd.DataFrame:
        return self.raw.frame.head(PREVIEW_ROWS)


def _head(raw: RawTable) -> RawTable:
    """The first rows of ``raw`` in buffers of their own (a slice would keep the whole file alive)."""
    first = np.arange(min(PREVIEW_ROWS, len(raw.frame)))
    return replace(raw, frame=raw.frame.take(first), lines=raw.lines.take(first))


def _noop(_share: float, _label: str) -> None:
    return None


def _read_bytes(source: Path | bytes) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return source.read_bytes()
    except OSError as exc:
        raise FileLevelError(
            f"cannot read {source}: {exc.strerror or exc}; check the path and its permissions"
        ) from exc


def prepare_import(
    source: Path | bytes,
    store: IncidentStore,
    *,
    file_name: str | None = None,
    fmt: str = "auto",
    mapping: ColumnMapping | None = None,
    dayfirst: bool = True,
    today: date | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress = _noop,
) -> PreparedImport:
    """Read and validate ``source`` against ``store`` without writing anything."""
    if fmt not in FORMATS:
        raise FileLevelError(f"unknown format {fmt!r}; use one of {list(FORMATS)}")
    name = file_name or (source.name if isinstance(source, Path) else "upload")
    if isinstance(source, Path) and source.is_file() and source.stat().st_size > max_bytes:
        # Refuse before reading a huge file into memory.
        read_raw_table(source, file_name=name, max_bytes=max_bytes)
    data = _read_bytes(source)
    sha256 = hashlib.sha256(data).hexdigest()
    progress(0.05, "reading the file")
    raw = read_raw_table(data, file_name=name, max_bytes=max_bytes)
    del data  # the table replaces the bytes; do not hold a copy of the file while validating
    detected = detect_format(list(raw.frame.columns)) if fmt == "auto" else fmt
    if detected == "generic" and mapping is None:
        mapping = suggest_mapping(list(raw.frame.columns))
    if mapping is not None:
        dayfirst = mapping.date_dayfirst
    progress(0.2, f"mapping columns ({detected})")
    staged = adapt(raw, detected, mapping)
    warnings, raw = raw.warnings, _head(raw)  # validation peaks in memory: drop columns it does not use
    progress(0.35, "validating rows")
    validation = validate_staged(staged, today=today, dayfirst=dayfirst)
    progress(0.7, "checking duplicates")
    dedupe = find_duplicates(
        validation.accepted, validation.accepted_lines, store, source_columns=staged.source_columns
    )
    issues = sorted([*validation.issues, *dedupe.issues], key=lambda issue: (issue.line or 0, issue.code))
    report = ImportReport(
        file=name,
        sha256=sha256,
        format=detected,
        batch_id=None,
        rows_read=validation.rows_read,
        rows_accepted=len(dedupe.kept),
        rows_rejected=validation.rows_rejected,
        rows_duplicate=dedupe.rows_duplicate,
        issues=tuple(issues),
        warnings=warnings,
        dry_run=True,
    )
    progress(0.8, "ready to commit")
    return PreparedImport(report=report, rows=dedupe.kept, raw=raw)


def commit_import(
    prepared: PreparedImport,
    store: IncidentStore,
    *,
    user_name: str = "local",
    role: str = "",
    progress: Progress = _noop,
) -> ImportReport:
    """Write the prepared rows as one batch (all or nothing); return the final report.

    A file with no new rows writes no batch: re-importing a file changes nothing.
    """
    report = prepared.report
    if prepared.rows.empty:
        progress(1.0, "nothing new to write")
        return ImportReport(**{**report.__dict__, "dry_run": False})
    meta = BatchMeta(
        file_name=report.file,
        sha256=report.sha256,
        format=report.format,
        user_name=user_name,
        role=role,
        rows_read=report.rows_read,
        rows_rejected=report.rows_rejected,
        rows_duplicate=report.rows_duplicate,
    )
    record = store.add_batch(
        prepared.rows, meta, progress=lambda share: progress(0.8 + 0.2 * share, "writing to the store")
    )
    return ImportReport(**{**report.__dict__, "dry_run": False, "batch_id": record.batch_id})


def import_file(
    source: Path | bytes,
    store: IncidentStore,
    *,
    dry_run: bool = False,
    user_name: str = "local",
    **options: object,
) -> ImportReport:
    """Prepare and (unless ``dry_run``) commit one file; the CLI's single call."""
    prepared = prepare_import(source, store, **options)  # type: ignore[arg-type]
    if dry_run:
        return prepared.report
    return commit_import(prepared, store, user_name=user_name)
