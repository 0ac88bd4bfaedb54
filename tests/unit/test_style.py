"""The code follows the project's style: ruff (configured in pyproject.toml) finds no lint error
and no file the formatter would change.

ruff runs from the repository root so it reads that configuration (line length, rules, banned
imports such as streamlit in incidents/ and geodata/).
"""

from __future__ import annotations

from tests.unit.static_checks import run_tool

TIMEOUT_S = 60


def test_ruff_finds_no_lint_errors() -> None:
    result = run_tool("ruff", "check", ".", timeout_s=TIMEOUT_S)
    assert result.returncode == 0, f"ruff check found problems:\n{result.stdout}{result.stderr}"


def test_every_file_is_formatted() -> None:
    result = run_tool("ruff", "format", "--check", ".", timeout_s=TIMEOUT_S)
    assert result.returncode == 0, (
        f"files need `ruff format`:\n{result.stdout}{result.stderr}\nRun `ruff format .` to fix them."
    )
