"""The situation pages run in French (issue #18): titles, widgets shown in French with their values
kept as codes, the map's layers named in French, and a widget's choice surviving a language switch
(its fixed key)."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.builders.maps import MapBuild
from dashboard.ui import incident_map
from incidents.i18n import use_language
from tests.app.helpers import HEATMAP, MAP_PAGE, TIMELINE, assert_clean, new_app

pytestmark = pytest.mark.shared_app_db


def _french(page: str) -> AppTest:
    at = new_app()
    at.query_params["lang"] = "fr"
    at.run()
    at.switch_page(page).run()
    assert_clean(at)
    return at


def test_map_page_in_french_keeps_its_layer_choice_in_english(
    app_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[MapBuild] = []
    original = incident_map.build_page_map

    def keep(*args: Any, **kwargs: Any) -> MapBuild:
        built.append(original(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(incident_map, "build_page_map", keep)
    at = _french(MAP_PAGE)
    assert at.title[0].value == "Carte des incidents"
    heat = at.sidebar.radio(key="map_heat")
    assert heat.label == "Carte de chaleur"
    assert heat.options == ["Désactivé", "Nombre d'incidents", "Pondéré par les décès"]
    assert {metric.label for metric in at.metric} >= {"Incidents", "Décès", "Pays avec incidents"}
    assert {"Pays", "Régions (admin-1)"} <= _names(built[-1])

    # AppTest calls format_func in the test's thread: speak the page's language there too.
    with use_language("fr"):
        heat.set_value("fatalities").run()
    assert any(name.startswith("Chaleur (pondérée par les décès)") for name in _names(built[-1]))
    at.query_params["lang"] = "en"
    with use_language("fr"):  # the widgets sent back are the French page's
        at.run()
    assert_clean(at)
    assert at.title[0].value == "Incident map"
    assert at.sidebar.radio(key="map_heat").value == "fatalities"  # the key kept it across languages
    assert any(name.startswith("Heat (fatality-weighted)") for name in _names(built[-1]))


def _names(build: MapBuild) -> set[str]:
    return {str(getattr(child, "layer_name", "")) for child in build.map._children.values()}


def test_timeline_and_heatmap_in_french(app_db_url: str) -> None:
    at = _french(TIMELINE)
    assert at.title[0].value == "Chronologie"
    assert at.selectbox(key="timeline_stack").options == ["Type d'événement", "Groupe d'acteurs", "Pays"]
    assert at.session_state["timeline_freq"] == "W"  # values stay codes
    assert any(caption.value.startswith("Période affichée : du ") for caption in at.caption)
    with use_language("fr"):
        at.switch_page(HEATMAP).run()
    assert_clean(at)
    assert at.title[0].value == "Carte de chaleur du risque"
    assert at.selectbox(key="heatmap_sort").label == "Trier les lignes par"


def test_map_drill_down_in_french(app_db_url: str) -> None:
    at = _french(MAP_PAGE)
    at.session_state["map_selected_unit"] = {"level": "admin1", "unit_code": "ML-5", "label": "Mopti"}
    with use_language("fr"):
        at.run()
    assert_clean(at)
    assert any(str(header.value).startswith("Région : Mopti") for header in at.subheader)
    assert at.button(key="map_clear_selection").label == "Effacer la sélection"
    groups, latest = (frame.value for frame in at.dataframe)
    assert list(groups.columns) == ["Groupe d'acteurs", "Incidents", "Décès"]
    assert {"Date", "Type", "Décès", "Lieu"} <= set(latest.columns)
    english = {"battle", "Battle", "Abduction", "Violence against civilians"}
    assert not english & set(latest["Type"]), set(latest["Type"])  # codes shown by their French labels
    captions = [str(caption.value) for caption in at.caption]
    assert any("incidents et" in text and "décès sur la période filtrée" in text for text in captions)
