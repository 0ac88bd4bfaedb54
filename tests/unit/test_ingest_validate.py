"""validate_staged: every reason code at its physical line and source column, every issue collected."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.ingest.staged import REASON_CODES, SITE_ONLY_CODES, StagedTable
from incidents.ingest.validate import ValidationResult, fingerprint, validate_staged
from incidents.model import INCIDENT_COLUMNS

TODAY = date(2024, 1, 1)
SOURCE_COLUMNS = {
    "source_dataset": "Dataset",
    "event_date": "Date",
    "latitude": "Lat",
    "longitude": "Lon",
    "fatalities": "Deaths",
    "location": "Place",
    "reported_country": "Country",
    "reported_admin1": "Region",
    "event_type_reported": "Type",
}
GOOD = {
    "source_dataset": "generic",
    "source_event_id": None,
    "event_date": "2022-09-12",
    "latitude": "15.5",  # Mali, Tombouctou region
    "longitude": "-2.0",
    "location": "Somewhere",
    "reported_country": "Mali",
    "event_type": "battle",
    "event_type_reported": "Battles",
    "actor1": "JNIM",
    "actor2": "Military Forces of Mali",
    "fatalities": "3",
}

PLACES = pd.DataFrame(
    {
        "place_id": ["gn:1", "gn:2", "gn:3", "gn:4", "gn:5"],
        "name": ["Ménaka", "Boni", "Boni", "Gao", "Gao"],
        "lat": [15.92, 15.08, 11.57, 16.27, 11.65],
        "lon": [2.40, -2.22, -3.40, -0.04, -2.18],
        "country_iso3": ["MLI", "MLI", "BFA", "MLI", "BFA"],
        "admin1_name": ["Ménaka", "Mopti", "Hauts-Bassins", "Gao", "Centre-Ouest"],
        "population": [14085, 0, 0, 133110, 26453],
        "place_type": ["populated_place"] * 5,
        "match_rank": [0] * 5,
    }
)


def lookup(name: str, country_iso3: str | None = None) -> pd.DataFrame:
    """Stand-in for find_places: same columns and order, a fixed tiny gazetteer."""
    found = PLACES[PLACES["name"] == name]
    if country_iso3 is not None:
        found = found[found["country_iso3"] == country_iso3]
    return found.sort_values("population", ascending=False).reset_index(drop=True)


def staged(rows: list[dict[str, str | None]], lines: list[int]) -> StagedTable:
    frame = pd.DataFrame([{**GOOD, **row} for row in rows]).astype("string")
    return StagedTable(frame, pd.Series(lines), "generic", dict(SOURCE_COLUMNS))


def run(rows: list[dict[str, str | None]], lines: list[int]) -> ValidationResult:
    return validate_staged(staged(rows, lines), today=TODAY, gazetteer_lookup=lookup)


# One row per reason code, at deliberately non-contiguous physical lines.
CASES: list[tuple[str, int, str | None, dict[str, str | None]]] = [
    ("missing_required", 4, "Date", {"event_date": None}),
    ("missing_required", 6, "Lat", {"latitude": None, "longitude": None, "location": None}),
    ("missing_required", 9, "Dataset", {"source_dataset": None}),
    ("bad_date", 13, "Date", {"event_date": "32/13/2022"}),
    ("future_date", 14, "Date", {"event_date": "2030-01-01"}),
    ("bad_coordinate", 20, "Lon", {"longitude": "abc"}),
    ("coordinate_out_of_range", 21, "Lat", {"latitude": "95.0"}),
    ("suspect_swapped_lat_lon", 30, "Lat", {"latitude": "-2.0", "longitude": "15.5"}),
    ("outside_coverage", 31, "Lat", {"latitude": "48.85", "longitude": "2.35", "reported_country": None}),
    ("country_mismatch", 40, "Country", {"latitude": "12.37", "longitude": "-1.52"}),  # Ouagadougou
    ("bad_fatalities", 41, "Deaths", {"fatalities": "many"}),
    ("negative_fatalities", 55, "Deaths", {"fatalities": "-1"}),
    ("unknown_event_type", 56, "Type", {"event_type": None, "event_type_reported": "Looting"}),
    ("geocoded_from_name", 70, "Place", {"latitude": None, "longitude": None, "location": "Ménaka"}),
    (
        "ambiguous_place",
        71,
        "Place",
        {"latitude": None, "longitude": None, "location": "Boni", "reported_country": None},
    ),
    (
        "placed_at_admin_centroid",
        72,
        "Region",
        {"latitude": None, "longitude": None, "location": "Village X", "reported_admin1": "Mopti"},
    ),
    ("fatalities_unknown", 80, "Deaths", {"fatalities": None}),
]
WARNINGS = {
    "outside_coverage",
    "country_mismatch",
    "unknown_event_type",
    "geocoded_from_name",
    "placed_at_admin_centroid",
    "fatalities_unknown",
}
#: Warnings whose row is not stored (outside the coverage: skipped unless kept).
SKIPPED = {"outside_coverage"}
#: Reported by the reader (incidents.ingest.file_reader), which rejects such records before validation.
READER_CODES = {"truncated_row", "cell_too_long", "nul_byte"}


@pytest.fixture(scope="module")
def result() -> ValidationResult:
    rows = [{"source_event_id": f"row{i}"} for i in range(2)]  # two clean rows
    rows += [{**case[3], "source_event_id": f"case{i}"} for i, case in enumerate(CASES)]
    return run(rows, [2, 3] + [case[1] for case in CASES])


def test_cases_cover_every_validation_code() -> None:
    dedupe_codes = {"duplicate_in_file", "duplicate_in_store", "possible_duplicate"}
    site_codes = set(SITE_ONLY_CODES)  # given by incidents.sites only (tests/unit/test_sites.py)
    assert {case[0] for case in CASES} == set(REASON_CODES) - dedupe_codes - READER_CODES - site_codes


@pytest.mark.parametrize(("code", "line", "column", "row"), CASES, ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_each_code_is_reported_at_its_line_and_source_column(
    result: ValidationResult, code: str, line: int, column: str | None, row: dict[str, str | None]
) -> None:
    at_line = [issue for issue in result.issues if issue.line == line]
    assert [(issue.code, issue.column) for issue in at_line] == [(code, column)]
    assert at_line[0].severity == ("warning" if code in WARNINGS else "error")
    assert (line in result.accepted_lines.tolist()) == (code in WARNINGS - SKIPPED)


def test_counts_and_accepted_lines(result: ValidationResult) -> None:
    assert result.rows_read == 2 + len(CASES)
    assert result.rows_rejected == len(CASES) - len(WARNINGS)
    assert result.rows_outside_coverage == 1
    assert result.rows_accepted + result.rows_rejected + result.rows_outside_coverage == result.rows_read
    assert result.accepted_lines.tolist() == [2, 3, 40, 56, 70, 72, 80]
    assert list(result.accepted.columns) == list(INCIDENT_COLUMNS)
    assert result.accepted["batch_id"].isna().all()


def test_accepted_rows_are_canonical(result: ValidationResult) -> None:
    accepted = result.accepted.set_index(result.accepted_lines)
    assert accepted.loc[2, "country_iso3"] == "MLI"
    assert accepted.loc[2, "actor_group"] == "JNIM"
    assert accepted.loc[2, "incident_id"] == "generic:row0"
    assert 31 not in accepted.index  # outside coverage: skipped
    assert accepted.loc[40, "country_iso3"] == "BFA"
    assert accepted.loc[56, "event_type"] == "other"
    placed = accepted.loc[70]
    assert (placed["latitude"], placed["longitude"], placed["geo_precision"]) == (15.92, 2.40, 2)
    assert placed["country_iso3"] == "MLI"


def test_issues_are_sorted_by_line(result: ValidationResult) -> None:
    lines = [issue.line for issue in result.issues]
    assert lines == sorted(lines)


def test_messages_quote_the_bad_value(result: ValidationResult) -> None:
    by_code = {issue.code: issue for issue in result.issues}
    assert "32/13/2022" in by_code["bad_date"].message
    assert by_code["bad_date"].value == "32/13/2022"
    assert "Mali" in by_code["suspect_swapped_lat_lon"].message
    assert "gn:2" in by_code["ambiguous_place"].message and "gn:3" in by_code["ambiguous_place"].message
    assert "Burkina Faso" in by_code["country_mismatch"].message


def test_several_issues_on_one_row_are_all_reported() -> None:
    bad = {
        "event_date": "2031-05-05",
        "latitude": "abc",
        "longitude": "200",
        "fatalities": "-4",
        "event_type": None,
        "event_type_reported": "Riot-ish",
        "source_dataset": None,
    }
    outcome = run([bad], [17])
    codes = sorted(issue.code for issue in outcome.issues)
    assert codes == sorted(
        [
            "future_date",
            "bad_coordinate",
            "coordinate_out_of_range",
            "negative_fatalities",
            "unknown_event_type",
            "missing_required",
        ]
    )
    assert {issue.line for issue in outcome.issues} == {17}
    assert outcome.rows_rejected == 1 and outcome.accepted.empty


def test_warnings_only_row_is_accepted() -> None:
    row = {"latitude": "12.37", "longitude": "-1.52", "event_type": None, "event_type_reported": "Odd"}
    outcome = run([row], [8])
    assert {issue.severity for issue in outcome.issues} == {"warning"}
    assert outcome.accepted_lines.tolist() == [8]


def test_population_clear_winner_is_not_ambiguous() -> None:
    outcome = run([{"latitude": None, "longitude": None, "location": "Gao", "reported_country": None}], [5])
    assert [issue.code for issue in outcome.issues] == ["geocoded_from_name"]
    assert outcome.accepted.loc[0, "latitude"] == 16.27


def test_reported_country_scopes_the_place_lookup() -> None:
    row = {"latitude": None, "longitude": None, "location": "Boni", "reported_country": "Burkina"}
    outcome = run([row], [5])
    assert [issue.code for issue in outcome.issues] == ["geocoded_from_name"]
    assert outcome.accepted.loc[0, "country_iso3"] == "BFA"


def test_unknown_place_without_coordinates_is_missing_required() -> None:
    outcome = run([{"latitude": None, "longitude": None, "location": "Nowhere"}], [3])
    assert [(issue.code, issue.column) for issue in outcome.issues] == [("missing_required", "Place")]


def test_country_spellings_without_accents_or_as_codes_match() -> None:
    rows = [{"reported_country": spelling, "source_event_id": spelling} for spelling in ("MALI", "ML", "MLI")]
    assert run(rows, [2, 3, 4]).issues == []


def test_null_island_is_a_bad_coordinate() -> None:
    outcome = run([{"latitude": "0", "longitude": "0"}], [2])
    assert [issue.code for issue in outcome.issues] == ["bad_coordinate"]


def test_fingerprint_makes_reimport_ids_stable() -> None:
    first = run([{"notes": "a"}], [2]).accepted
    second = run([{"notes": "b", "location": " somewhere "}], [9]).accepted
    assert first.loc[0, "source_event_id"].startswith("fp-")
    assert first.loc[0, "incident_id"] == second.loc[0, "incident_id"]
    changed = run([{"fatalities": "4"}], [2]).accepted
    assert changed.loc[0, "incident_id"] != first.loc[0, "incident_id"]
    assert fingerprint(first).iloc[0] == first.loc[0, "source_event_id"]


def test_duplicate_ids_in_file_pass_validation_for_dedupe() -> None:
    outcome = run([{"source_event_id": "x"}, {"source_event_id": "x"}], [2, 3])
    assert outcome.accepted["incident_id"].tolist() == ["generic:x", "generic:x"]


def test_empty_table() -> None:
    frame = pd.DataFrame({name: pd.Series(dtype="string") for name in GOOD})
    outcome = validate_staged(StagedTable(frame, pd.Series([], dtype="int64"), "generic"), today=TODAY)
    assert outcome.rows_read == 0 and outcome.accepted.empty and outcome.issues == []


cells = st.one_of(
    st.none(), st.text(max_size=12), st.sampled_from(["", "1e400", "-0", "44816", "nan", "12,5"])
)
garbage_row = st.fixed_dictionaries({name: cells for name in GOOD})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(garbage=st.lists(garbage_row, max_size=6), position=st.integers(0, 6))
def test_never_raises_and_never_loses_the_valid_row(
    garbage: list[dict[str, str | None]], position: int
) -> None:
    valid = {**GOOD, "source_event_id": "the-valid-row"}
    rows = [{**GOOD, **row} for row in garbage]
    rows.insert(min(position, len(rows)), valid)
    lines = [10 + 3 * index for index in range(len(rows))]
    frame = pd.DataFrame(rows).astype("string")
    outcome = validate_staged(
        StagedTable(frame, pd.Series(lines), "generic"), today=TODAY, gazetteer_lookup=lookup
    )
    assert outcome.rows_read == len(rows)
    assert outcome.rows_accepted + outcome.rows_rejected == outcome.rows_read
    assert "generic:the-valid-row" in outcome.accepted["incident_id"].tolist()
    assert set(outcome.accepted_lines) <= set(lines)
    assert all(issue.line in lines for issue in outcome.issues)
