"""Pure helpers that turn analysis results into what the pages display or download.

No Streamlit calls: the Overview, Timeline and Risk heatmap pages pass their frames
through these, and the unit tests check them without running the app. Text cells stay
plain strings (``st.dataframe`` renders them as text, never as HTML); CSV downloads go
through :func:`incidents.export.neutralise_formulas` so analyst-edited names cannot run
as spreadsheet formulas.

Column names: the analytics return machine names (``events_365d``, ``inc_10km_7d``);
every table a page shows goes through :func:`display_columns`, which gives each column
the human label of :data:`COLUMN_LABELS` (or a pattern such as "Within 10 km, last 7 days").
CSV downloads keep the machine names, so scripts and spreadsheets that read them keep
working: the Risk heatmap matrix, the Timeline series, the Before / after table, the
exposure table, the import issues and the incident exports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from incidents.export import neutralise_formulas
from incidents.i18n import N_, Labels, _
from incidents.i18n.formats import format_percent
from incidents.model import EVENT_TYPE_LABELS

#: Columns of the latest-incidents table, in display order.
LATEST_COLUMNS: Final = (
    N_("Date"),
    N_("Country"),
    N_("Region"),
    N_("Place"),
    N_("Type"),
    N_("Actors"),
    N_("Fatalities"),
    N_("Source"),
)
GROUP_HEADERS: Final[Mapping[str | None, str]] = {
    "event_type": "event_type",
    "actor_group": "actor_group",
    "country_iso3": "country_iso3",
    None: "group",
}

#: Human label of each machine column name a page shows (units where relevant).
COLUMN_LABELS: Final[Mapping[str, str]] = {
    # corridor ranking and segments
    "corridor_id": N_("Corridor"),
    "name": N_("Name"),
    "events_365d": N_("Incidents, last 365 days"),
    "fatalities_365d": N_("Fatalities, last 365 days"),
    "events_30d": N_("Incidents, last 30 days"),
    "trend_4w": N_("4-week trend"),
    "surge": N_("Surge"),
    "top_actor_groups": N_("Main actor groups"),
    "segment": N_("Segment"),
    "from_name": N_("From"),
    "to_name": N_("To"),
    "connector": N_("Connector (no source)"),
    "length_km": N_("Length (km)"),
    "events": N_("Incidents"),
    "fatalities": N_("Fatalities"),
    "events_per_100km": N_("Incidents per 100 km"),
    # units crossed and corridor versions
    "level": N_("Level"),
    "unit_code": N_("Code"),
    "unit_name": N_("Unit"),
    "unit": N_("Unit"),
    "country_iso3": N_("Country"),
    "version": N_("Version"),
    "status": N_("Status"),
    "armed_groups": N_("Armed groups"),
    "sources": N_("Sources"),
    "confidence": N_("Confidence"),
    "segments": N_("Segments"),
    "note": N_("Note"),
    "created_by": N_("Saved by"),
    "created_at": N_("Saved at"),
    # site exposure
    "site_id": N_("Site id"),
    "site_type": N_("Type"),
    "kind": N_("Site or route"),
    "admin1_name": N_("Region"),
    "admin2_name": N_("District"),
    "fatalities_50km_90d": N_("Fatalities within 50 km, last 90 days"),
    "nearest_corridor": N_("Nearest corridor"),
    "corridor_distance_km": N_("Distance to corridor (km)"),
    "admin2_risk_level": N_("District risk level"),
    "exposure_score": N_("Exposure score"),
    "exposure_rating": N_("Exposure rating"),
    # import history and issues
    "batch_id": N_("Batch"),
    "file_name": N_("File"),
    "sha256": N_("SHA-256"),
    "format": N_("Format"),
    "user_name": N_("Imported by"),
    "rows_read": N_("Rows read"),
    "rows_accepted": N_("Rows imported"),
    "rows_rejected": N_("Rows rejected"),
    "rows_duplicate": N_("Duplicates skipped"),
    "line": N_("Line"),
    "column": N_("Column"),
    "code": N_("Reason code"),
    "severity": N_("Severity"),
    "message": N_("Problem"),
    "value": N_("Value"),
    # incident rows (the Map page's drill-down)
    "event_date": N_("Date"),
    "event_type": N_("Type"),
    "sub_event_type": N_("Sub-type"),
    "actor1": N_("Actor 1"),
    "actor2": N_("Actor 2"),
    "actor_group": N_("Actor group"),
    "incidents": N_("Incidents"),
    "location": N_("Place"),
    "notes": N_("Notes"),
    "source_dataset": N_("Data set"),
    # key developments, sign-in failures
    "date": N_("Date"),
    "date_precision": N_("Date precision"),
    "scope": N_("Scope"),
    "title": N_("Title"),
    "category": N_("Category"),
    "source": N_("Source"),
    "updated_by": N_("Updated by"),
    "at": N_("When"),
    "details": N_("Details"),
}
#: The four-week and 52-week trend classes (incidents.risk.trends) in words, as the Risk page shows them.
TREND_TEXT: Final[Mapping[str, str]] = Labels(
    {
        "large_increase": N_("▲▲ large increase"),
        "moderate_increase": N_("▲ moderate increase"),
        "limited_change": N_("● limited change"),
        "large_decrease": N_("▼ large decrease"),
    }
)
#: Columns whose values are machine words, and their display text.
VALUE_LABELS: Final[Mapping[str, Mapping[str, str]]] = {"trend_4w": TREND_TEXT, "trend_52w": TREND_TEXT}
_WITHIN = re.compile(r"^inc_(\d+)km_(\d+)d$")


def column_label(name: object) -> str:
    """The human label of one column: :data:`COLUMN_LABELS`, the exposure-count pattern, or
    the name with spaces for underscores (so no page ever shows ``snake_case``)."""
    text = str(name)
    if text in COLUMN_LABELS:
        return _(COLUMN_LABELS[text])
    if match := _WITHIN.match(text):
        return _("Within {km} km, last {days} days").format(km=match.group(1), days=match.group(2))
    spaced = text.replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:]


def display_columns(frame: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``frame`` with human column labels (:func:`column_label`) and trend classes in words
    (:data:`VALUE_LABELS`), for ``st.dataframe``; other data unchanged, ``frame`` untouched.

    ``labels``: a page's own words for some columns (``{"created_at": "Imported at"}``).
    """
    words = {
        column: frame[column].map(lambda value, labels=labels: labels.get(value, value))
        for column, labels in VALUE_LABELS.items()
        if column in frame.columns
    }
    if words:
        frame = frame.assign(**words)
    own = labels or {}
    return frame.rename(columns={column: own.get(column) or column_label(column) for column in frame.columns})


def change_delta(current: int, previous: int) -> str | int | None:
    """``st.metric`` delta for a change against the previous period.

    ``"+12%"``/``"-40%"`` for a change, ``0`` (a grey, arrow-less delta) when equal,
    ``"new"`` when the previous period had none, ``None`` when both periods had none.
    """
    if previous == 0:
        return _("new") if current > 0 else None
    if current == previous:
        return 0
    share = (current - previous) / previous
    sign = "+" if share > 0 else "-"
    # Never round a real change to "+0%"/"-0%": that reads as "no change".
    return sign + format_percent(abs(share), digits=1 if abs(share) < 0.01 else 0)


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna("").str.strip()


def _actors(details: pd.DataFrame) -> pd.Series:
    actor1 = _text(details["actor1"])
    actor2 = _text(details["actor2"])
    both = (actor1 != "") & (actor2 != "")
    joined = actor1.where(~both, actor1 + " vs " + actor2)
    return joined.where(actor1 != "", actor2)


def latest_incidents_table(details: pd.DataFrame, country_names: Mapping[str, str]) -> pd.DataFrame:
    """The latest-incidents table from full incident rows, newest first.

    Columns: :data:`LATEST_COLUMNS`. Synthetic demo rows always say so in the Source column.
    """
    if details.empty:
        return pd.DataFrame({_(column): pd.Series(dtype="object") for column in LATEST_COLUMNS})
    ordered = details.sort_values(
        ["event_date", "incident_id"], ascending=[False, False], kind="stable", na_position="last"
    )
    iso3 = _text(ordered["country_iso3"])
    country = _text(ordered["country"])
    names = iso3.map(lambda code: country_names.get(code, ""))
    country = country.where(country != "", names).where(lambda s: s != "", iso3)
    source = _text(ordered["source"])
    # Demo sources already read "Synthetic: ..."; mark any that do not, so no demo row passes as real.
    unmarked = (_text(ordered["source_dataset"]) == "demo") & ~source.str.contains("synthetic", case=False)
    source = source.where(~unmarked, (_("synthetic demo") + " · " + source).str.rstrip(" ·"))
    event_type = _text(ordered["event_type"])
    cells = (
        pd.to_datetime(ordered["event_date"]).dt.date,
        country,
        _text(ordered["admin1_name"]),
        _text(ordered["location"]),
        event_type.map(lambda value: EVENT_TYPE_LABELS.get(value, value)),
        _actors(ordered),
        ordered["fatalities"].to_numpy(dtype=np.int64),
        source,
    )
    # Headers in the reader's language (a display table; downloads keep machine names).
    table = pd.DataFrame({_(column): values for column, values in zip(LATEST_COLUMNS, cells, strict=True)})
    return table.reset_index(drop=True)


def unit_labels(units: pd.DataFrame) -> pd.Series:
    """``"Name (ISO3)"`` for rows of :func:`incidents.analytics.top_units`."""
    return _text(units["unit_name"]) + " (" + _text(units["country_iso3"]) + ")"


def series_table(series: pd.DataFrame, by: str | None, measure: str) -> pd.DataFrame:
    """An :func:`incidents.analytics.incident_series` frame with explicit column names, for download."""
    return pd.DataFrame(
        {
            "period_start": pd.to_datetime(series["period_start"]).dt.strftime("%Y-%m-%d"),
            GROUP_HEADERS.get(by, "group"): series["group"].astype("string"),
            measure: series["value"].to_numpy(dtype=np.int64),
        }
    )


def matrix_table(matrix: pd.DataFrame) -> pd.DataFrame:
    """A region × month matrix with ``YYYY-MM`` column headers and the unit as a column."""
    table = matrix.copy()
    table.columns = [pd.Timestamp(column).strftime("%Y-%m") for column in matrix.columns]
    table.index = table.index.astype("string")
    table.index.name = "unit"
    return table.reset_index()


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with formula-like text cells neutralised (safe to open in a spreadsheet)."""
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8")
