"""docs/architecture.md is the design document: nothing cites another, and it keeps up with the code.

Two guards. No tracked file points readers at a design document they do not have (the
brief the project started from lives outside the repository). And every reason code,
every key of the import report, every ``SAHEL_`` environment variable the code reads, every
command and option of the two command lines and every schema version is named in
docs/architecture.md, so the document cannot silently fall behind.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from dashboard.cli import build_parser as dashboard_parser
from incidents.cli.main import _write_failure_report
from incidents.cli.main import build_parser as incidents_parser
from incidents.ingest.report import ISSUE_COLUMNS, ImportReport
from incidents.ingest.staged import REASON_CODES, ImportIssue
from incidents.store.migrations import MIGRATIONS

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = "docs/architecture.md"
THIS_FILE = Path(__file__).resolve().relative_to(ROOT).as_posix()
#: Spelled in pieces so this file does not match itself.
FORBIDDEN = ("DESIGN" + ".md", "design" + " brief")
ENV_NAME = re.compile(r"SAHEL_[A-Z0-9_]+")
#: An environment variable set or read in a shell script (``export SAHEL_X=``, ``$SAHEL_X``).
SHELL_ENV = re.compile(r"(?:\bexport\s+|\$\{?)(SAHEL_[A-Z0-9_]+)")


def tracked_files() -> list[str]:
    """``git ls-files`` of the repository (files deleted in the work tree left out)."""
    result = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"not a git checkout: {result.stderr.decode(errors='replace').strip()}")
    return [name for name in result.stdout.decode().split("\0") if name and (ROOT / name).is_file()]


def files_citing(root: Path, names: list[str]) -> list[str]:
    """``names`` (relative to ``root``) mentioning a forbidden phrase in any case, as ``path: phrase``."""
    found = []
    for name in names:
        text = (root / name).read_bytes().lower()
        found += [f"{name}: {phrase}" for phrase in FORBIDDEN if phrase.lower().encode() in text]
    return found


def architecture_text() -> str:
    return (ROOT / ARCHITECTURE).read_text(encoding="utf-8")


def test_files_citing_finds_a_citation_in_any_case(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text('"""See the Design' + ' Brief, section 2."""\n', encoding="utf-8")
    (tmp_path / "b.md").write_text("Contracts: design" + ".md §4.\n", encoding="utf-8")
    (tmp_path / "c.py").write_text('"""See docs/architecture.md, \'Layers\'."""\n', encoding="utf-8")
    assert files_citing(tmp_path, ["a.py", "b.md", "c.py"]) == [
        f"a.py: {FORBIDDEN[1]}",
        f"b.md: {FORBIDDEN[0]}",
    ]


def test_no_tracked_file_but_the_architecture_document_cites_a_design_brief() -> None:
    names = [name for name in tracked_files() if name != ARCHITECTURE]
    assert len(names) > 100  # the whole repository, not an empty listing
    assert files_citing(ROOT, names) == []


@pytest.mark.parametrize("code", REASON_CODES)
def test_architecture_describes_every_reason_code(code: str) -> None:
    assert f"`{code}`" in architecture_text()


def report_keys(tmp_path: Path) -> set[str]:
    """Every key an import report can have: a normal report's, an issue's, a failed file's."""
    issue = ImportIssue(2, "event_date", "bad_date", "error", "date 'x' cannot be read", "x")
    report = ImportReport("f.csv", "0" * 64, "acled", "b1", 1, 0, 1, 0, issues=(issue,))
    failed = tmp_path / "failed.json"
    _write_failure_report(failed, str(tmp_path / "missing.csv"), "auto", "no such file", dry_run=False)
    keys = set(report.to_dict()) | set(issue.to_dict()) | set(ISSUE_COLUMNS)
    return keys | set(json.loads(failed.read_text(encoding="utf-8")))


def test_architecture_describes_every_import_report_key(tmp_path: Path) -> None:
    keys = report_keys(tmp_path)
    assert {"rows_read", "issues", "severity", "error"} <= keys  # the report really was read
    text = architecture_text()
    assert sorted(key for key in keys if f"`{key}`" not in text) == []


def environment_variables() -> dict[str, set[str]]:
    """``SAHEL_*`` names the code uses as environment variables -> the files that use them.

    Python: a string constant that is exactly a ``SAHEL_`` name (``os.environ["SAHEL_DB_URL"]``,
    ``ENV_VAR: Final = "SAHEL_AUTH"``, ``monkeypatch.setenv("SAHEL_DEMO", ...)``); module
    constants such as ``SAHEL_METRIC_PROJ`` are names, not strings, and do not count. Shell
    scripts: ``export SAHEL_X`` and ``$SAHEL_X``.
    """
    found: dict[str, set[str]] = {}
    for name in tracked_files():
        if name == THIS_FILE:  # names variables only to check the scan
            continue
        path = ROOT / name
        if name.endswith(".py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and ENV_NAME.fullmatch(node.value)
                ):
                    found.setdefault(node.value, set()).add(name)
        elif name.startswith(".ci/") or name.endswith(".sh"):
            for variable in SHELL_ENV.findall(path.read_text(encoding="utf-8")):
                found.setdefault(variable, set()).add(name)
    return found


def test_architecture_describes_every_environment_variable() -> None:
    found = environment_variables()
    assert {"SAHEL_DB_URL", "SAHEL_AUTH", "SAHEL_DEMO", "SAHEL_TEST_PG_URL"} <= set(found)  # the scan works
    assert "SAHEL_METRIC_PROJ" not in found  # a CRS constant, not a setting
    text = architecture_text()
    missing = {variable: sorted(files) for variable, files in found.items() if f"`{variable}`" not in text}
    assert missing == {}


def code_words() -> set[str]:
    """Every word and option (``--since``) inside the document's ``code`` spans."""
    spans = re.findall(r"`([^`\n]+)`", architecture_text())
    return {word for span in spans for word in re.findall(r"--?[\w-]+|[\w-]+", span)}


def commands_and_options(parser: argparse.ArgumentParser, prefix: str) -> dict[str, str]:
    """Every subcommand and long option of ``parser``, at any depth -> where it is (for messages)."""
    found: dict[str, str] = {}
    for action in parser._actions:
        found |= {option: prefix for option in action.option_strings if option.startswith("--")}
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = f"{prefix} {name}"
                found |= commands_and_options(sub, f"{prefix} {name}")
    found.pop("--help", None)
    return found


@pytest.mark.parametrize(
    ("program", "build"),
    [("python -m incidents", incidents_parser), ("python -m dashboard", dashboard_parser)],
)
def test_architecture_describes_every_command_and_option(
    program: str, build: Callable[[], argparse.ArgumentParser]
) -> None:
    found = commands_and_options(build(), program)
    assert len(found) > 3  # the parser really was walked
    words = code_words()
    assert {name: where for name, where in found.items() if name not in words} == {}


def test_architecture_describes_every_schema_version() -> None:
    section = architecture_text().split("## Store: schema and migrations", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \|", section, flags=re.MULTILINE)
    assert [int(row) for row in rows] == [migration.version for migration in MIGRATIONS]
