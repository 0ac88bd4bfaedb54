"""Key developments: dated political and military milestones drawn on the timeline.

Shipped as a small CSV (``incidents/data/key_developments.csv``) that seeds the store's
``key_developments`` table (migration 2); analysts then edit the store's copy
(:mod:`incidents.store.developments`). The CSV is checked on load so that a typo in a date
names the file and line instead of silently dropping a milestone from every chart.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Final

import pandas as pd

from geodata.errors import DataFileError
from geodata.io import read_table
from incidents.errors import FileLevelError
from incidents.i18n import _
from incidents.model import DATE_PRECISIONS

KEY_DEVELOPMENTS_FILE: Final = Path(__file__).resolve().parent / "data" / "key_developments.csv"
DEVELOPMENT_COLUMNS: Final = ("date", "date_precision", "scope", "title", "category", "source")
DATE_FORMAT: Final = "%Y-%m-%d"


def _record_lines(path: Path) -> list[int]:
    """1-based physical line where each data record starts (header = line 1).

    Titles may hold quoted line breaks, so the row index alone would point at the
    wrong line.
    """
    starts: list[int] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        previous_end = 0
        for row_number, row in enumerate(reader):
            start = previous_end + 1
            previous_end = reader.line_num
            if row_number == 0 or not any(cell.strip() for cell in row):
                continue  # header, and blank lines pandas skips too
            starts.append(start)
    return starts


def _fail(path: Path, lines: list[int], position: int, problem: str) -> FileLevelError:
    line = lines[position] if position < len(lines) else position + 2
    return FileLevelError(_("{path}, line {line}: {problem}").format(path=path, line=line, problem=problem))


def load_key_developments(path: Path = KEY_DEVELOPMENTS_FILE) -> pd.DataFrame:
    """Developments sorted by date, ``date`` as datetime64 and text columns as strings.

    Raises :class:`~incidents.errors.FileLevelError` naming the file (and the line, for a
    bad date, precision or empty title).
    """
    path = Path(path)
    try:
        raw = read_table(path, DEVELOPMENT_COLUMNS, dtype=dict.fromkeys(DEVELOPMENT_COLUMNS, "string"))
    except DataFileError as exc:
        raise FileLevelError(f"{exc.path}: {exc.problem}") from exc
    frame = raw[list(DEVELOPMENT_COLUMNS)].copy()
    for column in DEVELOPMENT_COLUMNS:
        frame[column] = frame[column].astype("string").str.strip()
    lines = _record_lines(path)

    dates = pd.to_datetime(frame["date"], format=DATE_FORMAT, errors="coerce")
    bad_dates = dates.isna().to_numpy().nonzero()[0]
    if len(bad_dates):
        first = int(bad_dates[0])
        raise _fail(
            path,
            lines,
            first,
            _("date {value} is not a YYYY-MM-DD date").format(value=repr(frame["date"].iloc[first])),
        )
    frame["date_precision"] = frame["date_precision"].fillna("day")
    bad_precision = (~frame["date_precision"].isin(DATE_PRECISIONS)).to_numpy().nonzero()[0]
    if len(bad_precision):
        first = int(bad_precision[0])
        raise _fail(
            path,
            lines,
            first,
            _("date_precision {value} is not one of {allowed}").format(
                value=repr(frame["date_precision"].iloc[first]), allowed=list(DATE_PRECISIONS)
            ),
        )
    empty_titles = frame["title"].fillna("").eq("").to_numpy().nonzero()[0]
    if len(empty_titles):
        raise _fail(path, lines, int(empty_titles[0]), _("title is empty"))

    frame["date"] = dates.astype("datetime64[ns]")
    frame["scope"] = frame["scope"].str.upper()
    return frame.sort_values("date", kind="stable").reset_index(drop=True)
