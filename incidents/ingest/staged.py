"""The containers passed between import stages.

* :class:`RawTable` — what a reader produced: every cell as text, plus the physical line
  of each record in the source file (for the import report) and how the file was decoded.
* :class:`StagedTable` — a format adapter's output: canonical column names, values that
  still need parsing kept as text, vocabularies already mapped where the format defines them.
* :class:`ImportIssue` — one problem with one cell, with a reason code
  (docs/architecture.md, 'Reason codes').
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Final, Literal

import pandas as pd

Severity = Literal["error", "warning"]

#: Reason codes only site and route files give (incidents.sites); the others mean the same there.
SITE_ONLY_CODES: Final = (
    "bad_sequence",  # a route point's seq is not a whole number, or repeats one of its route
    "route_too_short",  # a route with fewer than 2 distinct points
    "unsupported_geometry",  # a GeoJSON feature that is neither a LineString nor a Point
)
#: Reason codes of the import report plus the file-level ones (docs/architecture.md, 'Reason codes').
REASON_CODES: Final = (
    "missing_required",
    "bad_date",
    "future_date",
    "bad_coordinate",
    "coordinate_out_of_range",
    "suspect_swapped_lat_lon",
    "outside_coverage",
    "country_mismatch",
    "bad_fatalities",
    "negative_fatalities",
    "duplicate_in_file",
    "duplicate_in_store",
    "possible_duplicate",
    "unknown_event_type",
    "geocoded_from_name",
    "ambiguous_place",
    "placed_at_admin_centroid",
    # Rows the reader rejects before any column is parsed (the row is not imported):
    "truncated_row",  # fewer cells than the header: a cut-off file or a lost delimiter
    "cell_too_long",  # a cell over incidents.ingest.file_reader.MAX_CELL_CHARS characters
    "nul_byte",  # a NUL character in a cell: a damaged file
    # Warning: the store keeps fatalities NOT NULL, so an empty count is stored as 0.
    "fatalities_unknown",
    *SITE_ONLY_CODES,
)

#: Columns a format adapter may fill in a StagedTable.frame (all optional unless noted).
#: Text to be parsed by validation: event_date, latitude, longitude, fatalities.
#: Already mapped by the adapter: event_type (canonical or <NA> when unknown),
#: date_precision (day/week/month or <NA>), geo_precision (1/2/3 or <NA>),
#: civilian_targeting (bool or <NA>), actor_group (canonical or <NA> → derived from actors).
STAGED_COLUMNS: Final = (
    "source_dataset",  # required: acled | ucdp | generic | manual
    "source_event_id",  # <NA> → content fingerprint
    "event_date",
    "date_precision",
    "latitude",
    "longitude",
    "geo_precision",
    "location",
    "reported_country",
    "reported_admin1",
    "reported_admin2",
    "reported_admin3",
    "event_type",
    "event_type_reported",  # the source's own label, for unknown_event_type messages
    "sub_event_type",
    "actor1",
    "actor2",
    "actor_group",
    "fatalities",
    "civilian_targeting",
    "notes",
    "source",
)


@dataclass(frozen=True)
class RawTable:
    """A decoded table: text cells, one row per record, and where each record starts."""

    frame: pd.DataFrame  # all cells str or <NA>; original header names as columns
    lines: pd.Series  # int, 1-based physical line of each record's first line (header = 1)
    encoding: str
    delimiter: str | None  # None for XLSX
    warnings: tuple[str, ...] = ()  # e.g. "encoding guessed as cp1252"
    #: Records the reader rejected (not in ``frame``), one error issue or more per record, in
    #: line order: truncated rows, cells too long, NUL characters.
    rejected: tuple[ImportIssue, ...] = ()

    @property
    def rows_rejected(self) -> int:
        """How many records the reader rejected (each record has its own line)."""
        return len({issue.line for issue in self.rejected})


@dataclass(frozen=True)
class StagedTable:
    """Adapter output: STAGED_COLUMNS (subset), aligned row-for-row with the RawTable."""

    frame: pd.DataFrame
    lines: pd.Series
    format: str  # acled | ucdp | generic
    #: canonical column -> the source column it came from (for the report's "column" field)
    source_columns: dict[str, str] = field(default_factory=dict)

    def rows(self, start: int, stop: int) -> StagedTable:
        """Rows ``start:stop`` (positions) with their lines: what validation checks one chunk at a time.

        A positional slice shares the table's buffers (no copy), so chunking a large file
        costs no memory of its own.
        """
        return replace(self, frame=self.frame.iloc[start:stop], lines=self.lines.iloc[start:stop])


@dataclass(frozen=True)
class ImportIssue:
    """One row of the import report's ``issues`` list (docs/architecture.md, 'Import report')."""

    line: int | None
    column: str | None
    code: str
    severity: Severity
    message: str
    value: str | None = None

    def __post_init__(self) -> None:
        if self.code not in REASON_CODES:
            raise ValueError(f"unknown reason code {self.code!r}; allowed: {list(REASON_CODES)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
