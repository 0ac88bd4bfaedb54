"""Two dashboard servers on one PostgreSQL database see each other's imports and saved views.

Why: the dashboard is deployed as several ``streamlit run`` processes (or restarted ones)
behind one database; nothing a user writes may stay inside one process's caches. Two real
servers on different free ports share a fresh schema of the CI PostgreSQL (the ``pg_url``
fixture); a headless Chromium that may reach only 127.0.0.1 imports a file through server A
and reads it on server B, then saves a view on A's Map page and opens it by link on B.

The store is filled with 500 demo rows by the CLI before the servers start, so the app's
first-start demo load (``ensure_demo_loaded``) has nothing to do and the figures are fixed.
In CI a missing PostgreSQL, Chromium or Playwright fails this test (tests/conftest.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from incidents.store import open_store
from incidents.store.saved_views import get_view
from tests.servers import ROOT, AppServer, app_servers, browser_context, chromium_executable

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

FIXTURE = ROOT / "tests" / "fixtures" / "import" / "acled_api_sample.csv"
FIXTURE_ROWS = 12  # every row of the sample is accepted (warnings only)
DEMO_ROWS = 500
# Holds every fixture row; every source named, so the demo rows stay counted after real rows arrive
# (by default they are hidden once the store holds real data).
FILTER_QUERY = "period=all&country=MLI&country=BFA&country=NER&" + "&".join(
    f"source={name}" for name in ("acled", "ucdp", "generic", "manual", "demo")
)
VIEW_COUNTRIES = {"MLI": "Mali", "BFA": "Burkina Faso"}
VIEW_NAME = "two-instances"
VIEW_TITLE = "Shared between instances"
LOAD_TIMEOUT_MS = 90_000
STEP_TIMEOUT_MS = 30_000
KEEP_DIR = ROOT / "test-output" / "integration"


def _preload_demo(db_url: str) -> None:
    env = {**os.environ, "SAHEL_DB_URL": db_url}
    done = subprocess.run(
        [sys.executable, "-m", "incidents", "demo", "--rows", str(DEMO_ROWS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"demo load failed:\n{done.stdout}\n{done.stderr}"


def _by_key(page: Any, key: str) -> Any:
    """The element container Streamlit marks with a widget's key (``st-key-<key>``)."""
    return page.locator(f".st-key-{key}")


def _incidents_metric(page: Any) -> Any:
    label = page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(r"^\s*Incidents\s*$"))
    return page.locator('[data-testid="stMetric"]', has=label).locator('[data-testid="stMetricValue"]')


def _read_incidents(page: Any) -> int:
    value = _incidents_metric(page)
    value.wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
    # The figure is drawn before the page's charts; wait for the run to finish so it is final.
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=LOAD_TIMEOUT_MS)
    return int(value.inner_text().strip().replace(",", ""))


def _import_on(page: Any, server: AppServer) -> str:
    """Upload the fixture on the Import page, validate, import; return the new batch id."""
    from playwright.sync_api import expect

    page.goto(f"{server.url}/import_data", wait_until="domcontentloaded")
    uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]').first
    uploader.wait_for(state="attached", timeout=LOAD_TIMEOUT_MS)
    uploader.set_input_files(str(FIXTURE))
    validate = _by_key(page, "import_validate").get_by_role("button")
    validate.click(timeout=LOAD_TIMEOUT_MS)
    confirm = _by_key(page, "import_confirm").get_by_role("button")
    expect(confirm).to_have_text(re.compile(rf"Import {FIXTURE_ROWS} rows"), timeout=LOAD_TIMEOUT_MS)
    expect(confirm).to_be_enabled(timeout=STEP_TIMEOUT_MS)
    confirm.click()
    success = page.locator('[data-testid="stAlertContentSuccess"]', has_text="as batch")
    success.wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
    text = success.inner_text()
    found = re.search(rf"Imported {FIXTURE_ROWS} incidents from .* as batch\s*(\S+?)\.", text)
    assert found, f"unexpected import message: {text!r}"
    return found.group(1).strip("`")


def _wait_idle(page: Any) -> None:
    """Until Streamlit has no run in progress (its status widget is gone)."""
    page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=LOAD_TIMEOUT_MS)


def _save_view_on(page: Any, server: AppServer, pg_url: str) -> None:
    """Save the Map page's current filter (Mali + Burkina Faso, all dates) as a named view.

    The map reports its centre and zoom once drawn, which reruns the page: a form filled or
    clicked during that rerun can be lost. So start only when the page is settled, and fill
    and click again (at most twice more) while the view is not in the store.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    countries = "&".join(f"country={code}" for code in VIEW_COUNTRIES)
    page.goto(f"{server.url}/map?period=all&{countries}", wait_until="domcontentloaded")
    sidebar = page.locator('[data-testid="stSidebar"]')
    page.frame_locator("iframe").first.locator(".leaflet-container").wait_for(timeout=LOAD_TIMEOUT_MS)
    saved = sidebar.locator('[data-testid="stAlertContentSuccess"]', has_text=f"View '{VIEW_NAME}' saved")
    for _ in range(3):
        page.wait_for_timeout(2000)
        _wait_idle(page)
        name_box = _by_key(page, "view_name").locator("input")
        if not name_box.is_visible():
            sidebar.get_by_text("Save this view", exact=True).click(timeout=LOAD_TIMEOUT_MS)
        name_box.fill(VIEW_NAME, timeout=LOAD_TIMEOUT_MS)
        _by_key(page, "view_title").locator("input").fill(VIEW_TITLE)
        _by_key(page, "view_notes").locator("textarea").fill("Saved on instance A, opened on instance B.")
        page.keyboard.press("Tab")  # commit the last field before the click
        _wait_idle(page)
        _by_key(page, "view_save").get_by_role("button").click()
        try:
            saved.wait_for(state="visible", timeout=30_000)
            return
        except PlaywrightTimeoutError:
            store = open_store(pg_url)
            try:
                if get_view(store, VIEW_NAME) is not None:
                    return
            finally:
                store.close()
    saved.wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)


def _keep_evidence(name: str, pages: dict[str, Any], servers: list[AppServer]) -> None:
    KEEP_DIR.mkdir(parents=True, exist_ok=True)
    for label, page in pages.items():
        try:
            page.screenshot(path=str(KEEP_DIR / f"{name}.{label}.png"), full_page=True)
        except Exception as exc:  # noqa: BLE001 - evidence is best effort; the real failure is re-raised
            (KEEP_DIR / f"{name}.{label}.screenshot-error.txt").write_text(repr(exc))
    for index, server in enumerate(servers):
        if server.log.exists():
            shutil.copy(server.log, KEEP_DIR / f"{name}.streamlit-{'AB'[index]}.log")


def test_import_and_saved_view_are_shared_between_two_instances(
    pg_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    chromium = chromium_executable()  # before any server starts: fails fast in CI when missing
    _preload_demo(pg_url)

    with app_servers(pg_url, tmp_path, count=2) as servers, browser_context(chromium) as context:
        server_a, server_b = servers
        outside: list[str] = []

        def guard(route: Any) -> None:
            host = urlsplit(route.request.url).hostname
            if route.request.url.startswith(("http", "ws")) and host != "127.0.0.1":
                outside.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        context.route("**/*", guard)
        page_a = context.new_page()
        page_b = context.new_page()
        try:
            # (1) Instance B: the Incidents figure for the fixture's countries, all dates.
            overview_b = f"{server_b.url}/?{FILTER_QUERY}"
            page_b.goto(overview_b, wait_until="domcontentloaded")
            before = _read_incidents(page_b)
            assert before > 0, "the demo rows did not reach instance B"

            # (2) Instance A: import the ACLED sample through the Import page.
            batch_id = _import_on(page_a, server_a)

            # The batch is in the shared store, committed, with every row.
            store = open_store(pg_url)
            try:
                batches = store.list_batches()
            finally:
                store.close()
            row = batches[batches["batch_id"] == batch_id]
            assert len(row) == 1, f"batch {batch_id} not in the store: {batches.to_dict('records')}"

            # (3) Instance B shows the new rows after a reload (no restart, no cache clearing).
            page_b.goto(overview_b, wait_until="domcontentloaded")
            expect(_incidents_metric(page_b)).to_have_text(
                f"{before + FIXTURE_ROWS:,}", timeout=LOAD_TIMEOUT_MS
            )
            assert _read_incidents(page_b) == before + FIXTURE_ROWS

            # (4) A view saved on A's Map page opens on B by link.
            _save_view_on(page_a, server_a, pg_url)
            store = open_store(pg_url)
            try:
                saved = get_view(store, VIEW_NAME)
            finally:
                store.close()
            assert saved is not None and saved.title == VIEW_TITLE

            page_b.goto(f"{server_b.url}/?view={VIEW_NAME}", wait_until="domcontentloaded")
            sidebar_b = page_b.locator('[data-testid="stSidebar"]')
            for country in VIEW_COUNTRIES.values():
                expect(
                    sidebar_b.get_by_role("button", name=re.compile(rf"^Remove {country}\b"))
                ).to_have_count(1, timeout=LOAD_TIMEOUT_MS)
            expect(sidebar_b.get_by_role("button", name=re.compile(r"^Remove Niger\b"))).to_have_count(0)
            _read_incidents(page_b)  # the run finished; the address now holds the view's filter
            params = parse_qs(urlsplit(page_b.url).query)
            assert "view" not in params, page_b.url
            assert sorted(params.get("country", [])) == sorted(VIEW_COUNTRIES), page_b.url
            assert params.get("period") == ["all"], page_b.url

            # ... and is a slide on B's Briefing page, under its title.
            page_b.goto(f"{server_b.url}/briefing?view={VIEW_NAME}", wait_until="domcontentloaded")
            expect(page_b.get_by_role("heading", name=VIEW_TITLE)).to_be_visible(timeout=LOAD_TIMEOUT_MS)

            assert outside == [], f"the app tried to reach outside addresses: {sorted(set(outside))}"
        except BaseException:
            _keep_evidence(request.node.name, {"A": page_a, "B": page_b}, servers)
            raise
