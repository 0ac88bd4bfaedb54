"""Key developments: loaded typed and sorted; a bad line is named."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from incidents.developments import DEVELOPMENT_COLUMNS, load_key_developments
from incidents.errors import FileLevelError

HEADER = "date,date_precision,scope,title,category,source\n"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "dev.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_shipped_file_loads_sorted_and_typed() -> None:
    frame = load_key_developments()
    assert list(frame.columns) == list(DEVELOPMENT_COLUMNS)
    assert frame["date"].dtype == "datetime64[ns]"
    assert frame["date"].is_monotonic_increasing
    assert len(frame) >= 20
    suspension = frame[frame["date"] == pd.Timestamp(2025, 9, 20)]
    assert suspension["title"].str.contains("counter-terrorism cooperation").any()
    assert set(frame["date_precision"]) <= {"day", "week", "month"}


def test_rows_are_sorted_by_date(tmp_path: Path) -> None:
    path = write(tmp_path, "2024-01-02,day,MLI,B,political,x\n2023-05-01,month,ner,A,political,x\n")
    frame = load_key_developments(path)
    assert frame["title"].tolist() == ["A", "B"]
    assert frame["scope"].tolist() == ["NER", "MLI"]


def test_bad_date_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "2024-01-02,day,MLI,ok,political,x\n2024-02-30,day,MLI,bad,political,x\n")
    with pytest.raises(FileLevelError, match=r"dev\.csv, line 3: date '2024-02-30'"):
        load_key_developments(path)


def test_line_counts_quoted_line_breaks(tmp_path: Path) -> None:
    body = '2024-01-02,day,MLI,"two\nlines",political,x\n15/03/2024,day,MLI,bad,political,x\n'
    path = write(tmp_path, body)
    with pytest.raises(FileLevelError, match=r"line 4: date '15/03/2024'"):
        load_key_developments(path)


def test_unknown_precision_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "2024-01-02,year,MLI,t,political,x\n")
    with pytest.raises(FileLevelError, match=r"line 2: date_precision 'year'"):
        load_key_developments(path)


def test_missing_column_is_a_file_level_error(tmp_path: Path) -> None:
    path = tmp_path / "dev.csv"
    path.write_text("date,title\n2024-01-01,x\n", encoding="utf-8")
    with pytest.raises(FileLevelError, match=r"dev\.csv.*missing"):
        load_key_developments(path)


def test_missing_file_is_a_file_level_error(tmp_path: Path) -> None:
    with pytest.raises(FileLevelError, match="not found"):
        load_key_developments(tmp_path / "absent.csv")
