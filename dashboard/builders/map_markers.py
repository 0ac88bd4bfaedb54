"""Incident markers for the point mode of the map: compact rows built into markers in the browser.

One folium marker per incident costs ~1 KB and ~1 ms (docs/architecture.md,
'Maps: offline and fast'), so rows go to a single
``FastMarkerCluster`` whose callback builds each marker, and popups are built only when
opened. Every string is HTML-escaped here, in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from dashboard.builders.map_elements import esc
from dashboard.builders.map_elements import js_literal as _js_literal
from dashboard.builders.map_elements import text_of as _text
from incidents.i18n import _
from incidents.i18n.formats import format_day
from incidents.model import EVENT_TYPE_LABELS, EVENT_TYPES

NOTES_MAX_CHARS: Final = 500
#: geo_precision values drawn as approximate (2 near/district, 3 region-level).
APPROXIMATE_PRECISIONS: Final = (2, 3)
EVENT_TYPE_COLOURS: Final[dict[str, str]] = {
    "battle": "#d62728",
    "explosion_remote_violence": "#ff7f0e",
    "violence_against_civilians": "#9467bd",
    "abduction": "#8c564b",
    "protest_riot": "#1f77b4",
    "strategic_development": "#2ca02c",
    "other": "#7f7f7f",
}


def _place(location: object, admin2: object, admin1: object, country: object) -> str:
    parts = [p for p in (_text(location), _text(admin2), _text(admin1), _text(country)) if p]
    return ", ".join(dict.fromkeys(parts))


@dataclass(frozen=True)
class MarkerData:
    """What the browser turns into markers: compact rows plus a table of escaped strings.

    Place, actors, notes and source repeat a lot across 20k incidents, so rows hold indexes
    into ``strings`` instead of the text (several times smaller). Row layout, kept in step
    with ``_MARKER_CALLBACK``: lat, lon, event-type index, date, place#, actors#,
    fatalities, notes#, source#, is-demo (0/1), geo_precision when approximate (2/3, else 0),
    uncertainty radius in km when the row was placed at an admin unit (else 0), and the
    unit#: the admin-2 (geo_precision 2) or admin-1 (3) unit it was placed in.
    """

    rows: list[list[object]]
    strings: list[str]


def _column_text(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Plain text (:func:`text_of`) of every cell, computed once per distinct value."""
    if column not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    values = frame[column].to_numpy(dtype=object)
    try:
        codes, uniq = pd.factorize(values)  # missing values get -1
    except TypeError:  # unhashable cells (lists): cell by cell
        return np.array([_text(v) for v in values] + [""], dtype=object)[:-1]
    texts = np.array([_text(u) for u in uniq] + [""], dtype=object)
    return texts[codes]


def _memo(func: Callable[..., str]) -> Callable[..., str]:
    cache: dict[tuple[str, ...], str] = {}

    def call(*args: str) -> str:
        hit = cache.get(args)
        if hit is None:
            hit = cache[args] = func(*args)
        return hit

    return call


def _truncated_note(note: str) -> str:
    return note[:NOTES_MAX_CHARS] + "…" if len(note) > NOTES_MAX_CHARS else note


def incident_marker_data(incidents: pd.DataFrame) -> MarkerData:
    """Marker rows and their string table; every string is HTML-escaped here, in Python.

    Notes longer than :data:`NOTES_MAX_CHARS` are cut there with an ellipsis (before
    escaping). Text work is done once per distinct value, not once per incident.
    """
    strings: dict[str, int] = {"": 0}
    rows: list[list[object]] = []
    if incidents.empty:
        return MarkerData(rows, list(strings))
    frame = incidents
    lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(dtype=float)
    keep = ~(np.isnan(lat) | np.isnan(lon))
    if not keep.all():
        frame, lat, lon = frame[keep], lat[keep], lon[keep]
    if frame.empty:
        return MarkerData(rows, list(strings))
    type_index = {t: i for i, t in enumerate(EVENT_TYPES)}
    other = type_index["other"]
    day = _memo(lambda iso: esc(format_day(pd.Timestamp(iso))) if iso else "")
    dates = [day(iso) for iso in pd.to_datetime(frame["event_date"]).dt.strftime("%Y-%m-%d").fillna("")]
    precision = (
        pd.to_numeric(frame["geo_precision"], errors="coerce").fillna(1)
        if "geo_precision" in frame.columns
        else pd.Series(1, index=frame.index)
    )
    approx = precision.where(precision.isin(APPROXIMATE_PRECISIONS), 0).astype(int).tolist()
    uncertainty = _uncertainty_km(frame)
    fatalities = pd.to_numeric(frame["fatalities"], errors="coerce").fillna(0).astype(np.int64).tolist()
    etypes = [type_index.get(t, other) for t in _column_text(frame, "event_type").tolist()]
    demo = (_column_text(frame, "source_dataset") == "demo").astype(int).tolist()
    escape = _memo(esc)
    place = _memo(lambda *parts: esc(_place(*parts)))
    actors = _memo(lambda a1, a2: esc(" vs ".join(a for a in (a1, a2) if a)))
    note_of = _memo(lambda note: esc(_truncated_note(note)))
    ref = strings.setdefault
    for (
        la,
        lo,
        etype,
        date,
        loc,
        a2,
        a1,
        country,
        actor1,
        actor2,
        fat,
        note,
        source,
        is_demo,
        prec,
        km,
    ) in zip(
        np.round(lat, 5).tolist(),
        np.round(lon, 5).tolist(),
        etypes,
        dates,
        _column_text(frame, "location").tolist(),
        _column_text(frame, "admin2_name").tolist(),
        _column_text(frame, "admin1_name").tolist(),
        _column_text(frame, "country").tolist(),
        _column_text(frame, "actor1").tolist(),
        _column_text(frame, "actor2").tolist(),
        fatalities,
        _column_text(frame, "notes").tolist(),
        _column_text(frame, "source").tolist(),
        demo,
        approx,
        uncertainty,
        strict=True,
    ):
        rows.append(
            [
                la,
                lo,
                etype,
                date,
                ref(place(loc, a2, a1, country), len(strings)),
                ref(actors(actor1, actor2), len(strings)),
                fat,
                ref(note_of(note), len(strings)),
                ref(escape(source), len(strings)),
                is_demo,
                prec,
                km,
                ref(escape(a2 if prec == 2 and a2 else a1) if km else "", len(strings)),
            ]
        )
    return MarkerData(rows, list(strings))


def _uncertainty_km(frame: pd.DataFrame) -> list[int]:
    """Whole km of each row's uncertainty radius (at least 1), 0 where the point is the event's own."""
    if "uncertainty_km" not in frame.columns:
        return [0] * len(frame)
    km = pd.to_numeric(frame["uncertainty_km"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(km) & (km > 0), np.maximum(np.round(km), 1), 0).astype(np.int64).tolist()


# Every string reaching the browser was escaped in Python; this code only joins them with
# fixed markup.
_MARKER_CALLBACK: Final = """(function () {
    var COLOURS = %(colours)s;
    var LABELS = %(labels)s;
    var S = %(strings)s;
    var T = %(text)s;
    var APPROX = {2: T.district, 3: T.region};
    function approx(row) {
        if (row[11] > 0) {
            var area = S[row[12]] || T.area;
            // Replacer functions: a "$&" in a place name is text, not a replacement pattern.
            return T.centre.replace('{area}', function () { return area; })
                .replace('{km}', function () { return String(row[11]); });
        }
        return APPROX[row[10]];
    }
    function popup(row) {
        return '<table class="sahel-popup">'
            + '<tr><th>' + T.date + '</th><td>' + row[3] + '</td></tr>'
            + '<tr><th>' + T.type + '</th><td>' + LABELS[row[2]] + '</td></tr>'
            + '<tr><th>' + T.place + '</th><td>' + S[row[4]]
            + (row[10] ? ' <i>(' + approx(row) + ')</i>' : '') + '</td></tr>'
            + '<tr><th>' + T.actors + '</th><td>' + S[row[5]] + '</td></tr>'
            + '<tr><th>' + T.fatalities + '</th><td>' + row[6] + '</td></tr>'
            + (row[7] ? '<tr><th>' + T.notes + '</th><td>' + S[row[7]] + '</td></tr>' : '')
            + '<tr><th>' + T.source + '</th><td>' + S[row[8]] + '</td></tr>'
            + (row[9] ? '<tr><td colspan="2" class="demo">' + T.demo + '</td></tr>' : '')
            + '</table>';
    }
    return function (row) {
        var approx = row[10] > 0;
        var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {
            radius: 4 + Math.min(6, Math.sqrt(row[6])),
            color: approx ? COLOURS[row[2]] : '#222222', weight: approx ? 2 : 1,
            dashArray: approx ? '3 2' : null,
            fillColor: COLOURS[row[2]], fillOpacity: approx ? 0.15 : 0.85
        });
        marker.bindTooltip(row[3] + ' · ' + LABELS[row[2]] + (row[4] ? ' · ' + S[row[4]] : '')
            + (approx ? ' · ' + T.approximate : ''));
        marker.bindPopup(function () { return popup(row); }, {maxWidth: 340});
        return marker;
    };
})()"""


def marker_text() -> dict[str, str]:
    """The popup's and tooltip's words in the current language, HTML-escaped (``{area}`` and
    ``{km}`` are filled in the browser with escaped text and a number)."""
    words = {
        "date": _("Date"),
        "type": _("Type"),
        "place": _("Place"),
        "actors": _("Actors"),
        "fatalities": _("Fatalities"),
        "notes": _("Notes"),
        "source": _("Source"),
        "demo": _("Synthetic demo row: not a real event"),
        "district": _("approximate location (district level, within ~10 km)"),
        "region": _("approximate location (region level, within ~50 km)"),
        "centre": _("no exact coordinates: placed at the centre of {area}, ± {km} km"),
        "area": _("its area"),
        "approximate": _("approximate location"),
    }
    return {key: esc(value) for key, value in words.items()}


def marker_callback(strings: list[str]) -> str:
    return _MARKER_CALLBACK % {
        "colours": _js_literal([EVENT_TYPE_COLOURS[t] for t in EVENT_TYPES]),
        "labels": _js_literal([esc(EVENT_TYPE_LABELS[t]) for t in EVENT_TYPES]),
        "strings": _js_literal(strings),
        "text": _js_literal(marker_text()),
    }
