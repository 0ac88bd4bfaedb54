"""Run from any directory, the dashboard shows no traceback, calls nothing outside, serves its static files.

``streamlit run /abs/path/dashboard/app.py`` from /tmp does not see the repository root's
``.streamlit/config.toml``; the settings that matter come from ``dashboard/.streamlit/config.toml``
(read next to the script) and from the app itself (dashboard/ui/safe_settings.py). Only the
port and the address are given on the command line, as a user would.

The error is a real one: a store damaged by hand (text where an event's day number belongs)
makes every page fail while loading its incidents.
"""

from __future__ import annotations

import importlib.metadata
import os
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard.builders.assets import ensure_static_assets
from tests.servers import ROOT, AppServer, _stop, free_port, refuse_outside, wait_healthy

TIMEOUT_MS = 120_000
APP = ROOT / "dashboard" / "app.py"


def _damaged_store(folder: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "incidents", "demo", "--rows", "300"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    with sqlite3.connect(folder / "damaged.db") as conn:
        conn.execute(
            "UPDATE incident_rows SET event_day = 'not a day' "
            "WHERE rowid = (SELECT min(rowid) FROM incident_rows)"
        )


def _installed() -> bool:
    """Whether this project is installed (the app imports its packages from any folder then)."""
    try:
        importlib.metadata.distribution("sahel-security-dashboard")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.fixture(scope="module")
def elsewhere_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The dashboard started from a folder that is not the repository, with a damaged store."""
    workdir = tmp_path_factory.mktemp("elsewhere")
    env = {key: value for key, value in os.environ.items() if not key.startswith("STREAMLIT_")}
    env.pop("SAHEL_AUTH", None)
    env.update(SAHEL_DB_URL=f"sqlite:///{workdir / 'damaged.db'}", HOME=str(workdir))  # no ~/.streamlit
    if not _installed():  # a checkout used without `pip install -r requirements.txt` (which installs it)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    _damaged_store(workdir, env)
    ensure_static_assets()  # the app does this on its first run; the static test may come first
    port = free_port()
    log = workdir / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    with log.open("wb") as sink:
        proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=sink, stderr=subprocess.STDOUT)
    server = AppServer(url=f"http://127.0.0.1:{port}", host="127.0.0.1", port=port, log=log)
    try:
        wait_healthy(server.url, proc, log)
        yield server
    finally:
        _stop(proc)


@pytest.mark.e2e
def test_an_error_shows_no_traceback_and_nothing_leaves_the_machine(
    elsewhere_server: AppServer, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    outside = refuse_outside(page, elsewhere_server)
    page.goto(f"{elsewhere_server.url}/")
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=TIMEOUT_MS)
    shown = page.locator("[data-testid=stException]")
    shown.first.wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=str(tmp_path / "error-elsewhere.png"), full_page=True)
    text = page.locator("[data-testid=stApp]").inner_text()
    assert "ValueError: invalid literal" in elsewhere_server.log.read_text(errors="replace"), (
        "the page did fail (see the log)"
    )
    leaks = ("Traceback", 'File "', str(ROOT), "site-packages", "ValueError", "not a day", str(Path.home()))
    for leak in leaks:
        assert leak not in text, f"{leak!r} reached the browser"
    assert outside == [], f"requests left the machine: {outside}"


@pytest.mark.e2e
def test_the_static_folder_is_served(elsewhere_server: AppServer) -> None:
    with urllib.request.urlopen(
        f"{elsewhere_server.url}/app/static/vendor/leaflet/leaflet.js", timeout=30
    ) as reply:
        assert reply.status == 200
        assert b"Leaflet" in reply.read(4096)
