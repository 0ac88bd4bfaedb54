"""Recognising a file's format from its header alone.

Analysts rarely say what they are uploading, and the header is enough: ACLED and UCDP
use column names no field spreadsheet does. Detection asks for the columns an adapter
needs *and* for a few of the source's distinctive ones, so a spreadsheet that happens
to have ``latitude`` and ``event_type`` stays ``generic``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

#: What :func:`detect_format` can answer: the formats an adapter reads.
DETECTED_FORMATS: Final = ("acled", "ucdp", "generic")
#: The one list of formats an import may ask for (``--format``, the Import page, the adapters):
#: a detected one, or ``auto`` to detect it from the header.
FORMATS: Final = ("auto", *DETECTED_FORMATS)

#: The ACLED API's 31 columns, in order (ACLED_SCHEMA.md; tests/fixtures/import/README.md):
#: what a synthetic ACLED export must look like (the benchmark, tests).
ACLED_API_COLUMNS: Final = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)
#: Columns the ACLED adapter needs; present in both the API and the HDX layouts.
ACLED_CORE: Final = frozenset({"event_date", "event_type"})
#: How an ACLED row is placed: its coordinates, or (reduced extracts without coordinates)
#: its place name and admin units, which validation places through the gazetteer and boundaries.
ACLED_COORDINATES: Final = frozenset({"latitude", "longitude"})
ACLED_PLACE_NAMES: Final = frozenset({"location", "admin1", "admin2", "admin3"})
#: Column names only ACLED uses, in every layout it has published since 2016: the current
#: API (31 columns), the HDX exports (``data_id`` … ``iso3``) and the 2016 API (``gwno``,
#: ``ally_actor_1/2`` before they became ``assoc_actor_1/2``). Enough of them survive when
#: analysts delete columns or when a tool upper-cases the header.
ACLED_DISTINCTIVE: Final = frozenset(
    {
        "data_id",
        "gwno",
        "event_id_cnty",
        "event_id_no_cnty",
        "time_precision",
        "disorder_type",
        "sub_event_type",
        "assoc_actor_1",
        "assoc_actor_2",
        "ally_actor_1",
        "ally_actor_2",
        "inter1",
        "inter2",
        "interaction",
        "geo_precision",
        "source_scale",
    }
)
#: Columns the UCDP adapter needs.
UCDP_CORE: Final = frozenset({"type_of_violence", "date_start", "latitude", "longitude"})
#: Column names only UCDP GED uses.
UCDP_DISTINCTIVE: Final = frozenset(
    {
        "relid",
        "where_prec",
        "date_prec",
        "side_a",
        "side_b",
        "best",
        "where_coordinates",
        "priogrid_gid",
        "dyad_name",
        "conflict_name",
    }
)
#: How many distinctive columns make the evidence convincing.
MIN_DISTINCTIVE: Final = 3


def detect_format(columns: Sequence[str]) -> str:
    """``"acled"``, ``"ucdp"`` or ``"generic"`` for a header (names compared case-insensitively)."""
    names = {str(name).replace("\ufeff", "").strip().casefold() for name in columns}
    if names >= UCDP_CORE and len(UCDP_DISTINCTIVE & names) >= MIN_DISTINCTIVE:
        return "ucdp"
    placeable = names >= ACLED_COORDINATES or bool(names & ACLED_PLACE_NAMES)
    if names >= ACLED_CORE and placeable and len(ACLED_DISTINCTIVE & names) >= MIN_DISTINCTIVE:
        return "acled"
    return "generic"
