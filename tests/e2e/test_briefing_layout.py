"""The Briefing page at a meeting-room screen (1600 x 1000): Previous/Next read in full, and in
presentation mode the figures are larger than their labels."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from incidents.auth import LOCAL_ADMIN
from incidents.demo import load_demo
from incidents.store import IncidentStore
from incidents.store.saved_views import SavedView, save_view
from tests.servers import AppServer, app_servers, browser_context, prepared_store

TIMEOUT_MS = 120_000
VIEWPORT = {"width": 1600, "height": 1000}
BUTTONS = ("brief_prev", "brief_next")


@pytest.fixture(scope="module")
def briefing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """A server whose store holds the demo and two saved views (so there are slides to step)."""
    workdir = tmp_path_factory.mktemp("e2e_briefing")

    def demo_and_views(store: IncidentStore) -> None:
        load_demo(store)
        save_view(store, SavedView(name="mali", title="Mali", query="country=MLI"), by=LOCAL_ADMIN)
        save_view(store, SavedView(name="niger", title="Niger", query="country=NER"), by=LOCAL_ADMIN)

    with app_servers(prepared_store(workdir, demo_and_views), workdir) as (server,):
        yield server


def _truncated(page: Any, key: str) -> list[str]:
    """Parts of the button ``key`` whose text is cut (scrollWidth > clientWidth), as "tag text".

    The first button: Streamlit also renders a hidden copy (to measure its width)."""
    result: list[str] = page.evaluate(
        """(key) => {
            const button = document.querySelector(`.st-key-${key} button`);
            if (!button) return [`no button ${key}`];
            return [button, ...button.querySelectorAll('*')]
                .filter((e) => e.scrollWidth > e.clientWidth)
                .map((e) => `${e.tagName} ${e.textContent}`);
        }""",
        key,
    )
    return result


def _font_px(page: Any, selector: str) -> float:
    size: str = page.evaluate("(s) => getComputedStyle(document.querySelector(s)).fontSize", selector)
    return float(size.removesuffix("px"))


@pytest.mark.e2e
@pytest.mark.parametrize("present", [True, False], ids=["presentation", "with-sidebar"])
def test_previous_and_next_read_in_full_at_1600_px(
    briefing_server: AppServer, chromium_path: str, present: bool
) -> None:
    with browser_context(chromium_path) as context:
        page = context.new_page()
        page.set_viewport_size(VIEWPORT)
        page.goto(f"{briefing_server.url}/briefing")
        page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=TIMEOUT_MS)
        page.wait_for_selector("[data-testid=stMetricValue]", timeout=TIMEOUT_MS)
        if not present:
            page.locator(".st-key-brief_present label").click()
            page.wait_for_selector("[data-testid=stSidebar]", state="visible", timeout=TIMEOUT_MS)
        for key in BUTTONS:
            page.wait_for_selector(f".st-key-{key} button", timeout=TIMEOUT_MS)
            assert _truncated(page, key) == [], f"{key}: text cut off"
            assert page.locator(f".st-key-{key} button").first.inner_text().strip(), "the button has a label"
        if present:
            value = _font_px(page, "[data-testid=stMetricValue] p")
            label = _font_px(page, "[data-testid=stMetricLabel] p")
            assert value > 2 * label, f"figure {value}px vs label {label}px"
