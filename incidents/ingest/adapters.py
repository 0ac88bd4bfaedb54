"""Format adapters: a :class:`RawTable` in a source's own columns -> a :class:`StagedTable`.

Adapters rename columns and translate the source's *vocabularies* (event types, precision
codes, civilian targeting) because only they know them; dates, coordinates and
fatalities stay text so validation can report each bad cell with its reason code.
Unknown event types become ``<NA>`` with the source's label kept in
``event_type_reported``, so validation can warn ``unknown_event_type`` quoting it.

Every adapter returns all of :data:`STAGED_COLUMNS`, aligned row-for-row with the raw
table; columns the source lacks are ``<NA>``. Work is vectorised, and per-value Python
work runs on unique values only, so a million-row ACLED export stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Final

import numpy as np
import pandas as pd

from geodata.text import fold_accents_series
from incidents.errors import FileLevelError
from incidents.i18n import _
from incidents.ingest.column_mapping import ColumnMapping, check_mapping, normalise_header, suggest_mapping
from incidents.ingest.detect import FORMATS, detect_format
from incidents.ingest.parse import printable_ascii
from incidents.ingest.staged import STAGED_COLUMNS, RawTable, StagedTable
from incidents.model import EVENT_TYPE_LABELS, EVENT_TYPES
from incidents.vocabularies import (
    ACLED_EVENT_TYPES,
    ACLED_PRE_2019_EVENT_TYPES,
    UCDP_DATE_PRECISION,
    UCDP_WHERE_PRECISION,
    derive_actor_group,
    map_acled_event_type,
    map_acled_time_precision,
    map_ucdp_date_precision,
    map_ucdp_event_type,
    map_ucdp_geo_precision,
)

UCDP_SUB_EVENT_TYPES: Final[Mapping[int, str]] = {1: "state-based", 2: "non-state", 3: "one-sided"}
ACLED_REQUIRED: Final = ("event_date", "event_type")
#: Without latitude/longitude an ACLED extract (a reduced download) needs one of these to place its rows.
ACLED_PLACE_COLUMNS: Final = ("location", "admin1", "admin2", "admin3")
UCDP_REQUIRED: Final = ("date_start", "type_of_violence", "latitude", "longitude")
#: Generic mapping field -> staged column, where the names differ.
_GENERIC_TARGETS: Final[Mapping[str, str]] = {
    "country": "reported_country",
    "admin1": "reported_admin1",
    "admin2": "reported_admin2",
    "admin3": "reported_admin3",
}
#: Labels understood in generic files without the mapping saying so (normalised by
#: :func:`normalise_header`): canonical names and labels, ACLED labels, common French terms.
_GENERIC_EVENT_LABELS: Final[Mapping[str, str]] = {
    **{normalise_header(name): name for name in EVENT_TYPES},
    # The English labels: built at import, never in the language the importing page happens to speak.
    **{normalise_header(EVENT_TYPE_LABELS.english(name)): name for name in EVENT_TYPE_LABELS},
    **{normalise_header(label): name for label, name in ACLED_EVENT_TYPES.items()},
    **{normalise_header(label): name for label, name in ACLED_PRE_2019_EVENT_TYPES.items()},
    **{
        normalise_header(label): name
        for name, labels in {
            "battle": ("affrontement", "affrontements", "combat", "combats", "accrochage", "clash"),
            "explosion_remote_violence": (
                "explosion",
                "engin explosif",
                "ied",
                "eei",
                "mine",
                "frappe aerienne",
                "frappe de drone",
                "bombardement",
            ),
            "violence_against_civilians": (
                "violence contre les civils",
                "violences contre les civils",
                "attaque contre civils",
                "execution",
                "massacre",
            ),
            "abduction": ("enlevement", "enlevements", "kidnapping", "rapt", "abduction"),
            "protest_riot": ("manifestation", "emeute", "emeutes", "protest", "riot"),
            "strategic_development": ("developpement strategique",),
        }.items()
        for label in labels
    },
}
_TRUE_WORDS: Final = frozenset({"1", "true", "yes", "y", "x", "oui", "o", "vrai", "civilian_targeting"})
_FALSE_WORDS: Final = frozenset({"0", "false", "no", "n", "non", "faux"})


def adapt(raw: RawTable, fmt: str, mapping: ColumnMapping | None = None) -> StagedTable:
    """Dispatch on ``fmt`` (``auto`` detects it; a given mapping makes ``auto`` mean generic).

    ``mapping`` is used by the generic adapter only; without one, a suggested mapping is used.
    """
    if fmt == "auto":
        fmt = "generic" if mapping is not None else detect_format(list(raw.frame.columns))
    if fmt == "acled":
        return adapt_acled(raw)
    if fmt == "ucdp":
        return adapt_ucdp(raw)
    if fmt == "generic":
        if mapping is None:
            mapping = suggest_mapping(list(raw.frame.columns))
        return adapt_generic(raw, mapping)
    raise FileLevelError(
        _("unknown import format {fmt}; use one of {formats}.").format(fmt=repr(fmt), formats=list(FORMATS))
    )


def adapt_acled(raw: RawTable) -> StagedTable:
    """ACLED in every layout published since 2016, by column name (any case, any order).

    The current API (31 columns), the HDX exports (``data_id`` … ``iso3``; no
    civilian_targeting) and the 2016 API (``gwno``, ``ally_actor_1/2``, numeric ``inter``
    codes, event types from before ACLED's 2019 revision, mapped by
    :data:`~incidents.vocabularies.ACLED_PRE_2019_EVENT_TYPES`). Columns a file lacks are empty.
    ``NA`` cells (how R writes a missing value) are missing: ACLED never uses "NA" as a value.
    """
    take = _Columns(_without_r_missing(raw), "ACLED")
    take.require(ACLED_REQUIRED)
    coordinates = take.has("latitude") and take.has("longitude")
    if not coordinates and (
        take.has("latitude") or take.has("longitude") or not any(map(take.has, ACLED_PLACE_COLUMNS))
    ):
        raise FileLevelError(
            _(
                "required columns missing or unmappable: ACLED needs latitude and longitude, or (an "
                "extract without coordinates) at least one of {columns}; the file has {found}."
            ).format(columns=list(ACLED_PLACE_COLUMNS), found=list(take.by_name.values()))
        )
    event_type_label = take("event_type", "event_type_reported")
    take.same_source("event_type", "event_type_reported")
    sub_event_type = take("sub_event_type")
    event_type = _acled_event_types(event_type_label, sub_event_type)
    time_precision = take("time_precision", "date_precision")
    actor1, actor2 = take("actor1"), take("actor2")
    # inter1/inter2 (actor type codes, numeric or text) name the family of actors whose
    # names match none (mappings.derive_actor_group).
    actor_group = derive_actor_group(actor1, actor2, take("inter1", None), take("inter2", None))
    # Extracts cut down to a few columns may keep only data_id as the event's id.
    id_column = "event_id_cnty" if take.has("event_id_cnty") else "data_id"
    if take.has("civilian_targeting"):
        civilian = _per_distinct(take("civilian_targeting"), _acled_civilian_targeting)
    else:
        civilian = event_type.isin(["violence_against_civilians", "abduction"]).astype("boolean")
    columns = {
        "source_event_id": take(id_column, "source_event_id"),
        "event_date": take("event_date"),
        "date_precision": _per_distinct(time_precision, _acled_date_precision),
        "latitude": take("latitude"),
        "longitude": take("longitude"),
        "geo_precision": _per_distinct(take("geo_precision"), _acled_geo_precision),
        "location": take("location"),
        "reported_country": take("country", "reported_country"),
        "reported_admin1": take("admin1", "reported_admin1"),
        "reported_admin2": take("admin2", "reported_admin2"),
        "reported_admin3": take("admin3", "reported_admin3"),
        "event_type": event_type,
        "event_type_reported": event_type_label,
        "sub_event_type": sub_event_type,
        "actor1": actor1,
        "actor2": actor2,
        "actor_group": actor_group.astype("string"),
        "fatalities": take("fatalities"),
        "civilian_targeting": civilian,
        "notes": take("notes"),
        "source": take("source"),
    }
    return take.staged("acled", columns)


def adapt_ucdp(raw: RawTable) -> StagedTable:
    """UCDP GED: dates stay text (releases differ on a time suffix), codes mapped to vocabularies."""
    take = _Columns(raw, "UCDP GED")
    take.require(UCDP_REQUIRED)
    violence = take("type_of_violence", "event_type")
    take.same_source("event_type_reported", "event_type")
    codes = _codes(violence)
    known = codes.isin(list(UCDP_SUB_EVENT_TYPES))
    date_prec = take("date_prec", "date_precision")
    where_prec = take("where_prec", "geo_precision")
    actor1, actor2 = take("side_a", "actor1"), take("side_b", "actor2")
    source = take("source_office", "source").fillna(take("source_original", None))
    columns = {
        "source_event_id": take("id", "source_event_id"),
        "event_date": take("date_start", "event_date"),
        "date_precision": map_ucdp_date_precision(date_prec).where(
            _codes(date_prec).isin(list(UCDP_DATE_PRECISION))
        ),
        "latitude": take("latitude"),
        "longitude": take("longitude"),
        "geo_precision": map_ucdp_geo_precision(where_prec)
        .astype("Int8")
        .where(_codes(where_prec).isin(list(UCDP_WHERE_PRECISION))),
        "location": take("where_coordinates", "location"),
        "reported_country": take("country", "reported_country"),
        "reported_admin1": take("adm_1", "reported_admin1"),
        "reported_admin2": take("adm_2", "reported_admin2"),
        "event_type": map_ucdp_event_type(violence).where(known),
        "event_type_reported": violence,
        "sub_event_type": codes.map(UCDP_SUB_EVENT_TYPES).astype("string"),
        "actor1": actor1,
        "actor2": actor2,
        "actor_group": _actor_groups(actor1, actor2),
        "fatalities": take("best", "fatalities"),
        "civilian_targeting": codes.eq(3).astype("boolean").where(known),
        "notes": take("where_description", "notes"),
        "source": source,
    }
    return take.staged("ucdp", columns)


def adapt_generic(raw: RawTable, mapping: ColumnMapping) -> StagedTable:
    """An analyst's spreadsheet through a :class:`ColumnMapping` (checked first).

    Needs event_date and either latitude+longitude or a location or admin unit to place; otherwise the
    file cannot be imported and the error lists what to map. Dates are parsed by
    validation, which must honour ``mapping.date_dayfirst``.
    """
    check_mapping(mapping, origin=_("mapping {name}").format(name=repr(mapping.name)))
    take = _Columns(raw, "this spreadsheet")
    _require_generic(take, mapping)
    columns: dict[str, pd.Series] = {}
    for field_name, column in mapping.columns.items():
        target = _GENERIC_TARGETS.get(field_name, field_name)
        if field_name != "civilian_targeting":
            columns[target] = take(column, target)
    labels = columns.get("event_type", take.missing())
    own = {normalise_header(label): name for label, name in mapping.event_type_values.items()}
    vocabulary = {**_GENERIC_EVENT_LABELS, **own}
    event_type = _map_unique(labels, lambda label: vocabulary.get(normalise_header(label)))
    columns["event_type"] = event_type
    columns["event_type_reported"] = labels
    take.same_source("event_type_reported", "event_type")
    if "civilian_targeting" in mapping.columns:
        flags = take(mapping.columns["civilian_targeting"], "civilian_targeting")
        columns["civilian_targeting"] = _yes_no(flags)
    else:
        columns["civilian_targeting"] = event_type.isin(["violence_against_civilians", "abduction"]).astype(
            "boolean"
        )
    columns["actor_group"] = _actor_groups(
        columns.get("actor1", take.missing()), columns.get("actor2", take.missing())
    )
    return take.staged(mapping.source_dataset, columns)


# --- helpers -------------------------------------------------------------------------------


class _Columns:
    """Case-insensitive access to a raw table's columns, recording which source column fed which field."""

    def __init__(self, raw: RawTable, source_label: str) -> None:
        self.raw = raw
        self.label = source_label
        self.by_name = {str(name).strip().casefold(): str(name) for name in raw.frame.columns}
        self.source_columns: dict[str, str] = {}

    def has(self, name: str) -> bool:
        return name.strip().casefold() in self.by_name

    def missing(self) -> pd.Series:
        return pd.Series(pd.NA, index=self.raw.frame.index, dtype="string")

    def __call__(self, name: str, target: str | None = "") -> pd.Series:
        """The column as string dtype (all <NA> when absent); ``target`` defaults to ``name``."""
        actual = self.by_name.get(name.strip().casefold())
        if actual is None:
            return self.missing()
        if target is not None:
            self.source_columns[target or name] = actual
        return self.raw.frame[actual].astype("string")

    def same_source(self, target: str, known: str) -> None:
        """Record that ``target`` came from the same source column as ``known`` (if any)."""
        if known in self.source_columns:
            self.source_columns[target] = self.source_columns[known]

    def require(self, names: tuple[str, ...]) -> None:
        absent = [name for name in names if not self.has(name)]
        if absent:
            raise FileLevelError(
                _(
                    "required columns missing or unmappable: {label} needs {absent}; the file has {found}."
                ).format(label=self.label, absent=absent, found=list(self.by_name.values()))
            )

    def staged(self, source_dataset: str, columns: Mapping[str, pd.Series]) -> StagedTable:
        index = self.raw.frame.index
        frame = pd.DataFrame(
            {
                name: columns[name] if name in columns else pd.Series(pd.NA, index=index, dtype="string")
                for name in STAGED_COLUMNS
            },
            index=index,
        )
        frame["source_dataset"] = pd.Series(source_dataset, index=index, dtype="string")
        return StagedTable(
            frame=frame,
            lines=self.raw.lines,
            format=source_dataset if source_dataset in ("acled", "ucdp") else "generic",
            source_columns={k: self.source_columns[k] for k in STAGED_COLUMNS if k in self.source_columns},
        )


def _require_generic(take: _Columns, mapping: ColumnMapping) -> None:
    """Every mapped column must exist; event_date and (lat+lon, location or an admin unit) must be mapped."""
    absent = sorted(
        f"{field_name} -> {column!r}"
        for field_name, column in mapping.columns.items()
        if not take.has(column)
    )
    mapped = set(mapping.columns)
    needs = []
    if "event_date" not in mapped:
        needs.append("event_date")
    if not ({"latitude", "longitude"} <= mapped or mapped & {"location", "admin1", "admin2", "admin3"}):
        needs.append("latitude and longitude, or location (or admin1/admin2/admin3)")
    if absent or needs:
        problems = []
        if needs:
            problems.append(_("map {fields} to a column").format(fields=" and ".join(needs)))
        if absent:
            problems.append(
                _("mapping {name} names column(s) the file lacks: {columns}").format(
                    name=repr(mapping.name), columns=", ".join(absent)
                )
            )
        raise FileLevelError(
            _("required columns missing or unmappable: {problems} (the file has {found}).").format(
                problems="; ".join(problems), found=list(take.by_name.values())
            )
        )


def _without_r_missing(raw: RawTable) -> RawTable:
    """``raw`` with cells that are exactly ``NA`` (R's ``write.csv`` missing value) as <NA>."""
    frame = raw.frame
    marked = [name for name in frame.columns if bool(frame[name].eq("NA").any())]
    if not marked:
        return raw
    frame = frame.copy()
    for name in marked:
        frame[name] = frame[name].mask(frame[name] == "NA")
    return replace(raw, frame=frame)


def _codes(values: pd.Series) -> pd.Series:
    """Integer codes from text; anything non-integral becomes NaN (never matches a code)."""
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.where(numbers == numbers.round())


def _int_codes(values: pd.Series, table: Mapping[int, int]) -> pd.Series:
    return _codes(values).map(table).astype("Int8")


def _per_distinct(values: pd.Series, convert: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``convert(values)`` for a cell-by-cell ``convert``, run once per distinct value.

    Code columns (precision codes, yes/no flags) hold a handful of distinct values in a
    million rows: parsing each once and spreading the results by factorize codes gives
    the same cells and dtype (``convert`` sees the same set of distinct values, <NA>
    included when present) at a fraction of the cost.
    """
    codes, uniques = pd.factorize(values)  # <NA> -> -1
    distinct = pd.Series(uniques, dtype=values.dtype)
    if (codes < 0).any():
        distinct = pd.concat([distinct, pd.Series([pd.NA], dtype=values.dtype)], ignore_index=True)
        codes = np.where(codes < 0, len(uniques), codes)
    converted = convert(distinct)
    return pd.Series(converted.array.take(codes), index=values.index, name=converted.name)


def _acled_date_precision(time_precision: pd.Series) -> pd.Series:
    """ACLED time_precision 1/2/3 -> day/week/month; anything else <NA>."""
    return map_acled_time_precision(time_precision).where(_codes(time_precision).isin([1, 2, 3]))


def _acled_geo_precision(geo_precision: pd.Series) -> pd.Series:
    return _int_codes(geo_precision, {1: 1, 2: 2, 3: 3})


def _acled_civilian_targeting(targeting: pd.Series) -> pd.Series:
    """ACLED's flag: the text "Civilian targeting" (any case/spacing) or empty."""
    return _fold(targeting).eq("civilian targeting").fillna(False).astype("boolean")


def _fold(values: pd.Series) -> pd.Series:
    """Case-, accent- and space-insensitive form of text labels."""
    simple = printable_ascii(values)  # the usual case: no per-cell Python regex needed
    folded = values.str.lower().str.replace(" +", " ", regex=True)
    if not simple.all():
        folded[~simple] = (
            fold_accents_series(values[~simple]).str.casefold().str.replace(r"\s+", " ", regex=True)
        )
    return folded.str.strip()


def _map_unique(values: pd.Series, lookup: Callable[[str], str | None]) -> pd.Series:
    """Apply ``lookup`` once per distinct value (labels repeat a lot in incident files)."""
    codes, uniques = pd.factorize(values)  # missing -> -1 -> the trailing None
    mapped = np.array([lookup(value) for value in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype="string")


def _acled_event_types(event_type: pd.Series, sub_event_type: pd.Series) -> pd.Series:
    """:func:`map_acled_event_type` on distinct (type, sub-type) pairs; unknown types -> <NA>."""
    type_codes, types = pd.factorize(event_type)  # <NA> -> -1
    sub_codes, subs = pd.factorize(sub_event_type)
    pair_codes, pairs = pd.factorize((type_codes + 1) * (len(subs) + 1) + (sub_codes + 1))
    type_of_pair, sub_of_pair = np.divmod(pairs, len(subs) + 1)

    def labels(values: pd.Index, positions: np.ndarray, like: pd.Series) -> pd.Series:
        with_missing = pd.concat([pd.Series([pd.NA], dtype=like.dtype), pd.Series(values, dtype=like.dtype)])
        return pd.Series(with_missing.array.take(positions), dtype=like.dtype)

    mapped = map_acled_event_type(
        labels(types, type_of_pair, event_type), labels(subs, sub_of_pair, sub_event_type)
    ).astype("string")
    mapped = mapped.mask(mapped == "other")
    return pd.Series(mapped.array.take(pair_codes), index=event_type.index)


def _actor_groups(actor1: pd.Series, actor2: pd.Series) -> pd.Series:
    """:func:`derive_actor_group` (which reads <NA> like "": unidentified)."""
    return derive_actor_group(actor1, actor2).astype("string")


def _yes_no(values: pd.Series) -> pd.Series:
    """Spreadsheet yes/no flags (English or French); empty -> False, unreadable -> <NA>."""
    folded = values.map({value: normalise_header(value) for value in values.dropna().unique()}).astype(
        "string"
    )
    result = pd.Series(pd.NA, index=values.index, dtype="boolean")
    result[folded.isin(list(_TRUE_WORDS)).fillna(False)] = True
    result[folded.isin(list(_FALSE_WORDS)).fillna(False) | values.isna()] = False
    return result
