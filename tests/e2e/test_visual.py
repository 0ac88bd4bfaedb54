"""The look of the briefing PDF, compared with reviewed references (tests/visual.py).

The briefing pack (``python -m dashboard brief``) is rendered to PNG with poppler's
``pdftoppm`` and its first pages compared, with a tolerance, with
``tests/fixtures/visual/pdf-<n>.png``. The pages' look is checked as they are opened, in
tests/e2e/test_every_page.py. A change of look on purpose: rerun with ``--update-visual``,
look at the new references, commit them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from incidents.demo import load_demo
from incidents.store import open_store
from tests.conftest import require_or_skip
from tests.servers import ROOT
from tests.visual import compare

#: PDF pages compared (the first pages hold the map, the figures and the timeline).
PDF_PAGES = 3


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
