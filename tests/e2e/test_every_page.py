"""Every page opens offline from the sidebar menu in a real browser with no Python exception and
no script error, shows no French line in English (tests/language_check.py), and looks as reviewed.

AppTest runs the Python side of each page; only a browser runs the maps' JavaScript
(a layer control naming a layer before it exists only fails there). Each page's screenshot at
1600x1000 is compared, with a tolerance, with ``tests/fixtures/visual/page-<name>.png``
(tests/visual.py); ``--update-visual`` rewrites the references from the current look.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import steady_screenshot
from tests.language_check import french_lines, stored_names
from tests.servers import MAP_PAGES, AppServer, every_page_from_the_menu, refuse_outside, visible_texts
from tests.visual import compare


@pytest.mark.e2e
def test_every_page_opens_without_errors_and_looks_as_reviewed(
    app_server: AppServer, page_1600: Any, update_visual: bool
) -> None:
    page = page_1600
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
    outside = refuse_outside(page, app_server)
    problems: list[str] = []
    maps_seen = 0
    looks = []
    allowed = stored_names(app_server.db_url)
    french: dict[str, list[str]] = {}
    for name, maps in every_page_from_the_menu(page, app_server.url):
        maps_seen += maps
        shot = steady_screenshot(page)
        if found := french_lines(visible_texts(page), allowed):  # the English interface speaks English
            french[f"/{name}"] = found
        looks.append(compare(f"page-{name or 'overview'}", shot, update=update_visual))
        exceptions = page.locator("[data-testid=stException]").count()
        errors = page.locator("[data-testid=stAlertContentError]").all_inner_texts()
        if exceptions or errors:
            problems.append(f"/{name}: {exceptions} exception(s), errors {errors}")
    assert problems == []
    assert french == {}
    assert maps_seen >= len(MAP_PAGES), "every map page should have drawn its map"
    assert script_errors == []
    assert outside == [], "the app must work with no outside network"
    assert [look.describe() for look in looks if not look.matches] == []
