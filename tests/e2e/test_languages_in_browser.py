"""The interface in French and English in a real browser (issue: the whole dashboard in French).

Every page, reached from the sidebar menu after opening the dashboard with ``?lang=fr`` (demo data,
offline), keeps the language in its address and shows no English line among its visible
text, maps' and charts' frames included, once the names that stay as they are (places, actors,
datasets, licences: tests/language_check.py) are taken out; the English pass of
tests/e2e/test_every_page.py checks the reverse. Switching language keeps the page and the filters,
the address then carries the language for whoever opens the link, and a browser that prefers French
gets French.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import VIEWPORT
from tests.language_check import english_lines, stored_names
from tests.servers import AppServer, every_page_from_the_menu, refuse_outside, settle, visible_texts


@pytest.mark.e2e
def test_every_page_in_french_shows_no_english_sentence(app_server: AppServer, page_1600: Any) -> None:
    page = page_1600
    allowed = stored_names(app_server.db_url)
    outside = refuse_outside(page, app_server)
    found: dict[str, list[str]] = {}
    for name, _maps in every_page_from_the_menu(page, app_server.url, "lang=fr"):
        assert parse_qs(urlsplit(page.url).query).get("lang") == ["fr"], f"/{name} left French: {page.url}"
        english = english_lines(visible_texts(page), allowed)
        if english:
            found[f"/{name}"] = english
        assert page.locator("[data-testid=stException]").count() == 0, f"/{name} raised"
    assert found == {}
    assert outside == []


@pytest.mark.e2e
def test_switching_language_keeps_the_page_and_the_filters(app_server: AppServer, page_1600: Any) -> None:
    page = page_1600
    page.goto(f"{app_server.url}/timeline?country=MLI&country=BFA&period=last_90")
    settle(page, expect_map=False)
    assert page.get_by_role("heading", name="Timeline").count() >= 1
    page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").filter(has_text="Language").click()
    page.get_by_role("option", name="Français").click()
    page.wait_for_function("() => new URL(location.href).searchParams.get('lang') === 'fr'")
    settle(page, expect_map=False)
    address = urlsplit(page.url)
    query = parse_qs(address.query)
    assert address.path.endswith("/timeline")
    assert query["lang"] == ["fr"] and sorted(query["country"]) == ["BFA", "MLI"]
    assert query["period"] == ["last_90"]
    assert page.get_by_role("heading", name="Chronologie").count() >= 1
    assert page.locator(".st-key-filter_period input").input_value().startswith("90 derniers jours")

    # The copied address opens in French for someone else (a new browser context: no session).
    shared = page.context.browser.new_context(viewport=VIEWPORT)
    try:
        other = shared.new_page()
        other.goto(page.url)
        settle(other, expect_map=False)
        assert other.get_by_role("heading", name="Chronologie").count() >= 1
    finally:
        shared.close()

    # A browser whose preferred language is French opens a plain link in French.
    french_browser = page.context.browser.new_context(
        viewport={"width": 1600, "height": 1000}, locale="fr-FR"
    )
    try:
        other = french_browser.new_page()
        other.goto(f"{app_server.url}/timeline")
        settle(other, expect_map=False)
        assert other.get_by_role("heading", name="Chronologie").count() >= 1
        assert parse_qs(urlsplit(other.url).query)["lang"] == ["fr"]
    finally:
        french_browser.close()
