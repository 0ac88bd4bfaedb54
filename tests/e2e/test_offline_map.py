"""The map renders in a browser with no internet: every request outside the app is refused.

Why a browser test: the unit tests prove the HTML names only local URLs, but only a browser
proves those files are really served (static serving on, vendor/ copied, Leaflet images
found), that the map initialises without a JavaScript error, and that it follows the
shared filters and the layer controls. The Map page is reached the way a user does: from
the default Overview page through the sidebar navigation.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import ROOT, AppServer
from tests.servers import wait_single_map

pytestmark = pytest.mark.e2e

LOAD_TIMEOUT_MS = 90_000
STEP_TIMEOUT_MS = 30_000
KEEP_DIR = ROOT / "test-output" / "e2e"
REMOVED_COUNTRY = "Niger"


def _is_outside(url: str, server: AppServer) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != f"{server.host}:{server.port}"


def _wait_idle(page: Any) -> None:
    """Until Streamlit's "Running…" status widget is gone (the script run finished)."""
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=LOAD_TIMEOUT_MS)


def _wait_map(page: Any, *extra: str) -> Any:
    """The map's frame once exactly one map is drawn with clusters (and ``extra`` selectors)."""
    return wait_single_map(page, (".leaflet-container", ".marker-cluster", *extra), LOAD_TIMEOUT_MS)


def _incident_count(page: Any) -> str:
    return str(page.locator('[data-testid="stMetricValue"]').first.inner_text()).strip()


DEFAULT_LABELS = ("Bamako", "Mopti", "Gao", "Tombouctou", "Kidal", "Ouagadougou", "Niamey")
MOPTI_LABELS = ("Douentza", "Bandiagara")


def _labels(frame: Any) -> set[str]:
    return {text.strip() for text in frame.locator(".sahel-town span").all_inner_texts()}


def _check_place_labels(frame: Any) -> None:
    """Town labels at the default view; smaller towns after going to Mopti with the search box."""
    from playwright.sync_api import expect

    shown = _labels(frame)
    assert set(DEFAULT_LABELS) <= shown, sorted(set(DEFAULT_LABELS) - shown)
    assert not set(MOPTI_LABELS) & shown, "small towns shown at the default zoom"
    search = frame.locator(".sahel-search input")
    search.fill("Mopti")
    search.press("Enter")
    expect(frame.locator(".sahel-town span", has_text="Bandiagara")).to_have_count(1, timeout=STEP_TIMEOUT_MS)
    assert "Niamey" not in _labels(frame)  # out of view at town zoom (10)
    # Out to the Mopti region (zoom 8): its towns, not just the ones next to Mopti.
    for _ in range(2):
        frame.locator(".leaflet-control-zoom-out").click()
    expect(frame.locator(".sahel-town span", has_text="Douentza")).to_have_count(1, timeout=STEP_TIMEOUT_MS)
    shown = _labels(frame)
    assert set(MOPTI_LABELS) <= shown, sorted(shown)


def test_map_renders_offline_and_follows_filters(
    app_server: AppServer, browser_page: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    outside: list[str] = []
    page_errors: list[str] = []
    failed_assets: list[str] = []

    def guard(route: Any) -> None:
        if _is_outside(route.request.url, app_server):
            frame = route.request.frame
            outside.append(f"{route.request.url} (from frame {frame.url if frame else '?'})")
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
        nav = page.locator('[data-testid="stSidebarNav"]')
        # By address: the link's accessible name also holds its icon's text, and "map" is in "Risk heatmap".
        nav.locator('a[href$="/map"]').click(timeout=LOAD_TIMEOUT_MS)
        page.wait_for_url(re.compile(r"/map(\?|$)"), timeout=STEP_TIMEOUT_MS)
        frame = _wait_map(page)

        assert frame.locator(".marker-cluster").count() > 0, "no incident clusters drawn"
        assert frame.locator("path.leaflet-interactive").count() > 0, "no boundary/corridor paths drawn"
        assert frame.locator(".leaflet-control-layers").count() == 1, "layer control missing"
        assert frame.locator(".sahel-legend").count() == 1, "legend missing"
        assert frame.locator(".leaflet-control-attribution").inner_text().count("Natural Earth") == 1
        assert page.get_by_text("Synthetic demo data — not real events").count() >= 1
        _wait_idle(page)
        _check_place_labels(frame)
        before = _incident_count(page)

        # Remove one country from the shared filter: the figures and the map must follow.
        sidebar = page.locator('[data-testid="stSidebar"]')
        remove = sidebar.get_by_role("button", name=re.compile(rf"^Remove {REMOVED_COUNTRY}\b"))
        remove.first.click(timeout=STEP_TIMEOUT_MS)
        expect(page.locator('[data-testid="stMetricValue"]').first).not_to_have_text(
            before, timeout=LOAD_TIMEOUT_MS
        )
        _wait_idle(page)
        frame = _wait_map(page)
        after = _incident_count(page)
        assert int(after.replace(",", "")) < int(before.replace(",", "")), (before, after)

        # Heat layer on: still renders, offline, without errors.
        sidebar.get_by_text("Incident count", exact=True).click()
        frame = _wait_map(page, "canvas.leaflet-heatmap-layer")
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
