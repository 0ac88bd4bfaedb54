"""Browser test fixtures: a real ``streamlit run`` server and headless Debian Chromium.

The server runs on a free port with its own SQLite store; readiness is polled on
``/_stcore/health`` (no fixed sleeps). Chromium is Debian's ``/usr/bin/chromium`` driven
by Playwright (``playwright install`` is never needed). Missing Chromium or Playwright
skips on a developer machine and fails in CI (``CI=true``), see tests/conftest.py.
The start-up code is shared with tests/integration in tests/servers.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Final

import pytest

from incidents.demo import load_demo
from tests.servers import (
    ROOT,
    AppServer,
    app_servers,
    browser_context,
    chromium_executable,
    launched_browser,
    prepared_store,
)
from tests.visual import differences, reduced

__all__ = ["ROOT", "AppServer"]


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """``streamlit run dashboard/app.py`` on a free port with a fresh demo store; killed at teardown."""
    workdir = tmp_path_factory.mktemp("e2e_server")
    with app_servers(prepared_store(workdir, load_demo), workdir) as (server,):
        yield server


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; skip locally, fail in CI when it is missing."""
    return chromium_executable()


@pytest.fixture
def browser_page(chromium_path: str) -> Iterator[object]:
    """A fresh Playwright page in headless Chromium."""
    with browser_context(chromium_path) as context:
        yield context.new_page()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    # Lets a test's fixtures/teardown know whether the test itself failed (to keep screenshots).
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


#: The screen the product is checked at (a laptop in a field office, a meeting-room projector).
VIEWPORT: Final = {"width": 1600, "height": 1000}
#: A page is shot once two screenshots this far apart look the same: a run that ends can be
#: followed by another (a page writes its filters into the address), and Streamlit fades
#: elements in while Leaflet draws its clusters.
STEADY_INTERVAL_MS: Final = 500
STEADY_TIMEOUT_S: Final = 60.0


@pytest.fixture
def update_visual(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-visual"))


@pytest.fixture
def page_1600(chromium_path: str) -> Iterator[Any]:
    with launched_browser(chromium_path) as browser:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            yield context.new_page()
        finally:
            context.close()


def steady_screenshot(page: Any) -> bytes:
    """A screenshot of the page once it stopped changing (no skeleton left, two shots alike)."""
    deadline = time.monotonic() + STEADY_TIMEOUT_S
    previous = page.screenshot()
    while True:
        page.wait_for_timeout(STEADY_INTERVAL_MS)
        current = page.screenshot()
        skeletons = page.locator('[data-testid="stSkeleton"]').count()
        mean_diff, worst = differences(reduced(current), reduced(previous))
        if (skeletons == 0 and mean_diff < 0.3 and worst < 2.0) or time.monotonic() > deadline:
            return bytes(current)
        previous = current
