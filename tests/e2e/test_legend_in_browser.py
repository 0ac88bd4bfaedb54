"""The map reads at a glance in a real browser (1600x1000, offline demo store).

* with every layer on, the one legend panel covers at most 15 % of the map;
* filtered to battles, no marker or cluster bubble uses another event type's colour;
* a Map link copied with layers changed opens with the same layer widgets in a new browser
  (a new context: no shared session or storage).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from dashboard.builders.maps import CLUSTER_COLOURS, EVENT_TYPE_COLOURS
from tests.e2e.conftest import ROOT, AppServer
from tests.servers import MAP_IFRAME, launched_browser, wait_single_map

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1600, "height": 1000}
LOAD_TIMEOUT_MS = 90_000
STEP_TIMEOUT_MS = 30_000
MAX_LEGEND_SHARE = 0.15
KEEP_DIR = ROOT / "test-output" / "e2e"
EVERY_LAYER = {
    "map_heat": "count",
    "map_hexagons": "1",
    "map_choropleth": "per_30_days",
    "map_admin2": "1",
    "map_buffers": "1",
}


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Any]:
    with launched_browser(chromium_path) as launched:
        yield launched


def _page(browser: Any, server: AppServer) -> Any:
    """A page in a new browser context (its own cookies and storage), refusing outside addresses."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    allowed = f"{server.host}:{server.port}"

    def guard(route: Any) -> None:
        url = route.request.url
        outside = url.startswith(("http", "ws")) and f"//{allowed}" not in url
        route.abort() if outside else route.continue_()

    page.route("**/*", guard)
    return page


def _wait_map(page: Any, *extra: str) -> Any:
    """The map's frame once exactly one map is drawn with its legend (and ``extra`` selectors)."""
    return wait_single_map(page, (".leaflet-container", ".sahel-legend", *extra), LOAD_TIMEOUT_MS)


def _wait_idle(page: Any) -> None:
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=LOAD_TIMEOUT_MS)


def _open_map(page: Any, server: AppServer, query: dict[str, str]) -> Any:
    page.goto(f"{server.url.rstrip('/')}/map?{urlencode(query)}", wait_until="domcontentloaded")
    frame = _wait_map(page, ".marker-cluster")
    _wait_idle(page)
    return frame


def _keep(page: Any, server: AppServer, name: str) -> None:
    KEEP_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(KEEP_DIR / f"{name}.png"))
    shutil.copy(server.log, KEEP_DIR / f"{name}.streamlit.log")


def _rgb(colour: str) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


_DRAWN_COLOURS = """(root) => {
    const out = {paths: [], bubbles: []};
    for (const p of root.querySelectorAll('path')) {
        for (const name of ['fill', 'stroke']) {
            out.paths.push((p.getAttribute(name) || '').toLowerCase());
        }
    }
    for (const c of root.querySelectorAll('.marker-cluster, .marker-cluster div')) {
        out.bubbles.push(getComputedStyle(c).backgroundColor);
    }
    return out;
}"""


def test_legend_covers_little_and_battles_use_only_the_battle_colour(
    app_server: AppServer, browser: Any, request: pytest.FixtureRequest
) -> None:
    page = _page(browser, app_server)
    try:
        frame = _open_map(page, app_server, {"country": "MLI", "type": "battle", **EVERY_LAYER})
        frame = _wait_map(page, ".marker-cluster", "canvas.leaflet-heatmap-layer")
        legend = frame.locator(".sahel-legend")
        assert legend.get_attribute("open") is not None  # open at start on a large map
        text = legend.inner_text()
        for section in ("Event type", "Battle", "Grey bubbles", "Heat", "hexagon", "Incidents per 30 days"):
            assert section in text, section
        box = legend.bounding_box()
        map_box = frame.locator(".leaflet-container").bounding_box()
        assert box is not None and map_box is not None
        share = box["width"] * box["height"] / (map_box["width"] * map_box["height"])
        assert share <= MAX_LEGEND_SHARE, (share, box, map_box)
        body = frame.locator(".sahel-legend-body")
        assert body.evaluate("b => b.scrollHeight > b.clientHeight")  # long: it scrolls inside

        drawn = frame.locator("body").evaluate(_DRAWN_COLOURS)
        others = {t: c for t, c in EVENT_TYPE_COLOURS.items() if t != "battle"}
        for event_type, colour in others.items():
            assert colour.lower() not in drawn["paths"], event_type
            assert _rgb(colour) not in drawn["bubbles"], event_type
        ramp = {_rgb(fill) for fill, _ in CLUSTER_COLOURS.values()}
        inner = set(
            frame.locator(".marker-cluster div").evaluate_all(
                "ds => ds.map(d => getComputedStyle(d).backgroundColor)"
            )
        )
        assert inner and inner <= ramp, inner

        KEEP_DIR.mkdir(parents=True, exist_ok=True)
        _wait_idle(page)
        page.locator(MAP_IFRAME).scroll_into_view_if_needed()
        page.screenshot(path=str(KEEP_DIR / "map_legend_every_layer.png"))  # for a human to look at
        legend.locator("summary").click()  # collapsible
        assert legend.get_attribute("open") is None
    except BaseException:
        _keep(page, app_server, request.node.name)
        raise
    finally:
        page.context.close()


def test_a_copied_map_link_reopens_the_same_layers_in_a_new_browser(
    app_server: AppServer, browser: Any, request: pytest.FixtureRequest
) -> None:
    first = _page(browser, app_server)
    second = None
    try:
        _open_map(first, app_server, {"country": "MLI"})
        sidebar = first.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Fatality-weighted", exact=True).click()
        first.wait_for_url(re.compile(r"map_heat=fatalities"), timeout=STEP_TIMEOUT_MS)
        _wait_idle(first)
        sidebar.get_by_text("Corridor buffer zones", exact=True).click()
        first.wait_for_url(re.compile(r"map_buffers=1"), timeout=STEP_TIMEOUT_MS)
        _wait_idle(first)
        copied = first.url

        second = _page(browser, app_server)
        second.goto(copied, wait_until="domcontentloaded")
        _wait_map(second, ".marker-cluster", "canvas.leaflet-heatmap-layer")
        _wait_idle(second)
        bar = second.locator('[data-testid="stSidebar"]')
        assert bar.get_by_role("radio", name="Fatality-weighted").is_checked()
        assert bar.get_by_role("checkbox", name="Corridor buffer zones").is_checked()
        assert not bar.get_by_role("checkbox", name="Hexagon counts").is_checked()
        assert "Corridor buffer" in _wait_map(second).locator(".sahel-legend").inner_text()
        assert "map_heat=fatalities" in second.url and "map_buffers=1" in second.url
    except BaseException:
        _keep(first, app_server, request.node.name + "-first")
        if second is not None:
            _keep(second, app_server, request.node.name + "-second")
        raise
    finally:
        first.context.close()
        if second is not None:
            second.context.close()
