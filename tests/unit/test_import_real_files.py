"""Files as analysts really download them: row-number columns, every ACLED layout since 2016,
pre-2019 ACLED event types, and what a dry run reports.

Fixtures (tests/fixtures/import/README.md) hold invented rows only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from incidents.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "import"


# --- dry run --------------------------------------------------------------------------------


def test_cli_dry_run_report_says_dry_run(tmp_path: Path) -> None:
    report_path = tmp_path / "r.json"
    env = {**os.environ, "SAHEL_DB_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    command = [sys.executable, "-m", "incidents", "import", str(FIXTURES / "acled_api_sample.csv")]
    result = subprocess.run(
        [*command, "--dry-run", "--report", str(report_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["dry_run"] is True and report["batch_id"] is None and report["rows_accepted"] == 12


def test_cli_dry_run_of_a_file_refused_as_a_whole_still_says_dry_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAHEL_DB_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    bad = tmp_path / "bad.csv"
    bad.write_text(",event_date\nMali,2023-01-14\n", encoding="utf-8")  # unnamed, not row numbers
    report_path = tmp_path / "r.json"
    assert main(["import", str(bad), "--dry-run", "--report", str(report_path)]) == 2
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["dry_run"] is True and report["batch_id"] is None
    assert "have no name" in report["error"]
    assert main(["import", str(bad), "--report", str(report_path)]) == 2
    assert json.loads(report_path.read_text(encoding="utf-8"))["dry_run"] is False
