"""Damaged files: no row silently cut, no whole file refused for one bad cell.

Each test runs the real reader, validation and (where it says so) the store. CSV tests run
on both readers: ``fast`` (pyarrow, taken for clean UTF-8 files) and ``general`` (the csv
module, forced by making the fast reader decline, as it does for any file it cannot read
exactly). All rows are SYNTHETIC.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import openpyxl
import pytest

import incidents.ingest.file_reader as table
from incidents.cli.main import main
from incidents.errors import FileLevelError, SchemaError
from incidents.ingest import stream as stream_module
from incidents.ingest.file_reader import MAX_CELL_CHARS, read_raw_table
from incidents.ingest.pipeline import PreparedImport, import_file, prepare_import
from incidents.ingest.stream import NO_FATALITIES_NOTE
from incidents.store import IncidentStore, open_store

TODAY = date(2026, 1, 1)
#: A reduced ACLED layout (as analysts trim exports), recognised as ACLED.
HEADER = (
    "event_id_cnty,event_date,time_precision,event_type,sub_event_type,actor1,country,location,"
    "latitude,longitude,notes,fatalities"
)
PATHS = ("fast", "general")


def row(
    event_id: str,
    *,
    when: str = "2024-03-01",
    lat: str = "14.0102",
    lon: str = "-4.2431",
    note: str = "SYNTHETIC note",
    fatalities: str = "17",
) -> str:
    quoted = '"' + note.replace('"', '""') + '"'
    return f"{event_id},{when},1,Battles,Armed clash,JNIM,Mali,Sofara,{lat},{lon},{quoted},{fatalities}"


def csv_bytes(*rows: str, end: str = "\n", encoding: str = "utf-8") -> bytes:
    return (HEADER + "\n" + "\n".join(rows) + end).encode(encoding)


@pytest.fixture(scope="module")
def store() -> Iterator[IncidentStore]:
    with tempfile.TemporaryDirectory() as folder:
        opened = open_store(f"sqlite:///{folder}/hard.db")
        yield opened
        opened.close()


@contextmanager
def reader(path: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``general``: the fast reader declines every file, as it does for files it cannot read exactly."""
    if path == "fast":
        yield
        return
    with monkeypatch.context() as patch:
        patch.setattr(table, "_arrow_table", lambda *args, **kwargs: None)
        yield


def prepare(data: bytes, store: IncidentStore, name: str = "f.csv", **options: object) -> PreparedImport:
    return prepare_import(data, store, file_name=name, today=TODAY, **options)  # type: ignore[arg-type]


def codes(prepared: PreparedImport) -> list[tuple[int | None, str, str]]:
    return [(issue.line, issue.code, issue.severity) for issue in prepared.report.issues]


# --- 1. truncated rows, empty fatalities -----------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_a_file_cut_off_mid_row_rejects_that_row_at_its_line(
    path: str, store: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = row("CUT1")
    cut = full[: full.index("-4.2431") + len("-4.2")]  # ...,14.0102,-4.2 and nothing after
    data = csv_bytes(row("OK1", lat="16.27", lon="-0.04"), cut, end="")
    with reader(path, monkeypatch):
        prepared = prepare(data, store)
    report = prepared.report
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 1, 1)
    assert codes(prepared) == [(3, "truncated_row", "error")]
    issue = report.issues[0]
    assert issue.column == "longitude" and issue.value == "-4.2"
    assert "notes, fatalities" in issue.message
    assert prepared.rows["source_event_id"].tolist() == ["OK1"]
    assert report.warnings == ()  # said at the row, not only as a file-level note


def test_a_short_row_in_a_windows_1252_file_is_rejected_too(store: IncidentStore) -> None:
    data = csv_bytes(row("OK1", note="SYNTHETIC: à Sofara"), "SHORT1,2024-03-01,1,Battles", encoding="cp1252")
    prepared = prepare(data, store)
    assert codes(prepared) == [(3, "truncated_row", "error")]
    assert prepared.rows["source_event_id"].tolist() == ["OK1"]


def test_a_short_row_of_a_workbook_is_padded_not_rejected(tmp_path: Path, store: IncidentStore) -> None:
    # A sheet leaves empty cells out: a short XLSX row is not a cut-off one.
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append(
        ["X1", "2024-03-01", 1, "Battles", "Armed clash", "JNIM", "Mali", "Sofara", 16.27, -0.04, "SYNTHETIC"]
    )
    path = tmp_path / "field.xlsx"
    book.save(path)
    prepared = prepare(path.read_bytes(), store, name="field.xlsx")
    assert prepared.report.rows_accepted == 1
    assert "truncated_row" not in {code for _, code, _ in codes(prepared)}


@pytest.mark.parametrize("path", PATHS)
def test_empty_fatalities_are_stored_as_zero_with_a_warning_at_the_row(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = csv_bytes(row("Z1", lat="16.27", lon="-0.04", fatalities=""), row("Z2", lat="16.27", lon="-0.04"))
    fresh = open_store(f"sqlite:///{tmp_path / 'z.db'}")
    try:
        with reader(path, monkeypatch):
            report = import_file(data, fresh, file_name="z.csv", today=TODAY)
        stored = fresh.load_incidents().set_index("source_event_id")["fatalities"].to_dict()
    finally:
        fresh.close()
    assert [(i.line, i.code, i.severity, i.column) for i in report.issues] == [
        (2, "fatalities_unknown", "warning", "fatalities")
    ]
    assert "stored as 0" in report.issues[0].message and "unknown" in report.issues[0].message
    assert stored == {"Z1": 0, "Z2": 17}


def test_a_file_without_a_fatalities_column_says_its_zeros_mean_unknown(store: IncidentStore) -> None:
    text = "date,lat,lon,place\n2024-03-01,16.27,-0.04,Gao\n"  # a field sheet without counts
    prepared = prepare(text.encode("utf-8"), store)
    assert prepared.report.rows_accepted == 1 and prepared.rows["fatalities"].tolist() == [0]
    assert prepared.report.warnings == (NO_FATALITIES_NOTE,)
    with_counts = prepare(csv_bytes(row("F1", lat="16.27", lon="-0.04")), store)
    assert NO_FATALITIES_NOTE not in with_counts.report.warnings


# --- 2. digits of other scripts ----------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("fatalities", "lat", "when"),
    [
        ("١٢", "16.27", "2024-03-01"),  # Arabic-Indic
        ("１２", "１６.２７", "２０２４-０３-０１"),  # full-width
        ("۱۲", "١٦٫٢٧", "٢٠٢٤-٠٣-٠١"),  # Persian digits; Arabic decimal separator
        ("१२", "16.27", "2024-03-01"),  # Devanagari
    ],
)
def test_digits_of_other_scripts_are_read_as_the_numbers_they_are(
    path: str,
    fatalities: str,
    lat: str,
    when: str,
    store: IncidentStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = csv_bytes(
        row("D1", lat=lat, lon="−0.04", when=when, fatalities=fatalities), row("D2", lat="16.27")
    )
    with reader(path, monkeypatch):
        prepared = prepare(data, store)
    assert codes(prepared) == []
    first = prepared.rows.set_index("source_event_id").loc["D1"]
    assert first["fatalities"] == 12
    assert (first["latitude"], first["longitude"]) == (16.27, -0.04)
    assert str(first["event_date"].date()) == "2024-03-01"


@pytest.mark.parametrize("path", PATHS)
def test_a_digit_count_too_long_is_one_bad_row_not_a_failed_file(
    path: str, store: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = csv_bytes(row("D1", lat="16.27", lon="-0.04", fatalities="١٢٣٤٥٦٧٨٩٠١"), row("D2", lat="16.27"))
    with reader(path, monkeypatch):
        prepared = prepare(data, store)
    assert codes(prepared) == [(2, "bad_fatalities", "error")]
    assert prepared.rows["source_event_id"].tolist() == ["D2"]


def test_a_failure_while_rows_are_checked_still_writes_the_cli_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A defect found while checking rows (as the fatalities conversion once was) fails the
    # file; the report is written all the same, with the message and no batch.
    def broken(*_args: object, **_kwargs: object) -> object:
        raise SchemaError("column 'fatalities' cannot be converted to int64")

    monkeypatch.setenv("SAHEL_DB_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setattr(stream_module, "validate_staged", broken)
    source = tmp_path / "rows.csv"
    source.write_bytes(csv_bytes(row("C1")))
    report_path = tmp_path / "report.json"
    assert main(["import", str(source), "--report", str(report_path)]) == 2
    assert "cannot be converted" in capsys.readouterr().err
    failure = json.loads(report_path.read_text(encoding="utf-8"))
    assert failure["batch_id"] is None and "cannot be converted" in failure["error"]


# --- 3. long cells -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_a_cell_over_the_csv_modules_limit_is_read(
    path: str, store: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = "SYNTHETIC " + "x" * 140_000  # over the csv module's default 131,072
    data = csv_bytes(row("L1", lat="16.27", lon="-0.04", note=note), row("L2", lat="16.27"))
    with reader(path, monkeypatch):
        prepared = prepare(data, store)
    assert codes(prepared) == []
    assert prepared.rows.set_index("source_event_id").loc["L1", "notes"] == note


@pytest.mark.parametrize("path", PATHS)
def test_a_cell_over_the_limit_rejects_its_row_not_the_file(
    path: str, store: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = "SYNTHETIC\n" + "y" * MAX_CELL_CHARS  # one character over, on the record's second line
    data = csv_bytes(row("L1", lat="16.27"), row("L2", lat="16.27", note=note), row("L3", lat="16.27"))
    with reader(path, monkeypatch):
        prepared = prepare(data, store)
    assert codes(prepared) == [(3, "cell_too_long", "error")]
    issue = prepared.report.issues[0]
    assert issue.column == "notes" and f"{MAX_CELL_CHARS + 10:,} characters" in issue.message
    assert len(issue.value or "") < 100
    assert prepared.rows["source_event_id"].tolist() == ["L1", "L3"]


# --- 5. NUL bytes and encodings -----------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_a_nul_byte_rejects_its_row_at_its_line(
    path: str, store: IncidentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = csv_bytes(
        row("N1", lat="16.27", note="SYNTHETIC\nsecond line"),  # lines 2-3
        row("N2", lat="16.27", note="SYNTHETIC bad\x00byte"),  # line 4
        row("N3", lat="16.27"),
    )
    with reader(path, monkeypatch):
        prepared = prepare(data, store)
    assert codes(prepared) == [(4, "nul_byte", "error")]
    assert prepared.report.issues[0].column == "notes"
    assert prepared.report.issues[0].value == "SYNTHETIC bad\u2400byte"
    assert prepared.rows["source_event_id"].tolist() == ["N1", "N3"]


def test_binary_data_is_still_refused_as_a_whole() -> None:
    with pytest.raises(FileLevelError, match="not a text table"):
        read_raw_table(b"a,b\n" + bytes(range(32)) * 100, file_name="blob.csv")


FRENCH = "SYNTHETIC: attaque près de Ménaka, café brûlé, à Sévaré"


@pytest.mark.parametrize(
    ("encoding", "note"),
    [
        ("shift_jis", "SYNTHETIC 日本語のメモ"),
        ("mac_roman", FRENCH),
        ("cp850", FRENCH),
    ],
)
def test_encodings_not_read_are_refused_unless_named(encoding: str, note: str, store: IncidentStore) -> None:
    data = csv_bytes(row("E1", lat="16.27", lon="-0.04", note=note), encoding=encoding)
    with pytest.raises(FileLevelError) as caught:
        prepare(data, store)
    message = str(caught.value)
    assert "UTF-8, UTF-16, Windows-1252" in message and "--encoding" in message
    prepared = prepare(data, store, encoding=encoding)
    assert prepared.rows["notes"].tolist() == [note]


def test_windows_1252_is_still_read_without_being_named(store: IncidentStore) -> None:
    note = "SYNTHETIC: d’après « témoin », 3 morts à Sévaré — œuvre"
    prepared = prepare(csv_bytes(row("W1", lat="16.27", lon="-0.04", note=note), encoding="cp1252"), store)
    assert prepared.rows["notes"].tolist() == [note]
    assert prepared.report.warnings == ("encoding guessed as cp1252",)


def test_a_named_encoding_that_does_not_fit_fails_naming_the_byte(store: IncidentStore) -> None:
    with pytest.raises(FileLevelError, match=r"cannot be read as utf-8: byte 0xE9"):
        prepare(csv_bytes(row("E1", note="café"), encoding="cp1252"), store, encoding="utf-8")


def test_cli_encoding_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAHEL_DB_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    source = tmp_path / "dos.csv"
    source.write_bytes(csv_bytes(row("E1", lat="16.27", lon="-0.04", note=FRENCH), encoding="cp850"))
    report_path = tmp_path / "report.json"
    assert main(["import", str(source), "--dry-run", "--report", str(report_path)]) == 2
    assert "Windows-1252" in capsys.readouterr().err
    assert json.loads(report_path.read_text(encoding="utf-8"))["batch_id"] is None
    assert main(["import", str(source), "--encoding", "CP850"]) == 0
    assert "1 accepted" in capsys.readouterr().out
    assert main(["import", str(source), "--encoding", "klingon"]) == 2
    assert "not a text encoding Python knows" in capsys.readouterr().err
    assert main(["import", str(source), "--encoding", "rot13"]) == 2


# --- 4. XLSX bombs ------------------------------------------------------------------------------


def _workbook(rows: int, columns: int = 3) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([f"col{index}" for index in range(columns)])
    for number in range(rows):
        sheet.append([f"SYNTHETIC {number}-{index}" for index in range(columns)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rezip(data: bytes, change: dict[str, bytes]) -> bytes:
    """The workbook with some members replaced (written with maximum compression)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            content = change.get(item.filename, source.read(item.filename))
            target.writestr(item.filename, content, compresslevel=9)
    return out.getvalue()


def test_a_workbook_that_expands_too_far_is_refused_before_parsing() -> None:
    data = _workbook(2)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    # 12 MiB of blanks inside the XML (valid XML): a few kB compressed, over the ratio limit.
    padded = sheet.replace(b"<sheetData>", b"<sheetData>" + b" " * (12 * 2**20), 1)
    bomb = _rezip(data, {"xl/worksheets/sheet1.xml": padded})
    assert len(bomb) < 100_000
    with pytest.raises(
        FileLevelError, match=r"expands .* times, over the limit of 200 .*save the sheet as CSV"
    ):
        read_raw_table(bomb, file_name="bomb.xlsx")


def test_a_workbook_over_the_uncompressed_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _workbook(50)
    monkeypatch.setattr(table, "MAX_XLSX_UNCOMPRESSED", 20_000)
    with pytest.raises(FileLevelError, match=r"expands to .* of XML, over the limit of"):
        read_raw_table(data, file_name="big.xlsx")


@pytest.mark.parametrize("declared", [True, False])
def test_a_sheet_over_the_cell_limit_is_refused(declared: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _workbook(40)  # 41 rows x 3 columns = 123 cells
    if not declared:  # no <dimension>: the cells are counted as they are streamed
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheet = archive.read("xl/worksheets/sheet1.xml")
        start = sheet.index(b"<dimension")
        sheet = sheet[:start] + sheet[sheet.index(b"/>", start) + 2 :]
        data = _rezip(data, {"xl/worksheets/sheet1.xml": sheet})
    monkeypatch.setattr(table, "MAX_XLSX_CELLS", 120)
    with pytest.raises(FileLevelError, match=r"(41 rows x 3 columns|more than 120 cells)"):
        read_raw_table(data, file_name="cells.xlsx")
    monkeypatch.setattr(table, "MAX_XLSX_CELLS", 123)
    assert len(read_raw_table(data, file_name="cells.xlsx").frame) == 40


def test_cli_refuses_a_workbook_bomb_with_exit_2_and_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAHEL_DB_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setattr(table, "MAX_XLSX_UNCOMPRESSED", 20_000)
    source = tmp_path / "bomb.xlsx"
    source.write_bytes(_workbook(50))
    report_path = tmp_path / "report.json"
    assert main(["import", str(source), "--dry-run", "--report", str(report_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: bomb.xlsx expands to") and err.count("\n") == 1
    assert json.loads(report_path.read_text(encoding="utf-8"))["batch_id"] is None


def test_the_readme_lists_every_reason_code() -> None:
    from incidents.ingest.staged import REASON_CODES

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert [code for code in REASON_CODES if f"`{code}`" not in readme] == []
