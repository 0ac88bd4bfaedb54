"""Hand-out downloads: every file read back with the tool a recipient would use."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from PIL import Image
from pypdf import PdfReader

from dashboard.builders.downloads import (
    ExportTooLargeError,
    file_name,
    geojson_bytes,
    gpkg_bytes,
    incidents_csv_zip_bytes,
    load_export_rows,
    map_html_bytes,
    png_bytes,
    prepare_downloads,
)
from dashboard.builders.maps import build_incident_map_with_info
from dashboard.builders.provenance import build_provenance
from incidents.demo import load_demo
from incidents.export import DEMO_WARNING
from incidents.query import IncidentFilter
from incidents.selection import apply_filter
from incidents.store import IncidentStore
from incidents.store.corridors import active_corridor_segments
from tests.dated_fixtures import import_acled
from tests.incident_frames import gao_admin1, mali_admin0

STAMP = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.fixture
def selection(sqlite_store: IncidentStore) -> tuple[IncidentStore, IncidentFilter, pd.DataFrame]:
    load_demo(sqlite_store, n=300)
    chosen = IncidentFilter(countries=("MLI", "BFA"), preset="all").resolved(sqlite_store.date_range())
    current, _ = apply_filter(sqlite_store.load_analysis_frame(), chosen)
    assert len(current) > 0
    return sqlite_store, chosen, current


ADMIN0 = mali_admin0()
ADMIN1 = gao_admin1((-1, 15, 4, 20))


def _map(rows: pd.DataFrame) -> folium.Map:
    return build_incident_map_with_info(rows, admin0=ADMIN0, admin1=ADMIN1, corridors=None).map


def _rows_and_provenance(selection):  # type: ignore[no-untyped-def]
    store, chosen, current = selection
    rows = load_export_rows(store, current, chosen)
    rows.loc[0, "notes"] = HYPERLINK
    return rows, build_provenance(rows, chosen, generated_at=STAMP)


def test_csv_zip_holds_neutralised_csv_and_provenance_with_demo_warning(selection) -> None:
    rows, provenance = _rows_and_provenance(selection)
    data = incidents_csv_zip_bytes(rows, provenance, "incidents.csv")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["incidents.csv", "incidents.provenance.txt"]
        table = pd.read_csv(archive.open("incidents.csv"))
        footer = archive.read("incidents.provenance.txt").decode("utf-8")
    assert len(table) == len(rows)
    assert table.loc[0, "notes"] == "'" + HYPERLINK
    assert DEMO_WARNING in footer
    assert "2025-03-01 06:00 UTC" in footer and "Countries:" in footer and "CC BY" in footer


def test_geojson_and_gpkg_read_back_with_the_same_rows(selection, tmp_path: Path) -> None:
    rows, provenance = _rows_and_provenance(selection)
    geojson = geojson_bytes(rows, provenance)
    assert len(gpd.read_file(io.BytesIO(geojson))) == len(rows)
    assert json.loads(geojson)["provenance"]["includes_demo"] is True
    path = tmp_path / "out.gpkg"
    path.write_bytes(gpkg_bytes(rows, provenance))
    assert len(gpd.read_file(path, layer="incidents")) == len(rows)
    footer = pyogrio.read_dataframe(path, layer="provenance")
    assert DEMO_WARNING in set(footer["value"])


def test_html_map_is_offline_and_carries_the_footer(selection) -> None:
    rows, provenance = _rows_and_provenance(selection)
    page = map_html_bytes(_map(rows.head(50)), provenance).decode("utf-8")
    assert not re.search(r"<script[^>]+src=[\"']https?://", page, re.IGNORECASE)
    assert "id='provenance'" in page and "SYNTHETIC DEMO DATA" in page
    assert "2025-03-01 06:00 UTC" in page


def test_png_opens_and_keeps_provenance_metadata(selection) -> None:
    from dashboard.builders.briefing_pack import render_map_png

    rows, provenance = _rows_and_provenance(selection)
    raw = render_map_png(
        rows,
        boundaries=ADMIN1,
        corridors=None,
        title="t",
        includes_demo=True,
        width_px=400,
        height_px=300,
    )
    image = Image.open(io.BytesIO(png_bytes(raw, provenance)))
    assert image.width == 400 and image.height > 300  # the footer band
    assert DEMO_WARNING in image.info["Description"]


def test_prepare_downloads_builds_every_file_with_dated_country_names(selection) -> None:
    store, chosen, current = selection
    prepared = prepare_downloads(
        store, chosen, current, fmap=_map(current.head(20)), pack_title="Hand-out test", generated_at=STAMP
    )
    files = {item.kind: item for item in prepared.downloads}
    assert set(files) == {"pdf", "png", "html", "csv", "geojson", "gpkg"}
    assert prepared.includes_demo and not prepared.notes
    assert files["gpkg"].file_name == "sahel-incidents_MLI-BFA_2025-03-01.gpkg"
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(files["pdf"].data)).pages)
    assert "Hand-out test" in text and "CC BY" in text
    Image.open(io.BytesIO(files["png"].data)).verify()


def test_too_many_rows_drop_only_the_data_files_with_a_cli_hint(selection) -> None:
    store, chosen, current = selection
    with pytest.raises(ExportTooLargeError, match="python -m incidents export"):
        load_export_rows(store, current, chosen, max_rows=10)
    prepared = prepare_downloads(store, chosen, current, max_rows=10, generated_at=STAMP)
    assert prepared.downloads == ()
    assert "browser downloads stop at 10" in prepared.notes[0]


def test_file_name_caps_long_country_lists() -> None:
    chosen = IncidentFilter(countries=("MLI", "BFA", "NER", "MRT", "SEN", "GIN", "CIV"))
    name = file_name("incidents", chosen, STAMP, ".csv")
    assert name == "sahel-incidents_MLI-BFA-NER-MRT-SEN-and-2-more_2025-03-01.csv"


def test_a_corridor_filtered_export_names_the_corridor_version(selection) -> None:
    store, chosen, _ = selection
    near = replace(chosen, corridor_id="C7", corridor_km=50.0)
    current, _ = apply_filter(store.load_analysis_frame(), near, active_corridor_segments(store))
    prepared = prepare_downloads(store, near, current, pack_title="Corridor brief", generated_at=STAMP)
    files = {item.kind: item for item in prepared.downloads}
    with zipfile.ZipFile(io.BytesIO(files["csv"].data)) as archive:
        sidecar = next(name for name in archive.namelist() if "provenance" in name)
        assert "corridor C7 (version 1)" in archive.read(sidecar).decode("utf-8")
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(files["pdf"].data)).pages)
    assert "C7 (version 1)" in " ".join(text.split())


def test_every_export_of_acled_rows_credits_acled_and_says_how_old_the_data_are(
    sqlite_store: IncidentStore, tmp_path: Path
) -> None:
    import_acled(sqlite_store, tmp_path, date(2022, 12, 30))
    chosen = IncidentFilter(countries=("MLI",), preset="last_365").resolved(sqlite_store.date_range())
    current, _ = apply_filter(sqlite_store.load_analysis_frame(), chosen)
    fmap = _map(load_export_rows(sqlite_store, current, chosen))
    day = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    prepared = prepare_downloads(
        sqlite_store, chosen, current, fmap=fmap, pack_title="ACLED", generated_at=day
    )
    files = {item.kind: item.data for item in prepared.downloads}
    stale = "The newest incident is from 30 Dec 2022, 4 years before today"
    with zipfile.ZipFile(io.BytesIO(files["csv"])) as archive:
        sidecar = archive.read(next(n for n in archive.namelist() if "provenance" in n)).decode("utf-8")
    geojson = json.loads(files["geojson"])["provenance"]
    path = tmp_path / "out.gpkg"
    path.write_bytes(files["gpkg"])
    layer = pyogrio.read_dataframe(path, layer="provenance")
    gpkg = dict(zip(layer["key"], layer["value"], strict=True))
    png = Image.open(io.BytesIO(files["png"])).info["Description"]
    page = files["html"].decode("utf-8")
    pdf = " ".join(
        " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(files["pdf"])).pages).split()
    )
    texts = {
        "csv": sidecar,
        "geojson": json.dumps(geojson, ensure_ascii=False),
        "gpkg": str(gpkg),
        "png": png,
    }
    for kind, text in {**texts, "html": page, "pdf": pdf}.items():
        assert "Armed Conflict Location & Event Data (ACLED); www.acleddata.com" in text.replace(
            "&amp;", "&"
        ), kind
        assert "Uppsala" not in text and "Demo incidents are synthetic" not in text, kind
        assert "30 Dec 2022 (newest incident)" in text, kind
        assert stale in text, kind
    assert geojson["data_as_of"] == gpkg["data_as_of"] == "30 Dec 2022 (newest incident)"
    assert "last 365 days to the newest incident" in sidecar  # the relative period says its anchor
    assert "acleddata.com" in page and "incidents: <a" in page.replace("\\u003c", "<")  # the map's own credit


def test_fresh_exports_carry_no_staleness_warning(sqlite_store: IncidentStore, tmp_path: Path) -> None:
    day = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    import_acled(sqlite_store, tmp_path, date(2026, 11, 30), today=day.date())
    chosen = IncidentFilter(countries=("MLI",), preset="all").resolved(sqlite_store.date_range())
    current, _ = apply_filter(sqlite_store.load_analysis_frame(), chosen)
    prepared = prepare_downloads(sqlite_store, chosen, current, generated_at=day)
    files = {item.kind: item.data for item in prepared.downloads}
    with zipfile.ZipFile(io.BytesIO(files["csv"])) as archive:
        sidecar = archive.read(next(n for n in archive.namelist() if "provenance" in n)).decode("utf-8")
    assert "Data as of: 30 Nov 2026 (newest incident)" in sidecar
    assert re.search(r"Last import: \d{1,2} \w{3} \d{4} \d{2}:\d{2} UTC", sidecar)
    assert "Stale data" not in sidecar and "newest incident is from" not in sidecar
