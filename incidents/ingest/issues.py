"""Collect import issues column-wise, then emit them as :class:`ImportIssue` rows in line order.

Checks are vectorised, so they report a *mask* of offending rows with one message
template or a per-row message Series; this collector turns those into report rows
(physical line, the file's own column name) and remembers which rows an error rejects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from string import Formatter
from typing import TypeAlias

import numpy as np
import pandas as pd

from incidents.ingest.staged import ImportIssue, Severity

#: What a :class:`ForFlagged` builder returns: one item per flagged position, in order.
FlaggedItems: TypeAlias = "pd.Series | Sequence[str | None]"


@dataclass(frozen=True)
class ForFlagged:
    """A per-row message or value built for the flagged rows only.

    ``build(positions)`` gets the flagged row positions (ascending) and returns one item
    per position, in that order. A check on a million rows that flags ten builds ten
    strings, where a whole-column Series would build a million and keep ten.
    """

    build: Callable[[np.ndarray], FlaggedItems]


Message: TypeAlias = "str | pd.Series | ForFlagged | Callable[[], str | pd.Series]"
Value: TypeAlias = "pd.Series | ForFlagged | Callable[[], pd.Series] | None"


@dataclass(frozen=True)
class _Chunk:
    positions: np.ndarray
    column: str | None
    code: str
    severity: Severity
    messages: list[str]
    values: list[str | None]


def fill(template: str, **fields: object) -> pd.Series | str:
    """A translated ``template`` with named ``{fields}`` filled, column-wise.

    ``fields`` are Series (one item per flagged row, aligned by index as ``+`` aligns them) or
    scalars; the result is the template's literal parts and the fields concatenated, so a
    message is built with vectorised string additions, whatever order the language puts the
    fields in. Without any Series it is just ``template.format(**fields)``.
    """
    pieces: list[object] = []
    for literal, name, spec, conversion in Formatter().parse(template):
        if literal:
            pieces.append(literal)
        if name is None:
            continue
        value = fields[name]
        if isinstance(value, pd.Series):
            pieces.append(value)
        else:
            if conversion == "r":
                value = repr(value)
            elif conversion == "s":
                value = str(value)
            pieces.append(format(value, spec or ""))
    if not any(isinstance(piece, pd.Series) for piece in pieces):
        return "".join(str(piece) for piece in pieces)
    total: object = ""
    for piece in pieces:
        total = total + piece  # type: ignore[operator]
    return total


def _as_text(items: pd.Series) -> list[str | None]:
    """Items as ``str``, missing ones as ``None``."""
    strings = items.astype("string")
    if isinstance(strings.array, pd.arrays.ArrowStringArray):
        return strings.array.__arrow_array__().to_pylist()  # str or None, without a Python loop
    return [None if pd.isna(item) else str(item) for item in strings]


def _per_row(value: str | pd.Series | None, positions: np.ndarray) -> list[str | None]:
    if value is None or isinstance(value, str):
        return [value] * len(positions)
    return _as_text(value.iloc[positions])


def _flagged(value: ForFlagged, positions: np.ndarray) -> list[str | None]:
    items = value.build(positions)
    if not isinstance(items, pd.Series):
        items = pd.Series(list(items), dtype="object")
    if len(items) != len(positions):
        raise ValueError(f"a ForFlagged builder returned {len(items)} items for {len(positions)} rows")
    return _as_text(items.reset_index(drop=True))


class IssueCollector:
    """Issues for a table of ``len(lines)`` rows; ``rejected`` marks rows with an error."""

    def __init__(self, lines: np.ndarray, source_columns: Mapping[str, str] | None = None) -> None:
        self.lines = np.asarray(lines, dtype=np.int64)
        self.source_columns: Mapping[str, str] = dict(source_columns or {})
        self.rejected = np.zeros(len(self.lines), dtype=bool)
        self._chunks: list[_Chunk] = []

    def column_name(self, canonical: str | None) -> str | None:
        """The file's own name for a canonical column (the canonical name when unmapped)."""
        if canonical is None:
            return None
        return self.source_columns.get(canonical, canonical)

    def add(
        self,
        mask: pd.Series | np.ndarray,
        column: str | None,
        code: str,
        severity: Severity,
        message: Message,
        value: Value = None,
    ) -> int:
        """Report ``code`` for every row in ``mask`` (positional); return how many rows.

        ``message`` and ``value`` may be zero-argument callables or :class:`ForFlagged`
        builders: they are only called when some row is flagged, so checks that pass
        cost no per-row string building.
        """
        if isinstance(mask, np.ndarray) and mask.dtype == bool:
            flags = mask
        else:
            flags = np.asarray(pd.Series(mask).fillna(False).astype(bool), dtype=bool)
        positions = np.flatnonzero(flags)
        if len(positions) == 0:
            return 0
        if severity == "error":
            self.rejected[positions] = True
        if isinstance(message, ForFlagged):
            messages = [str(item) for item in _flagged(message, positions)]
        else:
            if callable(message):
                message = message()
            messages = [str(item) for item in _per_row(message, positions)]
        if isinstance(value, ForFlagged):
            values = _flagged(value, positions)
        else:
            if callable(value):
                value = value()
            values = _per_row(value, positions) if value is not None else [None] * len(positions)
        self._chunks.append(_Chunk(positions, self.column_name(column), code, severity, messages, values))
        return len(positions)

    def to_list(self) -> list[ImportIssue]:
        """All issues, ordered by line, then in the order the checks ran."""
        issues: list[tuple[int, int, ImportIssue]] = []
        for order, chunk in enumerate(self._chunks):
            for line, message, value in zip(
                self.lines[chunk.positions].tolist(), chunk.messages, chunk.values, strict=True
            ):
                issues.append(
                    (line, order, ImportIssue(line, chunk.column, chunk.code, chunk.severity, message, value))
                )
        issues.sort(key=lambda item: (item[0], item[1]))
        return [issue for _line, _order, issue in issues]
