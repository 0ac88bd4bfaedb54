"""What an alert says: the e-mail (plain text and HTML, every field escaped) and the webhook body.

A message's ``payload`` (``alert_outbox.payload``) is JSON made when it is queued: the watch, its
area in words, and the incidents with the fields of :data:`incidents.alerts.matching.ALERT_FIELDS`
plus ``distance_km``, and for an alert ``link``: the dashboard's Map page filtered on the alert's
dates and countries (:func:`dashboard_link`, under ``SAHEL_PUBLIC_URL``). Rendering happens at
delivery, from that payload only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html import escape
from typing import Any, Final
from urllib.parse import urlencode

from incidents.i18n import N_, _, ngettext, use_language

ALERT: Final = "alert"
CORRECTION: Final = "correction"
#: The dashboard page an alert's link opens (Streamlit's path of ``dashboard/app_pages/map.py``).
MAP_PATH: Final = "/map"
#: Columns of an incident in an alert, in order, with their headings.
_COLUMNS: Final = (
    ("event_date", N_("Date")),
    ("location", N_("Place")),
    ("admin2_name", N_("District")),
    ("event_type", N_("Type")),
    ("fatalities", N_("Fatalities")),
    ("distance_km", N_("Distance (km)")),
    ("actor1", N_("Actor")),
    ("notes", N_("Notes")),
    ("incident_id", N_("Incident")),
)
#: The closing line of every e-mail.
_FOOTER: Final = N_("Sent by the Sahel Security Dashboard. Incidents are as imported; check the sources.")


def dashboard_link(incidents: Sequence[dict[str, Any]], base_url: str) -> str:
    """The Map page at ``base_url`` filtered on the incidents' dates and countries.

    The query is the dashboard's own filter link (:meth:`incidents.query.IncidentFilter.to_query_params`):
    ``period=custom&from=&to=`` spanning the earliest and latest incident, and ``country=`` for
    each country they fall in (ISO3, as the sidebar filters). Incidents of a payload made before
    the link existed carry no ``country_iso3``: the link then keeps the user's countries.
    """
    dates = sorted(str(item["event_date"]) for item in incidents if item.get("event_date"))
    countries = sorted({str(item["country_iso3"]) for item in incidents if item.get("country_iso3")})
    pairs: list[tuple[str, str]] = []
    if dates:
        pairs += [("period", "custom"), ("from", dates[0]), ("to", dates[-1])]
    pairs += [("country", code) for code in countries]
    return base_url.rstrip("/") + MAP_PATH + (f"?{urlencode(pairs)}" if pairs else "")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def subject(payload: dict[str, Any]) -> str:
    """The e-mail's subject in the current language (:func:`email_message` chooses it)."""
    count = len(payload["incidents"])
    if payload["kind"] == CORRECTION:
        return ngettext(
            "[Sahel alerts] Correction, {watch}: {n} incident withdrawn",
            "[Sahel alerts] Correction, {watch}: {n} incidents withdrawn",
            count,
        ).format(watch=payload["watch"], n=count)
    return ngettext(
        "[Sahel alerts] {watch}: {n} new incident", "[Sahel alerts] {watch}: {n} new incidents", count
    ).format(watch=payload["watch"], n=count)


def _lead(payload: dict[str, Any]) -> str:
    if payload["kind"] == CORRECTION:
        return _(
            "The import that brought these incidents to the watch {watch} ({area}) was undone: "
            "disregard them."
        ).format(watch=payload["watch"], area=payload["area"])
    return _("New incidents in the watch {watch} ({area}).").format(
        watch=payload["watch"], area=payload["area"]
    )


def plain_text(payload: dict[str, Any]) -> str:
    lines = [_lead(payload), ""]
    for incident in payload["incidents"]:
        values = [
            _("{heading}: {value}").format(heading=_(heading), value=_text(incident.get(key)))
            for key, heading in _COLUMNS
            if incident.get(key) is not None
        ]
        lines.append("- " + "\n  ".join(values))
    if payload.get("link"):
        lines += ["", _("Open them on the map: {link}").format(link=payload["link"])]
    lines += ["", _(_FOOTER)]
    return "\n".join(lines) + "\n"


def html_body(payload: dict[str, Any]) -> str:
    """The HTML part: every value escaped (a note's ``<script>`` arrives as text)."""
    head = "".join(f"<th>{escape(_(heading))}</th>" for _key, heading in _COLUMNS)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{escape(_text(incident.get(key)))}</td>" for key, _heading in _COLUMNS)
        + "</tr>"
        for incident in payload["incidents"]
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        f"<p>{escape(_lead(payload))}</p>"
        f'<table border="1" cellpadding="4" cellspacing="0"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        f"{_html_link(payload)}"
        f"<p>{escape(_(_FOOTER))}</p>"
        "</body></html>"
    )


def _html_link(payload: dict[str, Any]) -> str:
    link = payload.get("link")
    if not link:
        return ""
    label = _("Open them on the map")
    return f'<p><a href="{escape(str(link))}">{escape(label)}</a> ({escape(str(link))})</p>'


def email_message(
    payload: dict[str, Any], *, sender: str, recipient: str, message_id: int, language: str | None = None
) -> EmailMessage:
    """The e-mail of one outbox message: plain text first, HTML as the alternative.

    Written in ``language`` (the watch owner's account language, :func:`incidents.alerts.outbox.
    owner_language`), English when None: a runner has no reader, so the language is the owner's.
    """
    message = EmailMessage()
    with use_language(language):
        message["Subject"] = subject(payload)
        text, html = plain_text(payload), html_body(payload)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"sahel-alert-{message_id}")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def webhook_body(payload: dict[str, Any], *, message_id: int) -> bytes:
    """The JSON a webhook receives (``delivery_id`` lets a receiver drop a repeated delivery)."""
    body = {key: value for key, value in payload.items() if key != "match_ids"}
    body["delivery_id"] = message_id
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
