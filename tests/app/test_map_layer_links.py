"""The Map page's layers live in the address bar, so a copied link reopens the same layers.

Query parameters -> layer widgets (on a session's first Map run) -> written back into the
address when the user changes a layer; a value that is not a choice falls back to the default
with a notice, never a crash (as the filters do: tests/app/test_crafted_links.py).
"""

from __future__ import annotations

import pytest

from dashboard.ui.saved_views import MAP_OPTION_DEFAULTS, checked_map_options, layer_query_params
from tests.app.helpers import MAP_PAGE, assert_clean, new_app, start_app, texts

pytestmark = pytest.mark.shared_app_db

LAYERS = {
    "basemap": "OpenStreetMap",
    "map_heat": "fatalities",
    "map_hexagons": "1",
    "map_choropleth": "per_30_days",
    "map_choropleth_level": "admin2",
    "map_admin2": "1",
    "map_buffers": "1",
}
WIDGETS = {
    "basemap": "selectbox",
    "map_heat": "radio",
    "map_hexagons": "checkbox",
    "map_choropleth": "radio",
    "map_choropleth_level": "radio",
    "map_admin2": "checkbox",
    "map_buffers": "checkbox",
}


def _widget_values(at) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {key: getattr(at, kind)(key=key).value for key, kind in WIDGETS.items()}


def _open_map(query: dict[str, str]):  # type: ignore[no-untyped-def]
    at = new_app()
    at.query_params = {"country": "MLI", **query}
    at.switch_page(MAP_PAGE)
    at.run()
    assert_clean(at)
    return at


def test_layer_params_round_trip_pure() -> None:
    options, notices = checked_map_options(LAYERS)
    assert notices == []
    assert layer_query_params(options) == LAYERS
    assert layer_query_params(MAP_OPTION_DEFAULTS) == {}  # the defaults keep links short


def test_a_link_with_layers_opens_with_those_layer_widgets(app_db_url: str) -> None:
    at = _open_map(LAYERS)
    expected = {key: (value == "1") if value in ("0", "1") else value for key, value in LAYERS.items()}
    assert _widget_values(at) == expected
    for key, value in LAYERS.items():  # and the address still says so
        assert at.query_params[key] == [value] or at.query_params[key] == value, key
    assert at.query_params["country"] in ("MLI", ["MLI"])  # the filters stay beside the layers


def test_changed_layers_are_written_into_the_address(app_db_url: str) -> None:
    at = start_app(MAP_PAGE)
    assert_clean(at)
    assert not any(key in at.query_params for key in MAP_OPTION_DEFAULTS)
    at.radio(key="map_heat").set_value("count").run()
    at.checkbox(key="map_buffers").check().run()
    assert_clean(at)
    assert at.query_params["map_heat"] in ("count", ["count"])
    assert at.query_params["map_buffers"] in ("1", ["1"])
    copied = {key: value if isinstance(value, str) else value[-1] for key, value in at.query_params.items()}

    again = _open_map(copied)  # a new browser: a new session from the copied address
    values = _widget_values(again)
    assert values["map_heat"] == "count" and values["map_buffers"] is True
    assert values["map_hexagons"] is False and values["basemap"] == "none"
    at.radio(key="map_heat").set_value("off").run()  # back to the default: out of the address
    assert "map_heat" not in at.query_params


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("basemap", "https://evil.example/{z}/{x}/{y}.png"),
        ("map_heat", "<script>alert(1)</script>"),
        ("map_hexagons", "maybe"),
        ("map_choropleth", "risk_level;drop"),
        ("map_choropleth_level", "admin9"),
    ],
)
def test_a_bad_layer_value_falls_back_to_the_default_with_a_notice(
    app_db_url: str, key: str, bad: str
) -> None:
    at = _open_map({**LAYERS, key: bad})
    values = _widget_values(at)
    assert values[key] == MAP_OPTION_DEFAULTS[key]
    assert values["map_buffers"] is True  # the good ones are kept
    notices = " ".join(texts(at.toast)).replace("\\", "")
    assert f"Link parameter {key}=" in notices, notices
