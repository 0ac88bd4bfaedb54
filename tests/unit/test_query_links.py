"""Bounding a filter link's query string (incidents.query_links): crafted values become bounded or dropped."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.query import DATE_PRESETS, MAX_CORRIDOR_KM, IncidentFilter
from incidents.query_links import (
    EARLIEST_LINK_DATE,
    MAX_LINK_CORRIDOR_KM,
    MAX_LINK_VALUES,
    MAX_MIN_FATALITIES,
    MAX_NOTICES,
    MIN_CORRIDOR_KM,
    bound_query_params,
    link_date_range,
    parse_bounded_float,
    parse_bounded_int,
    parse_link_date,
)

TODAY = date(2026, 12, 2)
FILTER_KEYS = ("country", "type", "actor", "admin1", "source", "period", "from", "to")
FILTER_KEYS += ("min_fatalities", "corridor", "corridor_km")


def test_the_bounds_match_the_filter_model() -> None:
    assert MAX_LINK_CORRIDOR_KM == MAX_CORRIDOR_KM
    for preset in DATE_PRESETS:
        assert bound_query_params({"period": preset}).params == {"period": [preset]}
    assert bound_query_params({"period": "forever"}).params == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("12.0", 12),
        (" 0 ", 0),
        ("99999999999999999999", None),
        ("1e30", None),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("2.5", None),
        ("lots", None),
        ("9" * 5000, None),
    ],
)
def test_bounded_int(text: str, expected: int | None) -> None:
    assert parse_bounded_int(text, 0, MAX_MIN_FATALITIES) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("25", 25.0), ("5", 5.0), ("200", 200.0), ("1e-300", None), ("0", None), ("-inf", None), ("NaN", None)],
)
def test_bounded_float(text: str, expected: float | None) -> None:
    assert parse_bounded_float(text, MIN_CORRIDOR_KM, MAX_LINK_CORRIDOR_KM) == expected


def test_dates_are_clamped_to_1989_and_a_year_ahead() -> None:
    assert parse_link_date("2024-02-29", TODAY) == (date(2024, 2, 29), None)
    early, problem = parse_link_date("0001-01-01", TODAY)
    assert early == EARLIEST_LINK_DATE and problem and "1989-01-01" in problem
    late, problem = parse_link_date("9999-12-31", TODAY)
    assert late == date(2027, 12, 2) and problem
    assert parse_link_date("2024-13-01", TODAY)[0] is None
    assert parse_link_date("", TODAY)[0] is None


def test_the_attack_links_are_bounded_with_a_notice_naming_each_parameter() -> None:
    bounded = bound_query_params(
        {
            "min_fatalities": "99999999999999999999",
            "period": "custom",
            "from": "0001-01-01",
            "to": "9999-12-31",
            "corridor": "C1",
            "corridor_km": "1e-300",
        },
        TODAY,
    )
    assert bounded.params == {
        "period": ["custom"],
        "from": ["1989-01-01"],
        "to": ["2027-12-02"],
        "corridor": ["C1"],
    }
    assert len(bounded.notices) == 4
    for key in ("min_fatalities", "from", "to", "corridor_km"):
        assert any(notice.startswith(f"Link parameter {key}=") for notice in bounded.notices), key


def test_bad_list_values_are_dropped_and_named() -> None:
    bounded = bound_query_params(
        {
            "country": ["mli,NER", "Mali", "ß", "NER"],
            "type": ["battle", "zzz"],
            "admin1": ["ML-7", "x" * 500],
        },
        TODAY,
    )
    assert bounded.params == {"country": ["MLI", "NER"], "type": ["battle"], "admin1": ["ML-7"]}
    assert len(bounded.notices) == 4  # 'Mali', 'ß', 'zzz', the long code
    assert all(len(notice) < 200 for notice in bounded.notices)  # a huge value is shortened when quoted


def test_too_many_values_are_cut() -> None:
    codes = [f"ML-{index}" for index in range(MAX_LINK_VALUES + 20)]
    bounded = bound_query_params({"admin1": codes}, TODAY)
    assert bounded.params["admin1"] == codes[:MAX_LINK_VALUES]
    assert len(bounded.notices) == 1


def test_dates_in_the_wrong_order_are_dropped() -> None:
    bounded = bound_query_params({"period": "custom", "from": "2024-05-01", "to": "2024-01-01"}, TODAY)
    assert bounded.params == {"period": ["custom"]}
    assert any("wrong order" in notice for notice in bounded.notices)


def test_other_keys_pass_through_untouched() -> None:
    bounded = bound_query_params({"view": "mali battles", "tab": ["a", "b"]}, TODAY)
    assert bounded.params == {"view": ["mali battles"], "tab": ["a", "b"]}
    assert bounded.notices == ()


def test_from_query_params_applies_the_bounds() -> None:
    parsed = IncidentFilter.from_query_params(
        {"period": "custom", "from": "0001-01-01", "to": "2024-01-31", "min_fatalities": "1e30"}, ["MLI"]
    )
    assert (parsed.preset, parsed.since, parsed.until) == ("custom", EARLIEST_LINK_DATE, date(2024, 1, 31))
    assert parsed.min_fatalities == 0
    parsed.resolved(None).previous_period()  # overflowed at year 1 before


_junk = st.text(max_size=30) | st.sampled_from(
    ["nan", "inf", "-inf", "1e-300", "1e308", "9" * 40, "0001-01-01"]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FILTER_KEYS) | st.text(max_size=8), st.lists(_junk, max_size=4)))
def test_any_query_string_gives_a_filter_the_widgets_accept(params: dict[str, list[str]]) -> None:
    chosen = IncidentFilter.from_query_params(params, ["MLI"])
    assert 0 <= chosen.min_fatalities <= MAX_MIN_FATALITIES
    assert MIN_CORRIDOR_KM <= chosen.corridor_km <= MAX_LINK_CORRIDOR_KM
    for day in (chosen.since, chosen.until):
        assert day is None or link_date_range()[0] <= day <= link_date_range()[1]
    resolved = chosen.resolved(None)
    resolved.previous_period()


def test_a_flood_of_bad_values_gives_a_few_notices() -> None:
    params = {"country": [f"bad{index}" for index in range(5000)], "type": ["zzz"] * 10}
    params |= {key: "nan" for key in ("min_fatalities", "corridor_km")} | {
        "from": "x",
        "to": "y",
        "period": "?",
    }
    bounded = bound_query_params(params, TODAY)
    assert len(bounded.notices) == MAX_NOTICES
    assert "more values were ignored" in " ".join(bounded.notices)
    assert bounded.notices[-1].endswith("more link parameters were changed or ignored.")
