"""Saved views in the dashboard: the Map page's "Save this view" control and ``?view=`` links.

A saved view's ``query`` holds the filter (:meth:`IncidentFilter.to_query_params`) plus the
Map page's layer options under their widget keys (``basemap``, ``map_heat``, ...), so a
view reopens by putting those values back into session state before any widget is drawn.
``app.py`` calls :func:`apply_view_link` once per run, before the page: a link
``?view=<name>`` applies the view once and is then dropped from the address, leaving the
filter parameters (so reloading keeps the filters and later edits are not overwritten).

Only a signed-in user's links are resolved: before sign-in the link is held in the session
and taken out of the address unread (the answer would tell an anonymous visitor which
view names exist), then applied once the user has signed in, on the page it named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote, urlencode

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from dashboard.builders.maps import BASEMAPS
from dashboard.builders.outlook_data import OUTLOOK_PARAM
from dashboard.ui import caching, filters
from dashboard.ui.auth import Pages, all_pages, current_user, may, requested_page
from geodata.boundaries import DEFAULT_COUNTRIES
from incidents.auth import Permission
from incidents.errors import IncidentsError
from incidents.i18n import _
from incidents.query import IncidentFilter
from incidents.query_links import quoted
from incidents.store.saved_views import SavedView, get_view, save_view

VIEW_PARAM: Final = "view"
# Map page widget keys (dashboard/app_pages/map.py) with their defaults: the saved page options.
MAP_OPTION_DEFAULTS: Final[Mapping[str, str | bool]] = {
    "basemap": "none",
    "map_heat": "off",
    "map_hexagons": False,
    "map_choropleth": "off",
    "map_choropleth_level": "admin1",
    "map_admin2": False,
    "map_buffers": False,
    # Not a layer: the view's briefing pack gets the Outlook section (the save control's checkbox).
    OUTLOOK_PARAM: False,
}
_CHOICES: Final[Mapping[str, tuple[str, ...]]] = {
    "basemap": tuple(BASEMAPS),
    "map_heat": ("off", "count", "fatalities"),
    "map_choropleth": ("off", "per_10k_km2", "per_30_days", "risk_level"),
    "map_choropleth_level": ("admin1", "admin2"),
}
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off", ""})

# Save control keys (test contract) and session keys set by an applied view.
KEY_NAME: Final = "view_name"
KEY_TITLE: Final = "view_title"
KEY_NOTES: Final = "view_notes"
KEY_SAVE: Final = "view_save"
KEY_MESSAGE: Final = "view_save_message"
KEY_POSITION: Final = "view_map_position"  # {"center": (lat, lon) | None, "zoom": int | None}
KEY_APPLIED: Final = "view_applied"  # name of the view a link applied in this session
KEY_APPLIED_POSITION: Final = "view_applied_position"  # its saved centre/zoom, for the Map page
KEY_MISSING: Final = "view_missing"
KEY_BRIEF_VIEW: Final = "brief_view"  # the Briefing page starts at this view
KEY_LAYERS_READ: Final = "map_layers_read"  # the Map page has taken its layers from the address once
KEY_HELD: Final = "view_link_held"  # {"view": name, "page": url path} of a link opened before sign-in
MAP_KEY: Final = "incident_map"  # st_folium key on the Map page

_FILTER_WIDGET_KEYS: Final = (
    filters.KEY_COUNTRIES,
    filters.KEY_PERIOD,
    filters.KEY_DATES,
    filters.KEY_TYPES,
    filters.KEY_ACTORS,
    filters.KEY_MIN_FATALITIES,
    filters.KEY_ADMIN1,
    filters.KEY_CORRIDOR,
    filters.KEY_CORRIDOR_KM,
    filters.KEY_SOURCES,
)


# ---- page options and layers (pure) -------------------------------------------------------


def map_options(params: Mapping[str, str | Sequence[str]]) -> dict[str, str | bool]:
    """The Map page options in a query mapping; missing or unknown values take the default."""
    options: dict[str, str | bool] = {}
    for key, default in MAP_OPTION_DEFAULTS.items():
        raw = params.get(key)
        value = raw if isinstance(raw, str) or raw is None else (list(raw)[-1] if list(raw) else None)
        if value is None:
            options[key] = default
        elif isinstance(default, bool):
            options[key] = str(value).lower() in _TRUE
        else:
            options[key] = value if value in _CHOICES[key] else default
    return options


def _last(raw: str | Sequence[str] | None) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    values = list(raw)
    return values[-1] if values else None


def checked_map_options(params: Mapping[str, str | Sequence[str]]) -> tuple[dict[str, str | bool], list[str]]:
    """:func:`map_options` plus one notice per layer value of the link that was not understood
    (that layer then takes its default)."""
    options = map_options(params)
    notices = []
    for key, default in MAP_OPTION_DEFAULTS.items():
        value = _last(params.get(key))
        if value is None:
            continue
        ok = value.lower() in _TRUE | _FALSE if isinstance(default, bool) else value in _CHOICES[key]
        if not ok:
            shown = (_("on") if default else _("off")) if isinstance(default, bool) else default
            notices.append(
                _("Link parameter {key}={value} is not a map layer choice; {shown} is used.").format(
                    key=key, value=quoted(value), shown=shown
                )
            )
    return options, notices


def layer_query_params(options: Mapping[str, str | bool]) -> dict[str, str]:
    """The address-bar parameters of the Map options: only those that differ from the default."""
    params: dict[str, str] = {}
    for key, default in MAP_OPTION_DEFAULTS.items():
        value = options.get(key, default)
        if value != default:
            params[key] = ("1" if value else "0") if isinstance(default, bool) else str(value)
    return params


def read_layer_params() -> None:
    """Once per session, before the Map page draws its layer widgets: start them from the address.

    A copied Map link carries the layers (:func:`sync_layer_params`); a value that is not a
    choice falls back to its default with a notice. A view opened by link sets the layers
    itself (:func:`apply_view`), and later visits keep the session's choices.
    """
    if st.session_state.get(KEY_LAYERS_READ):
        return
    st.session_state[KEY_LAYERS_READ] = True
    params = {key: st.query_params.get_all(key) for key in MAP_OPTION_DEFAULTS if key in st.query_params}
    if not params:
        return
    options, notices = checked_map_options(params)
    for key in params:
        st.session_state[key] = options[key]
    for notice in notices:
        st.toast(filters.markdown_text(notice), icon="⚠️", duration="long")


def sync_layer_params(options: Mapping[str, str | bool]) -> None:
    """Mirror the Map page's layer choices in the address (defaults left out; other keys kept)."""
    wanted = layer_query_params(options)
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    shown = {key: value for key, value in current.items() if key in MAP_OPTION_DEFAULTS}
    if shown != {key: [value] for key, value in wanted.items()}:
        kept = {key: value for key, value in current.items() if key not in MAP_OPTION_DEFAULTS}
        st.query_params.from_dict({**kept, **wanted})


def layers_of(options: Mapping[str, str | bool]) -> list[str]:
    """The visible analysis layers named by the Map options (``SavedView.layers`` vocabulary)."""
    layers = [f"basemap:{options['basemap']}"]
    if options["map_heat"] != "off":
        layers.append(f"heat:{options['map_heat']}")
    if options["map_hexagons"]:
        layers.append("hexagons")
    if options["map_choropleth"] != "off":
        layers.append(f"choropleth:{options['map_choropleth']}:{options['map_choropleth_level']}")
    if options["map_admin2"]:
        layers.append("admin2")
    if options["map_buffers"]:
        layers.append("buffers")
    return layers


def options_of_layers(layers: Sequence[str]) -> dict[str, str | bool]:
    """Inverse of :func:`layers_of`: Map options from a layer list (unknown names ignored)."""
    params: dict[str, str] = {}
    for layer in layers:
        kind, _sep, rest = layer.partition(":")
        if kind == "basemap":
            params["basemap"] = rest
        elif kind == "heat":
            params["map_heat"] = rest
        elif kind == "choropleth":
            measure, _sep, level = rest.partition(":")
            params["map_choropleth"] = measure
            params["map_choropleth_level"] = level or "admin1"
        elif kind in ("hexagons", "admin2", "buffers"):
            params[f"map_{kind}"] = "1"
    return map_options(params)


def view_options(view: SavedView) -> dict[str, str | bool]:
    """A view's Map options: from its query when it holds any, else from its layers."""
    params = view.query_params()
    if any(key in params for key in MAP_OPTION_DEFAULTS):
        return map_options(params)
    return options_of_layers(view.layers)


def build_query(chosen: IncidentFilter, options: Mapping[str, str | bool]) -> str:
    """The query string of a view: filter parameters, then the Map options."""
    pairs: list[tuple[str, str]] = []
    for key, values in chosen.to_query_params().items():
        pairs.extend((key, item) for item in ([values] if isinstance(values, str) else values))
    for key, default in MAP_OPTION_DEFAULTS.items():
        option = options.get(key, default)
        pairs.append((key, ("1" if option else "0") if isinstance(default, bool) else str(option)))
    return urlencode(pairs)


def view_link(name: str) -> str:
    """Relative link that reopens a view on the current page."""
    return f"?{VIEW_PARAM}={quote(name, safe='')}"


def map_position(result: object) -> dict[str, Any]:
    """Centre ``(lat, lon)`` and zoom from st_folium's return value (``None`` when absent)."""
    center = zoom = None
    if isinstance(result, Mapping):
        raw_center = result.get("center")
        if isinstance(raw_center, Mapping) and raw_center.get("lat") is not None:
            try:
                center = (float(raw_center["lat"]), float(raw_center["lng"]))
            except (KeyError, TypeError, ValueError):
                center = None
        raw_zoom = result.get("zoom")
        zoom = int(raw_zoom) if isinstance(raw_zoom, int | float) and not isinstance(raw_zoom, bool) else None
    return {"center": center, "zoom": zoom}


# ---- applying a link --------------------------------------------------------------------------


def _view_filter(view: SavedView) -> IncidentFilter:
    """The view's filter; one saved without a source choice gets the default (real sources once stored)."""
    db_url = caching.current_db_url()
    defaults = caching.source_status_cached(db_url, caching.get_store().data_version()).default_sources
    return view.incident_filter(DEFAULT_COUNTRIES, defaults)


def apply_view(view: SavedView) -> None:
    """Put the view's filter and Map options into session state (before widgets are drawn)."""
    st.session_state[filters.STATE_KEY] = _view_filter(view)
    for key in _FILTER_WIDGET_KEYS:
        st.session_state.pop(key, None)  # widgets then start from the applied filter
    for key, value in view_options(view).items():
        st.session_state[key] = value
    st.session_state[KEY_APPLIED] = view.name
    st.session_state[KEY_LAYERS_READ] = True  # the view's layers, not the address's
    st.session_state[KEY_APPLIED_POSITION] = {"center": view.center, "zoom": view.zoom}
    st.session_state[KEY_BRIEF_VIEW] = view.name


def hold_view_link() -> None:
    """Before sign-in: keep a ``?view=`` link for later and take it out of the address, unresolved."""
    if VIEW_PARAM not in st.query_params:
        return
    st.session_state[KEY_HELD] = {"view": st.query_params.get(VIEW_PARAM, ""), "page": requested_page()}
    del st.query_params[VIEW_PARAM]


def held_link_path(base: str = "") -> str | None:
    """The address of the link held before sign-in (``/map?view=...``), or ``None``."""
    held = st.session_state.get(KEY_HELD)
    if not isinstance(held, Mapping) or not held.get("view"):
        return None
    return f"{base}/{quote(str(held.get('page') or ''))}{view_link(str(held['view']))}"


def apply_view_link(pages: Pages | None = None) -> None:
    """Apply ``?view=<name>`` once, then drop it from the address (the filters stay).

    Without a signed-in user the link is only held (:func:`hold_view_link`); after sign-in
    the held link is applied and, when ``pages`` holds the page it named, that page opens.
    """
    if current_user() is None:
        hold_view_link()
        return
    held = st.session_state.pop(KEY_HELD, None)
    if isinstance(held, Mapping) and held.get("view") and VIEW_PARAM not in st.query_params:
        st.query_params[VIEW_PARAM] = str(held["view"])
        target = _page_at(pages, str(held.get("page") or ""))
        _apply_link_in_address()
        if target is not None:
            st.switch_page(target)
        return
    _apply_link_in_address()


def _page_at(pages: Pages | None, url_path: str) -> StreamlitPage | None:
    if pages is None or not url_path:
        return None
    return next((page for page in all_pages(pages) if page.url_path == url_path), None)


def _apply_link_in_address() -> None:
    if VIEW_PARAM not in st.query_params:
        return
    name = st.query_params.get(VIEW_PARAM, "")
    try:
        view = get_view(caching.get_store(), name)
    except IncidentsError as exc:
        st.session_state[KEY_MISSING] = f"the saved view {name!r} could not be read: {exc}"
        return
    if view is None:
        st.session_state[KEY_MISSING] = f"there is no saved view named {name!r}; it may have been renamed"
    else:
        apply_view(view)
        st.session_state.pop(KEY_MISSING, None)
    kept: dict[str, str | list[str]] = {
        key: st.query_params.get_all(key) for key in st.query_params if key != VIEW_PARAM
    }
    if view is not None:
        kept = {key: value for key, value in kept.items() if key not in filters.FILTER_PARAM_KEYS}
        kept.update(_view_filter(view).to_query_params())
    st.query_params.from_dict(kept)


def show_link_problem() -> None:
    """Say once that a ``?view=`` link named no saved view."""
    problem = st.session_state.pop(KEY_MISSING, None)
    if problem:
        # The name comes from the address bar: shown literally, never as a link or markup.
        message = _("The link could not be opened: {problem}.").format(problem=problem)
        st.warning(filters.markdown_text(message), icon="⚠️")


# ---- the Map page's save control ----------------------------------------------------------


def remember_map_position(result: object) -> None:
    """Keep the map's last reported centre/zoom; read only when a view is saved."""
    st.session_state[KEY_POSITION] = map_position(result)


def _save_current_view() -> None:
    # A callback: runs before the rerun draws anything, with the filter of the run the user saw.
    name = str(st.session_state.get(KEY_NAME, "")).strip()
    chosen = st.session_state.get(filters.STATE_KEY) or IncidentFilter(countries=tuple(DEFAULT_COUNTRIES))
    options = {key: st.session_state.get(key, default) for key, default in MAP_OPTION_DEFAULTS.items()}
    live = map_position(st.session_state.get(MAP_KEY))  # the component's latest value, if kept
    position = live if live["center"] else st.session_state.get(KEY_POSITION) or live
    center = position.get("center")
    view = SavedView(
        name=name,
        title=str(st.session_state.get(KEY_TITLE, "")),
        notes=str(st.session_state.get(KEY_NOTES, "")),
        query=build_query(chosen, options),
        center_lat=center[0] if center else None,
        center_lon=center[1] if center else None,
        zoom=position.get("zoom"),
        layers=tuple(layers_of(options)),
    )
    user = current_user()
    if user is None:
        st.session_state[KEY_MESSAGE] = ("error", _("The view was not saved: sign in first."))
        return
    try:
        existed = get_view(caching.get_store(), name) is not None if name else False
        save_view(caching.get_store(), view, by=user)  # refuses a viewer (PermissionDenied)
    except IncidentsError as exc:
        st.session_state[KEY_MESSAGE] = ("error", _("The view was not saved: {problem}.").format(problem=exc))
        return
    done = _("View {name} updated. Link: {link}") if existed else _("View {name} saved. Link: {link}")
    st.session_state[KEY_MESSAGE] = ("success", done.format(name=repr(name), link=view_link(name)))


def render_save_control() -> None:
    """Sidebar expander that saves the current filter, Map options and map position."""
    with st.sidebar.expander(_("Save this view"), expanded=KEY_MESSAGE in st.session_state):
        if not may(current_user(), Permission.EDIT_REFERENCE, _("Saving views")):
            return
        st.text_input(
            _("Name"), key=KEY_NAME, max_chars=120, help=_("Short and unique; it appears in the link.")
        )
        st.text_input(
            _("Title"), key=KEY_TITLE, help=_("Shown large on the Briefing page (default: the name).")
        )
        st.text_area(_("Speaker notes"), key=KEY_NOTES, height=80)
        st.checkbox(
            _("Include the outlook"),
            key=OUTLOOK_PARAM,
            help=_(
                "The view's PDF briefing pack gets an Outlook section: the regions most likely to see an "
                "incident with fatalities next month (estimates; see the Outlook page)."
            ),
        )
        st.button(
            _("Save view"),
            key=KEY_SAVE,
            on_click=_save_current_view,
            help=_(
                "Saves the filters, map layers and the map's current centre and zoom. "
                "Saving under an existing name updates that view."
            ),
        )
        message = st.session_state.pop(KEY_MESSAGE, None)
        if message:
            kind, text = message
            (st.success if kind == "success" else st.error)(text)


def applied_map_position() -> dict[str, Any]:
    """Centre/zoom of a view opened by link in this session (empty when none or no position)."""
    position = st.session_state.get(KEY_APPLIED_POSITION) or {}
    if position.get("center") is None or position.get("zoom") is None:
        return {}
    return {"center": tuple(position["center"]), "zoom": int(position["zoom"])}
