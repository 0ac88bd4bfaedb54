"""Streaming preparation: any chunk size gives the whole file's rows and report, chunks come in file order."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata.assign import CELL_TABLE_MIN_POINTS
from incidents.admin_join import attach_admin_units
from incidents.errors import FileLevelError
from incidents.ingest.column_mapping import load_mapping
from incidents.ingest.dedupe import FileDuplicates, find_duplicates
from incidents.ingest.detect import ACLED_API_COLUMNS
from incidents.ingest.memo import ValidationMemo
from incidents.ingest.parse import parse_dates
from incidents.ingest.pipeline import PreparedImport, import_file, prepare_import
from incidents.ingest.stream import CHUNK_ROWS, prepare_stream
from incidents.model import conform_incidents
from incidents.store import BatchMeta, IncidentStore, open_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
UCDP_SAMPLE = (
    Path(__file__).resolve().parents[2] / "incidents" / "data" / "ucdp_ged_sample_sahel_2012plus.csv"
)
TODAY = date(2026, 1, 1)
WHOLE = 10**9
CHUNK_SIZES = (1, 2, 3, 7, WHOLE)

ACLED_HEADER = list(ACLED_API_COLUMNS)
#: Two stored "manual" battles exactly as far east and west of (15.0, -2.0): a tie in distance.
TIE_POINTS = ((15.0, -1.96875), (15.0, -2.03125))


def acled_row(
    event_id: str = "",
    when: str = "2024-03-01",
    lat: str = "16.27",
    lon: str = "-0.04",
    *,
    fatalities: str = "1",
    note: str = "SYNTHETIC",
    country: str = "Mali",
    location: str = "Gao",
    event_type: str = "Battles",
) -> list[str]:
    values = {
        "event_id_cnty": event_id,
        "event_date": when,
        "year": "2024",
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": event_type,
        "sub_event_type": "Armed clash",
        "actor1": "JNIM",
        "inter1": "Rebel group",
        "actor2": "Military Forces of Mali (2021-)",
        "inter2": "State forces",
        "iso": "466",
        "region": "Western Africa",
        "country": country,
        "location": location,
        "latitude": lat,
        "longitude": lon,
        "geo_precision": "1",
        "source": "Synthetic",
        "source_scale": "Local",
        "notes": note,
        "fatalities": fatalities,
        "timestamp": "1700000000",
    }
    return [values.get(column, "") for column in ACLED_HEADER]


def to_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ACLED_HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def manual_incidents(points: tuple[tuple[float, float], ...], when: str = "2024-03-01") -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "source_dataset": "manual",
            "source_event_id": [f"M{number}" for number in range(len(points))],
            "event_date": pd.to_datetime([when] * len(points)),
            "date_precision": "day",
            "latitude": [lat for lat, _ in points],
            "longitude": [lon for _, lon in points],
            "geo_precision": 1,
            "event_type": "battle",
            "actor_group": "JNIM",
            "fatalities": 1,
            "civilian_targeting": False,
        }
    )
    return conform_incidents(attach_admin_units(frame))


def fill_store(store: IncidentStore) -> None:
    """Stored ids (acled:STORED1, acled:STORED2), other sources near file rows (UCDP, a tie)."""
    import_file(UCDP_SAMPLE, store, today=TODAY)
    import_file(
        to_csv([acled_row("STORED1", lat="14.5", lon="-4.2"), acled_row("STORED2", lat="13.4", lon="-3.9")]),
        store,
        file_name="stored.csv",
        today=TODAY,
    )
    store.add_batch(manual_incidents(TIE_POINTS), BatchMeta("manual.csv", "0" * 64, "generic"))


def ucdp_neighbours() -> list[list[str]]:
    """ACLED-format rows a day and a few hundred metres from stored UCDP events (possible duplicates)."""
    ucdp = pd.read_csv(UCDP_SAMPLE, dtype=str, keep_default_na=False)
    rows = []
    for number, event in enumerate(ucdp.head(6).itertuples()):
        when = (pd.Timestamp(event.date_start[:10]) + pd.Timedelta(days=number % 2)).strftime("%Y-%m-%d")
        event_type = "Battles" if event.type_of_violence in ("1", "2") else "Violence against civilians"
        lat = f"{float(event.latitude) + 0.001:.4f}"
        rows.append(acled_row(f"NEAR{number}", when, lat, event.longitude, event_type=event_type))
    return rows


def synthetic_rows() -> list[list[str]]:
    """One of everything that could look across rows, spread so chunk edges cut through it."""
    rows = [
        acled_row("A1", note="SYNTHETIC first\nof two lines"),  # kept; repeated below
        acled_row("B1", when="not a date"),  # rejected: must not make the next B1 a repeat
        acled_row("STORED1"),  # duplicate_in_store
        acled_row("A2", lat="15.0", lon="-2.0", location="Boni"),  # ties two stored matches
        acled_row("B1", when="2024-03-02"),  # kept: the first *accepted* B1
        acled_row("", when="2024-03-03", lat="14.1", lon="-3.9"),  # fingerprint id
        acled_row("P1", lat="", lon="", location="Ménaka"),  # placed from the gazetteer
        acled_row("P2", lat="", lon="", location="Boni", country=""),  # ambiguous place
        acled_row("A1"),  # duplicate_in_file of line 2
        acled_row("C1", when="2030-01-01"),  # future date
        acled_row("C2", lat="-0.04", lon="16.27"),  # swapped
        acled_row("C3", lat="10.0", lon="-30.0", country=""),  # outside coverage
        acled_row("B1"),  # duplicate_in_file of B1's accepted line
        acled_row("C4", country="Niger"),  # country mismatch
        acled_row("C5", event_type="Unrest"),  # unknown event type
        acled_row("C6", fatalities="-2"),
        acled_row("C7", fatalities="many"),
        acled_row("P3", lat="", lon="", location="MENAKA"),  # same place, other spelling
        acled_row("P4", lat="", lon="", location="BONI", country=""),  # quoted as the first "Boni"
        acled_row("", when="2024-03-03", lat="14.1", lon="-3.9"),  # same fingerprint
        acled_row("STORED2", when="bad"),  # rejected and stored: only the error
        acled_row("STORED2"),  # duplicate_in_store
        acled_row("A3", when="01/03/2024", lat="29.5", lon="17.0", country="Libya"),  # widens the grid
        acled_row("A4", lat="15.0", lon="-2.0", location="Boni"),  # ties again
        acled_row("A1", when="2024-03-04"),  # a third A1
    ]
    return [*rows, *ucdp_neighbours(), acled_row("A2")]  # A2 again, after the possible duplicates


@pytest.fixture(scope="module")
def filled_store() -> Iterator[IncidentStore]:
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/stream.db")
        fill_store(store)
        yield store
        store.close()


def _prepare(
    source: Path | bytes, store: IncidentStore, chunk_rows: int, **options: object
) -> PreparedImport:
    return prepare_import(source, store, today=TODAY, chunk_rows=chunk_rows, **options)  # type: ignore[arg-type]


def assert_same(whole: PreparedImport, chunked: PreparedImport) -> None:
    assert json.dumps(chunked.report.to_dict()) == json.dumps(whole.report.to_dict())
    pd.testing.assert_frame_equal(
        chunked.rows.reset_index(drop=True), whole.rows.reset_index(drop=True), check_exact=True
    )


FILES = {
    "acled_api": (FIXTURES / "acled_api_sample.csv", {}),
    "acled_hdx": (FIXTURES / "acled_hdx_sample.csv", {}),
    "generic_fr": (FIXTURES / "generic_fr_semicolon.csv", {"mapping": FIXTURES / "generic_mapping.json"}),
    "ucdp": (UCDP_SAMPLE, {}),
}


@pytest.mark.parametrize("chunk_rows", CHUNK_SIZES[:-1])
@pytest.mark.parametrize("name", [*FILES, "synthetic"])
def test_every_chunk_size_gives_the_whole_file_rows_and_report(
    filled_store: IncidentStore, name: str, chunk_rows: int
) -> None:
    if name == "synthetic":
        source: Path | bytes = to_csv(synthetic_rows())
        options: dict[str, object] = {"file_name": "synthetic.csv"}
    else:
        source, given_options = FILES[name]
        options = {key: load_mapping(value) for key, value in given_options.items()}
    whole = _prepare(source, filled_store, WHOLE, **options)
    assert whole.report.rows_read > 0
    assert_same(whole, _prepare(source, filled_store, chunk_rows, **options))


def test_the_synthetic_file_has_every_cross_row_case(filled_store: IncidentStore) -> None:
    """The file above really holds the cases it is meant to (else the comparison proves little)."""
    report = _prepare(to_csv(synthetic_rows()), filled_store, 1, file_name="s.csv").report
    codes = [(issue.code, issue.line) for issue in report.issues]
    repeats = {issue.line: issue.message for issue in report.issues if issue.code == "duplicate_in_file"}
    assert repeats[11].endswith("line 2") and repeats[15].endswith("line 7")  # B1 at 7: 3 was rejected
    assert repeats[22].endswith("line 8") and repeats[27].endswith("line 2")  # fingerprint, third A1
    assert {("bad_date", 4), ("duplicate_in_store", 5), ("duplicate_in_store", 24)} <= set(codes)
    assert ("bad_date", 23) in codes and ("duplicate_in_store", 23) not in codes
    ambiguous = [issue.message for issue in report.issues if issue.code == "ambiguous_place"]
    assert len(ambiguous) == 2 and all("called 'Boni'" in message for message in ambiguous)
    ties = [
        issue.message
        for issue in report.issues
        if issue.code == "possible_duplicate" and issue.line in (6, 26)
    ]
    assert len(ties) == 2 and all(message.index("manual:M0") < message.index("manual:M1") for message in ties)
    assert sum(issue.code == "possible_duplicate" for issue in report.issues) >= 5


def test_chunks_on_both_backends(store: IncidentStore) -> None:
    fill_store(store)
    source = to_csv(synthetic_rows())
    whole = _prepare(source, store, WHOLE)
    for chunk_rows in (1, 7):
        assert_same(whole, _prepare(source, store, chunk_rows))


# --- random files ---------------------------------------------------------------------------

ROW_KINDS = st.sampled_from(
    ["ok", "ok", "ok", "bad_date", "future", "bad_lat", "no_coords", "no_coords_ambiguous", "near_tie"]
)
ROW_IDS = st.sampled_from(["E1", "E2", "E3", "E4", "STORED1", "STORED2", ""])


def random_row(kind: str, event_id: str, day: int) -> list[str]:
    when = f"2024-03-{day:02d}"
    if kind == "bad_date":
        return acled_row(event_id, "32/13/2024")
    if kind == "future":
        return acled_row(event_id, "2031-05-05")
    if kind == "bad_lat":
        return acled_row(event_id, when, lat="north")
    if kind == "no_coords":
        return acled_row(event_id, when, lat="", lon="", location=["Ménaka", "MENAKA", "Gao"][day % 3])
    if kind == "no_coords_ambiguous":
        return acled_row(event_id, when, lat="", lon="", location=["Boni", "BONI"][day % 2], country="")
    if kind == "near_tie":
        return acled_row(event_id, "2024-03-01", lat="15.0", lon="-2.0", location="Boni")
    return acled_row(event_id, when, lat=f"{14 + day / 100:.2f}", lon="-3.9")


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(ROW_KINDS, ROW_IDS, st.integers(1, 3)), min_size=1, max_size=10),
    chunk_rows=st.integers(1, 11),
)
def test_random_files_give_the_same_answer_in_any_chunks(
    filled_store: IncidentStore, rows: list[tuple[str, str, int]], chunk_rows: int
) -> None:
    source = to_csv([random_row(kind, event_id, day) for kind, event_id, day in rows])
    whole = _prepare(source, filled_store, WHOLE, file_name="random.csv")
    assert_same(whole, _prepare(source, filled_store, chunk_rows, file_name="random.csv"))


# --- the streaming API ------------------------------------------------------------------------


def test_chunks_come_in_file_order_at_most_chunk_rows_each(filled_store: IncidentStore) -> None:
    rows = [acled_row(f"R{number}", lat=f"{14 + number / 100:.2f}", lon="-3.9") for number in range(10)]
    rows[4] = acled_row("R4", when="bad")  # a chunk one row short
    rows[6:9] = [acled_row("R0")] * 3  # a chunk with nothing to write
    stream = prepare_stream(to_csv(rows), filled_store, today=TODAY, chunk_rows=3)
    assert stream.rows_read == 10  # known before any chunk: a batch writer's expected size
    chunks = list(stream.chunks())
    assert [len(chunk) for chunk in chunks] == [3, 2, 1]  # rows 1-3, 4-6 (one rejected), 10
    ids = pd.concat(chunks)["source_event_id"].tolist()
    assert ids == ["R0", "R1", "R2", "R3", "R5", "R9"]
    report = stream.report()
    assert (report.rows_read, report.rows_accepted, report.rows_rejected, report.rows_duplicate) == (
        10,
        6,
        1,
        3,
    )


def test_report_before_the_last_chunk_raises(filled_store: IncidentStore) -> None:
    rows = [acled_row(f"R{number}") for number in range(5)]
    stream = prepare_stream(to_csv(rows), filled_store, today=TODAY, chunk_rows=2)
    with pytest.raises(RuntimeError, match="chunks"):
        stream.report()
    chunks = stream.chunks()
    next(chunks)
    with pytest.raises(RuntimeError, match="chunks"):
        stream.report()
    rest = list(chunks)
    assert len(rest) == 2 and stream.report().rows_read == 5
    with pytest.raises(RuntimeError, match="once"):
        stream.chunks()


@pytest.mark.parametrize(
    "content",
    [b"", b"%PDF-1.7\n\x00\x01\x02binary", b"date,notes\n2024-01-01,hello\n"],
)
def test_a_file_level_failure_raises_before_any_chunk(filled_store: IncidentStore, content: bytes) -> None:
    with pytest.raises(FileLevelError):
        prepare_stream(content, filled_store, today=TODAY, chunk_rows=1)


def test_a_header_only_file_is_one_empty_chunk(filled_store: IncidentStore) -> None:
    whole = _prepare(to_csv([]), filled_store, WHOLE)
    assert whole.rows.empty and whole.report.rows_read == 0
    stream = prepare_stream(to_csv([]), filled_store, today=TODAY, chunk_rows=1)
    assert list(stream.chunks()) == []
    assert stream.report() == whole.report


def test_nothing_kept_gives_the_whole_file_empty_frame(filled_store: IncidentStore) -> None:
    all_rejected = to_csv([acled_row("X1", when="bad"), acled_row("X2", when="bad")])
    all_duplicates = to_csv([acled_row("STORED1"), acled_row("X1", when="bad"), acled_row("STORED2")])
    for source in (all_rejected, all_duplicates):
        whole = _prepare(source, filled_store, WHOLE)
        assert whole.rows.empty
        assert_same(whole, _prepare(source, filled_store, 1))


def test_progress_rises_through_the_chunks(filled_store: IncidentStore) -> None:
    shares: list[float] = []
    _prepare(to_csv(synthetic_rows()), filled_store, 4, progress=lambda share, _label: shares.append(share))
    assert shares == sorted(shares) and len(shares) > 10 and shares[-1] == pytest.approx(0.8)


def test_chunk_rows_must_be_positive(filled_store: IncidentStore) -> None:
    with pytest.raises(ValueError, match="chunk_rows"):
        prepare_stream(to_csv([acled_row("R1")]), filled_store, chunk_rows=0)


def test_default_chunks_are_large_enough_for_the_spatial_cell_table() -> None:
    # Smaller chunks of a large file would each take the slower STRtree path (see CHUNK_ROWS).
    assert CHUNK_ROWS >= CELL_TABLE_MIN_POINTS


# --- what is carried between chunks -----------------------------------------------------------


def test_an_id_kept_earlier_stays_a_repeat_when_the_store_shows_it(sqlite_store: IncidentStore) -> None:
    """A writer may make earlier chunks visible: their ids are still in-file repeats, not stored."""
    first = manual_incidents(((15.5, -2.0),))
    duplicates = FileDuplicates(sqlite_store)
    assert len(duplicates.check(first, pd.Series([2])).kept) == 1
    sqlite_store.add_batch(first, BatchMeta("f.csv", "0" * 64, "generic"))
    again = duplicates.check(first, pd.Series([9]))
    assert again.kept.empty
    [issue] = again.issues
    assert (issue.code, issue.line) == ("duplicate_in_file", 9) and issue.message.endswith("line 2")


def test_equally_distant_matches_are_listed_in_store_order_whatever_else_is_checked(
    sqlite_store: IncidentStore,
) -> None:
    """The grid's cell width depends on the rows checked together; the message must not."""
    sqlite_store.add_batch(manual_incidents(TIE_POINTS), BatchMeta("m.csv", "0" * 64, "generic"))
    messages = set()
    for points in (((15.0, -2.0),), *(((15.0, -2.0), (far, 17.0)) for far in (29.5, 44.5, 59.5))):
        # a row far north widens the grid cells
        frame = manual_incidents(points).assign(source_dataset="acled")
        frame["incident_id"] = pd.Series([f"acled:C{n}" for n in range(len(frame))], dtype="string")
        result = find_duplicates(frame, pd.Series(np.arange(len(frame)) + 2), sqlite_store)
        [message] = [issue.message for issue in result.issues if issue.line == 2]
        messages.add(message)
    [message] = messages
    assert message.index("manual:M0") < message.index("manual:M1")


CHUNKS_OF_DATES = [
    ["2024-03-01", "12/09/2022", " 2024-03-01 ", "bad", None, "\x1f"],
    ["12/09/2022", "44816", "1er août 2022", "2024-03-01", "bad", "\x1f"],
    ["12 sept. 2022", "2024-03-01T10:00Z", "12/09/2022", None],
]


@pytest.mark.parametrize("dayfirst", [True, False])
def test_remembered_dates_read_as_parsed_afresh(dayfirst: bool) -> None:
    memo = ValidationMemo()
    for cells in [*CHUNKS_OF_DATES, *CHUNKS_OF_DATES]:
        text = pd.Series(pd.array(cells, dtype="string"))
        got_dates, got_bad = memo.parse_dates(text, dayfirst=dayfirst)
        want_dates, want_bad = parse_dates(text, dayfirst=dayfirst)
        pd.testing.assert_series_equal(got_dates, want_dates, check_names=False)
        pd.testing.assert_series_equal(got_bad, want_bad, check_names=False)
    # The same memo read the other way round forgets what it parsed first.
    text = pd.Series(pd.array(["01/02/2024"], dtype="string"))
    assert (
        memo.parse_dates(text, dayfirst=not dayfirst)[0].iloc[0]
        == parse_dates(text, dayfirst=not dayfirst)[0].iloc[0]
    )
