"""Column mappings for analysts' own spreadsheets, saved as named reusable JSON files.

A field team's spreadsheet keeps the same columns month after month, so the analyst maps
them once (``Date`` -> event_date, ``Localité`` -> location, ``Morts`` -> fatalities ...),
saves the mapping under a name and reuses it. :func:`suggest_mapping` pre-fills a mapping
from common English and French header names so that mapping is mostly confirming.

File format (UTF-8 JSON)::

    {"name": "Mopti field team", "source_dataset": "generic", "date_dayfirst": true,
     "columns": {"event_date": "Date", "location": "Localité"},
     "event_type_values": {"Attaque": "violence_against_civilians"}}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from geodata.text import fold_accents
from incidents.errors import FileLevelError
from incidents.i18n import _
from incidents.model import EVENT_TYPES

#: Canonical fields a generic spreadsheet column can be mapped onto.
MAPPABLE_FIELDS: Final = (
    "event_date",
    "latitude",
    "longitude",
    "location",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "fatalities",
    "notes",
    "source",
    "source_event_id",
    "civilian_targeting",
)
MAPPING_SOURCE_DATASETS: Final = ("generic", "manual")
_FILE_KEYS: Final = ("name", "source_dataset", "date_dayfirst", "columns", "event_type_values")


@dataclass(frozen=True)
class ColumnMapping:
    """How one kind of spreadsheet maps onto the canonical incident.

    ``columns`` maps canonical field -> the file's column name (matched case-insensitively);
    ``event_type_values`` maps the file's own labels (case-insensitive) -> canonical event
    types; ``date_dayfirst`` tells validation that ``03/04/2022`` is 3 April.
    """

    name: str
    columns: dict[str, str] = field(default_factory=dict)
    event_type_values: dict[str, str] = field(default_factory=dict)
    date_dayfirst: bool = True
    source_dataset: str = "generic"


def check_mapping(mapping: ColumnMapping, *, origin: str = "mapping") -> None:
    """Raise :class:`FileLevelError` naming every unknown field, event type or dataset."""
    unknown_fields = sorted(set(mapping.columns) - set(MAPPABLE_FIELDS))
    if unknown_fields:
        raise FileLevelError(
            _("{origin} maps unknown field(s) {fields}; allowed fields: {allowed}.").format(
                origin=origin, fields=unknown_fields, allowed=list(MAPPABLE_FIELDS)
            )
        )
    empty = sorted(name for name, column in mapping.columns.items() if not str(column).strip())
    if empty:
        raise FileLevelError(
            _("{origin} maps field(s) {empty} to an empty column name; name the column.").format(
                origin=origin, empty=empty
            )
        )
    unknown_types = sorted({value for value in mapping.event_type_values.values()} - set(EVENT_TYPES))
    if unknown_types:
        raise FileLevelError(
            _(
                "{origin} maps labels to unknown event type(s) {types}; allowed event types: {allowed}."
            ).format(origin=origin, types=unknown_types, allowed=list(EVENT_TYPES))
        )
    if mapping.source_dataset not in MAPPING_SOURCE_DATASETS:
        raise FileLevelError(
            _("{origin} has source_dataset {source_dataset}; allowed: {allowed}.").format(
                origin=origin,
                source_dataset=repr(mapping.source_dataset),
                allowed=list(MAPPING_SOURCE_DATASETS),
            )
        )


def save_mapping(mapping: ColumnMapping, path: Path) -> None:
    """Write the mapping as pretty UTF-8 JSON, checked first so a bad one is never saved."""
    check_mapping(mapping, origin=_("mapping {name}").format(name=repr(mapping.name)))
    document = {
        "name": mapping.name,
        "source_dataset": mapping.source_dataset,
        "date_dayfirst": mapping.date_dayfirst,
        "columns": dict(mapping.columns),
        "event_type_values": dict(mapping.event_type_values),
    }
    Path(path).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_mapping(path: Path) -> ColumnMapping:
    """Read and check a saved mapping; every problem is one :class:`FileLevelError` sentence."""
    path = Path(path)
    origin = _("mapping file {name}").format(name=path.name)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FileLevelError(
            _("{origin}: no file at {path}; check the --mapping path.").format(origin=origin, path=path)
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise FileLevelError(
            _("{origin} cannot be read ({exc}); save it again as UTF-8 JSON.").format(origin=origin, exc=exc)
        ) from exc
    except json.JSONDecodeError as exc:
        raise FileLevelError(
            _(
                "{origin} is not valid JSON ({msg} at line {lineno}, column {colno}); fix the syntax or "
                "save the mapping again."
            ).format(origin=origin, msg=exc.msg, lineno=exc.lineno, colno=exc.colno)
        ) from exc
    mapping = _from_document(document, origin, default_name=path.stem)
    check_mapping(mapping, origin=origin)
    return mapping


def _from_document(document: Any, origin: str, *, default_name: str) -> ColumnMapping:
    if not isinstance(document, dict):
        raise FileLevelError(
            _("{origin} must hold a JSON object with keys {keys}.").format(
                origin=origin, keys=list(_FILE_KEYS)
            )
        )
    unknown = sorted(set(document) - set(_FILE_KEYS))
    if unknown:
        raise FileLevelError(
            _("{origin} has unknown key(s) {unknown}; allowed keys: {keys}.").format(
                origin=origin, unknown=unknown, keys=list(_FILE_KEYS)
            )
        )
    columns = _string_dict(document.get("columns", {}), origin, "columns")
    values = _string_dict(document.get("event_type_values", {}), origin, "event_type_values")
    dayfirst = document.get("date_dayfirst", True)
    if not isinstance(dayfirst, bool):
        raise FileLevelError(
            _("{origin}: date_dayfirst must be true or false, not {dayfirst}.").format(
                origin=origin, dayfirst=repr(dayfirst)
            )
        )
    name = document.get("name", default_name)
    source_dataset = document.get("source_dataset", "generic")
    if not isinstance(name, str) or not isinstance(source_dataset, str):
        raise FileLevelError(_("{origin}: name and source_dataset must be text.").format(origin=origin))
    return ColumnMapping(
        name=name,
        columns=columns,
        event_type_values=values,
        date_dayfirst=dayfirst,
        source_dataset=source_dataset,
    )


def _string_dict(value: Any, origin: str, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise FileLevelError(
            _('{origin}: {key} must be an object of text to text, like {{"a": "b"}}.').format(
                origin=origin, key=key
            )
        )
    return dict(value)


# --- suggestions ---------------------------------------------------------------------------

#: Normalised header names (accent-folded, lower case, words joined by "_") per field, best first.
_SYNONYMS: Final[Mapping[str, tuple[str, ...]]] = {
    "event_date": (
        "event_date",
        "date",
        "date_evenement",
        "date_incident",
        "date_de_l_incident",
        "date_event",
        "incident_date",
        "date_start",
        "jour",
    ),
    "latitude": ("latitude", "lat", "lat_dd", "y"),
    "longitude": ("longitude", "lon", "lng", "long", "lon_dd", "x"),
    "location": (
        "location",
        "lieu",
        "localite",
        "village",
        "place",
        "site",
        "ville",
        "town",
        "where_coordinates",
        "nom_du_lieu",
    ),
    "country": ("country", "pays"),
    "admin1": ("admin1", "adm1", "adm_1", "region"),
    "admin2": ("admin2", "adm2", "adm_2", "cercle", "province", "departement", "district"),
    "admin3": ("admin3", "adm3", "adm_3", "commune"),
    "event_type": (
        "event_type",
        "type",
        "type_incident",
        "type_d_incident",
        "type_evenement",
        "incident_type",
        "categorie",
        "category",
    ),
    "sub_event_type": ("sub_event_type", "sous_type", "sous_type_incident", "subtype", "sub_type"),
    "actor1": (
        "actor1",
        "actor_1",
        "actor",
        "acteur",
        "acteur1",
        "acteur_1",
        "auteur",
        "auteurs",
        "perpetrator",
        "perpetrators",
        "groupe_arme",
        "side_a",
    ),
    "actor2": ("actor2", "actor_2", "acteur2", "acteur_2", "cible", "target", "side_b"),
    "fatalities": (
        "fatalities",
        "morts",
        "deces",
        "victimes",
        "tues",
        "nb_morts",
        "nombre_de_morts",
        "nombre_morts",
        "deaths",
        "killed",
        "best",
    ),
    "notes": (
        "notes",
        "note",
        "description",
        "commentaire",
        "commentaires",
        "details",
        "resume",
        "observations",
        "remarques",
    ),
    "source": ("source", "sources", "source_info", "origine"),
    "source_event_id": ("id", "event_id", "incident_id", "identifiant", "ref", "reference"),
    "civilian_targeting": ("civilian_targeting", "cible_civile", "civils_cibles", "civilians_targeted"),
}
#: Single words that identify a field when they appear inside a longer header ("Date de l'attaque").
_KEYWORDS: Final[Mapping[str, tuple[str, ...]]] = {
    "event_date": ("date",),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng"),
    "location": ("lieu", "localite", "location", "village"),
    "country": ("pays", "country"),
    "admin1": ("region",),
    "admin2": ("cercle", "province", "departement"),
    "admin3": ("commune",),
    "event_type": ("type",),
    "actor1": ("acteur", "auteur", "auteurs", "actor"),
    "fatalities": ("morts", "deces", "victimes", "tues", "fatalities", "deaths", "killed"),
    "notes": ("notes", "description", "commentaire", "commentaires", "observations"),
    "source": ("source", "sources"),
}


def normalise_header(name: str) -> str:
    """``"Date de l'évènement "`` -> ``"date_de_l_evenement"``: the form synonyms are written in."""
    folded = fold_accents(str(name)).casefold()
    return re.sub(r"[^0-9a-z]+", "_", folded).strip("_")


def suggest_mapping(columns: Sequence[str], *, name: str = "suggested") -> ColumnMapping:
    """Guess a mapping from header names: exact synonyms first, then keywords inside names.

    Each column is used at most once, so ``Type`` cannot become both event_type and
    sub_event_type. The result is a starting point for the analyst to confirm.
    """
    normalised = {column: normalise_header(column) for column in columns}
    chosen: dict[str, str] = {}
    used: set[str] = set()
    for field_name, synonyms in _SYNONYMS.items():
        for synonym in synonyms:
            match = next((c for c, n in normalised.items() if n == synonym and c not in used), None)
            if match is not None:
                chosen[field_name] = match
                used.add(match)
                break
    for field_name, keywords in _KEYWORDS.items():
        if field_name in chosen:
            continue
        for column, normal in normalised.items():
            if column not in used and set(normal.split("_")) & set(keywords):
                chosen[field_name] = column
                used.add(column)
                break
    ordered: dict[str, str] = {name_: chosen[name_] for name_ in MAPPABLE_FIELDS if name_ in chosen}
    return ColumnMapping(name=name, columns=ordered)
