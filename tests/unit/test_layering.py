"""docs/architecture.md, 'Layers': the domain packages and the pure builders never import streamlit,
even indirectly."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ("geodata", "incidents", "dashboard/builders")


@pytest.mark.parametrize("package", DOMAIN)
def test_no_streamlit_import_in_source(package: str) -> None:
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "streamlit"]
    assert offenders == []


def test_importing_every_domain_module_does_not_load_streamlit() -> None:
    modules = sorted(
        [
            ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            for package in DOMAIN
            for path in (ROOT / package).rglob("*.py")
            if path.name != "__main__.py"
        ]
        + ["dashboard.cli"]  # the briefing-pack command line runs without Streamlit
    )
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    code += "print('streamlit' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
