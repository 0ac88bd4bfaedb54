"""The packages type-check: mypy, configured in pyproject.toml ([tool.mypy]), reports no errors.

mypy runs as a subprocess from the repository root so it reads that configuration (packages
geodata, incidents, dashboard) and its incremental cache in .mypy_cache/ (git-ignored): a
warm run takes about a second, a cold one well under a minute. mypy is a development
requirement (requirements-dev.txt): without it this test fails rather than skips.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 90


def test_mypy_reports_no_errors() -> None:
    try:
        result = subprocess.run(
            [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"mypy took longer than {TIMEOUT_S} s:\n{exc.stdout or ''}{exc.stderr or ''}")
    output = f"{result.stdout}{result.stderr}"
    assert result.returncode == 0, f"mypy found problems (exit code {result.returncode}):\n{output}"
