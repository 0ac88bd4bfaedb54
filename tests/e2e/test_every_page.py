"""Every page opens offline in a real browser with no Python exception and no script error.

AppTest runs the Python side of each page; only a browser runs the maps' JavaScript
(a layer control naming a layer before it exists only fails there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.servers import MAP_PAGES, PAGES, AppServer, refuse_outside, settle


@pytest.mark.e2e
def test_every_page_opens_without_errors(app_server: AppServer, browser_page: Any, tmp_path: Path) -> None:
    page = browser_page
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
    outside = refuse_outside(page, app_server)
    problems: list[str] = []
    maps_seen = 0
    for name in PAGES:
        page.goto(f"{app_server.url}/{name}")
        maps_seen += settle(page, expect_map=name in MAP_PAGES)
        exceptions = page.locator("[data-testid=stException]").count()
        errors = page.locator("[data-testid=stAlertContentError]").all_inner_texts()
        if exceptions or errors:
            problems.append(f"/{name}: {exceptions} exception(s), errors {errors}")
    page.screenshot(path=str(tmp_path / "last_page.png"))
    assert problems == []
    assert maps_seen >= len(MAP_PAGES), "every map page should have drawn its map"
    assert script_errors == []
    assert outside == [], "the app must work with no outside network"
