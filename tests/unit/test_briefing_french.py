"""The briefing pack, the provenance sidecars and the standalone map in French (issue #18).

The PDF is read back with pypdf; the map and the timeline are matplotlib figures whose texts
are inspected. Canonical keys and column names stay English in every language.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import folium
import pandas as pd
from matplotlib.text import Text

from dashboard.builders.briefing_pack import (
    build_briefing_pdf,
    collect_briefing_data,
    map_figure,
    timeline_chart,
)
from dashboard.builders.export_map import standalone_map_html
from dashboard.builders.provenance import filter_summary
from geodata.boundaries import load_admin0
from incidents.analytics import incident_series
from incidents.demo import generate_demo_incidents, load_demo
from incidents.export import Provenance, export_incidents, provenance_path
from incidents.i18n import use_language
from incidents.query import IncidentFilter
from tests.unit.test_briefing_pack import BOUNDARIES, CORRIDORS, _data, _pdf_text

ENGLISH_HEADINGS = (
    "Key figures",
    "Timeline",
    "Top regions",
    "Risk levels",
    "Key developments",
    "Data sources and licences",
    "This period",
    "Previous period",
    "Fatalities",
    "Generated:",
)
FRENCH_HEADINGS = (
    "Chiffres clés",
    "Chronologie",
    "Principales régions (admin-1) par nombre d'incidents",
    "Niveaux de risque",
    "Faits marquants de la période",
    "Sources de données et licences",
    "Cette période",
    "Période précédente",
    "Décès",
    "Généré le",
)


def _flat(pdf: bytes) -> str:
    return " ".join(_pdf_text(pdf).split())


def test_pdf_in_french_has_french_headings_dates_and_numbers_and_no_english_ones() -> None:
    frame = generate_demo_incidents(1500)  # over a thousand incidents: a thousands separator
    with use_language("fr"):
        text = _flat(build_briefing_pdf(_data(frame, includes_demo=True)))
    for heading in FRENCH_HEADINGS:
        assert heading in text, heading
    for heading in ENGLISH_HEADINGS:
        assert heading not in text, heading
    assert "1 mai 2024" in text  # the development's date, as French writes it
    assert "1 mars 2025 06:00 UTC" in text  # generated at
    assert "DONNÉES DE DÉMONSTRATION SYNTHÉTIQUES" in text
    with use_language("fr"):
        raw = _pdf_text(build_briefing_pdf(_data(frame, includes_demo=True)))
    # "1 500" with a no-break space (U+00A0): the narrow one (U+202F) is turned into it for the font.
    assert "\u202f" not in raw and "1,500" not in raw
    assert "1\u00a0500" in raw or "1 500" in raw


def test_english_pdf_is_unchanged_by_the_french_catalogue() -> None:
    with use_language("en"):
        text = _flat(build_briefing_pdf(_data(generate_demo_incidents(50), includes_demo=False)))
    for heading in ENGLISH_HEADINGS:
        assert heading in text, heading
    assert "Chiffres clés" not in text and "Généré le" not in text


def _texts(figure: object) -> list[str]:
    return [text.get_text() for text in figure.findobj(Text)]  # type: ignore[attr-defined]


def test_map_and_timeline_in_french() -> None:
    frame = generate_demo_incidents(300).assign(event_date=pd.Timestamp("2025-12-02"))
    with use_language("fr"):
        mali = load_admin0()[lambda shapes: shapes["iso3"] == "MLI"]
        fig = map_figure(
            frame,
            boundaries=BOUNDARIES,
            corridors=CORRIDORS,
            title="Carte",
            includes_demo=True,
            countries=mali,
        )
        series = incident_series(generate_demo_incidents(400), freq="M", by="event_type", measure="incidents")
        chart = timeline_chart(series, "M")
        assert chart is not None
        chart.canvas.draw()  # tick labels are formatted when drawn
    texts = _texts(fig)
    assert "Légende" in texts and "Localité" in texts
    assert any(text.startswith("Données au 2 déc. 2025 (incident affiché le plus récent)") for text in texts)
    assert "Legend" not in texts and "Town" not in texts
    legend = " ".join(texts)
    assert "Affrontement" in legend and "Battle" not in legend
    assert any(text.endswith(" km") and not any(c.isalpha() for c in text[:-3]) for text in texts)
    ticks = [label.get_text() for label in chart.axes[0].get_xticklabels()]
    assert any(".\u00a0" in tick or "janv." in tick or "juil." in tick for tick in ticks), ticks
    assert not any(month in " ".join(ticks) for month in ("Jan", "Feb", "Mar", "Apr", "Jul", "Aug"))
    assert chart.axes[0].get_ylabel() == "Incidents par mois"


def test_collected_pack_in_french_from_a_store(sqlite_store) -> None:
    load_demo(sqlite_store, n=400)
    chosen = IncidentFilter(countries=("MLI", "BFA", "NER"))
    with use_language("fr"):
        data = collect_briefing_data(
            sqlite_store, chosen, title="Briefing", generated_at=datetime(2026, 12, 2, 7, tzinfo=UTC)
        )
        text = _flat(build_briefing_pdf(data))
    assert data.filter_summary.startswith("Pays : Mali (MLI)")
    assert "Dates : du " in data.filter_summary and "derniers jours" in data.filter_summary
    assert "Filtres : Pays : Mali (MLI)" in text
    assert "Countries:" not in text and "Top regions" not in text


def test_filter_summary_and_sidecar_in_french_keep_english_keys(tmp_path: Path) -> None:
    chosen = IncidentFilter(
        countries=("MLI",),
        preset="custom",
        since=date(2025, 1, 1),
        until=date(2025, 12, 31),
        min_fatalities=5,
    )
    frame = generate_demo_incidents(30)
    with use_language("fr"):
        summary = filter_summary(chosen, {"MLI": "Mali"})
        readable = filter_summary(chosen, {"MLI": "Mali"}, readable_dates=True)
        provenance = Provenance.for_frame(
            frame, sources="ACLED", filters=summary, generated_at=datetime(2026, 1, 2, tzinfo=UTC)
        )
        export_incidents(frame, tmp_path / "out.csv", provenance)
        export_incidents(frame, tmp_path / "out.geojson", provenance)
    assert summary == "Pays : Mali (MLI) ; Dates : du 2025-01-01 au 2025-12-31 ; Au moins 5 décès"
    assert "du 1 janv. 2025 au 31 déc. 2025" in readable
    sidecar = provenance_path(tmp_path / "out.csv").read_text(encoding="utf-8")
    assert sidecar.startswith(
        "Avertissement : AVERTISSEMENT : cet export contient des DONNÉES DE DÉMONSTRATION"
    )
    assert "Filtres : Pays : Mali (MLI)" in sidecar and "Inclut la démonstration : oui" in sidecar
    assert "Généré le : 2026-01-02 00:00 UTC" in sidecar
    assert "Filters:" not in sidecar and "Warning:" not in sidecar
    header = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("incident_id,") or "event_date" in header  # canonical columns, English
    member = json.loads((tmp_path / "out.geojson").read_text(encoding="utf-8"))["provenance"]
    assert {"warning", "generated_at", "filters", "sources", "includes_demo"} <= set(member)
    assert member["filters"] == summary and member["includes_demo"] is True


def test_standalone_map_says_its_language() -> None:
    with use_language("fr"):
        french = standalone_map_html(folium.Map(location=(15, 0), zoom_start=5))
    with use_language("en"):
        english = standalone_map_html(folium.Map(location=(15, 0), zoom_start=5))
    assert '<html lang="fr"' in french and '<html lang="en"' in english
