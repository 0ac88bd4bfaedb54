"""Run a development tool (mypy, ruff) from the repository root for the static-check tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_tool(*args: str, timeout_s: int) -> subprocess.CompletedProcess[str]:
    """``python -m <args>`` in the repository root (so it reads pyproject.toml); fail on a timeout.

    The tools are development requirements (requirements-dev.txt): a missing one fails the
    test (``No module named ...`` in its output) rather than skipping it.
    """
    try:
        return subprocess.run(
            [sys.executable, "-m", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(args)} took longer than {timeout_s} s")
