"""Briefing pack builders: the PDF read back with pypdf, the PNG with Pillow."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader
from shapely.geometry import LineString, box

from dashboard.attribution import DEMO_NOTICE, shown_credits
from dashboard.briefing_pack import (
    DEMO_WATERMARK,
    BriefingData,
    attribution_texts,
    build_briefing_pdf,
    collect_briefing_data,
    render_map_png,
)
from incidents.analytics import incident_series, key_figures, top_units
from incidents.demo import generate_demo_incidents, load_demo
from incidents.query import IncidentFilter

BOUNDARIES = gpd.GeoDataFrame({"iso3": ["MLI"]}, geometry=[box(-12, 10, 4, 25)], crs="EPSG:4326")
CORRIDORS = gpd.GeoDataFrame(
    {"corridor_id": ["C1", "C1"], "connector": [False, True]},
    geometry=[LineString([(-2, 14), (0, 16)]), LineString([(0, 16), (1, 18)])],
    crs="EPSG:4326",
)


def _pdf_text(pdf: bytes) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages)


def _png(incidents: pd.DataFrame, *, includes_demo: bool, **size: int) -> Image.Image:
    png = render_map_png(
        incidents,
        boundaries=BOUNDARIES,
        corridors=CORRIDORS,
        title="Test map",
        includes_demo=includes_demo,
        **size,
    )
    return Image.open(io.BytesIO(png))


def test_png_has_the_requested_size_and_content() -> None:
    image = _png(generate_demo_incidents(200), includes_demo=True, width_px=800, height_px=500)
    assert image.size == (800, 500)
    assert np.asarray(image.convert("L"), dtype=float).std() > 10  # not blank


def test_png_of_empty_selection_still_draws() -> None:
    image = _png(generate_demo_incidents(0), includes_demo=False)
    assert image.size == (1600, 1000)
    assert np.asarray(image.convert("L"), dtype=float).std() > 5


def _data(frame: pd.DataFrame, *, includes_demo: bool) -> BriefingData:
    png = render_map_png(
        frame,
        boundaries=BOUNDARIES,
        corridors=CORRIDORS,
        title="t",
        includes_demo=includes_demo,
        width_px=400,
        height_px=300,
    )
    return BriefingData(
        title="Weekly brief: Ménaka",
        generated_at=datetime(2025, 3, 1, 6, 0, tzinfo=UTC),
        filter_summary="Countries: MLI; Dates: 2024-01-01 to 2024-12-31",
        key_figures=key_figures(frame, frame.iloc[:0]),
        series=incident_series(frame, freq="M", by="event_type", measure="incidents"),
        series_freq="M",
        top_regions=top_units(frame, "admin1", 5),
        risk=None,
        developments=pd.DataFrame(
            {
                "date": pd.to_datetime(["2024-05-01"]),
                "scope": ["MLI"],
                "title": ["<b>Test</b> development & more"],
            }
        ),
        map_png=png,
        attributions=attribution_texts(shown_credits(frame)),
        includes_demo=includes_demo,
    )


def test_pdf_has_title_filters_attributions_and_demo_warning() -> None:
    text = _pdf_text(build_briefing_pdf(_data(generate_demo_incidents(100), includes_demo=True)))
    assert "Weekly brief: Ménaka" in text
    assert "Countries: MLI; Dates: 2024-01-01 to 2024-12-31" in text
    assert "Natural Earth" in text and "GeoNames" in text  # boundaries and places: always credited
    assert "Uppsala Conflict Data Program" not in text  # demo rows only: UCDP is not shown, not credited
    assert DEMO_WATERMARK in text and DEMO_NOTICE in text
    assert "<b>Test</b> development" in text  # escaped, printed as text
    assert "Risk levels are not available" in text


def test_pdf_without_demo_rows_has_no_warning() -> None:
    frame = generate_demo_incidents(20).assign(source_dataset="ucdp")
    text = _pdf_text(build_briefing_pdf(_data(frame, includes_demo=False)))
    assert DEMO_WATERMARK not in text and DEMO_NOTICE not in text


def test_pdf_of_empty_selection() -> None:
    text = _pdf_text(build_briefing_pdf(_data(generate_demo_incidents(0), includes_demo=False)))
    assert "No incidents in the period" in text


@pytest.mark.parametrize("countries", [("MLI", "BFA", "NER"), ()])
def test_collect_from_store(sqlite_store, countries) -> None:
    load_demo(sqlite_store, n=400)
    data = collect_briefing_data(sqlite_store, IncidentFilter(countries=countries), title="Store brief")
    assert data.includes_demo is bool(countries)
    assert (data.key_figures.incidents > 0) is bool(countries)
    pdf = build_briefing_pdf(data)
    text = _pdf_text(pdf)
    assert "Store brief" in text and data.filter_summary.split(";")[0] in text


def test_collect_uses_the_stores_active_corridors(sqlite_store) -> None:
    from incidents.auth import Role, User
    from incidents.store.corridors import retire_corridor

    load_demo(sqlite_store, n=2000)
    near_c1 = IncidentFilter(countries=("MLI", "BFA", "NER"), preset="all", corridor_id="C1")
    assert collect_briefing_data(sqlite_store, near_c1, title="C1").key_figures.incidents > 0
    retire_corridor(sqlite_store, "C1", by=User("ana", Role.ANALYST))
    # A saved view naming a retired corridor shows nothing near it, not the old line's incidents.
    data = collect_briefing_data(sqlite_store, near_c1, title="C1")
    assert data.key_figures.incidents == 0
    assert any("Corridor C1 is not active" in note for note in data.notes)
