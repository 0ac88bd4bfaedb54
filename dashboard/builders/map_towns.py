"""Place-name labels and an offline place search for the folium maps (no Streamlit calls).

Why: the offline basemap has no tiles, so without these labels a zoomed-in map is blank
beige. The places and the zoom each appears at come from :func:`geodata.towns.label_towns`;
here they become one Leaflet layer ("Place names" in the layer control) whose labels are
added and removed on ``zoomend``/``moveend`` (only those in view at or above their zoom, so
thousands of villages cost nothing until one zooms in), and a small search box: an
``<input>`` with a ``<datalist>`` of the labelled names; choosing one moves the map there.
No network: the data travel in the page as one JSON array. Names are HTML-escaped in Python
(:func:`dashboard.builders.map_elements.esc`); the browser only concatenates them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import folium
import pandas as pd
from folium.template import Template

from dashboard.builders.attribution import map_places_attribution
from dashboard.builders.map_elements import Attribution, esc, js_literal
from geodata.towns import label_towns
from incidents.i18n import N_, _

LAYER_TOWNS: Final = N_("Place names")
#: Zoom the search box moves to (or the place's own label zoom, when higher).
SEARCH_ZOOM: Final = 10
TOWN_CSS: Final = (
    " .sahel-town { background: none; border: none; }"
    " .sahel-town span { position: absolute; left: 50%; bottom: 3px; transform: translateX(-50%);"
    " white-space: nowrap; font: 11px/1.2 sans-serif; color: #222;"
    " text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; pointer-events: none; }"
    " .sahel-town i { position: absolute; left: -2px; top: -2px; width: 4px; height: 4px;"
    " border-radius: 50%; background: #333; }"
    " .sahel-town.capital span { font-weight: 700; font-size: 13px; }"
    " .sahel-town.regional span { font-weight: 600; font-size: 12px; }"
    " .sahel-town.village span { color: #555; font-size: 10px; }"
    " .sahel-search input { font: 12px sans-serif; width: 170px; padding: 3px 5px;"
    " border: 1px solid #999; border-radius: 3px; }"
)


def town_rows(towns: pd.DataFrame) -> list[list[object]]:
    """Compact rows for the page: [lat, lon, escaped name, kind, min_zoom, escaped search text]."""
    rows: list[list[object]] = []
    for row in towns.itertuples(index=False):
        where = ", ".join(part for part in (esc(row.admin1_name), esc(row.country_iso3)) if part)
        rows.append(
            [
                round(float(row.lat), 5),
                round(float(row.lon), 5),
                esc(row.name),
                str(row.kind),
                int(row.min_zoom),
                f"{esc(row.name)} ({where})" if where else esc(row.name),
            ]
        )
    return rows


class TownLabels(folium.map.Layer):
    """The labels layer and the search control (a Layer, so the layer control can hide it)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.layerGroup();
            (function () {
                var map = {{ this._parent.get_name() }};
                var layer = {{ this.get_name() }};
                var rows = {{ this.rows_json }};
                var shown = {};
                function marker(i) {
                    var r = rows[i];
                    return L.marker([r[0], r[1]], {
                        icon: L.divIcon({
                            className: "sahel-town " + r[3],
                            html: "<i></i><span>" + r[2] + "</span>",
                            iconSize: [0, 0]
                        }),
                        interactive: false, keyboard: false
                    });
                }
                function update() {
                    var zoom = map.getZoom(), bounds = map.getBounds().pad(0.2);
                    for (var i = 0; i < rows.length; i++) {
                        var want = rows[i][4] <= zoom && bounds.contains([rows[i][0], rows[i][1]]);
                        if (want && !shown[i]) { shown[i] = marker(i); layer.addLayer(shown[i]); }
                        else if (!want && shown[i]) { layer.removeLayer(shown[i]); delete shown[i]; }
                    }
                }
                map.on("zoomend moveend", update);
                map.whenReady(update);
                {% if this.show %}layer.addTo(map);{% endif %}
                var search = L.control({position: "topright"});
                search.onAdd = function () {
                    var box = L.DomUtil.create("div", "sahel-search");
                    var listId = "{{ this.get_name() }}_places";
                    var options = "";
                    for (var i = 0; i < rows.length; i++) {
                        options += '<option value="' + rows[i][5] + '">';
                    }
                    var prompt = {{ this.prompt|tojson }};
                    box.innerHTML = '<input type="search" placeholder="' + prompt + '…" '
                        + 'aria-label="' + prompt + '" list="' + listId + '">'
                        + '<datalist id="' + listId + '">' + options + "</datalist>";
                    var input = box.querySelector("input");
                    var list = box.querySelector("datalist").options;
                    L.DomEvent.disableClickPropagation(box);
                    L.DomEvent.disableScrollPropagation(box);
                    function go() {
                        var text = input.value.trim().toLowerCase();
                        if (!text) { return; }
                        var found = -1;
                        for (var i = 0; i < list.length && found < 0; i++) {
                            if (list[i].value.toLowerCase() === text) { found = i; }
                        }
                        for (var j = 0; j < list.length && found < 0; j++) {
                            if (list[j].value.toLowerCase().split(" (")[0] === text) { found = j; }
                        }
                        if (found < 0) { return; }
                        var r = rows[found];
                        map.setView([r[0], r[1]], Math.max({{ this.search_zoom }}, r[4]));
                    }
                    L.DomEvent.on(input, "change", go);
                    L.DomEvent.on(input, "keydown", function (event) {
                        if (event.key === "Enter") { go(); }
                    });
                    return box;
                };
                search.addTo(map);
            })();
        {% endmacro %}
        """
    )

    def __init__(self, towns: pd.DataFrame, *, name: str | None = None, show: bool = True) -> None:
        super().__init__(name=_(LAYER_TOWNS) if name is None else name, overlay=True, control=True, show=show)
        self._name = "TownLabels"
        self.rows_json = js_literal(town_rows(towns))
        self.css = TOWN_CSS
        self.search_zoom = SEARCH_ZOOM
        # Escaped in Python: the browser pastes it into the input's attributes.
        self.prompt = esc(_("Go to place"))


def add_town_labels(m: folium.Map, countries: Iterable[str]) -> TownLabels:
    """Add the place labels and search box of ``countries`` (ISO3) to ``m``, with the places' credit."""
    layer = TownLabels(label_towns(countries))
    layer.add_to(m)
    Attribution(map_places_attribution()).add_to(m)
    return layer
