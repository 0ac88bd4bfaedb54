"""``python -m incidents watches ...`` and ``alerts ...``: the command-line contract, and two runners
started together against one PostgreSQL store delivering each alert exactly once."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from incidents.alerts.store import add_watch, get_watch
from incidents.alerts.watches import Area, Recipients, Watch
from incidents.auth.roles import LOCAL_ADMIN
from incidents.cli.main import main as cli_main
from incidents.store import BatchMeta, IncidentStore, open_store
from tests.unit.alert_servers import WebhookReceiver
from tests.unit.alerts_fixtures import MOPTI, around_mopti

META = BatchMeta(file_name="f.csv", sha256="0" * 64, format="acled", rows_read=5)


def site_file(tmp_path: Path) -> Path:
    path = tmp_path / "office.csv"
    path.write_text(f"name,latitude,longitude\nMopti office,{MOPTI[1]},{MOPTI[0]}\n", encoding="utf-8")
    return path


def square(tmp_path: Path) -> Path:
    ring = [[-4.5, 14.0], [-3.5, 14.0], [-3.5, 15.0], [-4.5, 15.0], [-4.5, 14.0]]
    path = tmp_path / "zone.geojson"
    path.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}), encoding="utf-8")
    return path


def add_office(tmp_path: Path, *options: str) -> int:
    """``watches add "Mopti office"`` 25 km around the office, with ``options``."""
    office = str(site_file(tmp_path))
    return cli_main(["watches", "add", "Mopti office", "--site-file", office, "--radius-km", "25", *options])


def test_watches_add_list_remove(
    cli_store: IncidentStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options = ["--types", "battle", "abduction", "--min-fatalities", "1", "--email", "ops@example.org"]
    options += ["--webhook", "https://hooks.example.org/a", "--digest", "weekly@mon,07:00"]
    assert add_office(tmp_path, *options) == 0
    out = capsys.readouterr().out
    assert "25 km around Mopti office" in out and "webhook secret (shown this once" in out
    stored = get_watch(cli_store, "Mopti office")
    assert stored.watch.delivery == "weekly@MON,07:00" and stored.watch.filters.min_fatalities == 1
    assert (
        cli_main(["watches", "add", "zone", "--polygon", str(square(tmp_path)), "--email", "a@example.org"])
        == 0
    )
    assert (
        cli_main(["watches", "add", "gao", "--admin2", "ML.GA.AN", "ML.GA.BO", "--email", "a@example.org"])
        == 0
    )
    assert (
        cli_main(
            ["watches", "add", "c1", "--corridor", "C1", "--buffer-km", "10", "--email", "a@example.org"]
        )
        == 0
    )
    capsys.readouterr()
    assert cli_main(["watches", "list"]) == 0
    listed = capsys.readouterr().out
    assert "units ML.GA.AN, ML.GA.BO" in listed and "10 km either side of corridor C1" in listed
    assert "polygon zone.geojson" in listed and "types battle, abduction" in listed
    assert stored.watch.recipients.webhooks[0] in listed
    assert cli_main(["watches", "remove", "zone"]) == 0
    capsys.readouterr()
    assert cli_main(["watches", "list"]) == 0
    assert "zone" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--admin2", "ML.NOPE", "--email", "a@example.org"], "unknown admin-2 code 'ML.NOPE'"),
        (["--admin2", "ML.GA.AN", "--webhook", "file:///etc/passwd"], "must start with http:// or https://"),
        (["--admin2", "ML.GA.AN", "--webhook", "ftp://example.org/x"], "must start with http:// or https://"),
        (["--admin2", "ML.GA.AN", "--email", "not-an-address"], "is not an e-mail address"),
        (["--polygon", "missing.geojson", "--email", "a@example.org"], "cannot read missing.geojson"),
        (["--corridor", "C1", "--email", "a@example.org"], "needs --buffer-km"),
        (["--corridor", "C99", "--buffer-km", "5", "--email", "a@example.org"], "no active corridor 'C99'"),
        (["--admin2", "ML.GA.AN", "--email", "a@example.org", "--digest", "hourly"], "is not understood"),
        (["--admin2", "ML.GA.AN"], "at least one recipient"),
    ],
)
def test_bad_input_exits_2_with_one_sentence(
    cli_store: IncidentStore, arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["watches", "add", "w", *arguments]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.err.count("\n") == 1 and "Traceback" not in captured.err


def test_unreadable_site_file_and_argument_errors_exit_2(
    cli_store: IncidentStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01garbage")
    assert (
        cli_main(["watches", "add", "w", "--site-file", str(bad), "--radius-km", "5", "--email", "a@b.org"])
        == 2
    )
    assert "error:" in capsys.readouterr().err
    assert cli_main(["watches", "add", "w", "--site-file", str(bad), "--radius-km", "-1"]) == 2
    assert cli_main(["watches", "add", "w", "--admin2", "X", "--corridor", "C1"]) == 2  # one area only
    assert cli_main(["alerts", "run", "--loop", "0"]) == 2
    assert "--loop takes 1 to 86400 seconds" in capsys.readouterr().err
    assert (
        cli_main(
            ["watches", "add", "w", "--admin2", "ML.GA.AN", "--email", "a@b.org", "--min-fatalities", "-1"]
        )
        == 2
    )
    assert "minimum fatalities must be 0 or more" in capsys.readouterr().err


def test_alerts_run_and_list(
    cli_store: IncidentStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add_office(tmp_path, "--inbox", "local") == 0
    cli_store.add_batch(around_mopti(), META)
    capsys.readouterr()
    assert cli_main(["alerts", "run"]) == 0
    assert "1 batches matched (3 new matches)" in capsys.readouterr().out
    assert cli_main(["alerts", "list", "--watch", "Mopti office", "--since", "2020-01-01"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all("delivered" in line for line in lines)
    assert sorted(line.split()[-1] for line in lines) == ["acled:m-in-1", "acled:m-in-2", "acled:m-in-3"]
    assert cli_main(["alerts", "list", "--since", "2999-01-01"]) == 0
    assert "no alerts" in capsys.readouterr().out
    assert cli_main(["alerts", "list", "--watch", "nope"]) == 2
    assert cli_main(["alerts", "outbox"]) == 0
    assert "inapp" in capsys.readouterr().out


def test_two_runners_deliver_each_alert_exactly_once_on_postgresql(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two ``alerts run`` commands at once, each with its own engine and connections (threads:
    a process each would add seconds of start-up and test the same locks)."""
    receiver = WebhookReceiver()
    store = open_store(pg_url)
    monkeypatch.setenv("SAHEL_DB_URL", pg_url)
    monkeypatch.delenv("SAHEL_SMTP_URL", raising=False)
    try:
        area = Area(kind="site", label="office", geometry_wkt=f"POINT ({MOPTI[0]} {MOPTI[1]})", radius_km=25)
        for name in ("one", "two", "three"):
            add_watch(
                store, Watch(name, area, recipients=Recipients(webhooks=(receiver.url,))), by=LOCAL_ADMIN
            )
        for n in range(3):
            store.add_batch(around_mopti(f"b{n}"), META)
        start = threading.Barrier(2)
        codes: list[int] = []

        def runner() -> None:
            start.wait()
            codes.append(cli_main(["alerts", "run"]))

        threads = [threading.Thread(target=runner) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert codes == [0, 0]
        # Three watches, one webhook each: at least one alert per watch. How the runners shared the
        # batches decides how many: when one has already sent a watch's alert before the other
        # matches a later batch, that batch's matches go out in a second alert (seen in CI).
        received = receiver.received
        assert 3 <= len(received) <= 9 and len(receiver.accepted) == len(received)
        delivered = sorted(
            (body["watch"], item["incident_id"])
            for body in (json.loads(r.body) for r in received)
            for item in body["incidents"]
        )
        assert len(delivered) == len(set(delivered)) == 27  # 3 watches x 9 incidents, each once
        assert {watch for watch, _incident in delivered} == {"one", "two", "three"}
        assert len({r.headers["X-Sahel-Delivery"] for r in received}) == len(received)  # none sent twice
    finally:
        store.close()
        receiver.close()


def test_an_account_email_is_set_and_checked(
    cli_store: IncidentStore, capsys: pytest.CaptureFixture[str]
) -> None:
    from incidents.auth.accounts import account_email, create_user

    create_user(cli_store, "vic", "viewer", "a long enough password 1")
    assert cli_main(["users", "set-email", "Vic", "vic@example.org"]) == 0
    assert account_email(cli_store, "vic") == "vic@example.org"
    assert cli_main(["users", "set-email", "vic", "nope"]) == 2
    assert "is not an e-mail address" in capsys.readouterr().err
    assert cli_main(["users", "set-email", "vic", ""]) == 0
    assert account_email(cli_store, "vic") is None
