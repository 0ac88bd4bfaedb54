"""The canonical incident: the one definition used by readers, store, analytics, UI and exports.

See docs/architecture.md, 'Canonical incident'. Every frame of incidents that crosses a module
boundary has exactly
:data:`INCIDENT_COLUMNS`, in that order, with those dtypes; :func:`conform_incidents`
is the single place that enforces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from incidents.errors import SchemaError
from incidents.i18n import N_, Labels

SOURCE_DATASETS: Final = ("acled", "ucdp", "generic", "manual", "demo")
DATE_PRECISIONS: Final = ("day", "week", "month")
EVENT_TYPES: Final = (
    "battle",
    "explosion_remote_violence",
    "violence_against_civilians",
    "abduction",
    "protest_riot",
    "strategic_development",
    "other",
)
ACTOR_GROUPS: Final = (
    "JNIM",
    "IS Sahel",
    "state forces",
    "foreign forces",
    "militia",
    "rebels",
    "civilians",
    "unidentified",
)
GEO_PRECISIONS: Final = (1, 2, 3)

#: What pages, charts and packs call each event type, in the reader's language (incidents.i18n.Labels).
EVENT_TYPE_LABELS: Final[Labels] = Labels(
    {
        "battle": N_("Battle"),
        "explosion_remote_violence": N_("Explosion / remote violence"),
        "violence_against_civilians": N_("Violence against civilians"),
        "abduction": N_("Abduction"),
        "protest_riot": N_("Protest / riot"),
        "strategic_development": N_("Strategic development"),
        "other": N_("Other"),
    }
)
#: What pages call each actor group (the armed groups' own names stay as they are).
ACTOR_GROUP_LABELS: Final[Labels] = Labels(
    {
        "JNIM": "JNIM",
        "IS Sahel": "IS Sahel",
        "state forces": N_("state forces"),
        "foreign forces": N_("foreign forces"),
        "militia": N_("militia"),
        "rebels": N_("rebels"),
        "civilians": N_("civilians"),
        "unidentified": N_("unidentified"),
    }
)

STRING = "string"

#: Column name -> pandas dtype, in canonical order.
INCIDENT_COLUMNS: Final[Mapping[str, str]] = {
    "incident_id": STRING,
    "source_dataset": STRING,
    "source_event_id": STRING,
    "event_date": "datetime64[ns]",
    "date_precision": STRING,
    "country_iso3": STRING,
    "country": STRING,
    "admin1_code": STRING,
    "admin1_name": STRING,
    "admin2_code": STRING,
    "admin2_name": STRING,
    "reported_country": STRING,
    "reported_admin1": STRING,
    "reported_admin2": STRING,
    "location": STRING,
    "latitude": "float64",
    "longitude": "float64",
    "geo_precision": "int8",
    #: Radius (km) of the area the point stands for (e.g. a district centroid); NaN when unknown.
    "uncertainty_km": "float64",
    "event_type": STRING,
    #: The source's own event type label ("Remote violence"), kept as the file gave it.
    "event_type_reported": STRING,
    "sub_event_type": STRING,
    "actor1": STRING,
    "actor2": STRING,
    "actor_group": STRING,
    "fatalities": "int64",
    "civilian_targeting": "bool",
    "notes": STRING,
    "source": STRING,
    "batch_id": STRING,
    "imported_at": "datetime64[ns, UTC]",
}

#: Columns that must hold a value in every stored incident.
REQUIRED_COLUMNS: Final = (
    "incident_id",
    "source_dataset",
    "source_event_id",
    "event_date",
    "date_precision",
    "latitude",
    "longitude",
    "geo_precision",
    "event_type",
    "actor_group",
    "fatalities",
    "civilian_targeting",
)

#: Columns whose values must come from a closed set.
ALLOWED_VALUES: Final[Mapping[str, tuple[object, ...]]] = {
    "source_dataset": SOURCE_DATASETS,
    "date_precision": DATE_PRECISIONS,
    "event_type": EVENT_TYPES,
    "actor_group": ACTOR_GROUPS,
    "geo_precision": GEO_PRECISIONS,
}


def make_incident_id(source_dataset: pd.Series, source_event_id: pd.Series) -> pd.Series:
    """Stable internal id ``"{source_dataset}:{source_event_id}"``.

    See docs/architecture.md, 'Canonical incident'.
    """
    return source_dataset.astype(STRING) + ":" + source_event_id.astype(STRING)


def empty_incidents() -> pd.DataFrame:
    """A zero-row frame with the canonical columns and dtypes."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in INCIDENT_COLUMNS.items()})


def _coerce(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for name, dtype in INCIDENT_COLUMNS.items():
        if name not in frame.columns:
            if name in REQUIRED_COLUMNS and name != "incident_id":
                raise SchemaError(
                    f"column {name!r} is required in a canonical incident frame; "
                    f"found {sorted(map(str, frame.columns))}"
                )
            if dtype == STRING:
                out[name] = pd.Series(pd.NA, index=frame.index, dtype=dtype)
            elif dtype == "float64":
                out[name] = pd.Series(np.nan, index=frame.index, dtype=dtype)
            else:
                out[name] = pd.Series(pd.NaT, index=frame.index, dtype=dtype)
            continue
        column = frame[name]
        try:
            if dtype.startswith("datetime64[ns, UTC]"):
                out[name] = pd.to_datetime(column, utc=True).astype(dtype)
            elif dtype.startswith("datetime64"):
                out[name] = pd.to_datetime(column).dt.tz_localize(None).dt.normalize().astype(dtype)
            else:
                out[name] = column.astype(dtype)
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"column {name!r} cannot be converted to {dtype}: {exc}") from exc
    result = pd.DataFrame(out, index=frame.index)
    if result["incident_id"].isna().all() and len(result):
        result["incident_id"] = make_incident_id(result["source_dataset"], result["source_event_id"])
    return result.reset_index(drop=True)


def _check_values(frame: pd.DataFrame, *, unique_ids: bool = True) -> None:
    for name in REQUIRED_COLUMNS:
        missing = int(frame[name].isna().sum())
        if missing:
            raise SchemaError(f"column {name!r} has {missing} missing value(s); it is required")
    for name, allowed in ALLOWED_VALUES.items():
        bad = ~frame[name].isin(allowed)
        if bad.any():
            examples = sorted(map(str, frame.loc[bad, name].unique()[:5]))
            raise SchemaError(f"column {name!r} has value(s) {examples}; allowed: {list(allowed)}")
    if (frame["fatalities"] < 0).any():
        raise SchemaError("column 'fatalities' has negative values; it must be >= 0")
    lat, lon = frame["latitude"].to_numpy(), frame["longitude"].to_numpy()
    if (np.abs(lat) > 90).any() or (np.abs(lon) > 180).any():
        raise SchemaError("latitude/longitude out of range [-90, 90] / [-180, 180]")
    if unique_ids and frame["incident_id"].duplicated().any():
        dupes = frame.loc[frame["incident_id"].duplicated(), "incident_id"].head(5).tolist()
        raise SchemaError(f"incident_id must be unique; repeated: {dupes}")


def conform_incidents(frame: pd.DataFrame, *, unique_ids: bool = True) -> pd.DataFrame:
    """Return ``frame`` with exactly the canonical columns, order and dtypes, checked.

    Missing optional columns are added empty; ``incident_id`` is derived when absent.
    Raises :class:`SchemaError` naming the column and the bad values otherwise.
    ``unique_ids=False`` skips the one check a file's rows may fail before deduplication
    (repeated ids are dedupe's to report, row by row).
    """
    result = _coerce(frame)
    _check_values(result, unique_ids=unique_ids)
    return result
