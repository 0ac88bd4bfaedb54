"""Bytes of every hand-out export, each carrying its provenance footer (no Streamlit).

The Briefing and Map pages offer these as download buttons; building them happens on a
button press (not on page load), so the functions here are plain and uncached. Every
export carries the same :class:`~incidents.export.Provenance` (sources and licences,
filters, generation time, the synthetic-data warning when demo rows are included):

* CSV: a ZIP of the formula-neutralised CSV and its ``.provenance.txt``. A browser
  download is one file, and a loose CSV would lose its footer on the way to a colleague.
* GeoJSON / GeoPackage: the ``provenance`` member / layer of :mod:`incidents.export`.
* HTML map: the offline page of :mod:`dashboard.builders.export_map` with a fixed footer box.
* PNG map: the briefing-pack image with a footer band (filters, time, warning) and the
  full text as PNG ``tEXt`` metadata.
* PDF: the briefing pack, which prints filters, attributions and the warning itself.

Rows come in full from :meth:`IncidentStore.load_incident_details`; above
:data:`MAX_EXPORT_ROWS` the data exports are refused with a pointer to the CLI.
"""

from __future__ import annotations

import html
import io
import tempfile
import textwrap
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import folium
import pandas as pd
from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

from dashboard.builders.provenance import build_provenance, store_freshness
from incidents.errors import ExportError
from incidents.export import DEMO_WARNING, Provenance, export_incidents, provenance_path
from incidents.i18n import _
from incidents.i18n.formats import format_number
from incidents.query import IncidentFilter
from incidents.store import IncidentStore
from incidents.store.corridors import active_corridor_segments

if TYPE_CHECKING:
    from dashboard.builders.outlook_data import OutlookSection

#: Above this many rows the browser download is refused: the bytes live in the session's
#: memory, and the CLI writes straight to disk.
MAX_EXPORT_ROWS: Final = 200_000
MAX_NAMED_COUNTRIES: Final = 5
FILE_PREFIX: Final = "sahel"
MIME: Final = {
    "zip": "application/zip",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "html": "text/html",
    "png": "image/png",
    "pdf": "application/pdf",
}
_FOOTER_FONT_PX: Final = 15
_FOOTER_WRAP: Final = 170


class ExportTooLargeError(ExportError):
    """The selection has more rows than a browser download should carry."""


@dataclass(frozen=True)
class Download:
    """One file ready for ``st.download_button``."""

    kind: str  # short key: csv, geojson, gpkg, html, png, pdf
    label: str
    file_name: str
    mime: str
    data: bytes


@dataclass(frozen=True)
class PreparedDownloads:
    """Every file built for one selection, plus what the page should say next to them."""

    downloads: tuple[Download, ...]
    includes_demo: bool
    notes: tuple[str, ...] = ()


# ---- naming and rows ----------------------------------------------------------------------------


def file_name(kind: str, chosen: IncidentFilter, generated_at: datetime, suffix: str) -> str:
    """``sahel-incidents_MLI-BFA_2025-03-01.csv``: what, which countries, generation date (UTC)."""
    codes = list(chosen.countries)
    countries = "-".join(codes[:MAX_NAMED_COUNTRIES]) or "no-country"
    if len(codes) > MAX_NAMED_COUNTRIES:
        countries += f"-and-{len(codes) - MAX_NAMED_COUNTRIES}-more"
    stamp = generated_at.astimezone(UTC) if generated_at.tzinfo else generated_at
    return f"{FILE_PREFIX}-{kind}_{countries}_{stamp:%Y-%m-%d}{suffix}"


def cli_hint(chosen: IncidentFilter) -> str:
    """The command that writes the same countries and dates straight to disk."""
    parts = ["python -m incidents export --out incidents.gpkg"]
    if chosen.countries:
        parts.append("--country " + " ".join(chosen.countries))
    if chosen.since and chosen.until:
        parts.append(f"--since {chosen.since.isoformat()} --until {chosen.until.isoformat()}")
    return " ".join(parts)


def load_export_rows(
    store: IncidentStore,
    filtered: pd.DataFrame,
    chosen: IncidentFilter,
    *,
    max_rows: int = MAX_EXPORT_ROWS,
) -> pd.DataFrame:
    """Full canonical rows of the filtered incidents, oldest first.

    Raises :class:`ExportTooLargeError` (quoting the count, the limit and the CLI command)
    above ``max_rows``, before reading any free text from the store.
    """
    if len(filtered) > max_rows:
        raise ExportTooLargeError(
            _(
                "{n} incidents match the filters; browser downloads stop at {limit}. "
                "Narrow the filters, or export from the command line: {command}"
            ).format(n=format_number(len(filtered)), limit=format_number(max_rows), command=cli_hint(chosen))
        )
    rows = store.load_incident_details(list(filtered["incident_id"]))
    if rows.empty:
        return rows
    return rows.sort_values(["event_date", "incident_id"], kind="stable").reset_index(drop=True)


# ---- one builder per format ---------------------------------------------------------------------


def _exported_bytes(rows: pd.DataFrame, name: str, provenance: Provenance) -> tuple[bytes, bytes | None]:
    """Write with :func:`export_incidents` into a temporary folder; the file and its sidecar."""
    with tempfile.TemporaryDirectory(prefix="sahel-export-") as folder:
        path = Path(folder) / name
        export_incidents(rows, path, provenance)
        sidecar = provenance_path(path)
        return path.read_bytes(), (sidecar.read_bytes() if sidecar.exists() else None)


def incidents_csv_zip_bytes(rows: pd.DataFrame, provenance: Provenance, csv_name: str) -> bytes:
    """ZIP holding ``csv_name`` (formula-neutralised) and its ``.provenance.txt``."""
    csv, sidecar = _exported_bytes(rows, csv_name, provenance)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(csv_name, csv)
        archive.writestr(provenance_path(Path(csv_name)).name, sidecar or provenance.to_text().encode())
    return out.getvalue()


def geojson_bytes(rows: pd.DataFrame, provenance: Provenance) -> bytes:
    """GeoJSON FeatureCollection with a top-level ``provenance`` member."""
    return _exported_bytes(rows, "incidents.geojson", provenance)[0]


def gpkg_bytes(rows: pd.DataFrame, provenance: Provenance) -> bytes:
    """GeoPackage with the ``incidents`` layer and a ``provenance`` key/value layer."""
    return _exported_bytes(rows, "incidents.gpkg", provenance)[0]


def _footer_html(provenance: Provenance) -> str:
    paragraphs = "".join(
        f"<p style='margin:0 0 3px 0'><b>{html.escape(key.replace('_', ' ').capitalize())}:</b> "
        f"{html.escape(value)}</p>"
        for key, value in provenance.items()
        if key != "includes_demo"
    )
    border = "#c0392b" if provenance.includes_demo else "#888888"
    return (
        "<div id='provenance' style='position:fixed;bottom:22px;left:8px;max-width:55%;max-height:30%;"
        "overflow:auto;z-index:1000;background:rgba(255,255,255,0.92);padding:6px 8px;"
        f"border:1px solid {border};border-radius:4px;font:11px/1.35 sans-serif;color:#222'>"
        f"{paragraphs}</div>"
    )


def map_html_bytes(fmap: folium.Map, provenance: Provenance) -> bytes:
    """The map as one offline HTML page, with the provenance box over its lower-left corner.

    Raises :class:`dashboard.builders.assets.AssetError` when a map asset has no vendored copy.
    """
    from dashboard.builders.export_map import standalone_map_html  # local: pulls the asset index

    page = standalone_map_html(fmap)
    footer = _footer_html(provenance)
    at = page.rfind("</body>")
    page = page[:at] + footer + page[at:] if at >= 0 else page + footer
    return page.encode("utf-8")


def _footer_lines(provenance: Provenance) -> list[tuple[str, bool]]:
    """The footer band's lines, wrapped, each with whether it is a warning (drawn in red)."""
    lines = [(_(DEMO_WARNING), True)] if provenance.includes_demo else []
    fresh = provenance.freshness
    stale = fresh.warning() if fresh is not None else None
    if stale:
        lines.append((_("WARNING: {warning}").format(warning=stale), True))
    lines.append(
        (
            _("Generated {when}. Filters: {filters}").format(
                when=provenance.generated_at_text, filters=provenance.filters
            ),
            False,
        )
    )
    if fresh is not None:
        lines.append((f"{fresh.summary()}.", False))
    lines.append((_("Sources and licences: see the attribution line above and the PDF pack."), False))
    return [(part, warning) for line, warning in lines for part in textwrap.wrap(line, _FOOTER_WRAP)]


def png_bytes(map_png: bytes, provenance: Provenance) -> bytes:
    """The map image with a footer band (warning, time, filters) and the full footer as metadata."""
    image = Image.open(io.BytesIO(map_png)).convert("RGB")
    font = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), _FOOTER_FONT_PX)
    lines = _footer_lines(provenance)
    line_px = _FOOTER_FONT_PX + 5
    band = Image.new("RGB", (image.width, image.height + 10 + line_px * len(lines)), "white")
    band.paste(image, (0, 0))
    draw = ImageDraw.Draw(band)
    for number, (line, warning) in enumerate(lines):
        colour = "#a93226" if warning else "#333333"
        draw.text((10, image.height + 5 + number * line_px), line, fill=colour, font=font)
    meta = PngImagePlugin.PngInfo()
    meta.add_itxt("Description", provenance.to_text())
    meta.add_itxt("Source", provenance.sources)
    out = io.BytesIO()
    band.save(out, format="PNG", pnginfo=meta, optimize=True)
    return out.getvalue()


def pdf_bytes(
    store: IncidentStore,
    chosen: IncidentFilter,
    *,
    title: str,
    generated_at: datetime,
    outlook: OutlookSection | None = None,
) -> tuple[bytes, bytes]:
    """The PDF briefing pack (with its Outlook section when given) and its raw map image (pack
    and PNG share one rendering)."""
    from dashboard.builders.briefing_pack import build_briefing_pdf, collect_briefing_data

    data = collect_briefing_data(store, chosen, title=title, generated_at=generated_at, outlook=outlook)
    return build_briefing_pdf(data), data.map_png


# ---- sets of downloads for the pages --------------------------------------------------------------


def data_downloads(
    rows: pd.DataFrame, chosen: IncidentFilter, provenance: Provenance, generated_at: datetime
) -> list[Download]:
    """CSV (zip), GeoJSON and GeoPackage of ``rows``."""
    csv_name = file_name("incidents", chosen, generated_at, ".csv")
    return [
        Download(
            "csv",
            _("CSV + provenance (zip)"),
            file_name("incidents", chosen, generated_at, ".zip"),
            MIME["zip"],
            incidents_csv_zip_bytes(rows, provenance, csv_name),
        ),
        Download(
            "geojson",
            "GeoJSON",
            file_name("incidents", chosen, generated_at, ".geojson"),
            MIME["geojson"],
            geojson_bytes(rows, provenance),
        ),
        Download(
            "gpkg",
            "GeoPackage",
            file_name("incidents", chosen, generated_at, ".gpkg"),
            MIME["gpkg"],
            gpkg_bytes(rows, provenance),
        ),
    ]


def prepare_downloads(
    store: IncidentStore,
    chosen: IncidentFilter,
    filtered: pd.DataFrame,
    *,
    fmap: folium.Map | None = None,
    pack_title: str | None = None,
    country_names: Mapping[str, str] | None = None,
    generated_at: datetime | None = None,
    max_rows: int = MAX_EXPORT_ROWS,
    outlook: OutlookSection | None = None,
) -> PreparedDownloads:
    """Every export of the selection: data files always, the HTML map with ``fmap``, and the
    PDF pack and PNG map with ``pack_title``. ``chosen`` must have its dates resolved.

    Too many rows drop only the data files (with a note saying why); the map and pack still come.
    """
    generated_at = generated_at or datetime.now(UTC)
    # The corridor filter's route is named by version (the store's active corridors).
    corridors = active_corridor_segments(store) if chosen.corridor_id else None
    batches = store.list_batches()  # credits name the rows' files and UCDP versions
    provenance = build_provenance(
        filtered,
        chosen,
        country_names=country_names,
        generated_at=generated_at,
        corridors=corridors,
        batches=batches,
        freshness=store_freshness(store, generated_at.astimezone(UTC).date(), batches),
    )
    downloads: list[Download] = []
    notes: list[str] = []
    if pack_title is not None:
        pdf, map_png = pdf_bytes(store, chosen, title=pack_title, generated_at=generated_at, outlook=outlook)
        downloads.append(
            Download(
                "pdf",
                _("PDF briefing pack"),
                file_name("briefing", chosen, generated_at, ".pdf"),
                MIME["pdf"],
                pdf,
            )
        )
        downloads.append(
            Download(
                "png",
                _("PNG map"),
                file_name("map", chosen, generated_at, ".png"),
                MIME["png"],
                png_bytes(map_png, provenance),
            )
        )
    if fmap is not None:
        downloads.append(
            Download(
                "html",
                _("Interactive map (HTML)"),
                file_name("map", chosen, generated_at, ".html"),
                MIME["html"],
                map_html_bytes(fmap, provenance),
            )
        )
    try:
        rows = load_export_rows(store, filtered, chosen, max_rows=max_rows)
    except ExportTooLargeError as exc:
        notes.append(str(exc))
    else:
        downloads.extend(data_downloads(rows, chosen, provenance, generated_at))
    return PreparedDownloads(tuple(downloads), provenance.includes_demo, tuple(notes))
