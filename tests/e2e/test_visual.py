"""The look of every page and of the briefing PDF, compared with reviewed references (tests/visual.py).

Every page is opened at 1600x1000 in headless Chromium on the demo store and its screenshot
compared, with a tolerance, with ``tests/fixtures/visual/page-<name>.png``; the briefing pack
(``python -m dashboard brief``) is rendered to PNG with poppler's ``pdftoppm`` and its pages
compared with ``pdf-<n>.png``. A change of look on purpose: rerun with ``--update-visual``,
look at the new references, commit them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from incidents.demo import load_demo
from incidents.store import open_store
from tests.conftest import require_or_skip
from tests.servers import MAP_PAGES, PAGES, ROOT, AppServer, launched_browser, refuse_outside, settle
from tests.visual import compare

VIEWPORT = {"width": 1600, "height": 1000}
#: After the run ends, Streamlit fades elements in and Leaflet draws clusters: let both finish.
SETTLE_EXTRA_MS = 1500
#: PDF pages compared (the first pages hold the map, the figures and the timeline).
PDF_PAGES = 3


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


@pytest.mark.e2e
def test_every_page_looks_as_reviewed(app_server: AppServer, page_1600: Any, update_visual: bool) -> None:
    page = page_1600
    outside = refuse_outside(page, app_server)
    results = []
    for name in PAGES:
        page.goto(f"{app_server.url}/{name}")
        settle(page, expect_map=name in MAP_PAGES)
        page.wait_for_timeout(SETTLE_EXTRA_MS)
        results.append(compare(f"page-{name or 'overview'}", page.screenshot(), update=update_visual))
    assert outside == []
    assert [result.describe() for result in results if not result.matches] == []


@pytest.mark.e2e
def test_briefing_pdf_looks_as_reviewed(tmp_path: Path, update_visual: bool) -> None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        require_or_skip("pdftoppm not found (apt-get install poppler-utils)")
        return
    db_url = f"sqlite:///{tmp_path / 'brief.db'}"
    store = open_store(db_url)
    try:
        load_demo(store)
    finally:
        store.close()
    pdf = tmp_path / "pack.pdf"
    env = {**os.environ, "SAHEL_DB_URL": db_url}
    command = [sys.executable, "-m", "dashboard", "brief", "--out", str(pdf), "--country", "MLI"]
    command += ["--since", "2025-01-01", "--until", "2025-12-31", "--include-demo"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    subprocess.run(
        [pdftoppm, "-png", "-r", "50", "-f", "1", "-l", str(PDF_PAGES), str(pdf), str(tmp_path / "p")],
        check=True,
        timeout=120,
    )
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == PDF_PAGES
    results = [compare(f"pdf-{i}", png.read_bytes(), update=update_visual) for i, png in enumerate(pngs, 1)]
    assert [result.describe() for result in results if not result.matches] == []
