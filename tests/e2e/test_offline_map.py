"""The map renders in a browser with no internet: every request outside the app is refused.

Why a browser test: the unit tests prove the HTML names only local URLs, but only a browser
proves those files are really served (static serving on, vendor/ copied, Leaflet images
found) and that the map initialises without a JavaScript error.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import ROOT, AppServer

pytestmark = pytest.mark.e2e

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
LOAD_TIMEOUT_MS = 90_000
KEEP_DIR = ROOT / "test-output" / "e2e"


def _is_outside(url: str, server: AppServer) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != f"{server.host}:{server.port}"


def test_map_renders_offline(
    app_server: AppServer, browser_page: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    page = browser_page
    outside: list[str] = []
    page_errors: list[str] = []
    failed_assets: list[str] = []

    def guard(route: Any) -> None:
        if _is_outside(route.request.url, app_server):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", guard)
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            failed_assets.append(f"{response.status} {response.url}")
            if "/app/static/" in response.url and response.status >= 400
            else None
        ),
    )

    screenshot = tmp_path / "offline_map.png"
    try:
        page.goto(app_server.url, wait_until="domcontentloaded")
        page.wait_for_selector(MAP_IFRAME, timeout=LOAD_TIMEOUT_MS)
        frame = page.frame_locator(MAP_IFRAME)
        frame.locator(".leaflet-container").wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
        frame.locator(".marker-cluster").first.wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)

        assert frame.locator(".leaflet-container").is_visible()
        assert frame.locator(".marker-cluster").count() > 0, "no incident clusters drawn"
        assert frame.locator("path.leaflet-interactive").count() > 0, "no boundary/corridor paths drawn"
        assert frame.locator(".leaflet-control-layers").count() == 1, "layer control missing"
        assert frame.locator(".sahel-legend").count() == 1, "legend missing"
        assert frame.locator(".leaflet-control-attribution").inner_text().count("Natural Earth") == 1
        assert page.get_by_text("Synthetic demo data — not real events").count() >= 1
        page.screenshot(path=str(screenshot), full_page=True)

        assert page_errors == [], f"JavaScript errors: {page_errors}"
        assert failed_assets == [], f"static assets not served: {failed_assets}"
        assert outside == [], f"the app tried to reach outside addresses: {sorted(set(outside))}"
    except BaseException:
        if not screenshot.exists():
            page.screenshot(path=str(screenshot), full_page=True)
        KEEP_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, KEEP_DIR / f"{request.node.name}.png")
        shutil.copy(app_server.log, KEEP_DIR / f"{request.node.name}.streamlit.log")
        raise
