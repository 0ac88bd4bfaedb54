"""Property tests of the whole import path: no input crashes it, no valid row is lost."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from incidents.errors import IncidentsError
from incidents.ingest.pipeline import prepare_import
from incidents.store import IncidentStore, open_store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "acled_api_sample.csv"
TODAY = date(2026, 1, 1)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def empty_store() -> Iterator[IncidentStore]:
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/prop.db")
        yield store
        store.close()


def _fixture_rows() -> tuple[list[str], list[list[str]]]:
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _to_csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # so cells holding \r or \n get quoted
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@SETTINGS
@given(data=st.binary(max_size=2_000))
@example(data=b"\x01\x00\x01\x00\x01")  # odd-length UTF-16 without BOM once escaped as UnicodeDecodeError
def test_arbitrary_bytes_never_raise_anything_but_a_domain_error(
    empty_store: IncidentStore, data: bytes
) -> None:
    try:
        report = prepare_import(data, empty_store, file_name="fuzz.csv", today=TODAY).report
    except IncidentsError as exc:
        assert str(exc)  # a file-level failure always says what is wrong
        return
    assert report.rows_read == report.rows_accepted + report.rows_rejected + report.rows_duplicate


HEADER, ROWS = _fixture_rows()
cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)


@pytest.mark.slow
@SETTINGS
@given(
    mutations=st.lists(
        st.tuples(st.integers(0, len(ROWS) - 1), st.integers(0, len(HEADER) - 1), cell_text),
        min_size=1,
        max_size=8,
    )
)
def test_mutated_valid_file_keeps_every_untouched_row(
    empty_store: IncidentStore, mutations: list[tuple[int, int, str]]
) -> None:
    rows = [list(row) for row in ROWS]
    touched = set()
    for row_index, column_index, value in mutations:
        rows[row_index][column_index] = value
        touched.add(row_index)
    try:
        prepared = prepare_import(_to_csv(HEADER, rows), empty_store, file_name="mut.csv", today=TODAY)
    except IncidentsError:
        # Only header-level damage may fail the file; cell mutations never touch the header.
        pytest.fail("a file with an intact header and mutated cells must not fail as a whole")
    report = prepared.report
    assert report.rows_read == len(rows)
    assert report.rows_read == report.rows_accepted + report.rows_rejected + report.rows_duplicate
    kept = set(prepared.rows["source_event_id"])
    id_column = HEADER.index("event_id_cnty")
    ids = [row[id_column] for row in rows]
    for index, row in enumerate(rows):
        untouched = index not in touched
        unique_id = ids.count(row[id_column]) == 1
        if untouched and unique_id:
            assert row[id_column] in kept, f"valid row {row[id_column]} was lost"


# --- damaged files: every valid row stored once, every damaged row reported at its line ---------

#: Damage done to a row of the fixture. "digits" rewrites its fatalities in another script,
#: which must still be read (the row stays valid); every other kind makes the row invalid.
DAMAGES = ("truncate", "nul", "long", "bad_fatalities", "digits")
SCRIPTS = (
    "\u0660",
    "\uff10",
    "\u0966",
    "\u06f0",
)  # the zero of Arabic-Indic, full-width, Devanagari, Persian
FATALITIES = HEADER.index("fatalities")
NOTES = HEADER.index("notes")
#: MAX_CELL_CHARS for these examples (the real 8 MiB limit is tested in test_import_hardening.py).
SMALL_CELL_LIMIT = 400


def _in_script(number: str, zero: str) -> str:
    return "".join(chr(ord(zero) + int(digit)) for digit in number)


damage = st.one_of(
    st.tuples(st.just("truncate"), st.integers(1, len(HEADER) - 1), st.integers(0, 20)),
    st.tuples(st.just("nul"), st.integers(0, len(HEADER) - 1), st.integers(0, 20)),
    st.tuples(st.just("long"), st.just(NOTES), st.integers(1, 50)),
    st.tuples(st.just("bad_fatalities"), st.just(FATALITIES), st.just(0)),
    st.tuples(st.just("digits"), st.just(FATALITIES), st.integers(0, len(SCRIPTS) - 1)),
)


def _damaged(row: list[str], kind: str, where: int, amount: int) -> list[str]:
    cells = list(row)
    if kind == "truncate":  # the first `where` cells, the last of them cut short (never to nothing)
        cells = cells[:where]
        last = cells[-1]
        cells[-1] = last[: max(len(last) - amount, 1)] if last else "x"
    elif kind == "nul":
        cell = cells[where]
        cut = amount % (len(cell) + 1)
        cells[where] = cell[:cut] + "\x00" + cell[cut:]
    elif kind == "long":
        cells[where] = "SYNTHETIC " + "z" * (SMALL_CELL_LIMIT + amount)
    elif kind == "bad_fatalities":
        cells[where] = "many"
    else:
        cells[where] = _in_script(cells[where], SCRIPTS[amount])
    return cells


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    damages=st.dictionaries(st.integers(0, len(ROWS) - 1), damage, max_size=6),
    general_path=st.booleans(),
    final_newline=st.booleans(),
)
@example(  # the file cut off in its last row: ...,14.0102,-4.2
    damages={len(ROWS) - 1: ("truncate", HEADER.index("longitude") + 1, 3)},
    general_path=False,
    final_newline=False,
)
def test_damaged_rows_are_reported_at_their_line_and_valid_rows_stored_once(
    empty_store: IncidentStore,
    monkeypatch: pytest.MonkeyPatch,
    damages: dict[int, tuple[str, int, int]],
    general_path: bool,
    final_newline: bool,
) -> None:
    import incidents.ingest.file_reader as table

    monkeypatch.setattr(table, "MAX_CELL_CHARS", SMALL_CELL_LIMIT)
    rows = [_damaged(row, *damages[index]) if index in damages else row for index, row in enumerate(ROWS)]
    # Physical line of each record: header = 1, quoted notes may span lines.
    texts = [_to_csv(HEADER, [row]).decode("utf-8").split("\r\n", 1)[1] for row in rows]
    lines = [2 + sum(text.count("\n") for text in texts[:index]) for index in range(len(rows))]
    data = _to_csv(HEADER, rows)
    if not final_newline:
        data = data.removesuffix(b"\r\n")
    with monkeypatch.context() as patch:
        if general_path:
            patch.setattr(table, "_arrow_table", lambda *args, **kwargs: None)
        prepared = prepare_import(data, empty_store, file_name="damaged.csv", today=TODAY)
    report = prepared.report
    invalid = {index for index, (kind, _, _) in damages.items() if kind != "digits"}
    errors_at = {issue.line for issue in report.issues if issue.severity == "error"}
    assert report.rows_read == len(rows)
    assert report.rows_rejected == len(invalid) and report.rows_duplicate == 0
    assert errors_at == {lines[index] for index in invalid}  # every invalid row, and no other
    id_column = HEADER.index("event_id_cnty")
    stored = prepared.rows.set_index("source_event_id")["fatalities"]
    assert sorted(stored.index) == sorted(
        ROWS[index][id_column] for index in range(len(rows)) if index not in invalid
    )
    for index in set(range(len(rows))) - invalid:  # digits of any script read as the number they are
        assert stored[ROWS[index][id_column]] == int(ROWS[index][FATALITIES])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.integers(1, 30),
    columns=st.integers(1, 6),
    padding=st.integers(0, 40_000),
    declared=st.booleans(),
)
def test_workbooks_within_the_limits_are_read_whole_and_others_refused(
    monkeypatch: pytest.MonkeyPatch, rows: int, columns: int, padding: int, declared: bool
) -> None:
    import zipfile

    import openpyxl

    import incidents.ingest.file_reader as table

    cell_limit, size_limit = 60, 60_000
    monkeypatch.setattr(table, "MAX_XLSX_CELLS", cell_limit)
    monkeypatch.setattr(table, "MAX_XLSX_UNCOMPRESSED", size_limit)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([f"column {index}" for index in range(columns)])
    for number in range(rows):
        sheet.append([f"SYNTHETIC {number}.{index}" for index in range(columns)])
    plain = io.BytesIO()
    book.save(plain)
    packed = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                if not declared:  # no <dimension>: cells are counted as they stream
                    start = content.index(b"<dimension")
                    content = content[:start] + content[content.index(b"/>", start) + 2 :]
                content = content.replace(b"<sheetData>", b"<sheetData>" + b" " * padding, 1)
            target.writestr(item.filename, content)
        expanded = sum(item.file_size for item in target.infolist())
    cells = (rows + 1) * columns
    try:
        raw = table.read_raw_table(packed.getvalue(), file_name="book.xlsx")
    except IncidentsError as exc:
        assert cells > cell_limit or expanded > size_limit, str(exc)
        assert "save the sheet as CSV" in str(exc) and str(exc).count(".") <= 3  # one sentence
        return
    assert cells <= cell_limit and expanded <= size_limit
    assert len(raw.frame) == rows and raw.frame.shape[1] == columns
