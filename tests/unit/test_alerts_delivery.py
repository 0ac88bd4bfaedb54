"""Alerts delivered for real: a local SMTP server (STARTTLS, login) and a local webhook receiver.

Imports go through the command line (``python -m incidents import``), on SQLite and PostgreSQL.
Retries are driven by the ``now`` each pass is given, never by waiting.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incidents.alerts.matching import match_pending
from incidents.alerts.outbox import _claim, inbox, list_outbox, mark_read, unread_count
from incidents.alerts.runner import run_pass
from incidents.alerts.store import add_watch
from incidents.alerts.transport import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from incidents.alerts.watches import Area, Recipients, Watch
from incidents.auth.roles import LOCAL_ADMIN
from incidents.cli.main import main as cli_main
from incidents.settings import CLAIM_LEASE_S, smtp_settings
from incidents.store import IncidentStore
from tests.unit.alert_servers import Mailbox, WebhookReceiver, smtp_server, webhook  # noqa: F401 - fixtures
from tests.unit.alerts_fixtures import INSIDE_KM, MOPTI, OUTSIDE_KM, north_of_mopti

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
HEADER = [
    "event_id_cnty",
    "event_date",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "country",
    "admin1",
    "admin2",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "notes",
    "fatalities",
]
SCRIPT_NOTE = "<script>alert('x')</script> & an ambush"


def write_file(path: Path) -> Path:
    """An ACLED-like file: three incidents within 25 km of Mopti, two beyond."""
    rows = []
    for n, km in enumerate((*INSIDE_KM, *OUTSIDE_KM), start=1):
        lon, lat = north_of_mopti(km)
        note = SCRIPT_NOTE if n == 1 else f"incident {n}"
        rows.append(
            [
                f"MLI{900 + n}",
                "2026-02-27",
                "Battles",
                "Armed clash",
                "JNIM",
                "Military Forces of Mali",
                "Mali",
                "Mopti",
                "Mopti",
                f"Place {n}",
                f"{lat:.5f}",
                f"{lon:.5f}",
                "1",
                "Synthetic",
                note,
                str(n),
            ]
        )
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


INSIDE_IDS = ["acled:MLI901", "acled:MLI902", "acled:MLI903"]


def mopti_watch(webhook_url: str) -> Watch:
    area = Area(
        kind="site", label="Mopti office", geometry_wkt=f"POINT ({MOPTI[0]} {MOPTI[1]})", radius_km=25
    )
    recipients = Recipients(users=("local",), emails=("ops@example.org",), webhooks=(webhook_url,))
    return Watch(name="Mopti office", area=area, recipients=recipients)


@pytest.fixture
def cli_on(store: IncidentStore, monkeypatch: pytest.MonkeyPatch) -> IncidentStore:
    """The store, also the command line's (SAHEL_DB_URL)."""
    monkeypatch.setenv("SAHEL_DB_URL", store.url.render_as_string(hide_password=False))
    return store


def verified(secret: str, item: object) -> dict[str, object]:
    """The body, after checking its signature the way docs/deploy.md tells receivers to."""
    headers, body = item.headers, item.body  # type: ignore[attr-defined]
    timestamp = headers[TIMESTAMP_HEADER]
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers[SIGNATURE_HEADER], f"sha256={digest}")
    assert not hmac.compare_digest(headers[SIGNATURE_HEADER], sign("another secret", int(timestamp), body))
    return json.loads(body)


def test_an_import_alerts_once_by_mail_and_webhook_and_an_undo_corrects(
    cli_on: IncidentStore,
    tmp_path: Path,
    smtp_server: tuple[str, Mailbox],  # noqa: F811 - the fixture
    webhook: WebhookReceiver,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = cli_on
    url, mailbox = smtp_server
    smtp = smtp_settings({"SAHEL_SMTP_URL": url})
    created = add_watch(store, mopti_watch(webhook.url), by=LOCAL_ADMIN)
    path = write_file(tmp_path / "acled_mopti.csv")
    assert cli_main(["import", str(path)]) == 0

    report = run_pass(store, smtp=smtp, now=T0)
    assert report.delivery.sent == 3 and report.delivery.failed == 0  # mail, webhook, in-app
    assert len(mailbox.messages) == 1 and mailbox.logins == ["alerts"]
    mail = mailbox.messages[0]
    assert mail["To"] == "ops@example.org" and mail["From"] == "alerts@sahel.example"
    assert "3 new incidents" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for n in (1, 2, 3):
        assert f"MLI90{n}" in text and f"MLI90{n}" in html
    assert "MLI904" not in text + html and "MLI905" not in text + html
    assert (
        "<script>" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; an ambush" in html
    )
    assert SCRIPT_NOTE in text
    assert len(webhook.accepted) == 1
    body = verified(created.webhook_secret, webhook.accepted[0])
    assert sorted(item["incident_id"] for item in body["incidents"]) == INSIDE_IDS  # type: ignore[union-attr]
    assert body["kind"] == "alert" and "match_ids" not in body
    assert unread_count(store, "local") == 1

    # The same file again: every row a duplicate, nothing new to say.
    assert cli_main(["import", str(path)]) == 0
    again = run_pass(store, smtp=smtp, now=T0 + timedelta(minutes=5))
    assert again.delivery.sent == 0 and len(mailbox.messages) == 1 and len(webhook.received) == 1

    # Undo the first batch: one correction per recipient, naming the same three.
    batch_id = str(store.list_batches().query("rows_accepted == 5")["batch_id"].iloc[0])
    assert cli_main(["undo", batch_id]) == 0
    undone = run_pass(store, smtp=smtp, now=T0 + timedelta(minutes=10))
    assert undone.corrections == 3 and undone.delivery.sent == 3
    correction = mailbox.messages[1]
    assert "Correction" in correction["Subject"] and "3 incidents withdrawn" in correction["Subject"]
    body = verified(created.webhook_secret, webhook.received[1])
    assert body["kind"] == "correction"
    assert sorted(item["incident_id"] for item in body["incidents"]) == INSIDE_IDS  # type: ignore[union-attr]
    assert run_pass(store, smtp=smtp, now=T0 + timedelta(minutes=15)).delivery.sent == 0
    # No secret or password in anything printed or stored in the audit log.
    printed = capsys.readouterr()
    audit = " ".join(store.audit_log()["details"].fillna(""))
    for secret in (created.webhook_secret, "s3cret-pass"):
        assert secret not in printed.out + printed.err + audit


def test_a_receiver_down_at_first_gets_the_alert_once_when_back(store: IncidentStore) -> None:
    receiver = WebhookReceiver(fail_first=2)
    try:
        add_watch(store, _hook_only(receiver.url), by=LOCAL_ADMIN)
        _store_mopti(store)
        first = run_pass(store, smtp=None, now=T0)
        assert (first.delivery.sent, first.delivery.retried) == (0, 1)
        # Not due again before its backoff (30 s), then twice as long after the second failure.
        assert run_pass(store, smtp=None, now=T0 + timedelta(seconds=10)).delivery.retried == 0
        assert run_pass(store, smtp=None, now=T0 + timedelta(seconds=31)).delivery.retried == 1
        assert run_pass(store, smtp=None, now=T0 + timedelta(seconds=80)).delivery.sent == 0
        assert run_pass(store, smtp=None, now=T0 + timedelta(seconds=92)).delivery.sent == 1
        assert run_pass(store, smtp=None, now=T0 + timedelta(hours=2)).delivery.sent == 0
        assert [item.status for item in receiver.received] == [503, 503, 200]
        row = list_outbox(store).iloc[0]
        assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, "")
    finally:
        receiver.close()


def test_a_receiver_that_never_answers_ends_failed_with_its_reason(store: IncidentStore) -> None:
    from tests.unit.alert_servers import free_port

    add_watch(store, _hook_only(f"http://127.0.0.1:{free_port()}/hook"), by=LOCAL_ADMIN)
    _store_mopti(store)
    moment = T0
    report = run_pass(store, smtp=None, now=moment, give_up=timedelta(hours=1))
    while report.delivery.failed == 0:
        assert report.delivery.retried == 1
        moment += timedelta(minutes=20)
        report = run_pass(store, smtp=None, now=moment, give_up=timedelta(hours=1))
    failed = list_outbox(store, status="failed")
    assert len(failed) == 1 and "could not be reached" in failed["last_error"].iloc[0]
    assert moment - T0 >= timedelta(hours=1)
    assert run_pass(store, smtp=None, now=moment + timedelta(days=1)).delivery.retried == 0


def test_nothing_is_lost_when_the_runner_dies_between_steps(store: IncidentStore) -> None:
    receiver = WebhookReceiver()
    try:
        add_watch(store, _hook_only(receiver.url), by=LOCAL_ADMIN)
        _store_mopti(store)
        match_pending(store, now=T0)  # killed after matching: the matches are stored, nothing queued
        run_pass(store, smtp=None, now=T0)
        assert len(receiver.accepted) == 1
        _store_mopti(store, "b")
        match_pending(store, now=T0)
        from incidents.alerts.outbox import queue_alerts

        queue_alerts(store, now=T0)
        assert len(_claim(store, T0)) == 1  # killed mid-send: claimed, never sent
        assert (
            run_pass(store, smtp=None, now=T0 + timedelta(seconds=10)).delivery.sent == 0
        )  # claim still held
        late = run_pass(store, smtp=None, now=T0 + timedelta(seconds=CLAIM_LEASE_S + 1))
        assert late.delivery.sent == 1 and len(receiver.accepted) == 2
    finally:
        receiver.close()


def test_the_inbox_counts_unread_and_marks_read(store: IncidentStore) -> None:
    watch = Watch(
        name="inbox", area=mopti_watch("http://x.example").area, recipients=Recipients(users=("local",))
    )
    add_watch(store, watch, by=LOCAL_ADMIN)
    _store_mopti(store)
    run_pass(store, smtp=None, now=T0)
    messages = inbox(store, "local")
    assert len(messages) == 1 and not messages[0]["read"] and unread_count(store, "local") == 1
    assert len(messages[0]["payload"]["incidents"]) == 3
    assert mark_read(store, "someone-else", [messages[0]["message_id"]]) == 0
    assert mark_read(store, "local", [messages[0]["message_id"]]) == 1
    assert unread_count(store, "local") == 0 and inbox(store, "local")[0]["read"]


def test_an_email_without_a_mail_server_waits_and_says_why(store: IncidentStore) -> None:
    watch = Watch(
        name="mail", area=mopti_watch("http://x.example").area, recipients=Recipients(emails=("a@b.org",))
    )
    add_watch(store, watch, by=LOCAL_ADMIN)
    _store_mopti(store)
    assert run_pass(store, smtp=None, now=T0).delivery.retried == 1
    assert "SAHEL_SMTP_URL is not set" in list_outbox(store)["last_error"].iloc[0]


def _hook_only(url: str) -> Watch:
    return Watch(name="hook", area=mopti_watch(url).area, recipients=Recipients(webhooks=(url,)))


def _store_mopti(store: IncidentStore, prefix: str = "m") -> None:
    from incidents.store import BatchMeta
    from tests.unit.alerts_fixtures import around_mopti

    store.add_batch(
        around_mopti(prefix), BatchMeta(file_name="f.csv", sha256="0" * 64, format="acled", rows_read=5)
    )


@pytest.mark.parametrize(
    ("delivery", "due"),
    [
        ("daily@07:00", datetime(2026, 3, 3, 7, 0, tzinfo=UTC)),  # T0 is Monday 08:00: tomorrow at 07:00
        ("daily@09:30", datetime(2026, 3, 2, 9, 30, tzinfo=UTC)),  # later the same day
        ("weekly@MON,07:00", datetime(2026, 3, 9, 7, 0, tzinfo=UTC)),  # next Monday
        ("weekly@WED,18:00", datetime(2026, 3, 4, 18, 0, tzinfo=UTC)),
    ],
)
def test_digests_collect_matches_until_their_time(store: IncidentStore, delivery: str, due: datetime) -> None:
    watch = Watch(
        name="digest",
        area=mopti_watch("http://x.example").area,
        recipients=Recipients(users=("local",)),
        delivery=delivery,
    )
    add_watch(store, watch, by=LOCAL_ADMIN)
    _store_mopti(store)
    assert run_pass(store, smtp=None, now=T0).queued == 0
    _store_mopti(store, "later")  # matched later, before the digest's time: the same digest
    assert run_pass(store, smtp=None, now=due - timedelta(minutes=1)).queued == 0
    at_time = run_pass(store, smtp=None, now=due)
    assert (at_time.queued, at_time.delivery.sent) == (1, 1)
    assert len(inbox(store, "local")[0]["payload"]["incidents"]) == 6
    assert run_pass(store, smtp=None, now=due + timedelta(days=8)).queued == 0
