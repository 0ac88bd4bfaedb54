"""The Briefing page in French (``?lang=fr``): labels, figures, dates and the management table."""

from __future__ import annotations

from incidents.store import IncidentStore
from tests.app.helpers import BRIEFING, assert_clean, new_app, texts
from tests.app.test_briefing import _seed_views


def test_briefing_page_in_french(app_store: IncidentStore) -> None:
    _seed_views(app_store)
    at = new_app()
    at.query_params["lang"] = "fr"
    at.run()
    at.switch_page(BRIEFING).run()
    assert_clean(at)

    assert at.toggle(key="brief_present").label == "Mode présentation"
    assert at.button(key="brief_prev").label == "Précédente"
    assert at.button(key="brief_next").label == "Suivante"
    captions = " ".join(texts(at.caption))
    assert "Vue 1 sur 3 · all-mali" in captions
    assert "depuis le début du briefing" in captions and "since the briefing started" not in captions
    labels = [metric.label for metric in at.metric]
    assert labels == ["Incidents", "Décès", "Événements visant des civils"]
    deltas = [str(metric.proto.delta) for metric in at.metric if metric.proto.delta]
    assert all("par rapport à la période précédente" in delta for delta in deltas)
    values = [str(metric.value) for metric in at.metric]
    assert not any("," in value for value in values)  # French groups thousands with a space
    assert any("\u202f" in value for value in values), values  # the demo has over 1,000 incidents in Mali
    markdown = " ".join(texts(at.markdown))
    assert "Données au **" in markdown and "dernier import" in markdown
    assert "Data as of" not in markdown
    assert [expander.label for expander in at.expander] == [
        "Notes de l'orateur",
        "Dossier à distribuer",
        "Réglages du briefing et vues enregistrées",
    ]
    assert at.number_input(key="brief_refresh_s").label == "Actualiser toutes les (secondes)"
    table = at.dataframe[0].value
    assert {"Nom", "Titre", "Lien", "Couches", "Enregistrée par", "Mise à jour"} <= set(table.columns)
    assert at.button(key="brief_rename").label == "Renommer"
