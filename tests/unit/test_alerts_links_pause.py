"""Alerts link back to the dashboard; paused watches hold their alerts, removed ones drop them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from incidents.alerts.matching import list_matches
from incidents.alerts.messages import dashboard_link
from incidents.alerts.outbox import inbox, list_outbox, queue_alerts
from incidents.alerts.runner import run_pass
from incidents.alerts.store import PAUSED, add_watch, get_watch, set_watch_status
from incidents.alerts.watches import Area, Recipients, Watch
from incidents.auth.roles import LOCAL_ADMIN
from incidents.cli.main import main as cli_main
from incidents.errors import SettingError
from incidents.query import IncidentFilter
from incidents.settings import DEFAULT_PUBLIC_URL, public_url, smtp_settings
from incidents.store import BatchMeta, IncidentStore
from tests.unit.alert_servers import Mailbox, WebhookReceiver, smtp_server, webhook  # noqa: F401 - fixtures
from tests.unit.alerts_fixtures import MOPTI, around_mopti

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
META = BatchMeta(file_name="f.csv", sha256="0" * 64, format="acled", rows_read=5)
#: around_mopti's three incidents inside 25 km: rich_incidents' dates (every 3 days) and countries.
EXPECTED_QUERY = {
    "period": ["custom"],
    "from": ["2023-12-30"],
    "to": ["2024-01-05"],
    "country": ["BFA", "MLI"],
}
AREA = Area(kind="site", label="Mopti office", geometry_wkt=f"POINT ({MOPTI[0]} {MOPTI[1]})", radius_km=25)


def _watch(name: str, recipients: Recipients) -> Watch:
    return Watch(name=name, area=AREA, recipients=recipients)


def test_public_url_setting_defaults_and_refuses_what_is_not_a_web_address() -> None:
    assert public_url({}) == DEFAULT_PUBLIC_URL == "http://localhost:8501"
    assert public_url({"SAHEL_PUBLIC_URL": " https://example.org/sahel/ "}) == "https://example.org/sahel"
    for bad in ("ftp://example.org", "example.org", "https://example.org/?a=1", "javascript:alert(1)"):
        with pytest.raises(SettingError, match="SAHEL_PUBLIC_URL"):
            public_url({"SAHEL_PUBLIC_URL": bad})


def test_the_link_is_the_dashboard_filter_of_the_incidents_dates_and_countries() -> None:
    incidents = [
        {"event_date": "2026-02-03", "country_iso3": "MLI"},
        {"event_date": "2026-01-28", "country_iso3": "NER"},
        {"event_date": "2026-02-01", "country_iso3": "MLI"},
    ]
    link = dashboard_link(incidents, "https://example.org/sahel/")
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "example.org", "/sahel/map")
    chosen = IncidentFilter.from_query_params(parse_qs(parts.query), default_countries=["BFA"])
    assert chosen.preset == "custom" and (chosen.since, chosen.until) == (
        datetime(2026, 1, 28).date(),
        datetime(2026, 2, 3).date(),
    )
    assert sorted(chosen.countries) == ["MLI", "NER"]
    # A payload from before the link (no country): the user's countries stay.
    assert "country" not in dashboard_link([{"event_date": "2026-02-03"}], "http://h")


def test_every_channel_carries_the_link_escaped_in_html(
    store: IncidentStore,
    smtp_server: tuple[str, Mailbox],  # noqa: F811 - the fixture
    webhook: WebhookReceiver,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAHEL_PUBLIC_URL", "https://sahel.example.org/ops")
    url, mailbox = smtp_server
    recipients = Recipients(users=("local",), emails=("ops@example.org",), webhooks=(webhook.url,))
    add_watch(store, _watch("office", recipients), by=LOCAL_ADMIN)
    store.add_batch(around_mopti(), META)
    assert run_pass(store, smtp=smtp_settings({"SAHEL_SMTP_URL": url}), now=T0).delivery.sent == 3

    def query_of(link: str) -> dict[str, list[str]]:
        parts = urlsplit(link)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://sahel.example.org/ops/map"
        return parse_qs(parts.query)

    in_app = inbox(store, "local")[0]["payload"]["link"]
    assert query_of(in_app) == EXPECTED_QUERY
    assert json.loads(webhook.accepted[0].body)["link"] == in_app
    mail = mailbox.messages[0]
    assert f"Open them on the map: {in_app}" in mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "&amp;from=" in html and "&from=" not in html  # the link's & are escaped in the HTML part
    assert f'<a href="{escape(in_app)}">' in html


def test_a_paused_watch_holds_its_alerts_until_resumed(
    store: IncidentStore,
    webhook: WebhookReceiver,  # noqa: F811 - the fixture
) -> None:
    add_watch(store, _watch("held", Recipients(users=("local",), webhooks=(webhook.url,))), by=LOCAL_ADMIN)
    store.add_batch(around_mopti("a"), META)
    run_pass(store, smtp=None, now=T0 - timedelta(hours=1))  # matched and delivered: 2 messages
    store.add_batch(around_mopti("b"), META)
    from incidents.alerts.matching import match_pending

    match_pending(store, now=T0)
    queue_alerts(store, now=T0)  # queued (2 messages) just before the pause
    set_watch_status(store, "held", PAUSED, by=LOCAL_ADMIN)
    store.add_batch(around_mopti("c"), META)  # arrives while paused: never matched
    assert run_pass(store, smtp=None, now=T0 + timedelta(minutes=1)).delivery.sent == 0
    assert len(webhook.received) == 1 and len(inbox(store, "local")) == 1
    assert sorted(list_outbox(store)["status"]) == ["pending", "pending", "sent", "sent"]

    set_watch_status(store, "held", "active", by=LOCAL_ADMIN)
    assert run_pass(store, smtp=None, now=T0 + timedelta(minutes=2)).delivery.sent == 2
    assert len(webhook.accepted) == 2 and len(inbox(store, "local")) == 2
    held = json.loads(webhook.accepted[1].body)["incidents"]
    assert sorted(item["incident_id"] for item in held) == [f"acled:b-in-{n}" for n in (1, 2, 3)]
    statuses = list_matches(store, watch_name="held").set_index("incident_id")["status"]
    assert set(statuses) == {"delivered"} and not any(key.startswith("acled:c-") for key in statuses.index)


def test_a_removed_watch_drops_its_unsent_alerts_and_still_sends_corrections(
    store: IncidentStore,
    webhook: WebhookReceiver,  # noqa: F811 - the fixture
) -> None:
    add_watch(store, _watch("gone", Recipients(webhooks=(webhook.url,))), by=LOCAL_ADMIN)
    store.add_batch(around_mopti("a"), META)
    assert run_pass(store, smtp=None, now=T0).delivery.sent == 1
    store.add_batch(around_mopti("b"), META)  # matched and queued, never sent
    from incidents.alerts.matching import match_pending

    match_pending(store, now=T0)
    queue_alerts(store, now=T0)
    # Another watch's matches, left pending: a digest not due yet.
    add_watch(
        store,
        Watch(
            name="digest", area=AREA, recipients=Recipients(webhooks=(webhook.url,)), delivery="daily@23:00"
        ),
        by=LOCAL_ADMIN,
    )
    store.add_batch(around_mopti("c"), META)
    match_pending(store, now=T0)
    set_watch_status(store, "gone", "removed", by=LOCAL_ADMIN)
    set_watch_status(store, "digest", "removed", by=LOCAL_ADMIN)
    # The first batch is undone: its delivered alert still owes a correction.
    first = str(store.list_batches().sort_values("created_at")["batch_id"].iloc[0])
    store.undo_batch(first)
    report = run_pass(store, smtp=None, now=T0 + timedelta(days=1))
    assert (report.corrections, report.delivery.sent) == (1, 1)
    kinds = [json.loads(item.body)["kind"] for item in webhook.accepted]
    assert kinds == ["alert", "correction"]
    outbox = list_outbox(store).set_index("kind")
    assert outbox.loc["alert", "status"].tolist() == ["dropped", "sent"]
    statuses = list_matches(store).groupby("watch_name")["status"].apply(sorted).to_dict()
    assert statuses == {"digest": ["dropped"] * 3, "gone": ["corrected"] * 3 + ["dropped"] * 6}
    assert run_pass(store, smtp=None, now=T0 + timedelta(days=2)).delivery.sent == 0


def test_watches_pause_resume_and_remove_on_the_command_line(
    cli_store: IncidentStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_watch(cli_store, _watch("office", Recipients(users=("local",))), by=LOCAL_ADMIN)
    cli_store.add_batch(around_mopti(), META)
    from incidents.alerts.matching import match_pending

    match_pending(cli_store)
    assert cli_main(["watches", "pause", "office"]) == 0
    assert "paused" in capsys.readouterr().out and get_watch(cli_store, "office").status == "paused"
    assert cli_main(["alerts", "run"]) == 0
    assert "0 alerts" in capsys.readouterr().out and inbox(cli_store, "local") == []
    assert cli_main(["watches", "list"]) == 0
    assert "[paused, v2" in capsys.readouterr().out
    assert cli_main(["watches", "resume", "office"]) == 0
    assert get_watch(cli_store, "office").status == "active"
    assert cli_main(["alerts", "run"]) == 0
    assert "1 sent" in capsys.readouterr().out and len(inbox(cli_store, "local")) == 1
    assert cli_main(["watches", "pause", "nope"]) == 2
    assert "no watch named 'nope'" in capsys.readouterr().err
    assert cli_main(["watches", "remove", "office"]) == 0
    assert cli_main(["watches", "resume", "office"]) == 2
