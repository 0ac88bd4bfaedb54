"""The command lines in French (issue #18): ``--lang``, else the environment, else English.

The import report's codes, line numbers and JSON keys are contracts: a French run prints the
same ones as an English run, only the sentences around them change.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from dashboard.cli import main as dashboard_main
from incidents.cli.args import choose_language
from incidents.cli.main import main as cli_main
from incidents.i18n import current_language, use_language

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures" / "import" / "acled_api_sample.csv"
ISSUE_LINE = re.compile(r"^  (?:line|ligne) (\d+) ?: (\w+) (\w+) \[")


@pytest.fixture(autouse=True)
def _english_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No locale variable from the machine running the tests decides the language."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def bad_csv(tmp_path: Path) -> Path:
    """The ACLED sample with an impossible date on row 2 and a latitude of 95 on row 4."""
    rows = list(csv.DictReader(SAMPLE.open(encoding="utf-8")))
    rows[1]["event_date"] = "2023-02-30"
    rows[3]["latitude"] = "95.0"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "bad.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _issues(output: str) -> list[tuple[str, str, str]]:
    return [match.groups() for line in output.splitlines() if (match := ISSUE_LINE.match(line))]


def test_import_in_french_keeps_codes_and_line_numbers(
    db_url: str, bad_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with use_language("en"):
        assert cli_main(["import", str(bad_csv), "--dry-run", "--report", str(tmp_path / "en.json")]) == 0
    english = capsys.readouterr().out
    french_args = ["import", str(bad_csv), "--dry-run", "--report", str(tmp_path / "fr.json"), "--lang", "fr"]
    assert cli_main(french_args) == 0
    assert (
        current_language() == "en"
    )  # the run spoke French in its own block: the caller still speaks English
    french = capsys.readouterr().out

    assert _issues(english), english  # the file really has issues
    assert _issues(french) == _issues(english)  # same lines, severities and reason codes
    assert any(line.startswith("  line ") for line in english.splitlines())
    assert any(line.startswith("  ligne ") for line in french.splitlines())
    assert not any(line.startswith("  line ") for line in french.splitlines())
    # The JSON report keeps its English keys and the same codes whatever the language.
    report_en = json.loads((tmp_path / "en.json").read_text(encoding="utf-8"))
    report_fr = json.loads((tmp_path / "fr.json").read_text(encoding="utf-8"))
    assert report_fr.keys() == report_en.keys()
    codes = [(issue["line"], issue["code"]) for issue in report_fr["issues"]]
    assert codes == [(issue["line"], issue["code"]) for issue in report_en["issues"]]


def test_lang_option_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    with use_language("en"):
        assert choose_language(["batches"]) == "fr"
        assert choose_language(["batches", "--lang", "en"]) == "en"
        assert choose_language(["--lang=fr", "batches"]) == "fr"
        monkeypatch.setenv("LC_ALL", "C")  # LC_ALL first: C speaks English
        assert choose_language(["batches"]) == "en"
        assert current_language() == "en"


def test_environment_language_speaks_french(db_url: str, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    with use_language("en"):
        assert cli_main(["batches"]) == 0
    assert capsys.readouterr().out.strip() == "aucun lot dans la base"


@pytest.mark.parametrize(
    "argv",
    [
        ["users", "list", "--lang", "fr"],  # after a nested sub-command
        ["--lang", "fr", "users", "list"],  # before the command
    ],
)
def test_every_sub_command_accepts_lang(db_url: str, argv: list[str], capsys) -> None:
    with use_language("en"):
        assert cli_main(argv) == 0
    assert capsys.readouterr().out.startswith("aucun compte : le tableau de bord fonctionne en mode local")


def test_help_and_errors_in_french(db_url: str, tmp_path: Path, capsys) -> None:
    with use_language("en"):
        assert cli_main(["export", "--help", "--lang", "fr"]) == 0
    help_text = capsys.readouterr().out
    assert "date du premier événement, incluse" in help_text and "--lang {en,fr}" in help_text
    assert help_text.startswith("utilisation : ") and "afficher ce message d'aide et quitter" in help_text
    assert "first event date" not in help_text and "usage:" not in help_text
    with use_language("en"):
        assert cli_main(["export", "--lang", "fr"]) == 2  # --out missing: argparse's usage error
    assert capsys.readouterr().err.splitlines()[-1].startswith("python -m incidents export : erreur : ")
    with use_language("en"):
        assert cli_main(["undo", "no-such-batch", "--lang", "fr"]) == 2
    assert capsys.readouterr().err.startswith("erreur : ")


def test_dashboard_brief_speaks_french(db_url: str, tmp_path: Path, capsys) -> None:
    with use_language("en"):
        code = dashboard_main(["brief", "--out", str(tmp_path / "pack.txt"), "--lang", "fr"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("erreur : ") and "doit se terminer par .pdf" in err
    with use_language("en"):
        assert dashboard_main(["brief", "--out", str(tmp_path / "pack.txt")]) == 2
    assert "must end in .pdf" in capsys.readouterr().err
