"""Which data sources a view or an analysis counts by default: the real ones, once there are any.

The synthetic demo (``source_dataset = demo``) is there so a fresh laptop shows something.
As soon as the store holds real rows, every page, figure, analytic, export and CLI report
leaves demo rows out unless the user asks for them (the sidebar's data-source filter, a
``source=demo`` link, ``--include-demo``). "Real rows" are rows of any batch other than
those the demo loader writes: the synthetic batch and the 19-event UCDP sample shipped
beside it (real events, but not the user's data; they stay visible with real sources).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import pandas as pd

from incidents.demo import DEMO_FORMAT, UCDP_SAMPLE_FILE
from incidents.i18n import ngettext
from incidents.i18n.formats import format_number
from incidents.model import SOURCE_DATASETS
from incidents.store import IncidentStore

DEMO_SOURCE: Final = "demo"
#: Every source but the synthetic demo: the default selection once real rows are stored.
REAL_SOURCES: Final = tuple(source for source in SOURCE_DATASETS if source != DEMO_SOURCE)
#: Batch formats that hold no incidents (site and route files share the batches table).
_NOT_INCIDENT_FORMATS: Final = ("sites",)


@dataclass(frozen=True)
class SourceStatus:
    """What the store holds, as far as the default source selection is concerned."""

    has_real_rows: bool  # rows of a batch the demo loader did not write
    demo_rows: int  # synthetic rows (source_dataset = demo)

    @property
    def default_sources(self) -> tuple[str, ...]:
        """The selection used when none is given: real sources only once real rows exist.

        ``()`` (every source) while the store holds only the demo, so a fresh laptop shows it.
        """
        return default_sources(self.has_real_rows)

    def hides_demo(self, sources: Sequence[str]) -> bool:
        """Whether the selection ``sources`` leaves out demo rows the store holds."""
        return self.demo_rows > 0 and bool(sources) and DEMO_SOURCE not in sources


def default_sources(has_real_rows: bool) -> tuple[str, ...]:
    """:data:`REAL_SOURCES` when real rows are stored, else ``()`` (no restriction)."""
    return REAL_SOURCES if has_real_rows else ()


def is_demo_loader_batch(fmt: str, file_name: str) -> bool:
    """Whether a batch was written by the demo loader (the synthetic rows or the shipped UCDP sample)."""
    return fmt == DEMO_FORMAT or (fmt == "ucdp" and file_name == UCDP_SAMPLE_FILE.name)


def source_status(store: IncidentStore) -> SourceStatus:
    """Real rows present? How many demo rows? (One small query on batches, one count.)"""
    batches = store.list_batches()
    real = False
    if not batches.empty:
        committed = batches[
            (batches["status"] == "committed")
            & ~batches["format"].isin(_NOT_INCIDENT_FORMATS)
            & (batches["rows_accepted"].astype("int64") > 0)
        ]
        real = any(
            not is_demo_loader_batch(str(fmt), str(name))
            for fmt, name in zip(committed["format"], committed["file_name"], strict=True)
        )
    return SourceStatus(has_real_rows=real, demo_rows=store.count_incidents(DEMO_SOURCE))


def of_sources(frame: pd.DataFrame, sources: Sequence[str]) -> pd.DataFrame:
    """The rows of ``frame`` from ``sources`` (``()``: every row, the same frame object)."""
    if not sources:
        return frame
    keep = frame["source_dataset"].isin(list(sources)).to_numpy(dtype=bool, na_value=False)
    return frame[keep]


def demo_rows_left_out(frame: pd.DataFrame, sources: Sequence[str]) -> int:
    """How many demo rows of ``frame`` the selection ``sources`` leaves out."""
    if not sources or DEMO_SOURCE in sources or not len(frame):
        return 0
    return int((frame["source_dataset"] == DEMO_SOURCE).sum())


def date_span(frame: pd.DataFrame) -> tuple[date, date] | None:
    """First and last event date of ``frame`` (presets and "as of" defaults count from it)."""
    if not len(frame):
        return None
    days = frame["event_date"].to_numpy(dtype="datetime64[D]")
    first, last = days.min(), days.max()
    if np.isnat(first) or np.isnat(last):
        return None
    return pd.Timestamp(first).date(), pd.Timestamp(last).date()


def cli_sources(store: IncidentStore, include_demo: bool) -> tuple[str, ...]:
    """The sources a CLI report counts: real ones when real rows exist, unless ``include_demo``."""
    return () if include_demo else source_status(store).default_sources


def cli_rows(
    store: IncidentStore, include_demo: bool, columns: Sequence[str] | None = None
) -> tuple[pd.DataFrame, tuple[str, ...], pd.DataFrame]:
    """A CLI report's rows: every stored row, the sources it counts (:func:`cli_sources`) and
    the rows of those sources (real rows only once there are any, unless ``include_demo``).

    ``columns`` (None: every analysis column) limits the read to the columns the report uses;
    ``source_dataset`` is always read, since choosing the sources and the demo notes need it.
    """
    wanted = None if columns is None else ("source_dataset", *columns)
    stored = store.load_analysis_frame(wanted)
    sources = cli_sources(store, include_demo)
    return stored, sources, of_sources(stored, sources)


def demo_notes(counted: pd.DataFrame, stored: pd.DataFrame, sources: Sequence[str]) -> list[str]:
    """The CLI's notes on demo rows: how many of the ``counted`` rows are synthetic, and how
    many of the ``stored`` ones the selection ``sources`` left out (no note when none)."""
    notes = []
    if synthetic := int((counted["source_dataset"] == DEMO_SOURCE).sum()) if len(counted) else 0:
        notes.append(
            ngettext(
                "note: {n} row is a synthetic demo event (source_dataset = demo), not a real incident",
                "note: {n} rows are synthetic demo events (source_dataset = demo), not real incidents",
                synthetic,
            ).format(n=format_number(synthetic))
        )
    if left_out := left_out_note(demo_rows_left_out(stored, sources)):
        notes.append(left_out)
    return notes


def left_out_note(count: int) -> str | None:
    """The CLI's sentence for demo rows a report left out (None when it left out none)."""
    if not count:
        return None
    return ngettext(
        "note: {n} synthetic demo row left out (the store holds real data); "
        "--include-demo counts it, `python -m incidents demo --remove` deletes it",
        "note: {n} synthetic demo rows left out (the store holds real data); "
        "--include-demo counts them, `python -m incidents demo --remove` deletes them",
        count,
    ).format(n=format_number(count))
