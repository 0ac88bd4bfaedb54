"""The analysis pages in French (``?lang=fr``), headless with ``streamlit.testing``: few runs."""

from __future__ import annotations

from datetime import date

import pytest

from incidents.demo import generate_demo_incidents
from incidents.i18n import use_language
from incidents.store import BatchMeta
from tests.app.helpers import OUTLOOK_PAGE, RISK_PAGE, assert_clean, new_app, opened_store, texts


def _french(page: str):
    at = new_app()
    at.query_params["lang"] = "fr"
    at.run()
    with use_language("fr"):  # AppTest calls format_func in the test's thread: speak French there too
        at.switch_page(page).run()
    assert_clean(at)
    return at


@pytest.mark.shared_app_db
def test_risk_page_in_french(app_db_url: str) -> None:
    at = _french(RISK_PAGE)
    assert texts(at.title) == ["Indice de risque de conflit"]
    labels = [metric.label for metric in at.metric]
    assert labels == [
        "Unités listées",
        "Extrême (niveau 5)",
        "Très élevé (niveau 4)",
        "En flambée cette semaine",
    ]
    table = at.dataframe[0].value
    assert {"Niveau de risque", "Indice (0–1)", "Flambée"} <= set(table.columns)
    assert table["Niveau de risque"].str.contains("Extrême|Très élevé|Élevé|Modéré|Faible").all()
    breakdown = at.dataframe[1].value
    assert list(breakdown["Indicateur"]) == ["Létalité", "Danger", "Diffusion", "Fragmentation"]
    assert at.radio(key="risk_unit_level").options == [
        "Régions (admin-1)",
        "Districts (admin-2)",
        "Corridors",
    ]


@pytest.mark.no_demo
def test_outlook_refusal_in_french_says_what_is_missing(app_db_url: str) -> None:
    frame = generate_demo_incidents(n=3_000, start=date(2025, 1, 1), end=date(2025, 6, 30))
    with opened_store(app_db_url) as store:
        store.add_batch(
            frame, BatchMeta(file_name="six_months.csv", sha256="0" * 64, format="demo", rows_read=len(frame))
        )
    at = _french(OUTLOOK_PAGE)
    assert texts(at.title) == ["Perspectives"]
    (warning,) = [text for text in texts(at.warning) if "Aucune perspective" in text]
    assert "historique insuffisant" in warning and "6 mois de données" in warning and "au moins 24" in warning
