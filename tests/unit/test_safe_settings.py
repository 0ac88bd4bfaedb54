"""Settings the dashboard enforces itself (dashboard/ui/safe_settings.py) and its config.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

from dashboard.ui.safe_settings import ERROR_DETAILS, REQUIRED, settings_problems

ROOT = Path(__file__).resolve().parents[2]
SCRIPT_CONFIG = ROOT / "dashboard" / ".streamlit" / "config.toml"
PROJECT_CONFIG = ROOT / ".streamlit" / "config.toml"


def _options(path: Path) -> dict[str, object]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {f"{section}.{key}": value for section, values in data.items() for key, value in values.items()}


def test_shipped_values_pass_and_each_wrong_value_is_named() -> None:
    good = {name: wanted for name, (wanted, _why) in REQUIRED.items()}
    assert settings_problems(good.__getitem__) == []
    for name in REQUIRED:
        problems = settings_problems({**good, name: not good[name]}.__getitem__)
        assert len(problems) == 1 and problems[0].startswith(name)


def test_the_config_next_to_app_py_holds_what_matters() -> None:
    # Streamlit reads dashboard/.streamlit/config.toml whatever the working directory.
    script = _options(SCRIPT_CONFIG)
    for name, (wanted, _why) in REQUIRED.items():
        assert script[name] is wanted, name
    assert script[ERROR_DETAILS[0]] == ERROR_DETAILS[1]
    assert "server.address" not in script  # who may connect stays a deployment decision (docs/deploy.md)


def test_both_config_files_agree() -> None:
    script, project = _options(SCRIPT_CONFIG), _options(PROJECT_CONFIG)
    assert {name: project.get(name) for name in script} == script


def test_the_server_settings_that_keep_page_runs_cheap_are_in_place() -> None:
    """A full garbage collection after every run and the source-file watcher cost about a third of
    a loaded server's CPU (docs/performance.md, 'Team scale'): both are off wherever it starts from."""
    for path in (SCRIPT_CONFIG, PROJECT_CONFIG):
        options = _options(path)
        assert options["runner.postScriptGC"] is False, path
        assert options["server.fileWatcherType"] == "none", path
