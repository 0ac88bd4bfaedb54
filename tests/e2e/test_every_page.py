"""Every page opens offline in a real browser with no Python exception and no script error.

AppTest runs the Python side of each page; only a browser runs the maps' JavaScript
(a layer control naming a layer before it exists only fails there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.servers import AppServer, is_outside

PAGES = (
    "",
    "map",
    "timeline",
    "risk_heatmap",
    "risk",
    "corridors",
    "before_after",
    "exposure",
    "import_data",
    "briefing",
    "about",
    "admin",
)
TIMEOUT_MS = 120_000


def _settle(page: Any) -> None:
    page.wait_for_selector("h1", timeout=TIMEOUT_MS)
    page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=TIMEOUT_MS)
    page.wait_for_timeout(5000)  # let component iframes (maps, charts) load and run their scripts


@pytest.mark.e2e
def test_every_page_opens_without_errors(app_server: AppServer, browser_page: Any, tmp_path: Path) -> None:
    page = browser_page
    script_errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))

    def block_outside(route: Any) -> None:
        if is_outside(route.request.url, app_server):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", block_outside)
    problems: list[str] = []
    for name in PAGES:
        page.goto(f"{app_server.url}/{name}")
        _settle(page)
        exceptions = page.locator("[data-testid=stException]").count()
        errors = page.locator("[data-testid=stAlertContentError]").all_inner_texts()
        if exceptions or errors:
            problems.append(f"/{name}: {exceptions} exception(s), errors {errors}")
    page.screenshot(path=str(tmp_path / "last_page.png"))
    assert problems == []
    assert script_errors == []
    assert outside == [], "the app must work with no outside network"
