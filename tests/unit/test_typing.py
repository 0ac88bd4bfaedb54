"""The packages type-check: mypy, configured in pyproject.toml ([tool.mypy]), reports no errors.

mypy runs from the repository root so it reads that configuration (packages geodata,
incidents, dashboard) and its incremental cache in .mypy_cache/ (git-ignored): a warm run
takes about a second, a cold one well under a minute.
"""

from __future__ import annotations

import pytest

from tests.unit.static_checks import ROOT, run_tool

TIMEOUT_S = 300  # a cold mypy cache on a busy 2-core machine; a guard against hangs, not a speed test


@pytest.mark.slow
def test_mypy_reports_no_errors() -> None:
    result = run_tool("mypy", "--config-file", str(ROOT / "pyproject.toml"), timeout_s=TIMEOUT_S)
    output = f"{result.stdout}{result.stderr}"
    assert result.returncode == 0, f"mypy found problems (exit code {result.returncode}):\n{output}"
