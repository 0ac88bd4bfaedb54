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
