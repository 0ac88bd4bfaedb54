"""Settings are declared once (incidents/settings.py) and the README tells the same numbers.

The source scan fails when a module reads the environment itself (``os.environ``,
``os.getenv``) or spells a ``SAHEL_*`` variable name as a string, so a new variable cannot
skip the settings module; the README checks fail when a documented number drifts from code.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from incidents import settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("dashboard", "geodata", "incidents")
SETTINGS_FILE = ROOT / "incidents" / "settings.py"
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV_NAME = re.compile(r"SAHEL_[A-Z0-9_]+")


def _environment_reads(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "environb", "getenv", "getenvb"):
            found.append((node.lineno, f"os.{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [(node.lineno, f"from os import {a.name}") for a in node.names if "env" in a.name]
        elif isinstance(node, ast.Constant) and ENV_NAME.fullmatch(str(node.value)):
            found.append((node.lineno, repr(node.value)))
    return found


def _sources() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_the_scan_sees_a_module_that_reads_the_environment() -> None:
    sample = 'import os\nfrom os import getenv\nA = os.environ.get("SAHEL_X")\nB = os.getenv("X")\n'
    assert sorted(line for line, _ in _environment_reads(ast.parse(sample))) == [2, 3, 3, 4]


def test_only_the_settings_module_reads_the_environment() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in _sources()
        if path != SETTINGS_FILE
        for line, what in _environment_reads(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []
    assert _environment_reads(ast.parse(SETTINGS_FILE.read_text(encoding="utf-8")))  # it does read


def _declared_variables() -> dict[str, str]:
    """Constant name -> ``SAHEL_*`` variable, for every ``*_ENV`` constant of the settings module."""
    return {
        name: value
        for name, value in vars(settings).items()
        if name.endswith("_ENV") and isinstance(value, str) and ENV_NAME.fullmatch(value)
    }


def test_every_variable_is_declared_with_a_line_saying_why() -> None:
    declared = _declared_variables()
    assert set(declared.values()) >= {
        "SAHEL_DB_URL",
        "SAHEL_AUTH",
        "SAHEL_CACHE_DIR",
        "SAHEL_CLIENT_IP_HEADER",
        "SAHEL_SESSION_HOURS",
        "SAHEL_SESSION_SECRET",
        "SAHEL_DEMO",
        "SAHEL_STALE_AFTER_DAYS",
    }
    lines = SETTINGS_FILE.read_text(encoding="utf-8").splitlines()
    for name in declared:
        (index,) = [i for i, line in enumerate(lines) if line.startswith(f"{name}: Final = ")]
        assert lines[index - 1].startswith("#: "), f"{name} has no '#:' line saying why"


def test_the_readme_lists_exactly_the_declared_variables() -> None:
    section = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(SAHEL_[A-Z0-9_]+)`", section, flags=re.MULTILINE))
    assert listed == set(_declared_variables().values())


def _readme_number(pattern: str) -> float:
    found = re.findall(pattern, README)
    assert len(found) == 1, f"README: expected one match of {pattern!r}, found {found}"
    return float(found[0].replace(",", ""))


def test_the_readme_says_when_the_map_switches_to_hexagons() -> None:
    assert _readme_number(r"hexagons above ([\d,]+)") == settings.MAP_MAX_POINTS


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        (r"corridor buffers? \(default ([\d.]+) km", settings.CORRIDOR_KM),
        (r"simplified to ([\d.]+)° for display", settings.DISPLAY_SIMPLIFY_DEG),
    ],
)
def test_other_readme_numbers_match_the_code(pattern: str, value: float) -> None:
    assert _readme_number(pattern) == value
