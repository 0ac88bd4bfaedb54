"""The code follows the project's style: ruff (configured in pyproject.toml) finds no lint error
and no file the formatter would change.

ruff runs as a subprocess from the repository root so it reads that configuration (line
length, rules, banned imports such as streamlit in incidents/ and geodata/). ruff is a
development requirement (requirements-dev.txt): without it this test fails rather than skips.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [sys.executable, "-m", "ruff", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"ruff {' '.join(args)} took longer than {TIMEOUT_S} s")
        raise AssertionError from exc  # unreachable: pytest.fail raises


def test_ruff_finds_no_lint_errors() -> None:
    result = _ruff("check", ".")
    assert result.returncode == 0, f"ruff check found problems:\n{result.stdout}{result.stderr}"


def test_every_file_is_formatted() -> None:
    result = _ruff("format", "--check", ".")
    assert result.returncode == 0, (
        f"files need `ruff format`:\n{result.stdout}{result.stderr}\nRun `ruff format .` to fix them."
    )
