"""Briefing pack builders: the PDF read back with pypdf, the PNG with Pillow."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image
from pypdf import PdfReader
from shapely.geometry import LineString, box

from dashboard.builders.attribution import DEMO_NOTICE, map_image_attribution, shown_credits
from dashboard.builders.briefing_pack import (
    DEMO_WATERMARK,
    BriefingData,
    attribution_texts,
    build_briefing_pdf,
    collect_briefing_data,
    render_map_png,
    timeline_chart,
)
from incidents.analytics import incident_series, key_figures, top_units
from incidents.demo import UCDP_SAMPLE_FILE, generate_demo_incidents, load_demo
from incidents.ingest.pipeline import import_file
from incidents.query import IncidentFilter
from tests.dated_fixtures import import_acled

BOUNDARIES = gpd.GeoDataFrame({"iso3": ["MLI"]}, geometry=[box(-12, 10, 4, 25)], crs="EPSG:4326")
CORRIDORS = gpd.GeoDataFrame(
    {"corridor_id": ["C1", "C1"], "connector": [False, True]},
    geometry=[LineString([(-2, 14), (0, 16)]), LineString([(0, 16), (1, 18)])],
    crs="EPSG:4326",
)


def _pdf_text(pdf: bytes) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages)


def _png(
    incidents: pd.DataFrame, *, includes_demo: bool, width_px: int = 1600, height_px: int = 1000
) -> Image.Image:
    png = render_map_png(
        incidents,
        boundaries=BOUNDARIES,
        corridors=CORRIDORS,
        title="Test map",
        includes_demo=includes_demo,
        width_px=width_px,
        height_px=height_px,
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


# ---- credits that follow the rows, dates that can be trusted ---------------------------------

OLD_NEWEST = date(2022, 12, 30)
PACK_DAY = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
ALL_MALI = IncidentFilter(countries=("MLI",), preset="all")


def _flat(pdf: bytes) -> str:
    """The PDF's text with line breaks and runs of spaces as one space (wrapped credits read whole)."""
    return " ".join(_pdf_text(pdf).split())


def test_pack_of_acled_rows_credits_acled_and_not_ucdp(sqlite_store, tmp_path) -> None:
    import_acled(sqlite_store, tmp_path, OLD_NEWEST)
    data = collect_briefing_data(sqlite_store, ALL_MALI, title="ACLED brief", generated_at=PACK_DAY)
    text = _flat(build_briefing_pdf(data))
    assert "Armed Conflict Location & Event Data (ACLED); www.acleddata.com" in text
    assert "2022-acled-export-Mali.csv" in text  # the file the rows came from, with its import date
    assert "Uppsala" not in text and "UCDP" not in text and DEMO_NOTICE not in text
    assert "Natural Earth" in text and "GeoNames" in text
    assert "Data as of 30 Dec 2022 (newest incident)" in text


def test_pack_credits_ucdp_with_its_version_only_when_ucdp_rows_are_shown(sqlite_store, tmp_path) -> None:
    import_acled(sqlite_store, tmp_path, OLD_NEWEST)
    import_file(UCDP_SAMPLE_FILE, sqlite_store, today=PACK_DAY.date())
    both = _flat(
        build_briefing_pdf(collect_briefing_data(sqlite_store, ALL_MALI, title="t", generated_at=PACK_DAY))
    )
    assert "Armed Conflict Location & Event Data (ACLED)" in both
    assert "Uppsala Conflict Data Program (UCDP) Georeferenced Event Dataset (GED) Global v23.1" in both
    assert "Sundberg" in both
    # Algeria and Libya have UCDP rows only: the ACLED credit goes, UCDP's stays.
    north = IncidentFilter(countries=("DZA", "LBY"), preset="all")
    text = _flat(
        build_briefing_pdf(collect_briefing_data(sqlite_store, north, title="t", generated_at=PACK_DAY))
    )
    assert "Global v23.1" in text and "ACLED" not in text


def test_pack_of_old_data_warns_how_old_they_are(sqlite_store, tmp_path) -> None:
    import_acled(sqlite_store, tmp_path, OLD_NEWEST)
    data = collect_briefing_data(sqlite_store, ALL_MALI, title="t", generated_at=PACK_DAY)
    text = _flat(build_briefing_pdf(data))
    assert (
        "The newest incident is from 30 Dec 2022, 4 years before today: figures describe that time, not now."
        in text
    )
    assert "data as of 30 Dec 2022" in text  # every page's footer


def test_pack_of_fresh_data_has_no_staleness_warning(sqlite_store, tmp_path) -> None:
    import_acled(sqlite_store, tmp_path, PACK_DAY.date() - timedelta(days=3), today=PACK_DAY.date())
    data = collect_briefing_data(sqlite_store, ALL_MALI, title="t", generated_at=PACK_DAY)
    text = _flat(build_briefing_pdf(data))
    assert "Data as of 29 Nov 2026 (newest incident)" in text
    assert "newest incident is from" not in text and "OLD DATA" not in text


def test_png_attribution_names_the_sources_shown(tmp_path) -> None:
    """The map image's own credit line: with demo rows only, no UCDP (read back as pixels is not
    possible, so the line's text is checked where it is made)."""
    frame = generate_demo_incidents(20)
    line = map_image_attribution(shown_credits(frame))
    assert "synthetic demo" in line and "UCDP" not in line and "Natural Earth" in line


# ---- a map people can read: towns, scale, north, legible legend, date, whole countries ------


def _mali_figure(data_as_of: str | None = None) -> tuple[Figure, gpd.GeoDataFrame]:
    from dashboard.builders.briefing_pack import map_figure
    from geodata.boundaries import load_admin0, load_admin1

    admin0 = load_admin0()
    mali = admin0[admin0["iso3"] == "MLI"]
    frame = generate_demo_incidents(200)
    # Incidents only in the south: the view must still hold all of Mali, the north too.
    south = frame[frame["latitude"] < 15].assign(event_date=pd.Timestamp("2025-02-28"))
    return (
        map_figure(
            south,
            boundaries=load_admin1(),
            corridors=None,
            title="Mali",
            includes_demo=False,
            countries=mali,
            data_as_of=data_as_of,
        ),
        mali,
    )


def _texts(fig: Figure) -> list[str]:
    return [text.get_text() for text in fig.findobj(Text) if isinstance(text, Text)]


def test_map_figure_has_towns_scale_north_and_date() -> None:
    fig, _ = _mali_figure()
    texts = _texts(fig)
    for town in ("Bamako", "Mopti", "Gao", "Tombouctou", "Kidal"):
        assert town in texts, town
    assert "Timbuktu" not in texts
    assert any(re.fullmatch(r"[\d,]+ km", text) for text in texts), "no scale bar"
    assert "N" in texts  # north arrow
    assert "Data as of 28 Feb 2025 (newest incident shown)" in texts
    fig2, _ = _mali_figure(data_as_of="2025-03-01 (newest incident)")
    assert "Data as of 2025-03-01 (newest incident)" in _texts(fig2)


def test_map_figure_shows_the_countries_whole_without_ticks_and_a_legible_legend() -> None:
    from dashboard.builders.briefing_pack import PRINT_WIDTH_IN

    fig, mali = _mali_figure()
    ax = fig.axes[0]
    west, south, east, north = mali.total_bounds
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 <= west and x1 >= east and y0 <= south and y1 >= north  # northern Mali not cropped
    assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []
    assert ax.get_xlabel() == "" and ax.get_ylabel() == ""
    # Sized to print at the PDF's text width, so font sizes are printed points.
    assert fig.get_figwidth() == pytest.approx(PRINT_WIDTH_IN)
    legend = ax.get_legend()
    assert legend is not None
    assert min(float(text.get_fontsize()) for text in legend.get_texts()) >= 8
    assert "Town" in [text.get_text() for text in legend.get_texts()]


def test_png_attribution_credits_the_place_names() -> None:
    assert "GeoNames" in map_image_attribution(()) and "OpenStreetMap" in map_image_attribution(())


@pytest.mark.parametrize("counts", [[1, 2, 1], [0, 3, 1], [120, 1540, 980]])
def test_the_pack_timeline_counts_in_whole_numbers_from_zero(counts: list[int]) -> None:
    series = pd.DataFrame(
        {
            "period_start": pd.date_range("2024-01-01", periods=len(counts), freq="W-MON"),
            "group": "battle",
            "value": counts,
        }
    )
    figure = timeline_chart(series, "W")
    assert figure is not None
    figure.canvas.draw()
    ax = figure.axes[0]
    ticks = [tick for tick in ax.get_yticks() if ax.get_ylim()[0] <= tick <= ax.get_ylim()[1]]
    assert len(ticks) >= 2
    assert all(float(tick).is_integer() for tick in ticks), ticks
    assert ax.get_ylim()[0] == 0
    assert ax.get_ylabel() == "Incidents per week"
    labels = [label.get_text() for label in ax.get_yticklabels() if label.get_text()]
    assert all("." not in label for label in labels), labels
    assert timeline_chart(series.iloc[0:0], "W") is None
