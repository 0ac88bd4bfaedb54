"""The Import and Watches pages with ``?lang=fr`` (issue #18): French words, widgets keep their keys.

AppTest cannot drive ``st.file_uploader``: the Import page gets a validated import in session state
(as tests/app/test_import_page.py does), validated in French as the page's own run would be.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from dashboard.builders import importing as imp
from incidents.i18n import use_language
from incidents.store import IncidentStore
from tests.app.helpers import IMPORT_PAGE, WATCHES_PAGE, assert_clean, new_app, texts

#: Invented ACLED-like rows: one good, one with a date nobody can read.
CSV = (
    b"event_id_cnty,event_date,event_type,actor1,country,location,latitude,longitude,notes,fatalities\n"
    b"SYNFR1,2024-03-01,Battles,JNIM,Mali,Sofara,14.0102,-4.2431,SYNTHETIC,2\n"
    b"SYNFR2,31/31/2024,Battles,JNIM,Mali,Sofara,14.0102,-4.2431,SYNTHETIC,1\n"
)


def _french(page: str) -> AppTest:
    """``page`` opened with ``?lang=fr``.

    The tests run inside ``use_language("fr")`` too: AppTest calls a widget's ``format_func`` outside
    the script run when it sends the widget's value back, as a browser never does.
    """
    at = new_app()
    at.query_params["lang"] = "fr"
    at.run()
    at.switch_page(page).run()
    return at


def test_the_import_page_checks_a_file_in_french(app_store: IncidentStore) -> None:
    with use_language("fr"):
        _check_import_page(app_store)


def _check_import_page(app_store: IncidentStore) -> None:
    at = _french(IMPORT_PAGE)
    assert_clean(at)
    assert texts(at.title)[0] == "Importer des incidents"
    assert at.selectbox(key="import_format").options[0] == "Détection automatique"
    prepared = imp.run_validation(CSV, "synthetic.csv", app_store)
    at.session_state["import_prepared"] = prepared
    at.run()
    assert_clean(at)
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Lignes lues"] == "2" and metrics["Rejetées"] == "1"
    assert at.button(key="import_confirm").label == "Importer 1 ligne"
    issues = next(frame.value for frame in at.dataframe if "Code de motif" in frame.value.columns)
    assert issues["Code de motif"].tolist() == ["bad_date"]  # the code stays a code
    assert issues["Ligne"].tolist() == [3]
    assert "illisible" in issues["Problème"].iloc[0]
    assert at.multiselect(key="issues_severity").label == "Gravité"


def test_the_watches_page_in_french_keeps_its_widgets() -> None:
    with use_language("fr"):
        at = _french(WATCHES_PAGE)
    assert_clean(at)
    assert texts(at.title)[0] == "Veilles"
    kind = at.radio(key="watch_kind")
    assert kind.label == "Zone" and kind.value == "site"  # options stay codes, words are shown
    assert at.button(key="watch_create").label == "Créer la veille"
    assert at.selectbox(key="watch_mode").options == [
        "Immédiatement",
        "Récapitulatif quotidien",
        "Récapitulatif hebdomadaire",
    ]
