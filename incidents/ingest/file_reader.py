"""Reading an analyst's file into a :class:`~incidents.ingest.staged.RawTable`.

Analysts bring CSV exports (ACLED, UCDP, field spreadsheets saved from Excel in French
locales) and XLSX workbooks. This module only decodes: it finds the encoding and the
delimiter, keeps every cell as stripped text (empty -> ``<NA>``) and remembers the
*physical* line where each record starts, because the import report points analysts at
lines they can find in a text editor even when quoted notes span several lines.
Parsing dates, coordinates and numbers is validation's job.

XLSX cells are turned into text the way an analyst would read them: dates as ISO
``YYYY-MM-DD`` (``YYYY-MM-DD HH:MM:SS`` when a time is present), integral numbers
without ``.0`` (``12.0`` -> ``"12"``), other numbers as Python's shortest ``repr``
(``14.35`` -> ``"14.35"``), booleans as ``TRUE``/``FALSE``. The record "line" of an
XLSX row is its row number in the sheet.

Records that cannot be one incident are rejected here, each with its line and reason code
(:attr:`RawTable.rejected`), while the rest of the file is read: a CSV row with fewer cells
than the header (``truncated_row``: a file cut off mid-row, or a lost delimiter, would
otherwise be padded into a different incident), a cell over :data:`MAX_CELL_CHARS`
characters (``cell_too_long``) and a cell holding a NUL character (``nul_byte``).

Encodings read without being told: UTF-8 (with or without BOM), UTF-16 (with a BOM, or
ASCII-range text without one) and Windows-1252, the encoding of French Excel on Windows.
Anything else (Shift-JIS, Mac Roman, DOS cp850...) is refused rather than guessed, unless
the caller names the encoding (``encoding=``; ``--encoding`` on the command line).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gc
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

try:
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pragma: no cover - pandas then keeps strings as Python objects
    pa = pc = None

from incidents.errors import FileLevelError
from incidents.i18n import _
from incidents.ingest.load import DEFAULT_MAX_BYTES, EMPTY_TABLE_HINT, load_bytes, megabytes
from incidents.ingest.staged import ImportIssue, RawTable

#: The longest cell accepted, in characters: a row holding a longer one is rejected
#: (``cell_too_long``), not the file. Field notes of several MB exist; 8 MiB characters
#: keeps one cell from costing the memory of a whole import.
MAX_CELL_CHARS: Final = 8 * 2**20
#: The encodings read without ``encoding=``, as the refusal of any other names them.
READ_ENCODINGS: Final = ("UTF-8", "UTF-16", "Windows-1252")
#: XLSX limits, checked before the workbook is parsed (a 1.7 MB "zip bomb" workbook held
#: 475 MB of XML: 186 s and 1.3 GB to read). Uncompressed size of all members together:
MAX_XLSX_UNCOMPRESSED: Final = 256 * 2**20
#: ... the expansion of any member over 10 MiB (real sheets compress 5-30x):
MAX_XLSX_RATIO: Final = 200
#: ... the members of the archive (a workbook has a few dozen):
MAX_XLSX_MEMBERS: Final = 10_000
#: ... and the cells of the sheet read (as declared by its dimension, then as streamed):
#: about 320,000 rows of an ACLED export; larger tables import faster as CSV.
MAX_XLSX_CELLS: Final = 10_000_000
#: Delimiters tried by the sniffer, in order of preference on a tie.
DELIMITERS: Final = (",", ";", "\t", "|")

_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .doc
_PDF_MAGIC: Final = b"%PDF"
_XLSX_SUFFIXES: Final = (".xlsx", ".xlsm")
_SNIFF_CHARS: Final = 64 * 1024
_SNIFF_RECORDS: Final = 50
_CHUNK_ROWS: Final = 50_000
_ARROW_STRINGS: Final = pa is not None and pd.StringDtype().storage == "pyarrow"
#: Share of control characters above which decoded "text" is really binary data.
_MAX_CONTROL_SHARE: Final = 0.01
_CONTROL_CHARS: Final = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_LOOKS_LIKE_DATA: Final = re.compile(r"^[-+]?\d[\d.,:/ +-]*$")
#: Headers (case-folded) under which pandas and R write row numbers as a file's first column.
ROW_NUMBER_HEADERS: Final = frozenset({"", "unnamed: 0", "x", "...1"})
#: Fewer control characters than this never make text "binary": a stray NUL in a small
#: file rejects its row (``nul_byte``), not the file.
_MIN_CONTROL_CHARS: Final = 8
#: The csv module's per-field limit (131,072 characters by default) is raised to this (a C
#: long everywhere), so a long cell reaches the MAX_CELL_CHARS check instead of failing the file.
_CSV_FIELD_LIMIT: Final = 2**31 - 1
#: Windows-1252 characters that no French or English text puts next to a letter: where
#: "Windows-1252" text has them so, the file is in another encoding (DOS cp850's "é" reads
#: as "‚", Mac Roman's as "Ž", Shift-JIS kana start with "‚" or "ƒ").
_FOREIGN_IN_CP1252: Final = "‚ƒ„†‡ˆ‰Š‹Ž˜™š›ž"
_NOT_CP1252_TEXT: Final = re.compile(f"(?<=\\w)[{_FOREIGN_IN_CP1252}]|[{_FOREIGN_IN_CP1252}](?=\\w)")
#: Characters quoted from a rejected cell in the report.
_QUOTED_CHARS: Final = 60


Record = tuple[int, Sequence[str | None]]  # (physical line, cells)


def read_raw_table(
    source: Path | bytes,
    *,
    file_name: str = "",
    max_bytes: int = DEFAULT_MAX_BYTES,
    encoding: str | None = None,
) -> RawTable:
    """Decode a CSV or XLSX file (path or uploaded bytes) into text cells with line numbers.

    ``encoding`` (a Python codec name, see :func:`check_encoding`) decodes a CSV with that
    encoding instead of recognising UTF-8, UTF-16 or Windows-1252 (the only ones read
    without it). Raises :class:`~incidents.errors.FileLevelError` with one sentence saying
    what is wrong and how to fix it when the file as a whole cannot be read as a table.
    """
    label = file_name or (source.name if isinstance(source, Path) else _("the file"))
    if encoding is not None:
        encoding = check_encoding(encoding)
    data = load_bytes(source, label, max_bytes)
    suffix = Path(file_name or (source.name if isinstance(source, Path) else "")).suffix.lower()
    _reject_non_tables(data, label, suffix)
    if data.startswith(_ZIP_MAGIC) or suffix in _XLSX_SUFFIXES:
        with _xlsx_rows(data, label) as records:
            table = _build_table(records, label, encoding="xlsx", delimiter=None)
        return _without_row_numbers(table, label)
    fast = _fast_table(data, label) if encoding is None else None
    if fast is not None:
        return _without_row_numbers(fast, label)
    text, encoding, warnings = _decode(data, label, encoding)
    del data  # the decoded text replaces it; keep peak memory near one copy of the file
    delimiter = _sniff_delimiter(text)
    try:
        records = _csv_records(text, delimiter, label, strict=True)
        table = _build_table(records, label, encoding=encoding, delimiter=delimiter, warnings=warnings)
    except _SloppyQuoting:
        # Merely sloppy quotes (``"a "b" c"``): read again leniently, as Excel would. The
        # strict pass exists to catch a quote never closed, which would swallow the file.
        records = _csv_records(text, delimiter, label, strict=False)
        table = _build_table(records, label, encoding=encoding, delimiter=delimiter, warnings=warnings)
    return _without_row_numbers(table, label)


# --- bytes (loaded by incidents.ingest.load) ---------------------------------------------


def _reject_non_tables(data: bytes, label: str, suffix: str) -> None:
    """Name the common wrong files (PDF, old .xls) instead of failing on them as garbage."""
    if data.startswith(_PDF_MAGIC):
        raise FileLevelError(
            _(
                "{label} is a PDF document, not a table; export the data as CSV or XLSX and import that."
            ).format(label=label)
        )
    if data.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise FileLevelError(
            _(
                "{label} is a legacy Excel .xls (or other Office) file, which is not supported; open it "
                "in Excel or LibreOffice and save it as .xlsx or CSV."
            ).format(label=label)
        )


# --- text decoding -------------------------------------------------------------------------


def check_encoding(name: str) -> str:
    """The codec name of a text encoding Python knows (``"Shift-JIS"`` -> ``"shift_jis"``).

    Raises :class:`~incidents.errors.FileLevelError` for an unknown name or a codec that
    does not decode bytes to text (``rot13``, ``base64``).
    """
    try:
        codec = codecs.lookup(name.strip())
        b"\x00\x00\x00\x00".decode(codec.name)  # LookupError for codecs that are not text encodings
    except UnicodeDecodeError:
        pass  # a text encoding all the same
    except LookupError as exc:
        raise FileLevelError(
            _(
                "{name} is not a text encoding Python knows; use a name such as utf-8, cp1252, latin-1, "
                "cp850, mac_roman or shift_jis."
            ).format(name=repr(name))
        ) from exc
    return codec.name


def _decode(data: bytes, label: str, encoding: str | None = None) -> tuple[str, str, tuple[str, ...]]:
    """Text, encoding name and warnings: the named encoding, else BOMs, strict UTF-8, cp1252.

    French field spreadsheets saved by Excel on Windows are cp1252, the one guess made;
    bytes that cp1252 cannot decode, or that it decodes into text no French or English file
    holds (:data:`_NOT_CP1252_TEXT`), are refused as an encoding not read.
    """
    if encoding is not None:
        return _named_encoding_text(data, encoding, label), encoding, ()
    if data.startswith(b"\xef\xbb\xbf"):
        return _checked_text(data, "utf-8-sig", label), "utf-8-sig", ()
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return _checked_text(data, "utf-16", label), "utf-16", ()
        utf16 = _utf16_without_bom(data)
        if utf16:
            return (
                _checked_text(data, utf16, label),
                utf16,
                (_("encoding guessed as {encoding}").format(encoding=utf16),),
            )
    except UnicodeDecodeError as exc:
        raise FileLevelError(
            _(
                "{label} looks like UTF-16 text but is damaged ({reason}); save it again as CSV UTF-8 and"
                " re-import."
            ).format(label=label, reason=exc.reason)
        ) from exc
    try:
        return _checked_text(data, "utf-8", label), "utf-8", ()
    except UnicodeDecodeError:
        pass
    try:
        text = _checked_text(data, "cp1252", label)
    except UnicodeDecodeError as exc:
        if _looks_binary(data[:_SNIFF_CHARS].decode("latin-1")):  # latin-1 decodes any bytes
            raise _not_text(label) from exc
        raise _unread_encoding(
            label, _("byte 0x{byte} is not Windows-1252").format(byte=format(data[exc.start], "02X"))
        ) from exc
    foreign = _NOT_CP1252_TEXT.search(text)
    if foreign is not None:
        line = text.count("\n", 0, foreign.start()) + 1
        raise _unread_encoding(
            label,
            _("as Windows-1252 it reads {text} inside a word on line {line}").format(
                text=repr(foreign.group()), line=line
            ),
        )
    return text, "cp1252", (_("encoding guessed as {encoding}").format(encoding="cp1252"),)


def _unread_encoding(label: str, reason: str) -> FileLevelError:
    return FileLevelError(
        _(
            "{label} is not in an encoding this import reads by itself ({encodings}): {reason}; save it "
            'as CSV UTF-8, or name its encoding ("Text encoding" on the Import page, --encoding '
            "NAME on the command line: e.g. shift_jis, mac_roman or cp850)."
        ).format(label=label, encodings=", ".join(READ_ENCODINGS), reason=reason)
    )


def _named_encoding_text(data: bytes, encoding: str, label: str) -> str:
    """``data`` decoded with the encoding the user named (a UTF-8 BOM dropped)."""
    try:
        text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as exc:
        raise FileLevelError(
            _(
                "{label} cannot be read as {encoding}: byte 0x{byte} at offset {offset} is not valid in "
                "it; check the encoding the file was saved in."
            ).format(
                label=label,
                encoding=encoding,
                byte=format(data[exc.start], "02X"),
                offset=format(exc.start, ","),
            )
        ) from exc
    text = text.removeprefix("\ufeff")
    if _looks_binary(text):
        raise _not_text(label)
    return text


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when NULs sit on every other byte of the start (ASCII in UTF-16)."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _checked_text(data: bytes, encoding: str, label: str) -> str:
    """Decode strictly and refuse text that is mostly control characters (binary data)."""
    text = data.decode(encoding)
    if _looks_binary(text):
        raise _not_text(label)
    return text


def _looks_binary(text: str) -> bool:
    """True when the start of the text holds many control characters (NUL included).

    A few stray ones are a damaged cell, not binary data: its row is rejected later.
    """
    sample = text[:_SNIFF_CHARS]
    controls = len(_CONTROL_CHARS.findall(sample))
    return controls >= _MIN_CONTROL_CHARS and controls > _MAX_CONTROL_SHARE * len(sample)


def _not_text(label: str) -> FileLevelError:
    return FileLevelError(
        _(
            "{label} is not a text table (it looks like binary data); import a CSV (comma, semicolon,"
            " tab or pipe separated) or an XLSX workbook."
        ).format(label=label)
    )


# --- CSV -----------------------------------------------------------------------------------


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header into the most columns that the next records share.

    Decimal commas (``14,35``) in a semicolon file and commas inside quoted notes do not
    fool it, because a record is only consistent under the delimiter the header uses.
    """
    sample = text[:_SNIFF_CHARS]
    complete = len(sample) == len(text)
    best: tuple[tuple[bool, float, int, int], str] | None = None
    for rank, delimiter in enumerate(DELIMITERS):
        rows = _sample_records(sample, delimiter, drop_last=not complete)
        if not rows:
            continue
        width = len(rows[0])
        body = rows[1:]
        consistency = sum(len(row) == width for row in body) / len(body) if body else 1.0
        score = (width > 1, consistency, width, -rank)
        if best is None or score > best[0]:
            best = (score, delimiter)
    return best[1] if best else DELIMITERS[0]


def _allow_long_fields() -> None:
    """Raise the csv module's field limit (process-wide, never lowered: safe across threads)."""
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)


def _sample_records(sample: str, delimiter: str, *, drop_last: bool) -> list[list[str]]:
    _allow_long_fields()
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append(row)
            if len(rows) > _SNIFF_RECORDS:
                break
    except csv.Error:
        pass  # a cell cut by the sample boundary; the rows read so far still vote
    return rows[:-1] if drop_last and len(rows) > 1 else rows


class _SloppyQuoting(Exception):
    """A strict-mode quoting complaint that the lenient parser can read past."""


def _csv_records(text: str, delimiter: str, label: str, *, strict: bool) -> Iterator[Record]:
    """Non-blank records with the physical line each starts on (``line_num`` counts lines read)."""
    _allow_long_fields()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
    previous_end = 0
    try:
        for row in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if "".join(row).strip():
                yield start, row
    except csv.Error as exc:
        line = previous_end + 1
        message = str(exc)
        if "unexpected end of data" in message or "field larger than field limit" in message:
            raise FileLevelError(
                _(
                    "{label}: the quoted cell that starts on line {line} is never closed; add the missing "
                    'closing quote (") or remove the stray one.'
                ).format(label=label, line=line)
            ) from exc
        if strict:
            raise _SloppyQuoting(message) from exc
        raise FileLevelError(
            _("{label}: line {line} cannot be read as CSV ({message}); fix the quoting on that line.").format(
                label=label, line=line, message=message
            )
        ) from exc


# --- fast path: pyarrow.csv -----------------------------------------------------------------

#: The characters ``str.strip`` and pyarrow's ``utf8_trim_whitespace`` remove (the same set,
#: none above U+3000; a test checks every code point), as UTF-8 bytes.
_WHITESPACE: Final = tuple(chr(code).encode() for code in range(0x3001) if chr(code).isspace())


def _edge_bytes(position: int) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[[char[position] for char in _WHITESPACE]] = True
    return table


#: Bytes that can start (end) a whitespace character: a cell whose first and last bytes are
#: in neither table has nothing to trim.
_MAY_START_SPACE: Final = _edge_bytes(0)
_MAY_END_SPACE: Final = _edge_bytes(-1)
#: Bytes of the start decoded to sniff the delimiter: the first ``_SNIFF_CHARS + 1``
#: characters (at most 4 bytes each) after a 3-byte BOM, so the sniffer can tell whether
#: the text goes on past its sample.
_HEAD_BYTES: Final = 4 * (_SNIFF_CHARS + 1) + 3
#: pyarrow parses the file in blocks of this size, one per thread at a time (4 MiB used a
#: little less CPU than 16 MiB at 1M rows).
_ARROW_BLOCK_BYTES: Final = 4 * 2**20


def _fast_table(data: bytes, label: str) -> RawTable | None:
    """The table read by ``pyarrow.csv`` when the file is clean UTF-8, else ``None``.

    The file is never decoded as a whole: pyarrow checks that it is UTF-8 (what
    :func:`_decode` would find first) and only its start is decoded, to sniff the delimiter
    and to refuse binary data as :func:`_decode` does (the general path then raises).
    """
    if not _ARROW_STRINGS:
        return None
    encoding = _utf8_encoding(data)
    if encoding is None:
        return None
    head = _text_head(data, encoding)
    if _looks_binary(head):
        return None
    delimiter = _sniff_delimiter(head)
    header = _arrow_header(data, encoding, delimiter, label)
    if header is None:
        return None
    return _arrow_table(data, header, encoding, delimiter, utf8_checked=True)


def _utf8_encoding(data: bytes) -> str | None:
    """``utf-8-sig`` or ``utf-8`` when :func:`_decode` would decode ``data`` so, else ``None``."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(data):
        return None
    else:
        encoding = "utf-8"
    return encoding if _valid_utf8(data) else None


def _valid_utf8(data: bytes) -> bool:
    """Whether ``data.decode("utf-8")`` would succeed, checked by pyarrow without decoding
    (about 10x faster, and no decoded copy of the file in memory)."""
    offsets = pa.array([0, len(data)], type=pa.int64()).buffers()[1]
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _text_head(data: bytes, encoding: str) -> str:
    """The start of valid UTF-8 ``data`` decoded: all of it, or more than ``_SNIFF_CHARS`` characters."""
    if len(data) <= _HEAD_BYTES:
        return data.decode(encoding)
    # The data is valid UTF-8, so the only error is a character cut at the end: drop it.
    return data[:_HEAD_BYTES].decode(encoding, errors="ignore")


def _well_formed_quotes(data: bytes, delimiter: str) -> bool:
    """True when every line holding a quote is a sequence of plain or fully quoted cells.

    Such lines parse identically with the csv module (strict) and pyarrow, and no quoted
    cell spans two lines, so records and physical lines correspond one to one. Callers have
    checked that every CR is followed by LF.

    Runs on the UTF-8 bytes (quotes, delimiters and line ends are ASCII bytes that never
    occur inside a multi-byte character) with numpy over the quote positions instead of a
    regular expression per line (real exports quote most lines: 1M quoted lines 3.4 s -> 0.6-1.0 s).
    A run of adjacent quotes of odd length toggles "inside a quoted cell" (an opening or
    closing quote plus ``""`` pairs), one of even length does not; so the state before each
    run is the parity of the odd runs before it. The line is well formed when every run that
    starts outside a cell starts a cell, every run that leaves a cell ends one, and every
    line ends outside a cell.
    """
    if b'"' not in data:
        return True
    text = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(text == ord('"'))
    breaks = np.flatnonzero(np.diff(quotes) != 1) + 1
    run_start = quotes[np.concatenate(([0], breaks))]
    run_end = quotes[np.concatenate((breaks - 1, [len(quotes) - 1]))] + 1  # one past each run
    odd = ((run_end - run_start) % 2).astype(bool)
    odd_before = np.concatenate(([0], np.cumsum(odd)))  # odd runs before run k (and in all)
    inside_before = (odd_before[:-1] % 2).astype(bool)
    inside_after = inside_before ^ odd
    cell_bounds = np.zeros(256, dtype=bool)
    cell_bounds[[ord(delimiter), ord("\n")]] = True
    previous = text[np.maximum(run_start - 1, 0)]
    opens_at_cell_start = (run_start == 0) | cell_bounds[previous]
    if not opens_at_cell_start[~inside_before].all():
        return False  # a quote inside a plain cell
    cell_ends = cell_bounds.copy()
    cell_ends[ord("\r")] = True
    following = text[np.minimum(run_end, len(text) - 1)]
    closes_at_cell_end = (run_end == len(text)) | cell_ends[following]
    if not closes_at_cell_end[~inside_after].all():
        return False  # text after a closing quote
    # Every line must end outside a quoted cell: no quoted line breaks.
    newlines = np.flatnonzero(text == ord("\n"))
    line_ends_inside = odd_before[np.searchsorted(run_start, newlines)] % 2
    return bool(not line_ends_inside.any() and odd_before[-1] % 2 == 0)


def _arrow_header(data: bytes, encoding: str, delimiter: str, label: str) -> list[str] | None:
    """The checked header when ``pyarrow.csv`` may read this file, else ``None``.

    Only for files where both readers agree cell for cell and record *n* is physical line
    *n*: UTF-8, LF or CRLF line ends, no NUL, well-formed quotes and no trailing unnamed
    header columns. :func:`_arrow_table` checks the rest, blank lines included (pyarrow
    reads one as a row of empty cells, which it refuses).

    The checks run on the file's UTF-8 bytes (the same answers: in UTF-8 these ASCII
    characters are single bytes that never occur inside a multi-byte character).
    """
    if not _ARROW_STRINGS or encoding not in ("utf-8", "utf-8-sig"):
        return None
    start = 3 if encoding == "utf-8-sig" and data.startswith(b"\xef\xbb\xbf") else 0
    if data[start : start + 1] in (b"", b"\r", b"\n"):
        return None
    if b"\x00" in data or data.endswith((b"\n\n", b"\n\r\n")):
        return None  # (a trailing blank line: refused here without reading the file first)
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None
    if not _well_formed_quotes(data, delimiter):
        return None
    header_end = data.find(b"\n")
    first_line = (data if header_end < 0 else data[:header_end]).decode(encoding)
    raw_header = next(csv.reader([first_line.rstrip("\r")], delimiter=delimiter), [])
    if not "".join(raw_header).strip():
        return None  # a blank first line: the general path looks further for the header
    header = _checked_header(raw_header, label, delimiter)
    if len(header) != len(raw_header):
        return None  # trailing unnamed columns: let the general path drop them
    return header


def _arrow_table(
    data: bytes,
    header: list[str],
    encoding: str,
    delimiter: str,
    warnings: tuple[str, ...] = (),
    *,
    utf8_checked: bool = False,
) -> RawTable | None:
    """Read a clean CSV with ``pyarrow.csv`` (several times faster than the csv module).

    ``None`` (the csv-module path then reads the file, with its repairs and warnings) when a
    row is not as wide as the header, when a row is blank, when the first row is HXL or when
    a cell may be over :data:`MAX_CELL_CHARS`.
    ``utf8_checked``: the whole of ``data`` is known to be valid UTF-8, so pyarrow need not
    check each cell again.
    """
    import pyarrow.csv as pacsv

    names = [f"c{index}" for index in range(len(header))]
    # Without a quote in the file, pyarrow's parser without quote handling (a little faster)
    # reads the same cells.
    quoted = b'"' in data
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=_ARROW_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"' if quoted else False,
                double_quote=quoted,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.large_string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=not utf8_checked,
            ),
        )
    except pa.ArrowException:
        return None  # ragged rows and the like: the general path repairs and reports them
    for column in table.columns:
        # A cell that may be over MAX_CELL_CHARS (bytes >= characters): the general path rejects its row.
        longest = pc.max(pc.binary_length(column)).as_py() if len(column) else 0
        if (longest or 0) > MAX_CELL_CHARS:
            return None
    parsed: list[pa.ChunkedArray | None] = list(table.columns)
    del table
    columns = []
    for index in range(len(parsed)):
        raw, parsed[index] = parsed[index], None  # free each parsed column once trimmed
        columns.append(_stripped_cells(raw))
        del raw
    rows = len(columns[0]) if columns else 0
    # A blank row (a blank line, too) is blank in every column: skipped by the general
    # path, so the lines would shift.
    if rows and all(array.null_count for array in columns):
        all_blank = pc.is_null(columns[0])
        for array in columns[1:]:
            all_blank = pc.and_(all_blank, pc.is_null(array))
        if pc.any(all_blank).as_py():
            return None
    if rows:
        first = [array[0].as_py() for array in columns]
        values = [value for value in first if value]
        if values and all(value.startswith("#") for value in values):
            return None  # HXL hashtag row
    frame = pd.DataFrame(
        {
            name: pd.Series(pd.arrays.ArrowStringArray(array))
            for name, array in zip(header, columns, strict=True)
        },
        columns=header,
    )
    frame.index = pd.RangeIndex(rows)
    notes = list(warnings)
    if not rows:
        notes.append(_("the file has a header but no data rows"))
    return RawTable(
        frame=frame,
        lines=pd.Series(range(2, rows + 2), dtype="int64", name="line"),
        encoding=encoding,
        delimiter=delimiter,
        warnings=tuple(notes),
    )


def _stripped_cells(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """What :func:`_stripped_text` makes of the cells: whitespace trimmed, empty -> null.

    Trimming copies every cell, so a chunk is trimmed only when one of its cells may start
    or end with whitespace (usually none: exports write ``a,b``, not ``a , b``); empty
    cells become null through a validity bitmap, without copying the text.
    """
    chunks = []
    for chunk in column.chunks:
        if _may_need_trim(chunk):
            chunk = pc.utf8_trim_whitespace(chunk)
        chunks.append(_empty_as_null(chunk))
    return pa.chunked_array(chunks, type=column.type)


def _string_offsets(chunk: pa.Array) -> np.ndarray:
    """The ``len + 1`` value offsets of a large_string array."""
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)
    return offsets[chunk.offset : chunk.offset + len(chunk) + 1]


def _may_need_trim(chunk: pa.Array) -> bool:
    """False when no cell starts with a byte that can start whitespace or ends with one that can end it."""
    offsets = _string_offsets(chunk)
    if len(chunk) == 0 or offsets[-1] == offsets[0]:
        return False  # no text at all
    text = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)
    # An empty cell reads its neighbour's byte (clipped at the ends): that can only ask for
    # a needless trim, never skip a needed one.
    first = text.take(offsets[:-1], mode="clip")
    last = text.take(offsets[1:] - 1, mode="clip")
    suspects = np.flatnonzero(_MAY_START_SPACE.take(first) | _MAY_END_SPACE.take(last))
    if len(suspects) == 0:
        return False
    if len(suspects) > len(chunk) // 4:
        return True  # trimming the whole chunk costs about as much as looking closer
    # Bytes such as 0xA9 also end accented letters ("é"): trim the suspects alone to see.
    cells = chunk.take(pa.array(suspects))
    return not pc.utf8_trim_whitespace(cells).equals(cells)


def _empty_as_null(chunk: pa.Array) -> pa.Array:
    """Empty strings as nulls (``if_else(cell == "", null, cell)``)."""
    if chunk.null_count or chunk.offset:
        return pc.if_else(pc.equal(chunk, ""), pa.scalar(None, chunk.type), chunk)
    offsets = _string_offsets(chunk)
    filled = offsets[1:] != offsets[:-1]
    if filled.all():
        return chunk
    validity = pa.py_buffer(np.packbits(filled, bitorder="little"))
    return pa.Array.from_buffers(
        chunk.type, len(chunk), [validity, *chunk.buffers()[1:]], null_count=len(chunk) - int(filled.sum())
    )


# --- XLSX ----------------------------------------------------------------------------------


def _unreadable_workbook(label: str, exc: Exception) -> FileLevelError:
    return FileLevelError(
        _(
            "{label} is not a readable XLSX workbook ({exc}); open it in Excel or LibreOffice and "
            "save it again as .xlsx or CSV."
        ).format(label=label, exc=exc)
    )


def _too_big_workbook(label: str, what: str) -> FileLevelError:
    return FileLevelError(
        _(
            "{label} {what}; save the sheet as CSV UTF-8 and import that (or split it into smaller files)."
        ).format(label=label, what=what)
    )


def _check_xlsx_archive(data: bytes, label: str) -> None:
    """Refuse a workbook whose zip members would expand beyond the XLSX limits, before parsing it.

    The sizes are the archive's own declarations, which Python's zip reader enforces (it
    never returns more than a member's declared size).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable_workbook(label, exc) from exc
    if len(members) > MAX_XLSX_MEMBERS:
        raise _too_big_workbook(
            label,
            _("holds {n} files, over the limit of {limit}").format(
                n=format(len(members), ","), limit=format(MAX_XLSX_MEMBERS, ",")
            ),
        )
    total = sum(member.file_size for member in members)
    if total > MAX_XLSX_UNCOMPRESSED:
        raise _too_big_workbook(
            label,
            _("expands to {size} of XML, over the limit of {limit}").format(
                size=megabytes(total), limit=megabytes(MAX_XLSX_UNCOMPRESSED)
            ),
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 10 * 2**20 and ratio > MAX_XLSX_RATIO:
            raise _too_big_workbook(
                label,
                _(
                    "has a part ({filename}) that expands {ratio} times, over the limit of {limit} "
                    '(a compressed "zip bomb")'
                ).format(filename=member.filename, ratio=format(ratio, ",.0f"), limit=MAX_XLSX_RATIO),
            )


@contextmanager
def _xlsx_rows(data: bytes, label: str) -> Iterator[Iterator[Record]]:
    """Rows of the first sheet that holds any value, cells converted to text, streamed.

    Checked first against the XLSX limits (:func:`_check_xlsx_archive`); the sheet's cells
    are counted as they are read, so no sheet can make the import read more than
    :data:`MAX_XLSX_CELLS` of them.
    """
    _check_xlsx_archive(data, label)
    # openpyxl is imported lazily: most imports are CSV and it is slow to import.
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise _unreadable_workbook(label, exc) from exc
    try:
        yield _first_sheet_records(workbook, label)
    finally:
        workbook.close()


def _first_sheet_records(workbook: Any, label: str) -> Iterator[Record]:
    cells_read = 0
    for sheet in workbook.worksheets:
        rows, cols = sheet.max_row, sheet.max_column  # the sheet's declared dimension, if any
        if rows and cols and rows * cols > MAX_XLSX_CELLS:
            raise _too_big_workbook(
                label,
                _("has a sheet of {rows} rows x {cols} columns, over the limit of {limit} cells").format(
                    rows=format(rows, ","), cols=format(cols, ","), limit=format(MAX_XLSX_CELLS, ",")
                ),
            )
        found = False
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells_read += len(row)
            if cells_read > MAX_XLSX_CELLS:
                raise _too_big_workbook(
                    label, _("has more than {limit} cells").format(limit=format(MAX_XLSX_CELLS, ","))
                )
            cells = [_cell_text(value) for value in row]
            if any(cell is not None for cell in cells):
                found = True
                yield number, cells
        if found:
            return
    raise FileLevelError(
        _(
            "{label} is a workbook with no data in any sheet; put the table with its header row in "
            "the first sheet and save again."
        ).format(label=label)
    )


def _cell_text(value: object) -> str | None:
    """One Excel value as the text an analyst sees (see the module docstring)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- shared --------------------------------------------------------------------------------


def _build_table(
    records: Iterable[Record],
    label: str,
    *,
    encoding: str,
    delimiter: str | None,
    warnings: tuple[str, ...] = (),
) -> RawTable:
    """Header checks, HXL row skip, ragged-row handling, then one text column per header name.

    A CSV row with fewer cells than the header is rejected (``truncated_row``): its cells
    cannot be told apart from a cut-off row's. An XLSX row is padded (a sheet leaves empty
    cells out). Extra cells are dropped with a note. Rows whose cells are too long or hold a
    NUL character are rejected too (:func:`_take_unreadable`).

    Rows are turned into columns every :data:`_CHUNK_ROWS` records, so a million-row file
    never holds all its cells as Python strings at once.
    """
    rejected: list[ImportIssue] = []
    with _gc_paused():
        rows = iter(records)
        first = next(rows, None)
        if first is None:
            raise FileLevelError(_("{label} is empty; {hint}.").format(label=label, hint=_(EMPTY_TABLE_HINT)))
        header = _checked_header(first[1], label, delimiter)
        width = len(header)
        lines: list[int] = []
        chunk: list[Sequence[str | None]] = []
        chunk_lines: list[int] = []
        parts: list[list[pd.Series]] = []
        short: list[int] = []
        long: list[int] = []

        def flush() -> None:
            columns = _text_columns(chunk, width)
            columns, kept = _take_unreadable(columns, chunk_lines, header, rejected)
            parts.append(columns)
            lines.extend(kept)

        for line, row in _skip_hxl_row(rows):
            if len(row) != width:
                if len(row) < width:
                    if delimiter is not None:
                        rejected.append(_truncated(line, row, header))
                        continue
                    short.append(line)
                    row = [*row, *([None] * (width - len(row)))]
                else:
                    if "".join(cell or "" for cell in row[width:]).strip():
                        long.append(line)
                    row = row[:width]
            chunk_lines.append(line)
            chunk.append(row)
            if len(chunk) == _CHUNK_ROWS:
                flush()
                chunk, chunk_lines = [], []
        if chunk or not parts:
            flush()
    frame = _text_frame(header, parts)
    notes = list(warnings)
    if long:
        notes.append(
            _(
                "{n} row(s) have more cells than the header (first on line {line}); the extra cells "
                "were dropped"
            ).format(n=len(long), line=long[0])
        )
    if short:
        notes.append(
            _(
                "{n} row(s) have fewer cells than the header (first on line {line}); the missing "
                "cells were left empty"
            ).format(n=len(short), line=short[0])
        )
    if not lines and not rejected:
        notes.append(_("the file has a header but no data rows"))
    return RawTable(
        frame=frame,
        lines=pd.Series(lines, dtype="int64", name="line"),
        encoding=encoding,
        delimiter=delimiter,
        warnings=tuple(notes),
        rejected=tuple(sorted(rejected, key=lambda issue: issue.line or 0)),
    )


def _quoted(cell: str) -> str:
    """The start of a cell as the report quotes it (NUL shown as U+2400)."""
    text = cell.replace("\x00", "\u2400")
    return text if len(text) <= _QUOTED_CHARS else text[:_QUOTED_CHARS] + "…"


def _truncated(line: int, row: Sequence[str | None], header: list[str]) -> ImportIssue:
    last = (row[-1] or "").strip() if row else ""
    missing = header[len(row) :]
    names = ", ".join(missing[:3]) + (", …" if len(missing) > 3 else "")
    return ImportIssue(
        line=line,
        column=header[len(row) - 1] if row else None,
        code="truncated_row",
        severity="error",
        message=(
            _(
                "row has {n} of the header's {width} cells (no {names}): the file may be cut off "
                "here or a delimiter or quote is missing, so its last cell may be cut too; row not "
                "imported (export the file again or fix the row)"
            ).format(n=len(row), width=len(header), names=names)
        ),
        value=_quoted(last) if last else None,
    )


def _clean_column(column: pd.Series) -> bool:
    """True when no cell can be over MAX_CELL_CHARS (bytes >= characters) and none holds a NUL."""
    if not isinstance(column.array, pd.arrays.ArrowStringArray):
        return False
    array = column.array.__arrow_array__()
    longest = pc.max(pc.binary_length(array)).as_py() or 0
    if longest > MAX_CELL_CHARS:
        return False
    # A NUL byte anywhere in the text buffers (a superset of the cells': then look closer);
    # 20x faster than matching every cell.
    for chunk in array.chunks:
        data = chunk.buffers()[2]
        if data is not None and np.frombuffer(data, dtype=np.uint8).min(initial=1) == 0:
            return False
    return True


def _take_unreadable(
    columns: list[pd.Series], lines: list[int], header: list[str], rejected: list[ImportIssue]
) -> tuple[list[pd.Series], list[int]]:
    """Drop the rows holding a cell over MAX_CELL_CHARS or a NUL character; report each such cell.

    Vectorised per column (one pass of pyarrow over the text), so clean chunks cost little.
    """
    bad = np.zeros(len(lines), dtype=bool)
    found: list[tuple[int, int, str, str]] = []  # (position, column, code, cell)
    for index, column in enumerate(columns):
        if not len(column) or _clean_column(column):
            continue
        too_long = (column.str.len() > MAX_CELL_CHARS).to_numpy(dtype=bool, na_value=False)
        has_nul = column.str.contains("\x00", regex=False).to_numpy(dtype=bool, na_value=False)
        for code, mask in (("cell_too_long", too_long), ("nul_byte", has_nul)):
            for position in np.flatnonzero(mask).tolist():
                found.append((position, index, code, str(column.iloc[position])))
            bad |= mask
    if not found:
        return columns, lines
    for position, index, code, cell in sorted(found, key=lambda item: (item[0], item[1])):
        if code == "cell_too_long":
            message = _(
                "cell has {n} characters, over the limit of {limit} per cell; row not "
                "imported (shorten the cell)"
            ).format(n=format(len(cell), ","), limit=format(MAX_CELL_CHARS, ","))
        else:
            message = _(
                "cell holds a NUL character (shown as \u2400), a sign of a damaged file; row not imported"
                " (remove the character or export the file again)"
            )
        rejected.append(ImportIssue(lines[position], header[index], code, "error", message, _quoted(cell)))
    keep = np.flatnonzero(~bad)
    kept = [column.iloc[keep].reset_index(drop=True) for column in columns]
    return kept, [lines[position] for position in keep.tolist()]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of row lists are allocated.

    Those allocations trigger full collections over every live cell again and again
    (measured: 3x slower on a million ACLED rows); rows hold no reference cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _checked_header(row: Sequence[str | None], label: str, delimiter: str | None) -> list[str]:
    """Stripped header names; trailing unnamed columns (Excel leftovers) are dropped."""
    names = [(cell or "").replace("\ufeff", "").strip() for cell in row]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise FileLevelError(
            _("{label} has no header row; add a first row naming each column.").format(label=label)
        )
    if all(_LOOKS_LIKE_DATA.match(name) for name in names):
        raise FileLevelError(
            _(
                "{label} has no header row (the first row holds values such as {names}); add a first row "
                "naming each column."
            ).format(label=label, names=repr(names[0]))
        )
    if len(names) == 1 and delimiter is not None:
        raise FileLevelError(
            _(
                "{label} is not a table: its first line has a single column; save it as CSV with commas, "
                "semicolons, tabs or pipes between the columns."
            ).format(label=label)
        )
    unnamed = [index + 1 for index, name in enumerate(names) if not name]
    # A leading unnamed column may be row numbers (pandas, R): _without_row_numbers decides.
    if unnamed and unnamed != [1]:
        raise _unnamed_columns(label, unnamed)
    seen: dict[str, int] = {}
    duplicates: list[str] = []
    for index, name in enumerate(names, start=1):
        key = name.casefold()
        if key in seen:
            duplicates.append(
                _("{name} (columns {seen} and {index})").format(name=repr(name), seen=seen[key], index=index)
            )
        else:
            seen[key] = index
    if duplicates:
        raise FileLevelError(
            _(
                "{label} has duplicate column names in its header: {names}; rename them so each column "
                "name is unique."
            ).format(label=label, names=", ".join(duplicates))
        )
    return names


def _unnamed_columns(label: str, unnamed: list[int]) -> FileLevelError:
    return FileLevelError(
        _(
            "{label}: header column(s) {unnamed} have no name; give every column a name in the first row."
        ).format(label=label, unnamed=unnamed)
    )


def _without_row_numbers(table: RawTable, label: str) -> RawTable:
    """``table`` without a leading row-number column, with a note saying it was ignored.

    pandas' ``to_csv()`` writes its index first under an empty header cell (``Unnamed: 0``
    once read back and written again), R's ``write.csv`` its row names under ``""`` (``X``
    or ``...1`` after a round trip through R). Such a column holds distinct non-negative
    integers: 0- or 1-based, with gaps when rows were filtered out before saving. A leading
    column with an empty header whose values are anything else is refused, as any unnamed
    column is: it may hold data the analyst must name.
    """
    columns = list(table.frame.columns)
    if not columns:
        return table
    header = str(columns[0])
    names = {str(name).casefold() for name in columns}
    candidate = header.casefold() in ROW_NUMBER_HEADERS and not (header.casefold() == "x" and "y" in names)
    if candidate and _holds_row_numbers(table.frame[header]):
        shown = _("with an empty header") if not header else _("headed {header}").format(header=repr(header))
        note = _("column 1 ({shown}) holds row numbers, as pandas and R write them, and was ignored").format(
            shown=shown
        )
        return replace(table, frame=table.frame.drop(columns=[header]), warnings=(note, *table.warnings))
    if not header:
        raise _unnamed_columns(label, [1])
    return table


def _holds_row_numbers(values: pd.Series) -> bool:
    """Every cell a distinct non-negative integer written without leading zeros (``0``, ``17``)."""
    text = values.astype("string")
    if text.isna().any() or not bool(text.str.fullmatch(r"0|[1-9][0-9]{0,17}").all()):
        return False
    if _ARROW_STRINGS:  # pyarrow parses a million numbers several times faster than pandas
        numbers = pc.cast(pa.array(text.array), pa.int64())
        return bool(pc.count_distinct(numbers).as_py() == len(text))
    return not pd.to_numeric(text).duplicated().any()


def _skip_hxl_row(rows: Iterator[Record]) -> Iterator[Record]:
    """Drop the HXL hashtag row (``#date``, ``#geo+lat``) that ACLED's HDX files put under the header."""
    first = next(rows, None)
    if first is None:
        return
    values = [cell.strip() for cell in first[1] if cell is not None and cell.strip()]
    if not (values and all(value.startswith("#") for value in values)):
        yield first
    yield from rows


def _text_columns(chunk: list[Sequence[str | None]], width: int) -> list[pd.Series]:
    """One chunk of rows -> stripped string columns with empty cells as <NA>."""
    columns = zip(*chunk, strict=True) if chunk else ([] for _unused in range(width))
    return [_stripped_text(values) for values in columns]


def _stripped_text(values: Sequence[str | None]) -> pd.Series:
    """Text cells as pandas' string dtype; built through pyarrow directly when pandas stores
    strings there (2-3x faster than ``pd.array`` on a million rows)."""
    if _ARROW_STRINGS:
        array = pa.array(values, type=pa.large_string())
        array = pc.utf8_trim_whitespace(array)
        array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.large_string()), array)
        return pd.Series(pd.arrays.ArrowStringArray(array))
    series = pd.Series(pd.array(values, dtype="string")).str.strip()
    return series.mask(series == "")


def _text_frame(header: list[str], parts: list[list[pd.Series]]) -> pd.DataFrame:
    columns = {
        name: parts[0][index]
        if len(parts) == 1
        else pd.concat([part[index] for part in parts], ignore_index=True)
        for index, name in enumerate(header)
    }
    frame = pd.DataFrame(columns, columns=header)
    frame.index = pd.RangeIndex(len(frame))
    return frame
