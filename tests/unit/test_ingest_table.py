"""Reading CSV/XLSX files into RawTable: encodings, delimiters, physical lines, file-level failures.

Variants (UTF-16, BOM, tab, pipe, XLSX) are generated here from synthetic rows so no
binary fixture is committed (tests/fixtures/import/README.md).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from incidents.errors import FileLevelError
from incidents.ingest import file_reader as table_module
from incidents.ingest.file_reader import read_raw_table
from incidents.ingest.staged import RawTable

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"

# Header line 1; record A spans lines 2-3 (quoted multi-line note); blank line 4; record B line 5.
SAMPLE = (
    "id,event_date,latitude,longitude,location,notes\n"
    'A1,2023-01-14,14.0102,-4.2431,Sofara,"first line\nsecond line, with comma"\n'
    "\n"
    "B2,2023-01-20,15.9211,2.4127,Ménaka,plain\n"
)


def _check_sample(table: RawTable) -> None:
    assert list(table.frame.columns) == ["id", "event_date", "latitude", "longitude", "location", "notes"]
    assert table.lines.tolist() == [2, 5]
    assert table.frame["location"].tolist() == ["Sofara", "Ménaka"]
    assert table.frame.loc[0, "notes"] == "first line\nsecond line, with comma"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16")],
)
def test_unicode_encodings_with_and_without_bom(encoding: str, expected: str) -> None:
    table = read_raw_table(SAMPLE.encode(encoding))
    _check_sample(table)
    assert table.encoding == expected
    assert table.warnings == ()


def test_utf16_without_bom_is_recognised_with_a_warning() -> None:
    table = read_raw_table(SAMPLE.encode("utf-16-le"))
    _check_sample(table)
    assert table.warnings == ("encoding guessed as utf-16-le",)


def test_cp1252_is_guessed_with_a_warning() -> None:
    table = read_raw_table(SAMPLE.replace("plain", "d’après « témoin »").encode("cp1252"))
    _check_sample(table)
    assert table.encoding == "cp1252"
    assert table.warnings == ("encoding guessed as cp1252",)
    assert table.frame.loc[1, "notes"] == "d’après « témoin »"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_sniffed(delimiter: str) -> None:
    text = SAMPLE.replace(",", delimiter).replace("second line" + delimiter, "second line,")
    table = read_raw_table(text.encode("utf-8"))
    assert table.delimiter == delimiter
    _check_sample(table)


def test_semicolon_file_with_decimal_commas_and_crlf() -> None:
    text = "Date;Latitude;Longitude;Lieu\r\n12/09/2022;14,35;-4,2;Macina\r\n13/09/2022;15,1;0,5;Gao\r\n"
    table = read_raw_table(text.encode("utf-8"))
    assert table.delimiter == ";"
    assert table.frame["Latitude"].tolist() == ["14,35", "15,1"]
    assert table.lines.tolist() == [2, 3]


def test_quoted_commas_do_not_fool_the_sniffer() -> None:
    text = 'a;b\n"x, y, z";"1, 2"\n"p, q";r\n'
    table = read_raw_table(text.encode("utf-8"))
    assert table.delimiter == ";"
    assert table.frame["a"].tolist() == ["x, y, z", "p, q"]


def test_cells_are_stripped_text_and_empty_is_na() -> None:
    table = read_raw_table(b"\xef\xbb\xbf  id , name \n 1 ,   \n2,  x  \n")
    assert list(table.frame.columns) == ["id", "name"]
    assert table.frame["id"].tolist() == ["1", "2"]
    assert table.frame["name"].isna().tolist() == [True, False]
    assert table.frame.loc[1, "name"] == "x"
    assert all(isinstance(dtype, pd.StringDtype) for dtype in table.frame.dtypes)


def test_rows_of_only_delimiters_are_blank() -> None:
    table = read_raw_table(b"a,b\n1,2\n,,\n , \n3,4\n")
    assert table.lines.tolist() == [2, 5]


def test_short_rows_are_rejected_and_long_rows_trimmed_with_a_warning() -> None:
    table = read_raw_table(b"a,b,c\n1,2\n3,4,5,6\n7,8,9,,\n")
    assert table.frame.shape == (2, 3)
    assert table.frame.loc[0].tolist() == ["3", "4", "5"]
    assert table.lines.tolist() == [3, 4]
    assert [(issue.line, issue.code, issue.column, issue.value) for issue in table.rejected] == [
        (2, "truncated_row", "b", "2")
    ]
    assert table.rows_rejected == 1
    assert any("more cells than the header (first on line 3)" in w for w in table.warnings)
    assert len(table.warnings) == 1  # line 4's extra cells are empty: no warning for them


def test_trailing_unnamed_header_columns_are_dropped() -> None:
    table = read_raw_table(b"a,b,,\n1,2,,\n")
    assert list(table.frame.columns) == ["a", "b"]
    assert table.warnings == ()


def test_header_only_file_gives_an_empty_table_with_a_warning() -> None:
    table = read_raw_table(b"a,b\n")
    assert table.frame.empty
    assert list(table.frame.columns) == ["a", "b"]
    assert table.warnings == ("the file has a header but no data rows",)


def test_acled_api_fixture_multiline_note_keeps_physical_lines() -> None:
    table = read_raw_table(FIXTURES / "acled_api_sample.csv")
    assert table.frame.shape == (12, 31)
    assert table.lines.tolist() == [2, 3, *range(5, 15)]
    assert "\n" in table.frame.loc[1, "notes"]


def test_hdx_hxl_tag_row_is_skipped_and_later_lines_stay_physical() -> None:
    table = read_raw_table(FIXTURES / "acled_hdx_sample.csv")
    assert table.frame.shape == (5, 31)
    assert table.frame.loc[0, "event_id_cnty"] == "MLI80001"
    # header 1, HXL row 2, record 1 line 3, record 2 lines 4-6 (three-line note), then 7, 8, 9
    assert table.lines.tolist() == [3, 4, 7, 8, 9]
    assert not table.frame.apply(lambda col: col.str.startswith("#")).any().any()


def test_hxl_like_data_row_after_the_first_is_kept() -> None:
    table = read_raw_table(b"a,b\n1,2\n#x,#y\n")
    assert table.frame["a"].tolist() == ["1", "#x"]


def test_french_fixture_is_cp1252_semicolon() -> None:
    table = read_raw_table(FIXTURES / "generic_fr_semicolon.csv")
    assert table.delimiter == ";"
    assert table.encoding == "cp1252"
    assert "Localité" in table.frame.columns
    assert table.frame["Latitude"].tolist()[4] == "14,35"
    assert table.lines.tolist() == [2, 3, 4, 5, 6, 7]


def test_rows_are_assembled_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_module, "_CHUNK_ROWS", 2)
    text = "a,b\n" + "".join(f"{i},x{i}\n" for i in range(7)) + '7,"multi\nline"\n8,y\n'
    table = read_raw_table(text.encode("utf-8"))
    assert table.frame["a"].tolist() == [str(i) for i in range(9)]
    assert table.frame.index.equals(pd.RangeIndex(9))
    assert table.lines.tolist() == [*range(2, 10), 11]


def test_path_and_bytes_give_the_same_table(tmp_path: Path) -> None:
    path = tmp_path / "sample.csv"
    path.write_text(SAMPLE, encoding="utf-8")
    from_path, from_bytes = read_raw_table(path), read_raw_table(SAMPLE.encode("utf-8"))
    pd.testing.assert_frame_equal(from_path.frame, from_bytes.frame)
    assert from_path.lines.tolist() == from_bytes.lines.tolist()


# --- XLSX ----------------------------------------------------------------------------------


def _workbook(path: Path, *, empty_first_sheet: bool = False) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    if empty_first_sheet:
        sheet.title = "notes"
        sheet = workbook.create_sheet("data")
    sheet.append(["Date", "Latitude", "Longitude", "Lieu", "Morts", "Note"])
    sheet.append([dt.datetime(2022, 9, 12), 14.35, -4.0, "  Macina ", 3.0, "deux\nlignes"])
    sheet.append([])
    sheet.append([dt.date(2022, 9, 13), 15, 0.5, "Gao", None, True])
    sheet.append([dt.datetime(2022, 9, 14, 6, 30), "15,1", "-1,5", "Hombori", 0, None])
    workbook.save(path)
    return path


def test_xlsx_cells_become_text_and_lines_are_sheet_rows(tmp_path: Path) -> None:
    table = read_raw_table(_workbook(tmp_path / "field.xlsx"))
    assert table.delimiter is None
    assert table.encoding == "xlsx"
    frame = table.frame
    assert frame["Date"].tolist() == ["2022-09-12", "2022-09-13", "2022-09-14 06:30:00"]
    assert frame["Latitude"].tolist() == ["14.35", "15", "15,1"]
    assert frame["Longitude"].tolist() == ["-4", "0.5", "-1,5"]
    assert frame["Lieu"].tolist()[0] == "Macina"
    assert frame["Morts"].tolist()[0] == "3"
    assert frame["Morts"].isna().tolist() == [False, True, False]
    assert frame["Note"].tolist()[:2] == ["deux\nlignes", "TRUE"]
    assert table.lines.tolist() == [2, 4, 5]


def test_xlsx_is_recognised_by_magic_bytes_without_extension(tmp_path: Path) -> None:
    data = _workbook(tmp_path / "field.xlsx").read_bytes()
    assert read_raw_table(data, file_name="upload").frame.shape == (3, 6)


def test_xlsx_uses_first_sheet_with_data(tmp_path: Path) -> None:
    table = read_raw_table(_workbook(tmp_path / "two.xlsx", empty_first_sheet=True))
    assert table.frame.shape == (3, 6)


def test_xlsx_without_data_fails(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(FileLevelError, match="no data in any sheet"):
        read_raw_table(path)


def test_zip_that_is_not_a_workbook_fails() -> None:
    with pytest.raises(FileLevelError, match="not a readable XLSX workbook"):
        read_raw_table(b"PK\x03\x04" + b"\x00" * 64, file_name="archive.zip")


# --- file-level failures -------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"  \n\r\n", "\n".encode("utf-16")])
def test_empty_file_fails(data: bytes) -> None:
    with pytest.raises(FileLevelError, match=r"^x\.csv is empty; export the table again"):
        read_raw_table(data, file_name="x.csv")


def test_binary_garbage_fails() -> None:
    garbage = bytes(range(256)) * 40
    with pytest.raises(FileLevelError, match=r"is not a text table .*binary"):
        read_raw_table(garbage, file_name="blob.bin")


def test_pdf_fails_naming_pdf() -> None:
    with pytest.raises(FileLevelError, match=r"report\.pdf is a PDF document, not a table; export the data"):
        read_raw_table(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", file_name="report.pdf")


def test_legacy_xls_fails_with_save_as_hint() -> None:
    with pytest.raises(FileLevelError, match=r"legacy Excel \.xls .* save it as \.xlsx or CSV"):
        read_raw_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, file_name="old.xls")


def test_over_the_size_limit_fails_naming_limit_and_size(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(SAMPLE.encode("utf-8"))
    size = path.stat().st_size
    with pytest.raises(FileLevelError) as caught:
        read_raw_table(path, max_bytes=100)
    message = str(caught.value)
    assert f"({size:,} bytes)" in message
    assert "over the import limit of 0.0 MB (100 bytes)" in message
    assert "split it into smaller files" in message


def test_missing_file_fails(tmp_path: Path) -> None:
    with pytest.raises(FileLevelError, match="no file at"):
        read_raw_table(tmp_path / "nope.csv")


def test_first_row_of_values_means_no_header() -> None:
    with pytest.raises(FileLevelError, match=r"has no header row .* add a first row naming each column"):
        read_raw_table(b"2023-01-14,14.01,-4.24\n2023-01-15,14.02,-4.25\n", file_name="x.csv")


def test_unnamed_header_column_fails() -> None:
    with pytest.raises(FileLevelError, match=r"header column\(s\) \[2\] have no name"):
        read_raw_table(b"a,,c\n1,2,3\n", file_name="x.csv")


def test_duplicate_header_names_fail_naming_them() -> None:
    with pytest.raises(FileLevelError, match=r"duplicate column names .*'Date' \(columns 1 and 3\)"):
        read_raw_table(b"date,lat,Date\n1,2,3\n", file_name="x.csv")


def test_single_column_text_is_not_a_table() -> None:
    with pytest.raises(FileLevelError, match="is not a table: its first line has a single column"):
        read_raw_table(b"Dear colleagues\nplease find attached\n", file_name="mail.txt")


def test_unclosed_quote_fails_naming_the_line() -> None:
    with pytest.raises(FileLevelError, match="starts on line 3 is never closed"):
        read_raw_table(b'a,b\n1,2\n3,"open\n4,5\n', file_name="x.csv")


def test_sloppy_quotes_are_read_leniently() -> None:
    table = read_raw_table(b'a,b\n1,"say "hi" now"\n2,x\n')
    assert table.frame["a"].tolist() == ["1", "2"]
    assert table.lines.tolist() == [2, 3]


# --- leading row-number column (pandas to_csv, R write.csv) ---------------------------------

ROW_NUMBER_NOTE = "holds row numbers, as pandas and R write them, and was ignored"


def _general_path(monkeypatch: pytest.MonkeyPatch, data: bytes) -> RawTable:
    """``read_raw_table`` with the pyarrow fast path switched off (the csv-module path)."""
    with monkeypatch.context() as patch:
        patch.setattr(table_module, "_arrow_table", lambda *args, **kwargs: None)
        return read_raw_table(data, file_name="f.csv")


@pytest.mark.parametrize("header", ["", '""', "Unnamed: 0", "X", "...1"])
@pytest.mark.parametrize("first", [0, 1])
def test_a_leading_row_number_column_is_ignored_with_a_note_on_both_csv_paths(
    header: str, first: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = (
        f"{header},event_date,latitude,location\n"
        f"{first},2023-01-14,14.0102,Sofara\n"
        f'{first + 1},2023-01-20,15.9211,"Ménaka, cercle"\n'
    ).encode()
    fast = read_raw_table(data, file_name="f.csv")
    assert table_module._fast_table(data, "f.csv") is not None  # the pyarrow path read it
    slow = _general_path(monkeypatch, data)
    for table in (fast, slow):
        assert list(table.frame.columns) == ["event_date", "latitude", "location"]
        assert table.frame["location"].tolist() == ["Sofara", "Ménaka, cercle"]
        assert table.lines.tolist() == [2, 3]
        assert len(table.warnings) == 1 and ROW_NUMBER_NOTE in table.warnings[0]
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.warnings == slow.warnings


def test_row_numbers_with_gaps_left_by_filtering_are_still_row_numbers() -> None:
    table = read_raw_table(b",a,b\n17,x,y\n4,z,w\n230,u,v\n", file_name="f.csv")
    assert list(table.frame.columns) == ["a", "b"]
    assert ROW_NUMBER_NOTE in table.warnings[0]


def test_row_numbers_are_ignored_in_a_file_read_by_the_csv_module_only() -> None:
    # cp1252 text: never the pyarrow path.
    data = b",Lieu,Morts\n0,S\xe9gou,1\n1,Mopti,2\n"
    assert table_module._fast_table(data, "f.csv") is None
    table = read_raw_table(data, file_name="f.csv")
    assert list(table.frame.columns) == ["Lieu", "Morts"]
    assert table.frame["Lieu"].tolist() == ["Ségou", "Mopti"]
    assert any(ROW_NUMBER_NOTE in note for note in table.warnings)
    assert "encoding guessed as cp1252" in table.warnings


def test_row_numbers_are_ignored_in_an_xlsx_written_by_pandas(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    frame = pd.DataFrame({"event_date": ["2023-01-14", "2023-01-20"], "location": ["Sofara", "Menaka"]})
    frame.to_excel(path)  # index=True: header cell A1 empty, 0 and 1 below it
    table = read_raw_table(path)
    assert list(table.frame.columns) == ["event_date", "location"]
    assert table.frame["location"].tolist() == ["Sofara", "Menaka"]
    assert table.lines.tolist() == [2, 3]
    assert ROW_NUMBER_NOTE in table.warnings[0]


@pytest.mark.parametrize(
    "body",
    [
        "Mali,2023-01-14\nNiger,2023-01-20\n",  # text
        "1,2023-01-14\n1,2023-01-20\n",  # repeated
        "1,2023-01-14\n,2023-01-20\n",  # a blank cell
        "1.5,2023-01-14\n2.5,2023-01-20\n",  # decimals
        "-1,2023-01-14\n0,2023-01-20\n",  # negative
        "01,2023-01-14\n02,2023-01-20\n",  # codes with leading zeros
    ],
)
def test_a_leading_unnamed_column_that_is_not_row_numbers_is_refused(body: str) -> None:
    data = f",event_date\n{body}".encode()
    with pytest.raises(FileLevelError, match=r"header column\(s\) \[1\] have no name"):
        read_raw_table(data, file_name="x.csv")


def test_named_row_number_headers_holding_data_are_kept_as_columns() -> None:
    table = read_raw_table(b"X,Y\n500123,1600456\n500987,1600123\n", file_name="f.csv")  # coordinates
    assert list(table.frame.columns) == ["X", "Y"] and table.warnings == ()
    table = read_raw_table(b"Unnamed: 0,a\nfoo,1\nbar,2\n", file_name="f.csv")
    assert list(table.frame.columns) == ["Unnamed: 0", "a"] and table.warnings == ()


def test_an_unnamed_column_after_the_row_numbers_is_still_refused() -> None:
    with pytest.raises(FileLevelError, match=r"header column\(s\) \[1, 3\] have no name"):
        read_raw_table(b",a,,c\n0,1,2,3\n", file_name="x.csv")
