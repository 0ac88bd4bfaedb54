"""Small folium elements and text helpers shared by the map builders (no Streamlit calls).

Everything user-supplied goes through :func:`esc` in Python; these elements pass content to
the browser as JSON (never inside a JavaScript template literal), so the page only
concatenates already-escaped strings.
"""

from __future__ import annotations

import html
import json
from typing import Final

import pandas as pd
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from incidents.i18n import _


def esc(value: object) -> str:
    """HTML-escaped text of a cell; missing values become the empty string."""
    return html.escape(text_of(value), quote=True)


def text_of(value: object) -> str:
    """Plain text of a cell: lists joined, missing values (None, NaN, pd.NA, NaT) empty."""
    if isinstance(value, list | tuple):
        return "; ".join(text_of(v) for v in value)
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return ""
    return str(value)


def js_literal(value: object) -> str:
    # JSON is valid JavaScript; "<" is escaped too so no string can close the <script>.
    return json.dumps(value).replace("<", "\\u003c")


class Attribution(MacroElement):
    """Adds a line to the map's attribution control (boundaries and incident sources)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.text = text


class Bind(MacroElement):
    """``bindPopup``/``bindTooltip`` on the parent layer, content passed as a JSON string.

    folium's Popup and Tooltip paste their text into a JavaScript template literal, where a
    ``${...}``, backtick or backslash in the data would run code or break the whole map.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.{{ this.method }}(
                {{ this.content|tojson }}, {{ this.options|tojson }}
            );
        {% endmacro %}
        """
    )

    def __init__(self, method: str, content: str, **options: object) -> None:
        super().__init__()
        if method not in ("bindPopup", "bindTooltip"):
            raise ValueError(f"method {method!r} is not one of ['bindPopup', 'bindTooltip']")
        self._name = "Bind"
        self.method = method
        self.content = content
        self.options = options


#: Below this map width or height (px) the legend panel starts collapsed.
LEGEND_COLLAPSE_BELOW: Final = (700, 450)
#: Most of the map's height and width (fractions) the open legend panel may take; longer content
#: scrolls inside it. At 1600x1000 that keeps it under ~15 % of the map's area.
LEGEND_MAX_HEIGHT: Final = 0.45
LEGEND_MAX_WIDTH_PX: Final = 250


class Legend(MacroElement):
    """The map's one legend panel: a collapsible ``<details>`` Leaflet control of sections.

    Each layer that is drawn adds its own section (:func:`add_legend_section`), so the panel
    names only what is on the map; with no section it is not drawn at all. Open at start,
    collapsed on small maps (:data:`LEGEND_COLLAPSE_BELOW`); at most :data:`LEGEND_MAX_HEIGHT`
    of the map's height (scrolling inside) and :data:`LEGEND_MAX_WIDTH_PX` wide. A Leaflet
    control, so it works inside streamlit-folium too.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {% if this.sections %}
            (function () {
                var map = {{ this._parent.get_name() }};
                var legend = L.control({position: "bottomright"});
                legend.onAdd = function () {
                    var box = L.DomUtil.create("details", "sahel-legend");
                    var size = map.getSize();
                    var small = size.x < {{ this.collapse_below[0] }}
                        || size.y < {{ this.collapse_below[1] }};
                    box.open = !small;
                    var summary = L.DomUtil.create("summary", "sahel-legend-title", box);
                    summary.textContent = {{ this.title|tojson }};
                    var body = L.DomUtil.create("div", "sahel-legend-body", box);
                    body.innerHTML = {{ this.sections|join("")|tojson }};
                    box.style.maxWidth = "{{ this.max_width_px }}px";
                    function fit() {
                        var room = Math.floor(map.getSize().y * {{ this.max_height }}) - 30;
                        body.style.maxHeight = Math.max(60, room) + "px";
                    }
                    fit();
                    map.on("resize", fit);
                    L.DomEvent.disableClickPropagation(box);
                    L.DomEvent.disableScrollPropagation(box);
                    return box;
                };
                legend.addTo(map);
            })();
            {% endif %}
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str = "") -> None:
        super().__init__()
        self._name = "Legend"
        self.sections: list[str] = [html_text] if html_text else []
        self.title = _("Legend")  # set as text, not HTML: no escaping
        self.collapse_below = LEGEND_COLLAPSE_BELOW
        self.max_height = LEGEND_MAX_HEIGHT
        self.max_width_px = LEGEND_MAX_WIDTH_PX

    @property
    def html(self) -> str:
        """The panel's content: every section, in order."""
        return "".join(self.sections)


def legend_of(m: Element) -> Legend:
    """The one legend panel of map ``m``, added (empty) if it has none yet."""
    for child in m._children.values():
        if isinstance(child, Legend):
            return child
    legend = Legend()
    legend.add_to(m)
    return legend


def add_legend_section(m: Element, html_text: str) -> None:
    """Add a section (already escaped HTML) to the map's one legend panel."""
    if html_text:
        legend_of(m).sections.append(html_text)


class FullscreenControl(MacroElement):
    """A full-screen button using the browser's Fullscreen API: no plugin, nothing to download.

    folium's Fullscreen plugin loads its script from a CDN, which fails offline. Where the
    browser refuses full screen (an iframe without permission) the button is not shown.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var map = {{ this._parent.get_name() }};
                var box = map.getContainer();
                if (!document.fullscreenEnabled || !box.requestFullscreen) { return; }
                var control = L.control({position: "topleft"});
                control.onAdd = function () {
                    var bar = L.DomUtil.create("div", "leaflet-bar sahel-fullscreen");
                    var link = L.DomUtil.create("a", "", bar);
                    link.href = "#";
                    link.title = {{ this.label|tojson }};
                    link.setAttribute("role", "button");
                    link.setAttribute("aria-label", {{ this.label|tojson }});
                    link.innerHTML = '<svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" '
                        + 'style="vertical-align:middle"><path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" '
                        + 'fill="none" stroke="#333" stroke-width="2"/></svg>';
                    L.DomEvent.disableClickPropagation(bar);
                    L.DomEvent.on(link, "click", function (event) {
                        L.DomEvent.preventDefault(event);
                        if (document.fullscreenElement) { document.exitFullscreen(); }
                        else { box.requestFullscreen(); }
                    });
                    return bar;
                };
                control.addTo(map);
                document.addEventListener("fullscreenchange", function () { map.invalidateSize(); });
            })();
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "FullscreenControl"
        self.label = _("Full screen")  # an attribute's text, set by the DOM: no escaping


class MapStyle(MacroElement):
    """Page CSS: the plain background of the offline basemap and the legend/popup look."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        """
    )

    def __init__(self, css: str) -> None:
        super().__init__()
        self._name = "MapStyle"
        self.css = css


# ---- rendering without a second template pass --------------------------------------------
#
# branca's ``MacroElement.render`` wraps each rendered macro in ``Element(text)``, and
# ``Element.__init__`` compiles that text as a new jinja2 template which is rendered again
# when the page is assembled. That costs a jinja compile of every element's output (0.4 s
# for the ~200 elements of one map, megabytes of GeoJSON included) and, worse, evaluates
# any ``{{ ... }}`` / ``{% ... %}`` in the *data*: a note reading ``{{ 7*7 }}`` came out as
# ``49`` (server-side template injection from an uploaded file). Maps built here mark their
# Figure; for those figures rendered text is kept as it is (``RawText``). Other figures in
# the process keep branca's behaviour.

_RAW_FLAG = "_sahel_raw_render"


class RawText(Element):
    """Already rendered text: rendered as is, never compiled as a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RawText"
        self.text = text

    def render(self, **kwargs: object) -> str:
        del kwargs
        return self.text


def _marked(element: Element) -> bool:
    node: Element | None = element
    while node is not None:
        if getattr(node, _RAW_FLAG, False):
            return True
        node = node._parent
    return False


def _raw_macro_render(self: MacroElement, **kwargs: object) -> None:
    figure = self.get_root()
    if not _marked(self):
        return _BRANCA_MACRO_RENDER(self, **kwargs)
    assert isinstance(figure, Figure), "You cannot render this Element if it is not in a Figure."
    module = self._template.module.__dict__
    for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
        macro = module.get(part)
        if macro is not None:
            target.add_child(RawText(str(macro(self, kwargs))), name=self.get_name())
    for element in list(self._children.values()):
        element.render(**kwargs)
    return None


_BRANCA_MACRO_RENDER = getattr(MacroElement.render, "_sahel_original", MacroElement.render)
_raw_macro_render._sahel_original = _BRANCA_MACRO_RENDER  # type: ignore[attr-defined]
MacroElement.render = _raw_macro_render  # type: ignore[method-assign]


def mark_raw_render(element: Element) -> None:
    """Render ``element`` and everything below it without re-templating their output.

    Marks the element itself (so it holds when the map is later put in another Figure, as
    ``streamlit_folium.folium_static`` does) and its current root.
    """
    setattr(element, _RAW_FLAG, True)
    setattr(element.get_root(), _RAW_FLAG, True)
