"""Validation and dedupe fast paths give exactly the straightforward answer.

Each fast path (trimming checked from the Arrow bytes, parsing distinct cells only,
messages built for flagged rows only, duplicate ids from one factorisation, the spatial
cell table) is compared with the plain pandas/STRtree computation on tricky inputs.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import geodata.assign as assign
from incidents.ingest.dedupe import _exact_duplicates
from incidents.ingest.issues import ForFlagged, IssueCollector
from incidents.ingest.parse import parse_coordinates, parse_dates, parse_fatalities
from incidents.ingest.staged import StagedTable
from incidents.ingest.validate import _parse_distinct, _text, validate_staged
from tests.unit.test_ingest_validate import GOOD

TODAY = date(2024, 1, 1)
LARGE = pa.large_string()
AWKWARD_TEXT = [
    "a",
    " a",
    "a ",
    "",
    " ",
    "\t",
    "\u00a0x",
    "x\u00a0",
    "é",
    "xé",
    "\u2003",
    "x\u3000",
    "\x1cx",
    "x\x1f",
    None,
    "ok",
    "~",
    "!x!",
    "\x7f",
    "x\x85",
    "\u200bx",
    "x\u200b",
    "\ufeffx",
    "\n",
    "a\r\n",
]


def plain_text(frame: pd.DataFrame, name: str) -> pd.Series:
    """What validation did before the fast path: pandas strip, blanks as <NA>."""
    strings = frame[name].astype("string").str.strip()
    return strings.mask(strings == "")


@pytest.mark.parametrize("cell", AWKWARD_TEXT)
def test_text_matches_pandas_strip(cell: str | None) -> None:
    for before in ([], ["ok"], ["ok", None]):
        frame = pd.DataFrame({"c": pd.array([*before, cell], dtype="string")})
        pd.testing.assert_series_equal(_text(frame, "c"), plain_text(frame, "c"), check_exact=True)


def test_text_on_sliced_chunks_and_other_dtypes() -> None:
    for chunks in (
        [pa.array(["a", " b", None, "c"], LARGE).slice(1), pa.array(["x", "y "], LARGE)],
        [pa.array(["a", " b", None, "c"], LARGE).slice(2), pa.array(["x", "y"], LARGE)],
        [pa.array([], pa.large_string())],
    ):
        column = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks, type=pa.large_string())))
        frame = pd.DataFrame({"c": column})
        pd.testing.assert_series_equal(_text(frame, "c"), plain_text(frame, "c"), check_exact=True)
    for frame in (
        pd.DataFrame({"c": [" a", None, 3, "b"]}, dtype=object),
        pd.DataFrame({"c": pd.Series([" a", None, "b"], dtype="str")}),
    ):
        pd.testing.assert_series_equal(_text(frame, "c"), plain_text(frame, "c"), check_exact=True)


def test_clean_column_is_returned_without_a_copy() -> None:
    frame = pd.DataFrame({"c": pd.array(["a", "b c", None], dtype="string")})
    assert _text(frame, "c").array.__arrow_array__() is frame["c"].array.__arrow_array__()


@pytest.mark.parametrize(
    ("parse", "cells"),
    [
        (
            parse_coordinates,
            [
                "14.35",
                "14,35",
                "- 3.5",
                "14.35N",
                "3.5W",
                "3.5O",
                "abc",
                "1.2.3",
                "inf",
                "nan",
                "0",
                None,
                "14.35",
                "1e3",
                "N14.5",
                "14.5NS",
                "-0",
                "+2",
            ],
        ),
        (parse_fatalities, ["3", "3.0", "3,0", "1,000", "-2", "1.5", "abc", None, "3", "0", " 7"]),
        (
            lambda cells: parse_dates(cells, dayfirst=True),
            [
                "2022-09-12",
                "12/09/2022",
                "12.09.2022",
                "44816",
                "32/13/2022",
                None,
                "1er août 2022",
                "2022-09-12",
                "Sept 12, 2022",
                "garbage",
                "12-Sep-22",
            ],
        ),
        (lambda cells: parse_dates(cells, dayfirst=False), ["01/02/2022", "13/02/2022", None, "01/02/2022"]),
    ],
)
def test_parsing_distinct_cells_matches_parsing_every_cell(parse, cells: list[str | None]) -> None:
    text = pd.Series(pd.array(cells, dtype="string"))
    values, bad = _parse_distinct(text, parse)
    expected_values, expected_bad = parse(text)
    pd.testing.assert_series_equal(values, expected_values.reset_index(drop=True), check_names=False)
    assert bad.tolist() == expected_bad.tolist()


def test_for_flagged_matches_a_whole_column_message() -> None:
    raw = pd.Series(pd.array(["a", None, "c", "d"], dtype="string"))
    flagged = np.array([True, True, False, True])
    whole, lazy = IssueCollector(np.array([2, 3, 4, 5])), IssueCollector(np.array([2, 3, 4, 5]))
    whole.add(flagged, "x", "bad_date", "error", "read '" + raw.fillna("") + "'", value=raw + "!")
    lazy.add(
        flagged,
        "x",
        "bad_date",
        "error",
        ForFlagged(lambda at: "read '" + raw.iloc[at].fillna("") + "'"),
        value=ForFlagged(lambda at: raw.iloc[at] + "!"),
    )
    assert whole.to_list() == lazy.to_list()
    assert whole.rejected.tolist() == lazy.rejected.tolist()


class _FakeStore:
    def __init__(self, stored: set[str]) -> None:
        self.stored = stored
        self.asked: list[list[str]] = []

    def count_incidents(self) -> int:
        return len(self.stored)

    def existing_incident_ids(self, ids: list[str]) -> set[str]:
        self.asked.append(ids)
        return self.stored & set(ids)


def plain_exact_duplicates(ids: pd.Series, lines: np.ndarray, stored: set[str]) -> tuple[np.ndarray, list]:
    """The pandas formulation dedupe used before the fast path."""
    issues = IssueCollector(lines)
    in_store = ids.isin(list(stored)).fillna(False).to_numpy(dtype=bool)
    issues.add(
        in_store,
        "source_event_id",
        "duplicate_in_store",
        "warning",
        "incident " + ids.fillna("") + " is already stored; row skipped",
        value=ids,
    )
    remaining = ids.where(~in_store)
    repeat = (remaining.duplicated(keep="first") & remaining.notna()).to_numpy(dtype=bool)
    first_line = pd.Series(lines).groupby(remaining.to_numpy(), dropna=True).transform("first")
    issues.add(
        repeat,
        "source_event_id",
        "duplicate_in_file",
        "warning",
        "incident "
        + remaining.fillna("")
        + " already appears at line "
        + first_line.astype("Int64").astype("string").fillna(""),
        value=ids,
    )
    return in_store | repeat, issues.to_list()


@pytest.mark.parametrize("stored", [set(), {"a:1"}, {"a:1", "a:3", "zz"}])
def test_exact_duplicates_match_the_pandas_formulation(stored: set[str]) -> None:
    ids = pd.Series(
        pd.array(["a:1", "a:2", None, "a:2", "a:1", None, "a:3", "a:2", "a:4", "a:3"], dtype="string")
    )
    lines = np.arange(10, dtype=np.int64) * 3 + 2
    issues = IssueCollector(lines)
    frame = pd.DataFrame({"incident_id": ids})
    skip = _exact_duplicates(frame, lines, _FakeStore(stored), issues)  # type: ignore[arg-type]
    expected_skip, expected_issues = plain_exact_duplicates(ids, lines, stored)
    assert skip.tolist() == expected_skip.tolist()
    assert issues.to_list() == expected_issues


def test_exact_duplicates_do_not_ask_an_empty_store_or_choke_on_missing_ids() -> None:
    store = _FakeStore(set())
    ids = pd.Series(pd.array([None, None], dtype="string"))
    lines = np.array([2, 3])
    frame = pd.DataFrame({"incident_id": ids})
    skip = _exact_duplicates(frame, lines, store, IssueCollector(lines))  # type: ignore[arg-type]
    assert skip.tolist() == [False, False]
    assert store.asked == []


# --- spatial cell table --------------------------------------------------------------------


def _awkward_points() -> tuple[np.ndarray, np.ndarray]:
    """Random points, points on and a hair off cell edges, unit border vertices, NaN and inf."""
    rng = np.random.default_rng(11)
    n = 30_000
    lon, lat = rng.uniform(-20, 27, n), rng.uniform(2, 39, n)
    cell = assign.CELL_DEGREES
    nudges = np.array([0, 1e-7, -1e-7, 5e-8, 2e-7, 1e-12, -1e-12])
    lon[:5000] = np.round(lon[:5000] / cell) * cell + rng.choice(nudges, 5000)
    lat[2500:7500] = np.round(lat[2500:7500] / cell) * cell + rng.choice(nudges, 5000)
    lon[7500:9000] = np.round(lon[7500:9000] * 2) / 2  # on the pieces' 0.5-degree grid
    for offset, layer in ((10_000, assign._admin1_layer()), (15_000, assign._admin2_layer())):
        vertices = np.concatenate(
            [np.asarray(ring.coords) for ring in layer.frame.geometry.boundary.explode(index_parts=False)]
        )
        pick = vertices[rng.choice(len(vertices), 5000)]
        lon[offset : offset + 5000], lat[offset : offset + 5000] = pick[:, 0], pick[:, 1]
    lon[20_000:20_010], lat[20_010:20_020] = np.nan, np.nan
    lon[20_020:20_025], lat[20_025:20_030] = np.inf, -np.inf
    lon[20_030:20_035], lat[20_030:20_035] = 1e300, -1e300
    return lon, lat


@pytest.mark.parametrize("level", [1, 2])
def test_cell_table_gives_the_strtree_answer(level: int) -> None:
    lon, lat = _awkward_points()
    layer = assign._admin1_layer() if level == 1 else assign._admin2_layer()
    for x, y in ((lon, lat), (lat, lon)):
        tree = assign._units(layer.index, x, y, None)
        cells = assign._units(layer.index, x, y, assign._cell_grid(x, y))
        assert np.array_equal(tree, cells)


def test_assign_admin_units_is_the_same_with_and_without_the_cell_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lon, lat = _awkward_points()
    monkeypatch.setattr(assign._GridIndex, "has_cells", property(lambda self: False))
    monkeypatch.setattr(assign, "CELL_TABLE_MIN_POINTS", 10**12)
    plain = assign.assign_admin_units(lon, lat)
    monkeypatch.setattr(assign, "CELL_TABLE_MIN_POINTS", 0)
    fast = assign.assign_admin_units(lon, lat)
    pd.testing.assert_frame_equal(plain, fast, check_exact=True)


# --- whole validation ----------------------------------------------------------------------


def _tricky_rows() -> pd.DataFrame:
    """Rows hitting every check: NaN/swapped/out-of-range/out-of-region/border points and more.

    Each variant changes a few fields of a good row (``GOOD``, in Mali).
    """
    variants: list[dict[str, str | None]] = [
        {},
        {"latitude": None},
        {"longitude": "abc"},
        {"latitude": "-2.0", "longitude": "15.5"},
        {"latitude": "95", "longitude": "200"},
        {"latitude": "48.85", "longitude": "2.35"},
        {"latitude": "0", "longitude": "0"},
        {"latitude": "14.5", "longitude": "1.0"},
        {"latitude": "13.5", "longitude": "-1.0"},
        {"latitude": "10.0", "longitude": "-30.0"},
        {"latitude": "12.37", "longitude": "-1.52"},
        {"latitude": None, "longitude": None, "location": None},
        {"event_date": "2030-01-01"},
        {"event_date": "bad"},
        {"fatalities": "-1"},
        {"fatalities": "1.5"},
        {"event_type": None, "event_type_reported": "Looting"},
        {"event_type": "weird", "event_type_reported": None},
        {"source_dataset": "nope"},
        {"source_event_id": "dup"},
        {"source_event_id": "dup"},
        {"reported_country": "Atlantis"},
        {"reported_country": "BF"},
    ]
    rows = [{**GOOD, **variant} for variant in variants for _ in range(3)]
    return pd.DataFrame(rows).astype("string")


def _validate(frame: pd.DataFrame) -> tuple:
    staged = StagedTable(frame, pd.Series(np.arange(len(frame)) * 2 + 2), "generic", {"latitude": "Lat"})
    result = validate_staged(staged, today=TODAY)
    return result.accepted, result.accepted_lines, result.issues, result.rows_rejected


def _assert_same(first: tuple, second: tuple) -> None:
    pd.testing.assert_frame_equal(first[0], second[0], check_exact=True)
    pd.testing.assert_series_equal(first[1], second[1])
    assert first[2] == second[2]
    assert first[3] == second[3]


def test_padded_cells_validate_like_trimmed_ones() -> None:
    clean = _tricky_rows()
    padded = clean.apply(lambda column: " " + column + "\u00a0")
    _assert_same(_validate(clean), _validate(padded))


def test_validation_is_the_same_with_and_without_the_cell_table(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _tricky_rows()
    monkeypatch.setattr(assign._GridIndex, "has_cells", property(lambda self: False))
    monkeypatch.setattr(assign, "CELL_TABLE_MIN_POINTS", 10**12)
    plain = _validate(frame)
    monkeypatch.setattr(assign, "CELL_TABLE_MIN_POINTS", 0)
    _assert_same(plain, _validate(frame))


def test_all_rejected_and_empty_files() -> None:
    frame = _tricky_rows().assign(event_date="bad")
    accepted, lines, issues, rejected = _validate(frame)
    assert accepted.empty and lines.empty and rejected == len(frame)
    assert accepted["incident_id"].dtype == object  # as assigning an empty object array always gave
    accepted, lines, issues, rejected = _validate(frame.iloc[:0])
    assert accepted.empty and issues == [] and rejected == 0
