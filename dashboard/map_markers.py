"""Incident markers for the point mode of the map: compact rows built into markers in the browser.

One folium marker per incident costs ~1 KB and ~1 ms (DESIGN.md §8), so rows go to a single
``FastMarkerCluster`` whose callback builds each marker, and popups are built only when
opened. Every string is HTML-escaped here, in Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import pandas as pd

from dashboard.map_elements import esc
from dashboard.map_elements import js_literal as _js_literal
from dashboard.map_elements import text_of as _text
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
    fatalities, notes#, source#, is-demo (0/1), geo_precision when approximate (2/3, else 0).
    """

    rows: list[list[object]]
    strings: list[str]


def incident_marker_data(incidents: pd.DataFrame) -> MarkerData:
    """Marker rows and their string table; every string is HTML-escaped here, in Python."""
    strings: dict[str, int] = {"": 0}

    def ref(text: str) -> int:
        return strings.setdefault(esc(text), len(strings))

    rows: list[list[object]] = []
    if incidents.empty:
        return MarkerData(rows, list(strings))
    type_index = {t: i for i, t in enumerate(EVENT_TYPES)}
    other = type_index["other"]
    frame = incidents
    dates = pd.to_datetime(frame["event_date"]).dt.strftime("%Y-%m-%d").fillna("")
    precision = (
        pd.to_numeric(frame["geo_precision"], errors="coerce").fillna(1)
        if "geo_precision" in frame.columns
        else pd.Series(1, index=frame.index)
    )
    approx = precision.where(precision.isin(APPROXIMATE_PRECISIONS), 0).astype(int)
    for lat, lon, etype, date, loc, a2, a1, country, actor1, actor2, fat, notes, source, dataset, prec in zip(
        frame["latitude"].to_numpy(dtype=float),
        frame["longitude"].to_numpy(dtype=float),
        frame["event_type"].astype(object),
        dates,
        frame["location"].astype(object),
        frame["admin2_name"].astype(object),
        frame["admin1_name"].astype(object),
        frame["country"].astype(object),
        frame["actor1"].astype(object),
        frame["actor2"].astype(object),
        frame["fatalities"].astype(object),
        frame["notes"].astype(object),
        frame["source"].astype(object),
        frame["source_dataset"].astype(object),
        approx.to_numpy(),
        strict=True,
    ):
        if math.isnan(lat) or math.isnan(lon):
            continue
        note = _text(notes)
        if len(note) > NOTES_MAX_CHARS:
            note = note[:NOTES_MAX_CHARS] + "…"
        actors = " vs ".join(a for a in (_text(actor1), _text(actor2)) if a)
        rows.append(
            [
                round(float(lat), 5),
                round(float(lon), 5),
                type_index.get(_text(etype), other),
                date,
                ref(_place(loc, a2, a1, country)),
                ref(actors),
                0 if _text(fat) == "" else int(fat),
                ref(note),
                ref(_text(source)),
                1 if _text(dataset) == "demo" else 0,
                int(prec),
            ]
        )
    return MarkerData(rows, list(strings))


# Every string reaching the browser was escaped in Python; this code only joins them with
# fixed markup.
_MARKER_CALLBACK: Final = """(function () {
    var COLOURS = %(colours)s;
    var LABELS = %(labels)s;
    var S = %(strings)s;
    var DEMO = 'Synthetic demo row: not a real event';
    var APPROX = {2: 'approximate location (district level, within ~10 km)',
                  3: 'approximate location (region level, within ~50 km)'};
    function popup(row) {
        return '<table class="sahel-popup">'
            + '<tr><th>Date</th><td>' + row[3] + '</td></tr>'
            + '<tr><th>Type</th><td>' + LABELS[row[2]] + '</td></tr>'
            + '<tr><th>Place</th><td>' + S[row[4]] + (row[10] ? ' <i>(' + APPROX[row[10]] + ')</i>' : '')
            + '</td></tr>'
            + '<tr><th>Actors</th><td>' + S[row[5]] + '</td></tr>'
            + '<tr><th>Fatalities</th><td>' + row[6] + '</td></tr>'
            + (row[7] ? '<tr><th>Notes</th><td>' + S[row[7]] + '</td></tr>' : '')
            + '<tr><th>Source</th><td>' + S[row[8]] + '</td></tr>'
            + (row[9] ? '<tr><td colspan="2" class="demo">' + DEMO + '</td></tr>' : '')
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
            + (approx ? ' · approximate location' : ''));
        marker.bindPopup(function () { return popup(row); }, {maxWidth: 340});
        return marker;
    };
})()"""


def marker_callback(strings: list[str]) -> str:
    return _MARKER_CALLBACK % {
        "colours": _js_literal([EVENT_TYPE_COLOURS[t] for t in EVENT_TYPES]),
        "labels": _js_literal([esc(EVENT_TYPE_LABELS[t]) for t in EVENT_TYPES]),
        "strings": _js_literal(strings),
    }
