"""Browser test fixtures: a real ``streamlit run`` server and headless Debian Chromium.

The server runs on a free port with its own SQLite store; readiness is polled on
``/_stcore/health`` (no fixed sleeps). Chromium is Debian's ``/usr/bin/chromium`` driven
by Playwright (``playwright install`` is never needed). Missing Chromium or Playwright
skips on a developer machine and fails in CI (``CI=true``), see tests/conftest.py.
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_or_skip

ROOT = Path(__file__).resolve().parents[2]
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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
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


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """``streamlit run dashboard/app.py`` on a free port with a fresh store; killed at teardown."""
    workdir = tmp_path_factory.mktemp("e2e_server")
    port = _free_port()
    log = workdir / "streamlit.log"
    env = {
        **os.environ,
        "SAHEL_DB_URL": f"sqlite:///{workdir / 'e2e.db'}",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "dashboard/app.py",
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
    try:
        _wait_healthy(url, proc, log)
        yield AppServer(url=url, host="127.0.0.1", port=port, log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; skip locally, fail in CI when it is missing."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        require_or_skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
def browser_page(chromium_path: str) -> Iterator[object]:
    """A fresh Playwright page in headless Chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_or_skip("playwright is not installed (pip install -r requirements-dev.txt)")
        raise
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1500})
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    # Lets a test's fixtures/teardown know whether the test itself failed (to keep screenshots).
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
