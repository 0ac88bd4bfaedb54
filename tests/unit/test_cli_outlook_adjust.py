"""``python -m incidents outlook-adjust`` in-process, and the what-if ``outlook`` writes beside its file."""

from __future__ import annotations

import getpass
from pathlib import Path

import pandas as pd
import pytest

from incidents.auth import LOCAL_ADMIN
from incidents.auth.accounts import create_user, disable_user
from incidents.cli.main import main
from incidents.store import IncidentStore
from tests.unit.test_outlook_cli import store_incidents


def _history(store: IncidentStore, level: str = "admin2") -> pd.DataFrame:
    from incidents.store.outlook_adjustments import adjustment_versions

    return adjustment_versions(store, level)


def test_record_list_history_and_remove(cli_store: IncidentStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["outlook-adjust", "--unit", "bf-bal", "--percent", "25", "--note", "convoy season"]) == 0
    out = capsys.readouterr().out
    assert f"admin2 BF-BAL: what-if +25 % recorded as version 1 by cli:{getpass.getuser()}" in out
    assert main(["outlook-adjust", "--unit", "BF-BAL", "--percent", "-12.5", "--note", "revised"]) == 0
    capsys.readouterr()

    assert main(["outlook-adjust", "--list"]) == 0
    listed = capsys.readouterr().out
    assert "BF-BAL" in listed and "-12.5 %" in listed and "revised" in listed
    assert "+25 %" not in listed  # only what is in force

    assert main(["outlook-adjust", "--remove", "bf-bal", "--note", "season over"]) == 0
    assert "admin2 adjustment of BF-BAL removed (version 3" in capsys.readouterr().out
    assert main(["outlook-adjust", "--list"]) == 0
    assert "no outlook adjustments in force at any level" in capsys.readouterr().out

    assert main(["outlook-adjust", "--history", "BF-BAL"]) == 0
    history = capsys.readouterr().out.splitlines()
    assert len(history) == 4  # header and three versions
    assert "removed" in history[-1] and "season over" in history[-1]

    audit = cli_store.audit_log()
    assert audit["action"].tolist()[-3:] == ["outlook_adjust", "outlook_adjust", "outlook_adjust_remove"]
    assert set(audit["user_name"].tolist()[-3:]) == {f"cli:{getpass.getuser()}"}


def test_level_option_and_list_per_level(
    cli_store: IncidentStore, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["outlook-adjust", "--unit", "c2", "--level", "corridor", "--percent", "300", "--note", "x"])
        == 0
    )
    assert main(["outlook-adjust", "--list", "--level", "admin2"]) == 0
    assert "no outlook adjustments in force at admin2" in capsys.readouterr().out.splitlines()[-1]
    assert main(["outlook-adjust", "--list", "--level", "corridor"]) == 0
    assert "C2" in capsys.readouterr().out
    assert _history(cli_store, "corridor")["unit_code"].tolist() == ["C2"]


def test_acting_user_is_recorded_and_a_viewer_is_refused(
    cli_store: IncidentStore, capsys: pytest.CaptureFixture[str]
) -> None:
    create_user(cli_store, "ana", "analyst", "a password for tests", by=LOCAL_ADMIN)
    create_user(cli_store, "vera", "viewer", "a password for tests", by=LOCAL_ADMIN)
    create_user(cli_store, "gone", "analyst", "a password for tests", by=LOCAL_ADMIN)
    disable_user(cli_store, "gone", by=LOCAL_ADMIN)

    assert (
        main(["outlook-adjust", "--unit", "BF-BAL", "--percent", "10", "--note", "x", "--user", "ana"]) == 0
    )
    assert "by ana" in capsys.readouterr().out
    assert (
        main(["outlook-adjust", "--unit", "BF-BAL", "--percent", "20", "--note", "x", "--user", "vera"]) == 2
    )
    assert "viewer 'vera' may not adjust the outlook" in capsys.readouterr().err
    assert main(["outlook-adjust", "--remove", "BF-BAL", "--user", "vera"]) == 2
    assert (
        main(["outlook-adjust", "--unit", "BF-BAL", "--percent", "20", "--note", "x", "--user", "gone"]) == 2
    )
    assert "disabled" in capsys.readouterr().err
    assert (
        main(["outlook-adjust", "--unit", "BF-BAL", "--percent", "20", "--note", "x", "--user", "nobody"])
        == 2
    )
    assert "--user 'nobody' names no account" in capsys.readouterr().err
    history = _history(cli_store)
    assert history[["version", "status", "created_by"]].to_dict("records") == [
        {"version": 1, "status": "active", "created_by": "ana"}
    ]
    assert main(["outlook-adjust", "--list", "--user", "vera"]) == 0  # reading needs no write permission


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--unit", "BF-BAL", "--percent", "301", "--note", "x"], "percent 301 is outside -90 .. +300"),
        (["--unit", "BF-BAL", "--percent", "-95", "--note", "x"], "percent -95 is outside -90 .. +300"),
        (["--unit", "BF-BAL", "--percent", "10", "--note", "  "], "a note is required"),
        (["--unit", "BF-BAL", "--percent", "10"], "--unit needs --percent N and --note TEXT"),
        (["--unit", "BF-BAL", "--note", "x"], "--unit needs --percent N and --note TEXT"),
        (
            ["--unit", "BF-XXX", "--percent", "10", "--note", "x"],
            "unknown admin2 unit code 'BF-XXX'; known codes",
        ),
        (["--unit", "C42", "--level", "corridor", "--percent", "10", "--note", "x"], "unknown corridor unit"),
        (["--remove", "BF-BAL"], "no admin2 adjustment of 'BF-BAL' is in force"),
    ],
)
def test_refusals_exit_2_with_one_sentence_and_write_nothing(
    cli_store: IncidentStore, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["outlook-adjust", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert _history(cli_store).empty
    assert not cli_store.audit_log()["action"].str.startswith("outlook_adjust").any()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "one of the arguments --unit --list --history --remove is required"),
        (["--list", "--remove", "X"], "not allowed with argument"),
        (["--unit", "X", "--percent", "ten", "--note", "x"], "'ten' is not a number of percent"),
        (["--list", "--level", "admin3"], "invalid choice: 'admin3'"),
    ],
)
def test_bad_command_lines_exit_2(
    db_url: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["outlook-adjust", *argv]) == 2
    assert message in capsys.readouterr().err


def test_the_outlook_writes_the_what_if_beside_itself_and_stays_as_forecast(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_incidents(db_url, months=25)
    out = tmp_path / "outlook.csv"
    whatif_path = tmp_path / "outlook.whatif.csv"
    assert main(["outlook", "--horizon", "1", "--out", str(out)]) == 0
    assert not whatif_path.exists()  # no adjustment, no what-if
    plain = pd.read_csv(out)
    capsys.readouterr()

    code = str(plain.loc[plain["count_q50"] > 0, "unit_code"].iloc[0])
    assert main(["outlook-adjust", "--unit", code, "--percent", "100", "--note", "=HYPERLINK(x)"]) == 0
    assert (
        main(["outlook-adjust", "--unit", "C1", "--level", "corridor", "--percent", "50", "--note", "x"]) == 0
    )
    assert main(["outlook", "--horizon", "1", "--out", str(out)]) == 0
    assert "what-if for 1 adjusted unit(s)" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_csv(out), plain)  # the forecast never changes
    whatif = pd.read_csv(whatif_path)
    assert whatif["unit_code"].tolist() == [code]  # the corridor's adjustment is another level's
    row = plain.loc[plain["unit_code"] == code].iloc[0]
    assert whatif.loc[0, "whatif_count_q50"] == 2 * row["count_q50"]
    assert whatif.loc[0, "whatif_count_q95"] == 2 * row["count_q95"]
    assert whatif.loc[0, "adjustment_note"] == "'=HYPERLINK(x)"  # no spreadsheet formula
    assert "p_fatal" not in whatif.columns

    assert main(["outlook-adjust", "--remove", code]) == 0
    assert main(["outlook", "--horizon", "1", "--out", str(out)]) == 0
    assert "removed the earlier what-if" in capsys.readouterr().out
    assert not whatif_path.exists()
