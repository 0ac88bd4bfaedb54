"""The pure helpers behind the Watches and Inbox pages (dashboard/builders/watches.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from dashboard.builders import watches as wb
from incidents.alerts.watches import Filters, check_delivery

#: A webhook URL -> as the Watches page shows it (tokens sit in paths and queries, passwords before the host).
SHOWN_URLS = {
    "https://hooks.example.org/services/T000/B000/XXXXSECRET": "https://hooks.example.org/…",
    "https://user:pass@example.org:8443/hook?token=abc": "https://example.org:8443/…",
    "http://10.0.0.5:9000": "http://10.0.0.5:9000",
    "http://example.org/": "http://example.org",
}


def test_a_webhook_url_is_shown_without_its_secrets() -> None:
    shown = {url: wb.safe_url(url) for url in SHOWN_URLS}
    assert shown == SHOWN_URLS
    assert not [text for text in shown.values() if "SECRET" in text or "pass" in text or "token" in text]


@pytest.mark.parametrize(
    ("mode", "time", "day", "expected"),
    [
        ("immediate", "07:00", "MON", "immediate"),
        ("daily", "06:30", "MON", "daily@06:30"),
        ("weekly", "18:05", "FRI", "weekly@FRI,18:05"),
    ],
)
def test_the_form_delivery_is_the_domain_spelling(mode: str, time: str, day: str, expected: str) -> None:
    text = wb.delivery_text(mode, time, day)
    assert text == expected == check_delivery(text)


def test_lists_and_filters_read_as_words() -> None:
    assert wb.split_list(" a@x.org, b@y.org;\nc@z.org ,, ") == ("a@x.org", "b@y.org", "c@z.org")
    assert wb.describe_filters(Filters()) == "any incident"
    words = wb.describe_filters(
        Filters(event_types=("battle", "protest_riot"), min_fatalities=3, actor_text="JNIM")
    )
    assert words == "types: Battle, Protest / riot; ≥ 3 fatalities; actor contains “JNIM”"


def test_inbox_incidents_newest_first_and_unread_counts_distinct_incidents() -> None:
    payload = {
        "incidents": [
            {
                "incident_id": "a:1",
                "event_date": "2024-01-02",
                "location": "Sofara",
                "admin2_name": "Djenne",
                "country": "Mali",
                "event_type": "battle",
                "fatalities": 2,
                "distance_km": 3.14159,
            },
            {
                "incident_id": "a:2",
                "event_date": "2024-03-01",
                "location": "Mopti",
                "admin2_name": None,
                "country": "Mali",
                "event_type": "protest_riot",
                "fatalities": None,
                "distance_km": None,
            },
        ]
    }
    frame = wb.inbox_incidents(payload)
    assert frame["Date"].tolist() == ["2024-03-01", "2024-01-02"]
    assert frame["Place"].tolist() == ["Mopti, Mali", "Sofara, Djenne, Mali"]
    assert frame["Fatalities"].tolist() == [0, 2]
    assert frame["Type"].tolist() == ["Protest / riot", "Battle"]
    assert pd.isna(frame["Distance (km)"].iloc[0]) and frame["Distance (km)"].iloc[1] == 3.1
    when = datetime(2026, 12, 2, 14, 5, tzinfo=UTC)
    unread = {"kind": "alert", "watch_name": "W", "created_at": when, "read": False, "payload": payload}
    again = {**unread, "payload": {"incidents": payload["incidents"][:1]}}
    read = {**unread, "read": True, "payload": {"incidents": [{"incident_id": "b:9"}]}}
    correction = {**unread, "kind": "correction", "payload": {"incidents": [{"incident_id": "c:1"}]}}
    assert wb.unread_incidents([unread, again, read, correction]) == 2
    assert wb.inbox_title(unread) == "Alert · W · 2 incidents · 2 Dec 2026 14:05 UTC · new"


def test_failed_messages_hide_a_webhook_token_in_the_reason_too() -> None:
    url = "https://hooks.example.org/T000/SECRET"
    outbox = pd.DataFrame(
        {
            "message_id": [7, 8],
            "watch_name": ["W", "W"],
            "channel": ["webhook", "email"],
            "recipient": [url, "ops@example.org"],
            "attempts": [5, 5],
            "created_at": pd.to_datetime(["2026-12-01T10:00Z"] * 2),
            "last_error": [f"the webhook {url} answered 500", "SAHEL_SMTP_URL is not set"],
        }
    )
    table = wb.failed_table(outbox)
    assert table["Recipient"].tolist() == ["https://hooks.example.org/…", "ops@example.org"]
    assert table["Reason"].tolist() == [
        "the webhook https://hooks.example.org/… answered 500",
        "SAHEL_SMTP_URL is not set",
    ]
    assert not table.map(lambda value: "SECRET" in str(value)).any().any()


def test_a_watch_name_with_markup_reads_as_typed_in_the_inbox_title() -> None:
    from dashboard.builders.markdown import escape_markdown

    hostile = "![x](http://evil.example/t.png) :red[**boss**] <b>"
    title = wb.inbox_title(
        {
            "kind": "alert",
            "watch_name": hostile,
            "payload": {"incidents": [{}]},
            "created_at": "2026-12-02T14:05:00Z",
            "read": True,
        }
    )
    assert escape_markdown(hostile) in title
    assert "](" not in title.replace("\\](", "") and "[**" not in title  # no link, image or directive left
    assert escape_markdown("a_b*c") == "a\\_b\\*c"
