"""Real dashboard servers and headless Chromium for the browser tests (tests/e2e, tests/integration).

A server is ``python -m streamlit run dashboard/app.py`` on a free port bound to 127.0.0.1
(local mode: the session is the local admin), with its store given by ``SAHEL_DB_URL``.
Readiness is polled on ``/_stcore/health`` (no fixed sleeps). Chromium is Debian's
``/usr/bin/chromium`` driven by Playwright (``playwright install`` is never needed).
Missing Chromium or Playwright skips on a developer machine and fails in CI (``CI=true``),
see tests/conftest.py.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import pytest

from incidents.store import IncidentStore, open_store
from tests.conftest import require_or_skip

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("SAHEL_CHROMIUM", "/usr/bin/chromium")
HEALTH_TIMEOUT_S = 120.0
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class AppServer:
    """A running dashboard: where to reach it and where its log goes."""

    url: str
    host: str
    port: int
    log: Path
    db_url: str = ""  # the store it serves ("" when the test did not say)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with code {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)  # poll interval, not a wait for readiness
    pytest.fail(f"streamlit not healthy after {HEALTH_TIMEOUT_S:.0f} s:\n{log.read_text(errors='replace')}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def prepared_store(workdir: Path, prepare: Callable[[IncidentStore], object]) -> str:
    """The URL of a new SQLite store in ``workdir``, filled by ``prepare`` and closed, for a server.

    Named by ``SAHEL_DB_URL``, the app never loads the demo into it: ``prepare`` does that
    when a test wants it, as ``python -m incidents demo`` would.
    """
    db_url = f"sqlite:///{workdir / 'app.db'}"
    store = open_store(db_url)
    try:
        prepare(store)
    finally:
        store.close()
    return db_url


@contextmanager
def app_servers(
    db_url: str,
    workdir: Path,
    count: int = 1,
    *,
    entry: str = "dashboard/app.py",
    env_extra: dict[str, str] | None = None,
) -> Iterator[list[AppServer]]:
    """``count`` dashboard servers sharing the store at ``db_url``, started together; killed on exit.

    All are launched before any is polled, so their start-up overlaps. ``entry``: the
    script ``streamlit run`` starts (``dashboard/serve.py`` adds the sign-in cookie routes);
    ``env_extra``: e.g. ``{"SAHEL_AUTH": "required"}`` (by default local mode).
    """
    env = {
        **os.environ,
        "SAHEL_DB_URL": db_url,
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    env.pop("SAHEL_AUTH", None)  # local mode: the 127.0.0.1 session is the local admin
    env.update(env_extra or {})
    started: list[tuple[subprocess.Popen[bytes], AppServer]] = []
    try:
        for index in range(count):
            port = free_port()
            log = workdir / (f"streamlit-{index}.log" if count > 1 else "streamlit.log")
            command = [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                entry,
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.enableStaticServing",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ]
            with log.open("wb") as sink:
                proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
            url = f"http://127.0.0.1:{port}"
            started.append((proc, AppServer(url=url, host="127.0.0.1", port=port, log=log, db_url=db_url)))
        for proc, server in started:
            wait_healthy(server.url, proc, server.log)
        yield [server for _, server in started]
    finally:
        for proc, _ in started:
            _stop(proc)


def chromium_executable() -> str:
    """Debian's Chromium; skip locally, fail in CI when it is missing."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        require_or_skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@contextmanager
def launched_browser(chromium_path: str) -> Iterator[Any]:
    """Headless Chromium under Playwright (``browser.new_context(...)`` for contexts)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_or_skip("playwright is not installed (pip install -r requirements-dev.txt)")
        raise
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def browser_context(chromium_path: str) -> Iterator[Any]:
    """A Playwright browser context in headless Chromium (``context.new_page()`` for pages)."""
    with launched_browser(chromium_path) as browser:
        context = browser.new_context(viewport={"width": 1440, "height": 1500})
        try:
            yield context
        finally:
            context.close()


#: The iframe streamlit-folium draws the Leaflet map in.
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'


def wait_single_map(page: Any, wanted: tuple[str, ...], timeout_ms: int) -> Any:
    """The map's frame once exactly one map is drawn with every selector of ``wanted``.

    During a rerun Streamlit keeps the previous map (stale) beside the new one, so this
    polls the page state instead of waiting on one element; the poll is not a sleep for
    readiness, it returns as soon as the map is ready.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        if page.locator(MAP_IFRAME).count() == 1:
            frame = page.frame_locator(MAP_IFRAME)
            if all(frame.locator(selector).count() > 0 for selector in wanted):
                return frame
        page.wait_for_timeout(250)
    raise AssertionError(f"no single map with {wanted} after {timeout_ms / 1000:.0f} s")


def is_outside(url: str, *servers: AppServer) -> bool:
    """Whether a request leaves the given app servers (anything but their host:port)."""
    parts = urlsplit(url)
    allowed = {f"{server.host}:{server.port}" for server in servers}
    return parts.scheme in ("http", "https", "ws", "wss") and parts.netloc not in allowed


def refuse_outside(page: Any, *servers: AppServer) -> list[str]:
    """Abort every request of browser ``page`` that leaves ``servers``; return the list that
    records them (empty while nothing leaves the machine)."""
    outside: list[str] = []

    def block_outside(route: Any) -> None:
        if is_outside(route.request.url, *servers):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", block_outside)
    return outside


#: Every page's address ("" is the Overview).
PAGES: Final = (
    "",
    "map",
    "timeline",
    "risk_heatmap",
    "risk",
    "outlook",
    "corridors",
    "before_after",
    "exposure",
    "import_data",
    "watches",
    "inbox",
    "briefing",
    "about",
    "admin",
)
#: Pages that draw a folium map on the demo data (Exposure and Briefing need sites / saved views).
MAP_PAGES: Final = ("map", "risk", "outlook", "corridors")
SETTLE_TIMEOUT_MS: Final = 120_000


def settle(page: Any, *, expect_map: bool) -> int:
    """Wait until the script run ended and every component iframe has run its scripts.

    A folium map's script is synchronous: once Leaflet has created the map container, the
    rest of that script (layers, layer control) has run too, so any script error has fired.
    Returns the number of maps seen (so the test knows the maps were really checked).
    """
    # Streamlit marks its root with the script state: "initial" until the first run ends.
    ended = "[data-testid=stApp][data-test-script-state=notRunning]"
    page.wait_for_selector(ended, timeout=SETTLE_TIMEOUT_MS)
    page.wait_for_selector("h1", timeout=SETTLE_TIMEOUT_MS)
    if expect_map:  # the component iframe can arrive just after the run ends
        page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=SETTLE_TIMEOUT_MS)
    maps = 0
    for element in page.locator("iframe").element_handles():
        frame = element.content_frame()
        if frame is None:
            continue
        frame.wait_for_load_state("load", timeout=SETTLE_TIMEOUT_MS)
        if "streamlit_folium" in frame.url:
            frame.wait_for_selector(".leaflet-container", state="attached", timeout=SETTLE_TIMEOUT_MS)
            maps += 1
    return maps


def open_from_menu(page: Any, name: str) -> None:
    """Open page ``name`` by its sidebar menu link, as a reader does (same session, no reload).

    Returns once the new page's run has ended: its address ends with the page's path and its
    heading replaced the previous page's (the old page stays on screen, greyed, while it runs).
    """
    before = page.locator("h1").first.inner_text()
    page.locator(f'[data-testid=stSidebarNav] a[href$="/{name}"]').click()
    page.wait_for_function(
        """([name, before]) => {
            const heading = document.querySelector("h1");
            const ended = document.querySelector("[data-testid=stApp][data-test-script-state=notRunning]");
            return ended && heading && heading.innerText !== before
                && new URL(location.href).pathname.endsWith("/" + name);
        }""",
        arg=[name, before],
        timeout=SETTLE_TIMEOUT_MS,
    )


def every_page_from_the_menu(page: Any, base_url: str, query: str = "") -> Iterator[tuple[str, int]]:
    """Open the dashboard (``query``: its address's query string), then each page of :data:`PAGES`
    from the sidebar menu, as a reader moves (one session, no reload); yields each page's name
    once it has settled, with the number of maps it drew."""
    page.goto(f"{base_url}/?{query}" if query else base_url)
    for name in PAGES:
        if name:
            open_from_menu(page, name)
        yield name, settle(page, expect_map=name in MAP_PAGES)


def visible_texts(page: Any) -> list[str]:
    """What a reader sees: the sidebar's and the page's text, and the text of every map or chart
    frame (folium maps are iframes: their legends, layer names and control labels)."""
    texts = page.locator("[data-testid=stSidebar], [data-testid=stMain]").all_inner_texts()
    for element in page.locator("iframe").element_handles():
        frame = element.content_frame()
        if frame is not None:
            texts.append(frame.locator("body").inner_text())
    return texts
