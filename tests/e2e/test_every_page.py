"""Every page opens offline in a real browser with no Python exception and no script error.

AppTest runs the Python side of each page; only a browser runs the maps' JavaScript
(a layer control naming a layer before it exists only fails there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.servers import AppServer, refuse_outside

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
#: Pages that draw a folium map on the demo data (Exposure and Briefing need sites / saved views).
MAP_PAGES = ("map", "risk", "corridors")
TIMEOUT_MS = 120_000


def _settle(page: Any, *, expect_map: bool) -> int:
    """Wait until the script run ended and every component iframe has run its scripts.

    A folium map's script is synchronous: once Leaflet has created the map container, the
    rest of that script (layers, layer control) has run too, so any script error has fired.
    Returns the number of maps seen (so the test knows the maps were really checked).
    """
    # Streamlit marks its root with the script state: "initial" until the first run ends.
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=TIMEOUT_MS)
    page.wait_for_selector("h1", timeout=TIMEOUT_MS)
    if expect_map:  # the component iframe can arrive just after the run ends
        page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=TIMEOUT_MS)
    maps = 0
    for element in page.locator("iframe").element_handles():
        frame = element.content_frame()
        if frame is None:
            continue
        frame.wait_for_load_state("load", timeout=TIMEOUT_MS)
        if "streamlit_folium" in frame.url:
            frame.wait_for_selector(".leaflet-container", state="attached", timeout=TIMEOUT_MS)
            maps += 1
    return maps


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
        maps_seen += _settle(page, expect_map=name in MAP_PAGES)
        exceptions = page.locator("[data-testid=stException]").count()
        errors = page.locator("[data-testid=stAlertContentError]").all_inner_texts()
        if exceptions or errors:
            problems.append(f"/{name}: {exceptions} exception(s), errors {errors}")
    page.screenshot(path=str(tmp_path / "last_page.png"))
    assert problems == []
    assert maps_seen >= len(MAP_PAGES), "every map page should have drawn its map"
    assert script_errors == []
    assert outside == [], "the app must work with no outside network"
