"""Parsers for date, coordinate and fatality cells: accepted spellings, refusals, blanks."""

from __future__ import annotations

import pandas as pd
import pytest

from incidents.ingest.parse import parse_coordinates, parse_dates, parse_fatalities

SEPT_12 = pd.Timestamp("2022-09-12")


@pytest.mark.parametrize(
    "text",
    [
        "2022-09-12",
        "2022-09-12 00:00:00.000",
        "2022-09-12T10:30:00Z",
        "12 September 2022",
        "12-September-22",
        "12/09/2022",
        "12/09/22",
        "12.09.2022",
        "44816",
        "44816.0",
        "20220912",
        "September 12, 2022",
        "12 septembre 2022",
        "12 sept. 2022",
        " 12 SEPTEMBER 2022 ",
    ],
)
def test_parse_dates_accepts_common_spellings(text: str) -> None:
    dates, bad = parse_dates(pd.Series([text], dtype="string"))
    assert dates.iloc[0] == SEPT_12
    assert not bad.iloc[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15-Jul-22", "2022-07-15"),
        ("1er août 2022", "2022-08-01"),
        ("3 févr. 2023", "2023-02-03"),
        ("5 janv. 2021", "2021-01-05"),
    ],
)
def test_parse_dates_month_names(text: str, expected: str) -> None:
    dates, _ = parse_dates(pd.Series([text]))
    assert dates.iloc[0] == pd.Timestamp(expected)


def test_parse_dates_month_first_when_asked() -> None:
    dates, _ = parse_dates(pd.Series(["09/12/2022", "12.09.2022"]), dayfirst=False)
    assert dates.tolist() == [SEPT_12, SEPT_12]  # dots stay day-first


@pytest.mark.parametrize("text", ["abc", "31/02/2022", "2022-13-01", "12345", "99999", "0001-01-01", "12/09"])
def test_parse_dates_flags_garbage(text: str) -> None:
    dates, bad = parse_dates(pd.Series([text]))
    assert pd.isna(dates.iloc[0])
    assert bad.iloc[0]


def test_parse_dates_blank_is_missing_not_bad() -> None:
    dates, bad = parse_dates(pd.Series(["", None, "  "], dtype="string"))
    assert dates.isna().all()
    assert not bad.any()
    assert str(dates.dtype) == "datetime64[ns]"


def test_parse_dates_keeps_index() -> None:
    dates, bad = parse_dates(pd.Series(["2022-09-12", "x"], index=[7, 3]))
    assert list(dates.index) == [7, 3] and list(bad.index) == [7, 3]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14,35", 14.35),
        ("14.35", 14.35),
        (" - 3.5", -3.5),
        ("14.35N", 14.35),
        ("3.5W", -3.5),
        (".5", 0.5),
        ("-0,25", -0.25),
        ("5°", 5.0),
    ],
)
def test_parse_coordinates_accepts(text: str, expected: float) -> None:
    values, bad = parse_coordinates(pd.Series([text]))
    assert values.iloc[0] == pytest.approx(expected)
    assert not bad.iloc[0]


@pytest.mark.parametrize("text", ["abc", "1.2.3", "14,35,2", "inf", "nan", "N14S", "--3"])
def test_parse_coordinates_rejects(text: str) -> None:
    values, bad = parse_coordinates(pd.Series([text]))
    assert pd.isna(values.iloc[0])
    assert bad.iloc[0]


def test_parse_coordinates_numeric_input_and_blanks() -> None:
    values, bad = parse_coordinates(pd.Series([1.5, float("nan")]))
    assert values.iloc[0] == 1.5 and not bad.any()
    values, bad = parse_coordinates(pd.Series(["", None], dtype="string"))
    assert values.isna().all() and not bad.any()


def test_parse_fatalities() -> None:
    text = pd.Series(["3", "3.0", "3,0", "", None, "-2", " 12 ", "abc", "3.5", "1,000"], dtype="string")
    values, bad = parse_fatalities(text)
    assert str(values.dtype) == "Int64"
    assert values.iloc[:7].tolist() == [3, 3, 3, 0, 0, -2, 12]
    assert bad.tolist() == [False] * 7 + [True] * 3
    assert values.iloc[7:].isna().all()
