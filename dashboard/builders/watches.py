"""Tables and areas of the Watches and Inbox pages (pure: no Streamlit; unit-tested).

Watches, matching and delivery live in :mod:`incidents.alerts`; this module turns what they
store into rows a page shows, and a form's choices into an :class:`~incidents.alerts.watches.Area`.
Webhook URLs are shown without secrets: no user name, password, path or query (a receiver's
token often sits in its path, e.g. chat-service hooks), only scheme, host and port.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import pandas as pd

from dashboard.builders.markdown import escape_markdown
from incidents.alerts.store import StoredWatch
from incidents.alerts.watches import Area, Filters, names
from incidents.i18n import N_, Labels, _, ngettext
from incidents.i18n.formats import format_timestamp
from incidents.model import EVENT_TYPE_LABELS

WATCH_TABLE_COLUMNS: Final = (
    N_("Name"),
    N_("Area"),
    N_("Filters"),
    N_("Recipients"),
    N_("Delivery"),
    N_("Status"),
    N_("Owner"),
)
INBOX_COLUMNS: Final = (N_("Date"), N_("Place"), N_("Type"), N_("Fatalities"), N_("Distance (km)"))
#: Words for a watch's status (the codes stay in the store).
WATCH_STATUS_LABELS: Final = Labels({"active": N_("active"), "paused": N_("paused")})
#: Delivery choices of the form.
DELIVERY_CHOICES: Final = Labels(
    {"immediate": N_("Immediately"), "daily": N_("Daily digest"), "weekly": N_("Weekly digest")}
)
#: Area choices of the form, in order, with the label each shows.
AREA_CHOICES: Final = Labels(
    {
        "site": N_("A stored site (radius)"),
        "route": N_("A stored route (buffer)"),
        "admin": N_("Admin-1 / admin-2 units"),
        "corridor": N_("A corridor (buffer)"),
        "polygon": N_("An uploaded GeoJSON polygon"),
    }
)
#: Query parameters of the "Watch this region" shortcut.
PREFILL_ADMIN1: Final = "watch_admin1"
PREFILL_ADMIN2: Final = "watch_admin2"
#: "Watch this site / route" (Site exposure page): the stored site_id the form starts on.
PREFILL_SITE: Final = "watch_site_id"


def safe_url(url: str) -> str:
    """``url`` without anything secret: scheme, host and port, then ``/…`` when it had a path or query."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return _("(unreadable URL)")
    hidden = "/…" if (parts.path.strip("/") or parts.query or parts.fragment) else ""
    return f"{parts.scheme}://{host}{port}{hidden}"


def event_type_label(code: str) -> str:
    """``violence_against_civilians`` -> "Violence against civilians" (an unknown code as it is)."""
    return EVENT_TYPE_LABELS.get(code, code)


FAILED_COLUMNS: Final = Labels(
    {
        "message_id": N_("Message"),
        "watch_name": N_("Watch"),
        "channel": N_("Channel"),
        "recipient": N_("Recipient"),
        "attempts": N_("Attempts"),
        "created_at": N_("Queued"),
        "last_error": N_("Reason"),
    }
)


def failed_table(outbox: pd.DataFrame) -> pd.DataFrame:
    """Failed outbox messages (:func:`incidents.alerts.outbox.list_outbox`) for admins: a webhook's
    URL shown by :func:`safe_url`, in the recipient column and wherever the error text repeats it."""
    rows = outbox[list(FAILED_COLUMNS)].copy()
    for index, channel, recipient in zip(rows.index, rows["channel"], rows["recipient"], strict=True):
        if channel == "webhook":
            shown = safe_url(str(recipient))
            rows.at[index, "recipient"] = shown
            rows.at[index, "last_error"] = str(rows.at[index, "last_error"]).replace(str(recipient), shown)
    return rows.rename(columns=dict(FAILED_COLUMNS))


def describe_filters(filters: Filters) -> str:
    parts = []
    if filters.event_types:
        parts.append(
            _("types: {types}").format(types=names([event_type_label(code) for code in filters.event_types]))
        )
    if filters.min_fatalities:
        parts.append(_("≥ {n} fatalities").format(n=filters.min_fatalities))
    if filters.actor_text:
        parts.append(_("actor contains “{text}”").format(text=filters.actor_text))
    if filters.sources:
        parts.append(_("sources: {sources}").format(sources=names(filters.sources)))
    return "; ".join(parts) or _("any incident")


def describe_recipients(stored: StoredWatch) -> str:
    recipients = stored.watch.recipients
    parts = [*(_("inbox {user}").format(user=user) for user in recipients.users), *recipients.emails]
    parts += [_("webhook {url}").format(url=safe_url(url)) for url in recipients.webhooks]
    return ", ".join(parts) or _("nobody")


def describe_delivery(delivery: str) -> str:
    """``daily@07:00`` -> "daily at 07:00 UTC"; ``weekly@MON,07:00`` -> "weekly, MON 07:00 UTC"."""
    if delivery.startswith("daily@"):
        return _("daily at {time} UTC").format(time=delivery.removeprefix("daily@"))
    if delivery.startswith("weekly@"):
        day, _comma, time = delivery.removeprefix("weekly@").partition(",")
        return _("weekly, {day} {time} UTC").format(day=weekday_label(day), time=time)
    if delivery == "immediate":
        return _("immediate")
    return delivery


def watch_table(watches: Sequence[StoredWatch]) -> pd.DataFrame:
    """One row per watch, in :data:`WATCH_TABLE_COLUMNS` (no secret, no full webhook URL)."""
    rows = [
        (
            stored.name,
            stored.watch.describe_area(),
            describe_filters(stored.watch.filters),
            describe_recipients(stored),
            describe_delivery(stored.watch.delivery),
            WATCH_STATUS_LABELS.get(stored.status, stored.status),
            stored.owner,
        )
        for stored in watches
    ]
    return pd.DataFrame(rows, columns=[_(column) for column in WATCH_TABLE_COLUMNS])


def delivery_text(mode: str, time: str = "07:00", weekday: str = "MON") -> str:
    """The domain spelling of a form's delivery choice (checked by the domain on add)."""
    if mode == "daily":
        return f"daily@{time}"
    if mode == "weekly":
        return f"weekly@{weekday},{time}"
    return "immediate"


def site_area(sites: pd.DataFrame, site_id: str, radius_km: float) -> Area:
    """The area of a stored site or route (:func:`incidents.store.sites.list_sites` row ``site_id``)."""
    row = sites.loc[sites["site_id"].astype(str) == str(site_id)].iloc[0]
    return Area(
        kind=str(row["kind"]),
        label=str(row["name"]),
        geometry_wkt=str(row["geometry_wkt"]),
        radius_km=radius_km,
    )


def split_list(text: str) -> tuple[str, ...]:
    """Comma-, semicolon- or line-separated entries of a text box, trimmed, empties dropped."""
    return tuple(
        item.strip() for item in text.replace(";", ",").replace("\n", ",").split(",") if item.strip()
    )


def inbox_incidents(payload: Mapping[str, Any]) -> pd.DataFrame:
    """The incidents of one alert's payload as :data:`INBOX_COLUMNS`, newest first."""
    rows = []
    for incident in payload.get("incidents", ()):
        place = ", ".join(
            str(value)
            for value in (incident.get("location"), incident.get("admin2_name"), incident.get("country"))
            if value not in (None, "")
        )
        distance = incident.get("distance_km")
        rows.append(
            (
                str(incident.get("event_date", ""))[:10],
                place,
                event_type_label(str(incident.get("event_type", ""))),
                int(incident.get("fatalities") or 0),
                None if distance is None or pd.isna(distance) else round(float(distance), 1),
            )
        )
    frame = pd.DataFrame(rows, columns=[_(column) for column in INBOX_COLUMNS])
    return frame.sort_values(_("Date"), ascending=False, kind="stable").reset_index(drop=True)


def inbox_title(message: Mapping[str, Any]) -> str:
    """ "Alert · Mopti office · 3 incidents · 02 Dec 2026 14:05 UTC" (a correction says so)."""
    payload = message["payload"]
    count = len(payload.get("incidents", ()))
    kind = _("Correction") if message["kind"] == "correction" else _("Alert")
    when = _("{when} UTC").format(when=format_timestamp(pd.Timestamp(message["created_at"]).to_pydatetime()))
    unread = "" if message["read"] else _(" · new")
    name = escape_markdown(str(message["watch_name"]))  # an expander label is Markdown
    incidents = ngettext("{n} incident", "{n} incidents", count).format(n=count)
    return f"{kind} · {name} · {incidents} · {when}{unread}"


#: Weekdays of a weekly digest (the codes ``MON``… stay in the delivery spelling).
WEEKDAY_LABELS: Final = Labels(
    {
        "MON": N_("MON"),
        "TUE": N_("TUE"),
        "WED": N_("WED"),
        "THU": N_("THU"),
        "FRI": N_("FRI"),
        "SAT": N_("SAT"),
        "SUN": N_("SUN"),
    }
)


#: ``MON`` as the reader's language abbreviates it (« lun. »); an unknown code as it is.
weekday_label = WEEKDAY_LABELS.label


def unread_incidents(messages: Iterable[Mapping[str, Any]]) -> int:
    """Distinct incidents of the unread alerts (corrections excluded): "new since your last visit"."""
    seen = {
        str(incident.get("incident_id"))
        for message in messages
        if not message["read"] and message["kind"] != "correction"
        for incident in message["payload"].get("incidents", ())
    }
    return len(seen)
