"""Crafted filter links never crash a page: every query parameter is bounded or dropped with a notice.

The three links of the attack run crashed every analysis page (a number input refused a
huge value, date arithmetic overflowed at year 1, the corridor slider refused 0 km). The
property test opens every page with random query strings: the real parameter names plus
junk keys, with junk values, huge numbers, NaN, infinities, odd dates and unicode.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.app.helpers import (
    EVERY_PAGE,
    FILTER_PAGES,
    OVERVIEW,
    assert_clean,
    new_app,
    texts,
)

pytestmark = [pytest.mark.shared_app_db, pytest.mark.slow]

ATTACK_LINKS = {
    "min_fatalities": {"min_fatalities": "99999999999999999999"},
    "dates": {"period": "custom", "from": "0001-01-01", "to": "9999-12-31"},
    "corridor_km": {"corridor": "C1", "corridor_km": "1e-300"},
}
#: x every page; each example is a whole page run (the parsing alone: test_query_links.py, 300 examples).
EXAMPLES_PER_PAGE = 5

_BAD_NUMBERS = (
    "99999999999999999999",
    "-99999999999999999999",
    "9007199254740993",
    "1e308",
    "1e-300",
    "4.9",
    "2.5",
    "-1",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "-0",
    "0x10",
)
_BAD_DATES = ("0001-01-01", "9999-12-31", "1000-06-15", "2024-02-30", "1970-01-01T00:00:00", "2024-1-5")
_junk = st.one_of(
    st.text(max_size=24),
    st.sampled_from(
        [
            *_BAD_NUMBERS,
            *_BAD_DATES,
            "",
            ",,,",
            "𝟙𝟚",
            "٣",
            "\u202e",
            "<script>alert(1)</script>",
            "[x](javascript:alert(1))",
            "x" * 300,
        ]
    ),
)
_numbers = st.one_of(st.sampled_from(_BAD_NUMBERS), st.integers().map(str), st.floats().map(repr))
_dates = st.one_of(st.sampled_from(_BAD_DATES), st.dates().map(str))
#: Values worth trying per real parameter (plus junk for every one).
_PLAUSIBLE: dict[str, st.SearchStrategy[str]] = {
    "country": st.sampled_from(["MLI", "mli,ner,bfa", "NER", "ZZZ", "ML"]),
    "type": st.sampled_from(["battle", "abduction", "BATTLE"]),
    "actor": st.sampled_from(["JNIM", "ISSP", "jnim"]),
    "admin1": st.sampled_from(["ML-7", "NE-1", "BF-13"]),
    "source": st.sampled_from(["demo", "acled", "ucdp", "nope"]),
    "period": st.sampled_from(["custom", "custom", "custom", "all", "last_30", "forever"]),
    "from": _dates,
    "to": _dates,
    "min_fatalities": _numbers,
    "corridor": st.sampled_from(["C1", "C2", "C9"]),
    "corridor_km": _numbers,
    "view": st.sampled_from(["mali-battles", "no-such-view"]),
}


@st.composite
def _query_strings(draw: st.DrawFn) -> dict[str, list[str]]:
    """Real parameters (mostly with values worth trying for them, sometimes junk) and junk keys.

    The numbers and the custom period are each present about half the time: a crash needs the
    right key's bad value, and each page gets only a few dozen examples.
    """

    def values(key: str) -> list[str]:
        plausible = _PLAUSIBLE[key]
        return draw(st.lists(st.one_of(plausible, plausible, _junk), min_size=1, max_size=2))

    keys = draw(st.lists(st.sampled_from(list(_PLAUSIBLE)), max_size=6, unique=True))
    query = {key: values(key) for key in keys}
    for key in ("min_fatalities", "corridor_km"):
        if draw(st.booleans()):
            query[key] = values(key)
    if draw(st.booleans()):
        query.update(period=["custom"], **{"from": values("from"), "to": values("to")})
    junk_keys = draw(st.lists(st.text(min_size=1, max_size=10), max_size=2))
    return {**{key: draw(st.lists(_junk, min_size=1, max_size=2)) for key in junk_keys}, **query}


def _open(page: str, query: dict[str, Any]) -> Any:
    at = new_app()
    at.query_params = query
    if page != OVERVIEW:
        at.switch_page(page)
    at.run()
    return at


@pytest.mark.parametrize("page", FILTER_PAGES)
@pytest.mark.parametrize("link", list(ATTACK_LINKS))
def test_the_attack_links_open_with_a_notice(app_db_url: str, page: str, link: str) -> None:
    at = _open(page, ATTACK_LINKS[link])
    assert_clean(at)
    notices = " ".join(texts(at.toast)).replace("\\", "")  # shown as escaped markdown
    for key in ATTACK_LINKS[link]:
        if key in ("min_fatalities", "from", "to", "corridor_km"):
            assert f"Link parameter {key}=" in notices, notices


def test_a_clamped_link_still_shows_its_custom_period(app_db_url: str) -> None:
    at = _open(OVERVIEW, ATTACK_LINKS["dates"])
    assert_clean(at)
    assert at.selectbox(key="filter_period").value == "custom"
    assert at.query_params["from"] == "1989-01-01"


@pytest.mark.parametrize("page", EVERY_PAGE)
def test_no_query_string_crashes_a_page(app_db_url: str, page: str) -> None:
    # The first example loads the demo into the shared store; the rest reuse it.
    @settings(
        max_examples=EXAMPLES_PER_PAGE,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(query=_query_strings())
    def opens(query: dict[str, list[str]]) -> None:
        at = _open(page, query)
        assert not at.exception, (query, [str(exc.value) for exc in at.exception])

    opens()
