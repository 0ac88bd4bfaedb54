"""Reader for UCDP Georeferenced Event Dataset (GED) CSV files.

Maps the GED columns (docs/architecture.md, 'Canonical incident'; docs/methodology.md) onto the
canonical incident. The spatial join decides country and admin units; UCDP's own
``country``/``adm_1``/``adm_2`` are kept as ``reported_*`` for comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

import pandas as pd

from incidents.admin_join import attach_admin_units
from incidents.errors import FileLevelError
from incidents.i18n import _
from incidents.model import conform_incidents
from incidents.vocabularies import (
    derive_actor_group,
    map_ucdp_date_precision,
    map_ucdp_event_type,
    map_ucdp_geo_precision,
)

#: Columns without which a GED row cannot become a canonical incident.
UCDP_REQUIRED_COLUMNS: Final = (
    "id",
    "type_of_violence",
    "side_a",
    "side_b",
    "where_prec",
    "latitude",
    "longitude",
    "date_prec",
    "date_start",
    "best",
)

UCDP_SUB_EVENT_TYPES: Final[Mapping[int, str]] = {1: "state-based", 2: "non-state", 3: "one-sided"}
#: ``source`` is a short citation for popups and exports, not the full GED source list.
SOURCE_MAX_CHARS: Final = 160
_ISO_DATE_PREFIX: Final = r"^\s*(\d{4}-\d{2}-\d{2})"


def _text(raw: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped string dtype; all-missing when the file does not have it."""
    if column not in raw.columns:
        return pd.Series(pd.NA, index=raw.index, dtype="string")
    values = raw[column].astype("string").str.strip()
    return values.mask(values == "")


def _event_ids(ids: pd.Series) -> pd.Series:
    """GED ids as text; integral floats (from a column with gaps) lose their ``.0``."""
    numeric = pd.to_numeric(ids, errors="coerce")
    integral = numeric.notna() & (numeric == numeric.round())
    as_int = numeric.where(integral).astype("Int64").astype("string")
    return as_int.where(integral, ids.astype("string").str.strip())


def _parse_dates(values: pd.Series) -> pd.Series:
    """``YYYY-MM-DD``, also when official releases append a time (``2019-01-01 00:00:00.000``)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.to_datetime(values).dt.tz_localize(None).dt.normalize()
    day = values.astype("string").str.extract(_ISO_DATE_PREFIX, expand=False)
    return pd.to_datetime(day, format="%Y-%m-%d", errors="coerce")


def _first_item(values: pd.Series) -> pd.Series:
    """GED packs several sources in one cell, separated by ``;``: keep the first."""
    return values.str.split(";").str[0].str.strip().mask(lambda s: s == "")


def _short_source(raw: pd.DataFrame) -> pd.Series:
    """``"<first office>: <first headline>"``, cut to :data:`SOURCE_MAX_CHARS`."""
    office = _first_item(_text(raw, "source_office")).fillna(_first_item(_text(raw, "source_original")))
    headline = _first_item(_text(raw, "source_headline"))
    both = office + ": " + headline
    text = both.fillna(office).fillna(headline).fillna("UCDP GED")
    too_long = text.str.len() > SOURCE_MAX_CHARS
    return text.where(~too_long, text.str.slice(0, SOURCE_MAX_CHARS - 1).str.rstrip() + "…")


def ucdp_to_canonical(raw: pd.DataFrame) -> pd.DataFrame:
    """Map a GED table onto canonical incidents, with admin units from the coordinates.

    Raises :class:`~incidents.errors.SchemaError` when a row lacks a required value
    (row-level validation with reason codes belongs to the import pipeline).
    """
    type_of_violence = pd.to_numeric(raw["type_of_violence"], errors="coerce")
    actor1, actor2 = _text(raw, "side_a"), _text(raw, "side_b")
    notes = _text(raw, "where_description").fillna(_text(raw, "dyad_name"))
    frame = pd.DataFrame(
        {
            "source_dataset": "ucdp",
            "source_event_id": _event_ids(raw["id"]),
            "event_date": _parse_dates(raw["date_start"]),
            "date_precision": map_ucdp_date_precision(raw["date_prec"]),
            "reported_country": _text(raw, "country"),
            "reported_admin1": _text(raw, "adm_1"),
            "reported_admin2": _text(raw, "adm_2"),
            "location": _text(raw, "where_coordinates"),
            "latitude": pd.to_numeric(raw["latitude"], errors="coerce"),
            "longitude": pd.to_numeric(raw["longitude"], errors="coerce"),
            "geo_precision": map_ucdp_geo_precision(raw["where_prec"]),
            "event_type": map_ucdp_event_type(type_of_violence),
            "sub_event_type": type_of_violence.map(UCDP_SUB_EVENT_TYPES).astype("string"),
            "actor1": actor1,
            "actor2": actor2,
            "actor_group": derive_actor_group(actor1, actor2),
            "fatalities": pd.to_numeric(raw["best"], errors="coerce"),
            "civilian_targeting": (type_of_violence == 3).to_numpy(),
            "notes": notes,
            "source": _short_source(raw),
        },
        index=raw.index,
    )
    return conform_incidents(attach_admin_units(frame))


def read_ucdp_ged(path: Path) -> pd.DataFrame:
    """Read a GED CSV file into canonical incidents.

    Raises :class:`~incidents.errors.FileLevelError` naming the file when it cannot be
    read or lacks required columns; nothing is half-read.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype="string", keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise FileLevelError(_("{path}: file not found").format(path=path)) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise FileLevelError(
            _("{path}: not a readable UTF-8 CSV file ({exc})").format(path=path, exc=exc)
        ) from exc
    missing = [column for column in UCDP_REQUIRED_COLUMNS if column not in raw.columns]
    if missing:
        raise FileLevelError(
            _("{path}: required UCDP GED column(s) {missing} missing; found {found}").format(
                path=path, missing=missing, found=sorted(map(str, raw.columns))
            )
        )
    return ucdp_to_canonical(raw)
