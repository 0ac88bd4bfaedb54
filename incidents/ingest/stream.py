"""Prepare an import as a stream: stage the whole file, then validate and dedupe it chunk by chunk.

Reading, format detection and the format adapter run on the whole file inside
:func:`prepare_stream`, so a file-level failure (:class:`~incidents.errors.FileLevelError`)
is raised before any chunk exists: a caller writing chunks as they come writes nothing
for such a file. Validation and dedupe then take :data:`CHUNK_ROWS` rows at a time, in
file order, so writing one chunk can overlap checking the next, and only one chunk's
intermediate columns are in memory. Every check looks at one row alone; what is carried
from chunk to chunk (ids kept so far, place names resolved and dates parsed so far, stored
incidents loaded so far) makes the report the one the whole file gives in one piece.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Final, TypedDict

import numpy as np
import pandas as pd

from incidents.errors import FileLevelError
from incidents.i18n import N_, _
from incidents.ingest.adapters import adapt
from incidents.ingest.column_mapping import ColumnMapping, suggest_mapping
from incidents.ingest.dedupe import FileDuplicates
from incidents.ingest.detect import FORMATS, detect_format
from incidents.ingest.file_reader import check_encoding, read_raw_table
from incidents.ingest.load import DEFAULT_MAX_BYTES, load_bytes
from incidents.ingest.memo import ValidationMemo
from incidents.ingest.report import ImportReport
from incidents.ingest.staged import ImportIssue, RawTable, StagedTable
from incidents.ingest.validate import validate_staged
from incidents.store import IncidentStore

#: Rows of the file kept for the preview once the file is staged.
PREVIEW_ROWS: Final = 20
#: Rows validated and deduplicated together. On a million-row ACLED file, 200k-250k rows
#: per chunk check as fast as the whole file in one piece (within noise) with about 200 MB
#: less peak memory; 100k rows per chunk took 2.5 s longer, because spatial assignment
#: builds its cell table only for batches of at least geodata.assign.CELL_TABLE_MIN_POINTS
#: points (200k) and a file whose chunks are all smaller never gets it.
CHUNK_ROWS: Final = 200_000
#: Progress shares: staging ends where checking starts; checks end where committing starts.
_CHECKS_START: Final = 0.35
_CHECKS_END: Final = 0.8
#: Share of a chunk's checking time that validation takes (the rest is dedupe).
_VALIDATION_SHARE: Final = 0.8

#: File note when no column holds fatalities: the store keeps a count, never an empty one.
NO_FATALITIES_NOTE: Final = N_(
    "the file has no fatalities column: every row is stored with 0 fatalities, which here means unknown"
)

Progress = Callable[[float, str], None]


def no_progress(_share: float, _label: str) -> None:
    """The default progress callback: ignore the report."""
    return None


def _head(raw: RawTable) -> RawTable:
    """The first rows of ``raw`` in buffers of their own (a slice would keep the whole file alive)."""
    first = np.arange(min(PREVIEW_ROWS, len(raw.frame)))
    return replace(raw, frame=raw.frame.take(first), lines=raw.lines.take(first))


class PreparedStream:
    """A staged file whose rows to write come chunk by chunk, and then its report.

    ``file``, ``sha256``, ``format``, ``warnings``, ``preview`` and ``rows_read`` (the
    file's rows: at most that many will be written, e.g. a batch writer's expected size)
    are known at once; :meth:`chunks` validates and deduplicates as it is iterated (once),
    and :meth:`report` is available when it is exhausted.
    """

    def __init__(
        self,
        *,
        file: str,
        sha256: str,
        format: str,
        raw: RawTable,
        staged: StagedTable,
        store: IncidentStore,
        today: date,
        dayfirst: bool,
        chunk_rows: int,
        progress: Progress,
        keep_outside: bool = False,
    ) -> None:
        self.file, self.sha256, self.format = file, sha256, format
        self.keep_outside = keep_outside
        self.warnings = raw.warnings
        if "fatalities" not in staged.source_columns:  # no row can say fatalities_unknown
            self.warnings += (_(NO_FATALITIES_NOTE),)
        self.raw = _head(raw)  # the full raw table is not needed past staging
        # Records the reader rejected (truncated rows, cells too long...) count as read and rejected.
        self._read_rejected = raw.rejected
        self.rows_read = len(staged.frame) + raw.rows_rejected
        self.chunk_rows = chunk_rows
        self._staged: StagedTable | None = staged
        self._store, self._today, self._dayfirst, self._progress = store, today, dayfirst, progress
        self._started = False
        self._report: ImportReport | None = None
        self._empty: pd.DataFrame | None = None

    @property
    def preview(self) -> pd.DataFrame:
        return self.raw.frame.head(PREVIEW_ROWS)

    def chunks(self) -> Iterator[pd.DataFrame]:
        """Canonical, deduplicated rows to write, in file order, at most ``chunk_rows`` per chunk.

        Chunks with nothing to write are not yielded. Iterating raises whatever checking
        raises; a caller writing the chunks must then discard what it wrote.
        """
        if self._started:
            raise RuntimeError("PreparedStream.chunks() can be iterated only once")
        self._started = True
        return self._checked_chunks()

    def _checked_chunks(self) -> Iterator[pd.DataFrame]:
        staged = self._staged
        assert staged is not None
        size, step = len(staged.frame), self.chunk_rows
        starts = range(0, size, step) if size else range(1)  # an empty file is one (empty) chunk
        duplicates = FileDuplicates(self._store, source_columns=staged.source_columns)
        memo = ValidationMemo()
        validation_issues: list[ImportIssue] = list(self._read_rejected)
        dedupe_issues: list[ImportIssue] = []
        rows_read = rows_rejected = len({issue.line for issue in self._read_rejected})
        rows_accepted = rows_duplicate = rows_outside = 0
        for number, start in enumerate(starts):
            share = _CHECKS_START + (_CHECKS_END - _CHECKS_START) * number / len(starts)
            self._progress(share, _("validating rows"))
            validation = validate_staged(
                staged.rows(start, start + step),
                today=self._today,
                dayfirst=self._dayfirst,
                memo=memo,
                keep_outside=self.keep_outside,
            )
            step_share = (_CHECKS_END - _CHECKS_START) / len(starts)
            self._progress(share + _VALIDATION_SHARE * step_share, _("checking duplicates"))
            dedupe = duplicates.check(validation.accepted, validation.accepted_lines)
            rows_read += validation.rows_read
            rows_rejected += validation.rows_rejected
            rows_accepted += len(dedupe.kept)
            rows_duplicate += dedupe.rows_duplicate
            rows_outside += validation.rows_outside_coverage
            validation_issues += validation.issues
            dedupe_issues += dedupe.issues
            if len(dedupe.kept):
                yield dedupe.kept
            elif self._empty is None or len(validation.accepted):
                # What the whole file gives when nothing is kept: its rows' dtypes differ on
                # whether validation accepted any row (all then duplicates) or none.
                self._empty = dedupe.kept
        self._staged = None  # free the file's columns before the caller commits
        # Stable sort: at one line, validation's issues (in check order) come before dedupe's.
        issues = sorted([*validation_issues, *dedupe_issues], key=lambda issue: (issue.line or 0, issue.code))
        self._report = ImportReport(
            file=self.file,
            sha256=self.sha256,
            format=self.format,
            batch_id=None,
            rows_read=rows_read,
            rows_accepted=rows_accepted,
            rows_rejected=rows_rejected,
            rows_duplicate=rows_duplicate,
            issues=tuple(issues),
            warnings=self.warnings,
            dry_run=True,
            rows_outside_coverage=rows_outside,
            keep_outside=self.keep_outside,
        )
        self._progress(_CHECKS_END, _("ready to commit"))

    def report(self) -> ImportReport:
        """The whole file's report (a dry run's); only once :meth:`chunks` is exhausted."""
        if self._report is None:
            raise RuntimeError(
                "the import report is known only once every chunk is checked: "
                "iterate PreparedStream.chunks() to the end first"
            )
        return self._report

    def collect(self) -> pd.DataFrame:
        """Every chunk as one frame (what a single-batch commit writes); exhausts :meth:`chunks`."""
        frames = list(self.chunks())
        if len(frames) == 1:
            return frames[0]
        if frames:
            return pd.concat(frames, ignore_index=True)
        assert self._empty is not None
        return self._empty


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stage(
    source: Path | bytes,
    *,
    name: str,
    fmt: str,
    mapping: ColumnMapping | None,
    dayfirst: bool,
    max_bytes: int,
    progress: Progress,
    encoding: str | None = None,
) -> tuple[str, RawTable, StagedTable, str, bool]:
    """Read, detect and adapt the whole file: (sha256, raw, staged, format, dayfirst)."""
    if fmt not in FORMATS:
        raise FileLevelError(
            _("unknown format {fmt}; use one of {formats}").format(fmt=repr(fmt), formats=list(FORMATS))
        )
    if encoding is not None:
        check_encoding(encoding)  # an unknown codec is refused before the file is read
    data = load_bytes(source, name, max_bytes)  # refuses a huge file before reading it into memory
    progress(0.05, _("reading the file"))
    # hashlib releases the GIL: the file is hashed on another core while it is parsed.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as pool:
        digest = pool.submit(_sha256_hex, data)
        raw = read_raw_table(data, file_name=name, max_bytes=max_bytes, encoding=encoding)
        sha256 = digest.result()
    del data  # the table replaces the bytes; do not hold a copy of the file while validating
    detected = detect_format(list(raw.frame.columns)) if fmt == "auto" else fmt
    if detected == "generic" and mapping is None:
        mapping = suggest_mapping(list(raw.frame.columns))
    if mapping is not None:
        dayfirst = mapping.date_dayfirst
    progress(0.2, _("mapping columns ({format})").format(format=detected))
    return sha256, raw, adapt(raw, detected, mapping), detected, dayfirst


class StreamOptions(TypedDict, total=False):
    """The keyword options of :func:`prepare_stream`, for a call that passes them on."""

    file_name: str | None
    fmt: str
    mapping: ColumnMapping | None
    dayfirst: bool
    today: date | None
    max_bytes: int
    progress: Progress
    chunk_rows: int
    keep_outside: bool
    encoding: str | None


def prepare_stream(
    source: Path | bytes,
    store: IncidentStore,
    *,
    file_name: str | None = None,
    fmt: str = "auto",
    mapping: ColumnMapping | None = None,
    dayfirst: bool = True,
    today: date | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress = no_progress,
    chunk_rows: int = CHUNK_ROWS,
    keep_outside: bool = False,
    encoding: str | None = None,
) -> PreparedStream:
    """Stage ``source`` (raising any file-level failure now); check its rows as they are taken.

    Nothing is written. ``today`` (default: the date now) bounds ``future_date`` for every chunk.
    Rows outside the covered countries are skipped unless ``keep_outside``.
    ``encoding`` names a CSV's encoding (default: recognise UTF-8, UTF-16 or Windows-1252).
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1; got {chunk_rows}")
    name = file_name or (source.name if isinstance(source, Path) else "upload")
    sha256, raw, staged, detected, dayfirst = _stage(
        source,
        name=name,
        fmt=fmt,
        mapping=mapping,
        dayfirst=dayfirst,
        max_bytes=max_bytes,
        progress=progress,
        encoding=encoding,
    )
    return PreparedStream(
        file=name,
        sha256=sha256,
        format=detected,
        raw=raw,
        staged=staged,
        store=store,
        today=today or date.today(),
        dayfirst=dayfirst,
        chunk_rows=chunk_rows,
        progress=progress,
        keep_outside=keep_outside,
    )
