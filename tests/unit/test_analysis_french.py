"""The analysis area in French: the outlook's sentences and probabilities, the ICD 203 and risk
level names in legends, plurals with French's three forms, and data that stay English codes."""

from __future__ import annotations

import pandas as pd

from dashboard.builders.charts_pivot import pivot_display_table
from dashboard.builders.outlook_charts import gate_sentences, translated_headers
from dashboard.builders.outlook_map import likelihood_legend_html
from dashboard.builders.risk_map import risk_legend_html
from incidents.i18n import use_language
from incidents.outlook.wording import expected_text, hit_rate_sentence, outlook_sentence, percent, window_text
from incidents.risk.exposure import display_exposure
from incidents.risk.index import RISK_LEVEL_LABELS

NNBSP = "\u00a0"  # the no-break space CLDR (this Babel) puts before "%" in French


def test_french_outlook_sentence_with_its_probability_and_backtest() -> None:
    with use_language("fr"):
        sentence = outlook_sentence(
            "Douentza",
            window_text("2027-01", "2027-01"),
            0.62,
            count_range=(3, 11),
            came_true=0.64,
            unit_months=412,
        )
    assert sentence == (
        f"Probable (62{NNBSP}%) : au moins un incident meurtrier à Douentza en janvier 2027. "
        f"3–11 incidents attendus (fourchette à 90{NNBSP}%). "
        f"Au test rétrospectif, « probable » s'est vérifié dans 64{NNBSP}% des cas (412 prévisions)."
    )


def test_the_ends_of_the_scale_use_the_languages_percent_and_english_keeps_its_own() -> None:
    with use_language("fr"):
        assert (percent(0.001), percent(0.999)) == (f"< 1{NNBSP}%", f"> 99{NNBSP}%")
        assert window_text("2026-12", "2027-02") == "entre décembre 2026 et février 2027"
    with use_language("en"):
        assert (percent(0.001), percent(0.62), percent(0.999)) == ("< 1 %", "62 %", "> 99 %")
        assert window_text("2027-01", "2027-03") == "between January and March 2027"


def test_french_plurals_take_three_forms() -> None:
    with use_language("fr"):
        # 0 and 1 are singular in French; a round million takes "de".
        assert hit_rate_sentence("likely", 0.5, 1).endswith("(1 prévision).")
        assert expected_text(0, 1) == f"0–1 incident attendu (fourchette à 90{NNBSP}%)."
        assert expected_text(2, 5) == f"2–5 incidents attendus (fourchette à 90{NNBSP}%)."
        assert expected_text(0, 1_000_000).startswith("0–1000000 d'incidents attendus")
    with use_language("en"):
        assert expected_text(0, 1) == "Expected 0–1 incident (90 % range)."


def test_french_risk_levels_and_likelihood_words_in_the_map_legends() -> None:
    with use_language("fr"):
        risk = risk_legend_html()
        outlook = likelihood_legend_html("2026-01", not_forecast=True)
    assert "Niveau de risque" in risk and "5 Extrême" in risk and "4 Très élevé" in risk
    assert "Extreme" not in risk
    assert "quasi certain" in outlook and f"95–100{NNBSP}%" in outlook and "pas de perspectives" in outlook
    assert "almost certain" not in outlook


def test_gate_sentences_and_table_headers_in_french() -> None:
    gate = [
        {"tier": "active", "horizon": h, "counts": "climatology", "p_fatal": "climatology"} for h in (1, 2, 3)
    ]
    with use_language("fr"):
        (sentence,) = gate_sentences(gate)
        headers = translated_headers(pd.DataFrame(columns=["Unit", "Probability", "CRPS skill vs base rate"]))
    assert sentence.startswith("Unités actives, 1, 2 et 3 mois à l'avance : ")
    assert "référence climatologique" in sentence
    assert list(headers.columns) == ["Unité", "Probabilité", "Gain CRPS / taux de base"]


def test_before_after_table_in_french_keeps_its_numbers() -> None:
    table = pd.DataFrame(
        {
            "unit_name": ["Mopti"],
            "country_iso3": ["MLI"],
            "unit_code": ["ML-5"],
            "events_before": [10],
            "events_after": [25],
            "rate_ratio": [2.5],
            "ci_low": [1.2],
            "ci_high": [5.25],
            "significant": [True],
        }
    )
    with use_language("fr"):
        shown = pivot_display_table(table)
    assert list(shown.columns)[:3] == ["Unité", "Pays", "Évolution"]
    assert shown.iloc[0]["Évolution"] == "▲ hausse significative"
    assert shown.iloc[0]["Rapport de taux"] == "2,50"


def test_exposure_words_are_translated_for_display_only() -> None:
    table = pd.DataFrame({"exposure_rating": ["Severe", "Low"], "admin2_risk_level": ["Very high", None]})
    with use_language("fr"):
        shown = display_exposure(table)
        assert RISK_LEVEL_LABELS[5] == "Extrême" and RISK_LEVEL_LABELS.english(5) == "Extreme"
    assert list(shown["exposure_rating"]) == ["Sévère", "Faible"]
    assert list(shown["admin2_risk_level"]) == ["Très élevé", ""]
    assert list(table["exposure_rating"]) == ["Severe", "Low"]  # the data (cached, downloaded) stay English
