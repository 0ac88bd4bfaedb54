"""The briefing pack: a PNG map and a PDF of the selection, made without a browser.

Briefers hand the pack out after a meeting, and a scheduled job makes it from the command
line (:mod:`dashboard.cli`), so it must work on a fresh machine from
``pip install -r requirements.txt`` alone: no headless browser, no system package.

* :func:`render_map_png`: matplotlib (Agg canvas, no pyplot global state) draws, in
  :func:`map_figure`, the boundaries, the corridors (connector segments dashed), incidents
  coloured by event type as on the web map, place labels (the web map's tiers that fit the
  extent), a km scale bar, a north arrow, a legend, "Data as of", the attribution line (the
  incident sources shown, places) and a "SYNTHETIC DEMO DATA" watermark when demo rows are
  included. The figure is sized at its printed width, so its font sizes are printed points.
* :func:`build_briefing_pdf`: reportlab lays out the pages. Chosen over matplotlib's
  PdfPages because it flows text and tables over as many pages as needed (long
  development lists, attributions) and writes real, searchable text with a Unicode font;
  the font is matplotlib's bundled DejaVu Sans, so "Ménaka" or "→" print without any
  system font.
* :func:`collect_briefing_data`: the domain calls (store, analytics, risk index, key
  developments, credits of the rows shown, how current the data are) that fill
  :class:`BriefingData`; the two builders above stay pure.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final, Literal
from xml.sax.saxutils import escape

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from dashboard.builders.attribution import (
    DEMO_CREDIT,
    DEMO_NOTICE,
    map_image_attribution,
    shown_credits,
    source_texts,
)
from dashboard.builders.maps import (
    CORRIDOR_COLOURS,
    EVENT_TYPE_COLOURS,
    LAND_FILL,
    SEA_BACKGROUND,
    corridor_colours,
)
from dashboard.builders.outlook_data import OutlookSection
from dashboard.builders.provenance import filter_summary, store_freshness
from geodata.boundaries import country_names, load_admin0, load_admin1
from geodata.towns import label_towns
from incidents.analytics import KeyFigures, developments_in_range, incident_series, key_figures, top_units
from incidents.credits import SourceCredit
from incidents.freshness import Freshness
from incidents.i18n import N_, _, current_language, ngettext
from incidents.i18n.formats import format_day, format_month, format_number, format_timestamp, plain_spaces
from incidents.model import EVENT_TYPE_LABELS, EVENT_TYPES
from incidents.outlook.wording import likelihood_label, percent
from incidents.query import IncidentFilter
from incidents.risk.index import RISK_LEVEL_LABELS, compute_risk_index
from incidents.selection import apply_filter, inactive_corridor_note
from incidents.settings import DISPLAY_SIMPLIFY_DEG
from incidents.sources import date_span, of_sources
from incidents.store import IncidentStore
from incidents.store.corridors import active_corridor_segments

DEMO_WATERMARK: Final = N_("SYNTHETIC DEMO DATA")
DPI: Final = 100
#: The map's printed width (inches): the PDF's text width, A4 less two 15 mm margins.
PRINT_WIDTH_IN: Final = 180 / 25.4
#: Legend font size in printed points (legible: at least 8).
LEGEND_PT: Final = 8.0
#: Characters per legend line: longer labels (French runs ~20 % longer) wrap instead of leaving the image.
LEGEND_WRAP: Final = 30
MAX_TOP_REGIONS: Final = 10
MAX_RISK_ROWS: Final = 12
MAX_DEVELOPMENTS: Final = 40
FONT_NAME: Final = "DejaVuSans"
FONT_BOLD: Final = "DejaVuSans-Bold"
_MAP_PAD_DEG: Final = 0.5


@dataclass(frozen=True)
class BriefingData:
    """Everything one briefing pack shows, already computed (the PDF builder does no analysis).

    ``series`` is an :func:`incidents.analytics.incident_series` frame (``period_start,
    group, value``); ``top_regions`` a :func:`top_units` frame; ``risk`` the admin-1 rows of
    :func:`incidents.risk.index.compute_risk_index` (or None when unavailable);
    ``developments`` has ``date``, ``scope`` and ``title``; ``attributions`` the credits of
    the incident sources shown and of boundaries and places (:func:`attribution_texts`);
    ``freshness`` how current the store's data are (printed with the date, warned when stale).
    """

    title: str
    generated_at: datetime
    filter_summary: str
    key_figures: KeyFigures
    series: pd.DataFrame
    series_freq: str
    top_regions: pd.DataFrame
    risk: pd.DataFrame | None
    developments: pd.DataFrame
    map_png: bytes
    attributions: tuple[str, ...]
    includes_demo: bool
    notes: tuple[str, ...] = field(default=())
    freshness: Freshness | None = None
    outlook: OutlookSection | None = None  # the Outlook section, when the view includes it


# ---- map image ---------------------------------------------------------------------------


def _extent(
    incidents: pd.DataFrame, boundaries: gpd.GeoDataFrame, countries: gpd.GeoDataFrame | None = None
) -> tuple[float, float, float, float]:
    """(west, south, east, north): the selected countries whole and every incident, padded;
    without countries the incidents, else the boundaries, else Mali."""
    lon = pd.to_numeric(incidents["longitude"], errors="coerce") if len(incidents) else pd.Series(dtype=float)
    lat = pd.to_numeric(incidents["latitude"], errors="coerce") if len(incidents) else pd.Series(dtype=float)
    boxes: list[tuple[float, float, float, float]] = []
    if countries is not None and len(countries):
        boxes.append(tuple(float(v) for v in countries.total_bounds))  # type: ignore[arg-type]
    if lon.notna().any() and lat.notna().any():
        boxes.append((float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())))
    if not boxes and len(boundaries):
        boxes.append(tuple(float(v) for v in boundaries.total_bounds))  # type: ignore[arg-type]
    if not boxes:
        boxes.append((-12.5, 10.0, 4.5, 25.0))
    west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
    east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
    pad = max(_MAP_PAD_DEG, 0.04 * max(east - west, north - south))
    return float(west - pad), float(south - pad), float(east + pad), float(north + pad)


def _label_zoom(west: float, east: float) -> int:
    """The web map's zoom that shows ``west``..``east`` across a screen as wide as the printed map."""
    view_px = PRINT_WIDTH_IN * 96.0
    return round(float(np.log2(view_px * 360.0 / (256.0 * max(east - west, 1e-6)))))


def _draw_towns(
    ax: object, countries: gpd.GeoDataFrame | None, extent: tuple[float, float, float, float]
) -> bool:
    """Place labels of the selected countries, the tiers of :func:`geodata.towns.label_towns`
    that the web map would show at this extent; returns whether any were drawn."""
    if countries is None or not len(countries) or "iso3" not in countries.columns:
        return False
    west, south, east, north = extent
    towns = label_towns(countries["iso3"].dropna().astype(str))
    towns = towns[
        (towns["min_zoom"] <= _label_zoom(west, east))
        & towns["lon"].between(west, east)
        & towns["lat"].between(south, north)
    ]
    for row in towns.itertuples(index=False):
        capital = row.kind in ("capital", "regional")
        ax.plot(row.lon, row.lat, marker="o", markersize=2.2, color="#222222", zorder=5)  # type: ignore[attr-defined]
        ax.annotate(  # type: ignore[attr-defined]
            str(row.name),
            (row.lon, row.lat),
            xytext=(0, 2.5),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7.5 if row.kind == "capital" else 7.0 if capital else 6.5,
            weight="bold" if row.kind == "capital" else "normal",
            color="#1a1a1a",
            path_effects=[patheffects.withStroke(linewidth=1.8, foreground="white")],
            zorder=6,
            gid="town",
        )
    return len(towns) > 0


def _nice_km(span_km: float) -> int:
    """A round length (1, 2 or 5 x 10^n km) of about a fifth of ``span_km``."""
    target = max(span_km / 5.0, 1.0)
    power = 10 ** int(np.floor(np.log10(target)))
    return int(max(step * power for step in (1, 2, 5) if step * power <= target))


def _draw_scale_and_north(ax: object, extent: tuple[float, float, float, float]) -> None:
    """A scale bar in km (true at the map's middle latitude) and a north arrow, bottom right."""
    west, south, east, north = extent
    mid_lat = (south + north) / 2
    km_per_deg = 111.32 * float(np.cos(np.radians(mid_lat)))
    length_km = _nice_km((east - west) * km_per_deg)
    length_deg = length_km / km_per_deg
    x1 = east - 0.04 * (east - west)
    x0 = x1 - length_deg
    y = south + 0.05 * (north - south)
    tick = 0.012 * (north - south)
    ax.plot([x0, x1], [y, y], color="#222222", linewidth=2.2, solid_capstyle="butt", zorder=7)  # type: ignore[attr-defined]
    for x in (x0, x1):
        ax.plot([x, x], [y - tick, y + tick], color="#222222", linewidth=1.2, zorder=7)  # type: ignore[attr-defined]
    ax.text(  # type: ignore[attr-defined]
        (x0 + x1) / 2,
        y + 1.6 * tick,
        plain_spaces(_("{length} km").format(length=format_number(length_km))),
        ha="center",
        va="bottom",
        fontsize=8,
        path_effects=[patheffects.withStroke(linewidth=2, foreground="white")],
        zorder=7,
        gid="scale",
    )
    ax.annotate(  # type: ignore[attr-defined]
        "N",
        xy=(0.965, 0.95),
        xytext=(0.965, 0.83),
        xycoords="axes fraction",
        textcoords="axes fraction",
        ha="center",
        va="center",
        fontsize=10,
        weight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "#222222", "linewidth": 1.5},
        bbox={"boxstyle": "circle,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        zorder=7,
        gid="north",
    )


def _draw_corridors(ax: object, corridors: gpd.GeoDataFrame | None) -> bool:
    if corridors is None or not len(corridors):
        return False
    colours = corridor_colours(corridors)
    for _unused, row in corridors.iterrows():
        geometry = row.geometry
        parts = list(geometry.geoms) if geometry.geom_type == "MultiLineString" else [geometry]
        connector = bool(row.get("connector", False))
        for part in parts:
            if part.geom_type != "LineString":
                continue
            xs, ys = part.xy
            ax.plot(  # type: ignore[attr-defined]
                xs,
                ys,
                color=colours[str(row["corridor_id"])],
                linewidth=2.2,
                linestyle=(0, (4, 3)) if connector else "-",
                alpha=0.9,
                zorder=3,
            )
    return True


def _watermark_scale(watermark: str) -> float:
    """1 for the English words; a longer translation smaller, with a margin, to stay on the image."""
    ratio = len(DEMO_WATERMARK) / max(len(watermark), 1)
    return 1.0 if ratio >= 1 else 0.9 * ratio


def _legend_label(text: str) -> str:
    """A legend entry on lines short enough to stay on the image (French labels run longer)."""
    return plain_spaces("\n".join(textwrap.wrap(text, LEGEND_WRAP, break_long_words=False)))


def map_figure(
    incidents: pd.DataFrame,
    *,
    boundaries: gpd.GeoDataFrame,
    corridors: gpd.GeoDataFrame | None,
    title: str,
    width_px: int = 1600,
    height_px: int = 1000,
    includes_demo: bool,
    countries: gpd.GeoDataFrame | None = None,
    credits: Sequence[SourceCredit] | None = None,
    data_as_of: str | None = None,
) -> Figure:
    """The map as a matplotlib Figure (Agg canvas), before it is made an image.

    Sized to print :data:`PRINT_WIDTH_IN` wide (the briefing PDF's text width), so font sizes
    are printed points (legend 8 pt, labels 6.5-7.5 pt); the pixel size comes from the dpi.
    Draws boundaries, corridors, incidents by type, place labels of ``countries``, a scale
    bar in km, a north arrow, a legend, a "Data as of" line and the attribution; no
    longitude/latitude ticks. The extent holds the ``countries`` whole and every incident.
    ``data_as_of`` (e.g. :attr:`Freshness.data_as_of_text`): default the newest incident's date.
    """
    if width_px < 200 or height_px < 150:
        raise ValueError(f"the map image must be at least 200x150 pixels; got {width_px}x{height_px}")
    dpi = width_px / PRINT_WIDTH_IN
    fig = Figure(figsize=(PRINT_WIDTH_IN, height_px / dpi), dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)
    # The map on the left, the legend beside it (never over towns), text lines above and below.
    ax = fig.add_axes((0.01, 0.08, 0.66, 0.83))
    ax.set_anchor("W")
    ax.set_facecolor(SEA_BACKGROUND)
    extent = _extent(incidents, boundaries, countries)
    west, south, east, north = extent
    if len(boundaries):
        shapes = boundaries.geometry.simplify(DISPLAY_SIMPLIFY_DEG, preserve_topology=True)
        gpd.GeoSeries(shapes, crs=boundaries.crs).plot(
            ax=ax, facecolor=LAND_FILL, edgecolor="#9a9a9a", linewidth=0.4, zorder=1
        )
    if countries is not None and len(countries):
        shapes = countries.geometry.simplify(DISPLAY_SIMPLIFY_DEG, preserve_topology=True)
        gpd.GeoSeries(shapes, crs=countries.crs).plot(
            ax=ax, facecolor="none", edgecolor="#444444", linewidth=0.9, zorder=2
        )
    has_corridors = _draw_corridors(ax, corridors)

    handles: list[Line2D] = []
    if len(incidents):
        types = incidents["event_type"].astype("string").fillna("other")
        lon = incidents["longitude"].to_numpy(dtype=np.float64)
        lat = incidents["latitude"].to_numpy(dtype=np.float64)
        size = 6.0 if len(incidents) < 2_000 else 2.5
        for event_type in EVENT_TYPES:
            mask = (types == event_type).to_numpy(dtype=bool, na_value=False)
            if not mask.any():
                continue
            colour = EVENT_TYPE_COLOURS[event_type]
            ax.scatter(lon[mask], lat[mask], s=size, c=colour, edgecolors="none", alpha=0.75, zorder=4)
            label = _legend_label(f"{EVENT_TYPE_LABELS[event_type]} ({format_number(int(mask.sum()))})")
            handles.append(Line2D([], [], marker="o", linestyle="", color=colour, label=label))
    if has_corridors:
        handles.append(
            Line2D(
                [], [], color=CORRIDOR_COLOURS[0], linewidth=1.6, label=_legend_label(_("Corridor (sourced)"))
            )
        )
        handles.append(
            Line2D(
                [],
                [],
                color=CORRIDOR_COLOURS[0],
                linewidth=1.6,
                linestyle=(0, (4, 3)),
                label=_legend_label(_("Connector (no source)")),
            )
        )
    if _draw_towns(ax, countries, extent):
        handles.append(
            Line2D([], [], marker="o", markersize=2.2, linestyle="", color="#222222", label=_("Town"))
        )
    if handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            borderaxespad=0.0,
            fontsize=LEGEND_PT,
            framealpha=0.92,
            title=_("Legend"),
            title_fontsize=LEGEND_PT,
        )
    if not len(incidents):
        ax.text(
            0.5,
            0.5,
            _("No incidents match the filters"),
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=12,
            color="#555555",
            zorder=6,
        )
    _draw_scale_and_north(ax, extent)

    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    # Plate carrée stretched by 1/cos(latitude), so shapes look right at Sahel latitudes.
    ax.set_aspect(1.0 / max(0.2, float(np.cos(np.radians((south + north) / 2)))), adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    # The demo notice goes on the line under the title: title and notice on one line overflowed the
    # image once translated (French is about a fifth longer).
    fig.suptitle(title, fontsize=11, y=0.975)
    if data_as_of is None:
        dates = (
            pd.to_datetime(incidents["event_date"], errors="coerce") if "event_date" in incidents else None
        )
        newest = dates.max() if dates is not None and dates.notna().any() else None
        data_as_of = (
            _("{day} (newest incident shown)").format(day=format_day(newest))
            if newest is not None
            else _("no incidents shown")
        )
    data_line = plain_spaces(_("Data as of {day}").format(day=data_as_of))
    if includes_demo:
        data_line += f" · {_(DEMO_NOTICE)}"
    fig.text(0.01, 0.925, data_line, ha="left", va="bottom", fontsize=7.5, color="#333333")
    shown = shown_credits(incidents) if credits is None else credits
    fig.text(0.01, 0.012, map_image_attribution(shown), fontsize=6, color="#333333", wrap=True)
    if includes_demo:
        watermark = _(DEMO_WATERMARK)
        fig.text(
            0.5,
            0.5,
            watermark,
            # As large as the English words; a longer translation is made smaller to stay on the map.
            fontsize=min(PRINT_WIDTH_IN, height_px / dpi) * 72 / 10 * _watermark_scale(watermark),
            color="#c0392b",
            alpha=0.18,
            rotation=25,
            ha="center",
            va="center",
            weight="bold",
            zorder=10,
        )
    return fig


def render_map_png(incidents: pd.DataFrame, **figure_options: Any) -> bytes:
    """PNG of :func:`map_figure` (same arguments), exactly ``width_px`` x ``height_px``.

    ``incidents`` needs ``longitude``, ``latitude`` and ``event_type``; ``boundaries`` are
    drawn as regions (thin lines), ``countries`` (optional) as thicker borders on top, with
    their place names. ``credits``: the incident sources named in the attribution line
    (default: those of ``incidents``, without versions).
    """
    fig = map_figure(incidents, **figure_options)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=fig.dpi, facecolor="white")
    return out.getvalue()


# ---- charts --------------------------------------------------------------------------------


def _timeline_png(series: pd.DataFrame, freq: str) -> bytes | None:
    fig = timeline_chart(series, freq)
    if fig is None:
        return None
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def timeline_chart(series: pd.DataFrame, freq: str) -> Figure | None:
    """The pack's timeline: stacked bars per event type, counts on a whole-number axis from 0."""
    if series.empty:
        return None
    fig = Figure(figsize=(7.2, 2.6), dpi=150)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    pivot = series.pivot_table(
        index="period_start", columns="group", values="value", aggfunc="sum", fill_value=0
    )
    width = 25 if freq == "M" else 6
    bottom = np.zeros(len(pivot))
    for group in [g for g in EVENT_TYPES if g in pivot.columns] + [
        g for g in pivot.columns if g not in EVENT_TYPES
    ]:
        values = pivot[group].to_numpy(dtype=np.float64)
        ax.bar(
            pivot.index,
            values,
            width=width,
            bottom=bottom,
            label=EVENT_TYPE_LABELS.get(group, group),
            color=EVENT_TYPE_COLOURS.get(group, "#7f7f7f"),
        )
        bottom += values
    ax.set_ylabel(_("Incidents per month") if freq == "M" else _("Incidents per week"), fontsize=8)
    # Counts: whole-number ticks (never 0.5 incidents), from 0, with thousands separators.
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True, min_n_ticks=1))
    # The language of the run that made the chart, even if it is drawn later (matplotlib formats lazily).
    language = current_language()
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda value, _pos: plain_spaces(format_number(value, language=language)))
    )
    # Dates on the axis in the reader's language ("janv. 2026"), not matplotlib's English names.
    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: _axis_date(value, locator, language)))
    ax.set_ylim(bottom=0)
    ax.tick_params(labelsize=7)
    # Above the plot, never over the bars.
    ax.legend(fontsize=6, ncol=4, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


# ---- PDF -----------------------------------------------------------------------------------


def _register_fonts() -> tuple[str, str]:
    """DejaVu Sans from matplotlib's own data folder: Unicode text with no system font."""
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    return FONT_NAME, FONT_BOLD


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _register_fonts()
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName=bold, fontSize=18, leading=22),
        "h2": ParagraphStyle(
            "h2", parent=base["Heading2"], fontName=bold, fontSize=12, leading=15, spaceBefore=8, spaceAfter=4
        ),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontName=regular, fontSize=9, leading=12),
        "small": ParagraphStyle(
            "small", parent=base["BodyText"], fontName=regular, fontSize=7.5, leading=9.5
        ),
        "cell": ParagraphStyle("cell", parent=base["BodyText"], fontName=regular, fontSize=8, leading=10),
        "warning": ParagraphStyle(
            "warning",
            parent=base["BodyText"],
            fontName=bold,
            fontSize=10,
            leading=13,
            textColor=colors.HexColor("#a93226"),
            borderColor=colors.HexColor("#a93226"),
            borderWidth=1,
            borderPadding=4,
            spaceBefore=4,
            spaceAfter=8,
        ),
    }


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    # Paragraph reads a mini-markup: every data string (titles, names) is escaped first.
    return Paragraph(escape(str(text)), style)


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    styles: dict[str, ParagraphStyle],
    widths: Sequence[float],
) -> Table:
    data = [[_p(h, styles["cell"]) for h in header]] + [[_p(v, styles["cell"]) for v in row] for row in rows]
    table = Table(data, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _axis_date(value: float, locator: mdates.AutoDateLocator, language: str) -> str:
    """A tick of the timeline: a month (``déc. 2026``) or, for ticks days apart, a day."""
    day = mdates.num2date(value).date()
    step_days = float(np.diff(locator()).min()) if len(locator()) > 1 else 31.0
    return plain_spaces(
        format_month(day, language=language) if step_days >= 28 else format_day(day, language=language)
    )


def _n(value: float) -> str:
    """A whole number in the reader's language, with spaces the PDF's font draws."""
    return plain_spaces(format_number(value))


def _change(value: float | None) -> str:
    if value is None:
        return _("n/a (nothing before)")
    number = format_number(value)
    signed = number if number.startswith(("-", "\u2212")) else "+" + number
    return plain_spaces(_("{change} %").format(change=signed))


def _image(png: bytes, max_width: float, max_height: float) -> Image:
    image = Image(io.BytesIO(png))
    scale = min(max_width / image.imageWidth, max_height / image.imageHeight)
    image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
    return image


def build_briefing_pdf(data: BriefingData) -> bytes:
    """A4 PDF: title, date, filters, map, key figures, timeline, top regions, risk, developments, credits.

    Every page's footer repeats the generation time and, with demo rows, the demo notice.
    """
    styles = _styles()
    out = io.BytesIO()
    margin = 15 * mm
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=18 * mm,
        title=data.title,
        author="Sahel Security Dashboard",
        subject=data.filter_summary,
    )
    width = A4[0] - 2 * margin
    generated = plain_spaces(
        _("{moment} UTC").format(moment=format_timestamp(data.generated_at.astimezone(UTC)))
    )
    story: list[object] = [_p(data.title, styles["title"])]
    if data.includes_demo:
        story.append(
            _p(
                _("{watermark}: {credit}").format(watermark=_(DEMO_WATERMARK), credit=_(DEMO_CREDIT)),
                styles["warning"],
            )
        )
    stale = data.freshness.warning() if data.freshness is not None else None
    if stale:
        story.append(_p(_("OLD DATA: {warning}").format(warning=stale), styles["warning"]))
    story += [
        _p(_("Generated: {moment}").format(moment=generated), styles["body"]),
        *([_p(f"{data.freshness.summary()}.", styles["body"])] if data.freshness is not None else []),
        _p(_("Filters: {filters}").format(filters=data.filter_summary), styles["body"]),
        *[_p(note, styles["body"]) for note in data.notes],
        Spacer(1, 4),
        _image(data.map_png, width, 120 * mm),
        _p(_("Key figures (change against the equally long period just before)"), styles["h2"]),
    ]
    kf = data.key_figures
    story.append(
        _table(
            ["", _("This period"), _("Previous period"), _("Change")],
            [
                [
                    _("Incidents"),
                    _n(kf.incidents),
                    _n(kf.previous_incidents),
                    _change(kf.incidents_change_pct),
                ],
                [
                    _("Fatalities"),
                    _n(kf.fatalities),
                    _n(kf.previous_fatalities),
                    _change(kf.fatalities_change_pct),
                ],
                [
                    _("Civilian-targeting events"),
                    _n(kf.civilian_events),
                    _n(kf.previous_civilian_events),
                    _change(kf.civilian_events_change_pct),
                ],
            ],
            styles,
            [width * 0.34, width * 0.22, width * 0.22, width * 0.22],
        )
    )
    chart = _timeline_png(data.series, data.series_freq)
    timeline = (
        _image(chart, width, 70 * mm) if chart else _p(_("No incidents in the period."), styles["body"])
    )
    story.append(KeepTogether([_p(_("Timeline"), styles["h2"]), timeline]))  # no heading left alone

    story.append(_p(_("Top regions (admin-1) by incidents"), styles["h2"]))
    if data.top_regions.empty:
        story.append(_p(_("No incidents in the period."), styles["body"]))
    else:
        rows = [
            [r.unit_name, r.country_iso3, _n(r.incidents), _n(r.fatalities)]
            for r in data.top_regions.itertuples()
        ]
        story.append(
            _table(
                [_("Region"), _("Country"), _("Incidents"), _("Fatalities")],
                rows,
                styles,
                [width * 0.46, width * 0.18, width * 0.18, width * 0.18],
            )
        )

    story.append(_p(_("Risk levels (conflict index, admin-1)"), styles["h2"]))
    if data.risk is None:
        story.append(_p(_("Risk levels are not available in this installation."), styles["body"]))
    elif data.risk.empty:
        story.append(
            _p(_("No region of the selected countries has incidents in the risk window."), styles["body"])
        )
    else:
        rows = [
            [
                r.unit_name,
                r.country_iso3,
                r.risk_label,
                plain_spaces(format_number(r.index, digits=2)),
                _n(r.events),
            ]
            for r in data.risk.itertuples()
        ]
        story.append(
            _table(
                [_("Region"), _("Country"), _("Risk level"), _("Index (0–1)"), _("Incidents")],
                rows,
                styles,
                [width * 0.36, width * 0.14, width * 0.2, width * 0.15, width * 0.15],
            )
        )
        story.append(
            _p(
                _("Method: docs/methodology.md (window ending on the last day of the period)."),
                styles["small"],
            )
        )

    if data.outlook is not None:
        story += _outlook_story(data.outlook, styles, width)

    story.append(_p(_("Key developments in the period"), styles["h2"]))
    if data.developments.empty:
        story.append(_p(_("None recorded for the selected countries and dates."), styles["body"]))
    else:
        shown = data.developments.head(MAX_DEVELOPMENTS)
        rows = [
            [plain_spaces(format_day(pd.Timestamp(r.date))), r.scope, r.title] for r in shown.itertuples()
        ]
        story.append(
            _table(
                [_("Date"), _("Scope"), _("Development")],
                rows,
                styles,
                [width * 0.15, width * 0.12, width * 0.73],
            )
        )
        if len(data.developments) > len(shown):
            more = len(data.developments) - len(shown)
            story.append(
                _p(ngettext("… and {n} more.", "… and {n} more.", more).format(n=_n(more)), styles["small"])
            )

    story.append(_p(_("Data sources and licences"), styles["h2"]))
    story += [_p(text, styles["small"]) for text in data.attributions]

    footer = _("Sahel Security Dashboard briefing · generated {moment}").format(moment=generated)
    if data.freshness is not None:
        footer += " · " + _("data as of {day}").format(day=data.freshness.data_as_of_text)
    if data.includes_demo:
        footer += f" · {_(DEMO_NOTICE)}"

    def on_page(canvas: object, doc_: SimpleDocTemplate) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont(FONT_NAME, 7)  # type: ignore[attr-defined]
        canvas.setFillColor(colors.HexColor("#a93226" if data.includes_demo else "#555555"))  # type: ignore[attr-defined]
        page_label = _("page {number}").format(number=doc_.page)
        room = A4[0] - 2 * margin - pdfmetrics.stringWidth(page_label, FONT_NAME, 7) - 4 * mm
        lines: list[str] = []  # the footer's parts, wrapped so none runs under the page number
        for part in footer.split(" · "):
            joined = f"{lines[-1]} · {part}" if lines else part
            if lines and pdfmetrics.stringWidth(joined, FONT_NAME, 7) <= room:
                lines[-1] = joined
            else:
                lines.append(part)
        for index, line in enumerate(reversed(lines)):
            canvas.drawString(margin, (9 + 3.2 * index) * mm, line)  # type: ignore[attr-defined]
        canvas.drawRightString(A4[0] - margin, 9 * mm, page_label)  # type: ignore[attr-defined]
        canvas.restoreState()  # type: ignore[attr-defined]

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()


def _outlook_story(section: OutlookSection, styles: dict[str, ParagraphStyle], width: float) -> list[object]:
    """Heading, top units in ICD 203 words, what serves them, and that these are estimates."""
    if section.refused:
        return [
            _p(_("Outlook"), styles["h2"]),
            _p(
                _("No outlook can be made from these data: {reason}.").format(reason=section.refused),
                styles["body"],
            ),
        ]
    heading = _p(
        _("Outlook: chance of fatal violence, {month} (estimate)").format(month=section.month), styles["h2"]
    )
    if section.rows.empty:
        return [heading, _p(_("No region of the selected countries has an outlook."), styles["body"])]
    rows = [
        [
            r.unit_name,
            r.country_iso3,
            f"{likelihood_label(str(r.likelihood))} ({plain_spaces(percent(r.p_fatal))})",
            _n(r.count_q50),
            f"{_n(r.count_q05)}–{_n(r.count_q95)}",
        ]
        for r in section.rows.itertuples()
    ]
    table = _table(
        [
            _("Region"),
            _("Country"),
            _("Chance of a fatal incident"),
            _("Incidents (median)"),
            _("90 % range"),
        ],
        rows,
        styles,
        [width * 0.26, width * 0.12, width * 0.32, width * 0.14, width * 0.16],
    )
    story: list[object] = [KeepTogether([heading, table])]  # a short table: never split from its heading
    story += [_p(sentence, styles["small"]) for sentence in section.served]
    story.append(
        _p(
            _(
                "Estimates from the data up to {origin}, not predictions of single events; words after "
                "the ICD 203 scale. Method: docs/methodology.md, 'Outlook'."
            ).format(origin=section.origin),
            styles["small"],
        )
    )
    return story


# ---- collecting ------------------------------------------------------------------------------


def attribution_texts(credits: Sequence[SourceCredit]) -> tuple[str, ...]:
    """The credits of the incident sources shown (the synthetic-data notice among them for demo
    rows), then the licence wording of the boundaries and places."""
    return source_texts(credits)


def _risk_table(frame: pd.DataFrame, chosen: IncidentFilter) -> pd.DataFrame:
    """Admin-1 risk levels of the chosen countries, highest index first."""
    assert chosen.until is not None
    index = compute_risk_index(frame, level="admin1", as_of=chosen.until)
    index = index[index["country_iso3"].astype("string").isin(chosen.countries).to_numpy(dtype=bool)]
    index = index[index["events"] > 0].sort_values(
        ["index", "events"], ascending=[False, False], kind="stable"
    )
    index = index.head(MAX_RISK_ROWS).reset_index(drop=True)
    return index.assign(risk_label=[RISK_LEVEL_LABELS.get(int(v), str(v)) for v in index["risk_level"]])


def _developments(store: IncidentStore) -> pd.DataFrame:
    """Key developments from the store (analysts edit them there, as on the Timeline page)."""
    from incidents.store.developments import list_developments

    return list_developments(store)


def resolve_dates(chosen: IncidentFilter, data_range: tuple[date, date] | None) -> IncidentFilter:
    """``chosen`` with concrete dates: presets count back from the store's last date."""
    if chosen.since is not None and chosen.until is not None:
        return replace(chosen, preset="custom") if chosen.preset != "custom" else chosen
    return chosen.resolved(data_range)


def collect_briefing_data(
    store: IncidentStore,
    chosen: IncidentFilter,
    *,
    title: str,
    generated_at: datetime | None = None,
    width_px: int = 1600,
    height_px: int = 1000,
    outlook: OutlookSection | None = None,
) -> BriefingData:
    """Filter the store's incidents with ``chosen`` and compute every part of the pack.

    ``chosen.sources`` limits every part, the risk table over the whole area included; its
    presets count back from the last event of those sources. ``outlook``: the Outlook section
    (:func:`dashboard.builders.outlook_data.outlook_section`) when the view includes it.
    """
    frame = of_sources(store.load_analysis_frame(), chosen.sources)
    chosen = resolve_dates(chosen, date_span(frame))
    assert chosen.since is not None and chosen.until is not None
    corridors = active_corridor_segments(store)  # the corridor filter and the map: what is in force
    current, previous = apply_filter(frame, chosen, corridors)
    includes_demo = bool((current["source_dataset"].astype("string") == "demo").any())
    generated_at = generated_at or datetime.now(UTC)
    batches = store.list_batches()
    credits = shown_credits(current, batches)
    span_days = (chosen.until - chosen.since).days + 1
    freq: Literal["W", "M"] = "W" if span_days <= 120 else "M"
    series = incident_series(current, freq=freq, by="event_type", measure="incidents")
    developments = developments_in_range(_developments(store), chosen.since, chosen.until, chosen.countries)

    admin0 = load_admin0()
    admin1 = load_admin1()
    shown_countries = admin0[admin0["iso3"].isin(chosen.countries)] if chosen.countries else admin0
    freshness = store_freshness(store, generated_at.astimezone(UTC).date(), batches)
    map_png = render_map_png(
        current,
        boundaries=admin1,
        corridors=corridors,
        countries=shown_countries if len(shown_countries) else admin0,
        title=title,
        width_px=width_px,
        height_px=height_px,
        includes_demo=includes_demo,
        credits=credits,
        data_as_of=freshness.data_as_of_text,
    )
    notes: tuple[str, ...] = ()
    if not chosen.countries:
        notes = (_("No country is selected, so the pack shows no incidents."),)
    retired = inactive_corridor_note(chosen, corridors)
    if retired:
        notes = (*notes, retired)
    return BriefingData(
        title=title,
        generated_at=generated_at,
        filter_summary=filter_summary(chosen, country_names(), corridors, readable_dates=True),
        key_figures=key_figures(current, previous),
        series=series,
        series_freq=freq,
        top_regions=top_units(current, "admin1", MAX_TOP_REGIONS),
        risk=_risk_table(frame, chosen),
        developments=developments,
        map_png=map_png,
        attributions=attribution_texts(credits),
        includes_demo=includes_demo,
        notes=notes,
        freshness=freshness,
        outlook=outlook,
    )
