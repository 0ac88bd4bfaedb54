"""Place rows that have a place name but no coordinates, and recognise reported countries.

Field spreadsheets often give "Boni" or "Ménaka" and nothing else. A name is placed
only when the gazetteer gives one clearly best match; when several places are equally
good the row is rejected as ``ambiguous_place`` and the message lists the candidates, so
the analyst can add coordinates instead of the import guessing a village 600 km away.

Rules (documented in the import report messages too):

* **Equally good** candidates share the best candidate's ``match_rank`` (name / alternate
  name / spacing) and its place class (populated place or not — a town outranks a well
  of the same name, as :func:`geodata.gazetteer.find_places` already orders them).
* Candidates within :data:`SAME_PLACE_KM` of the best are the same place listed twice
  (GeoNames and OSM both list most towns) and never make a name ambiguous.
* **Population tie-break**: the best candidate still wins when it has at least
  :data:`CLEAR_WINNER_MIN_POPULATION` inhabitants and at least
  :data:`CLEAR_WINNER_RATIO` times the population of every other equally good candidate
  ("Gao", 133,000, over a 26,000-inhabitant Gao in Burkina Faso).
* **geo_precision** of a placed row: 2 ("near / district") for populated places — the
  point is the town's centre, not where the event happened — and 3 for anything else.

The row's own admin units (:func:`place_row`, rules in docs/methodology.md):

* **Settling names**: when the row names an admin-1 unit the boundaries know, only
  gazetteer places inside it (by the boundary layer, or by the gazetteer's own admin-1
  name) are candidates; a named admin-2 unit then prefers the places inside it, when any.
  Places of that name elsewhere are other villages that happen to share it.
* **Falling back**: a name not in the gazetteer (or only outside the named admin-1, or still
  ambiguous) is placed at the seat of the row's admin-3 (commune) when the gazetteer has
  it, else at the centre of its admin-2 unit (geo_precision 2), else of its admin-1 unit
  (geo_precision 3), each with an uncertainty radius (:data:`ADMIN3_UNCERTAINTY_KM`, or the
  unit's equal-area radius, :mod:`geodata.admin_units`). A row is rejected only when
  nothing in it can be placed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Final, Literal

import numpy as np
import pandas as pd

from geodata.admin_units import NamedUnits, Unit, match_named_units
from geodata.assign import locate_admin_units
from geodata.boundaries import load_admin0
from geodata.crs import geodesic_km
from geodata.gazetteer import POPULATED_PLACE, normalise_place_name
from incidents.i18n import _

PlaceLookup = Callable[..., pd.DataFrame]

SAME_PLACE_KM: Final = 10.0
CLEAR_WINNER_MIN_POPULATION: Final = 1_000
CLEAR_WINNER_RATIO: Final = 3.0
MAX_CANDIDATES_LISTED: Final = 5
#: Uncertainty radius (km) of a row placed at the seat of its commune (admin-3): the radius of
#: a circle of a typical commune's area (Burkina Faso: 274,000 km² in 351 communes, ~780 km²,
#: r ~ 16 km; Mali's inhabited south and Niger's communes are larger, r ~ 20-25 km).
ADMIN3_UNCERTAINTY_KM: Final = 20.0
#: ``PlaceResolution.admin2`` of a row that belongs to no admin-2 unit (-1: the point decides).
NO_UNIT: Final = -2

#: Other ways files write the covered countries (French names, ISO2, common English variants).
COUNTRY_ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "BEN": ("BJ", "Bénin", "Dahomey"),
    "BFA": ("BF", "Burkina", "Upper Volta", "Haute-Volta"),
    "CIV": ("CI", "Côte d'Ivoire", "Ivory Coast", "Cote dIvoire"),
    "DZA": ("DZ", "Algérie"),
    "GHA": ("GH",),
    "GIN": ("GN", "Guinée", "Guinea-Conakry", "Guinée-Conakry"),
    "LBY": ("LY", "Libye", "Libyan Arab Jamahiriya"),
    "MLI": ("ML", "Republic of Mali", "République du Mali"),
    "MRT": ("MR", "Mauritanie"),
    "NER": ("NE", "Republic of Niger"),
    "NGA": ("NG", "Nigéria"),
    "SEN": ("SN", "Sénégal"),
    "TCD": ("TD", "Tchad"),
    "TGO": ("TG",),
}

#: Countries outside the coverage that continent-wide files (ACLED Africa, UCDP) name, so a row
#: kept with ``--keep-outside`` still gets an ISO3 code: ISO3 -> spellings (English, French).
OTHER_COUNTRIES: Final[Mapping[str, tuple[str, ...]]] = {
    "AGO": ("Angola",),
    "BDI": ("Burundi",),
    "BWA": ("Botswana",),
    "CAF": ("Central African Republic", "République centrafricaine", "Centrafrique", "CAR"),
    "CMR": ("Cameroon", "Cameroun"),
    "COD": (
        "Democratic Republic of Congo",
        "Democratic Republic of the Congo",
        "DRC",
        "RDC",
        "Congo-Kinshasa",
    ),
    "COG": ("Republic of Congo", "Republic of the Congo", "Congo", "Congo-Brazzaville"),
    "COM": ("Comoros", "Comores"),
    "CPV": ("Cape Verde", "Cabo Verde"),
    "DJI": ("Djibouti",),
    "EGY": ("Egypt", "Égypte"),
    "ERI": ("Eritrea", "Érythrée"),
    "ESH": ("Western Sahara", "Sahara occidental"),
    "ETH": ("Ethiopia", "Éthiopie"),
    "GAB": ("Gabon",),
    "GMB": ("Gambia", "The Gambia", "Gambie"),
    "GNB": ("Guinea-Bissau", "Guinée-Bissau"),
    "GNQ": ("Equatorial Guinea", "Guinée équatoriale"),
    "KEN": ("Kenya",),
    "LBR": ("Liberia",),
    "LSO": ("Lesotho",),
    "MAR": ("Morocco", "Maroc"),
    "MDG": ("Madagascar",),
    "MOZ": ("Mozambique",),
    "MUS": ("Mauritius", "Maurice"),
    "MWI": ("Malawi",),
    "NAM": ("Namibia", "Namibie"),
    "RWA": ("Rwanda",),
    "SDN": ("Sudan", "Soudan"),
    "SLE": ("Sierra Leone",),
    "SOM": ("Somalia", "Somalie"),
    "SSD": ("South Sudan", "Soudan du Sud"),
    "STP": ("Sao Tome and Principe",),
    "SWZ": ("eSwatini", "Eswatini", "Swaziland"),
    "SYC": ("Seychelles",),
    "TUN": ("Tunisia", "Tunisie"),
    "TZA": ("Tanzania", "Tanzanie"),
    "UGA": ("Uganda", "Ouganda"),
    "ZAF": ("South Africa", "Afrique du Sud"),
    "ZMB": ("Zambia", "Zambie"),
    "ZWE": ("Zimbabwe",),
}

PlaceStatus = Literal["found", "admin", "not_found", "ambiguous"]


@dataclass(frozen=True)
class PlaceResolution:
    """Outcome of placing one row by name: ``found`` in the gazetteer, or at an ``admin`` unit.

    For ``admin``: ``column`` is the staged column that placed the row (``reported_admin3``,
    ``reported_admin2`` or ``reported_admin1``), ``uncertainty_km`` the radius of the area the
    point stands for, ``admin1``/``admin2`` the unit positions (in the boundary layers) the
    row belongs to when known (-1 otherwise), and ``note`` why the name itself did not place it.
    """

    status: PlaceStatus
    latitude: float = float("nan")
    longitude: float = float("nan")
    geo_precision: int = 3
    detail: str = ""
    uncertainty_km: float = float("nan")
    column: str = "location"
    admin1: int = -1
    admin2: int = -1
    note: str = ""


#: Resolutions by (normalised name, ISO3 scope) key, carried over the chunks of one file.
PlaceCache = dict[str, PlaceResolution]


@lru_cache(maxsize=1)
def country_keys() -> dict[str, str]:
    """Normalised country spelling -> ISO3, for every covered country."""
    admin0 = load_admin0()
    keys: dict[str, str] = {}
    for iso3, name in zip(admin0["iso3"], admin0["country"], strict=True):
        for spelling in (iso3, name, *COUNTRY_ALIASES.get(str(iso3), ())):
            keys[normalise_place_name(str(spelling))] = str(iso3)
    return keys


def resolve_countries(reported: pd.Series) -> pd.Series:
    """ISO3 of each reported country name/code (<NA> when not a covered country)."""
    keys = country_keys()
    codes, uniques = pd.factorize(reported)  # each distinct name once; missing -> -1 -> None
    iso3 = np.array([keys.get(normalise_place_name(value)) for value in uniques] + [None], dtype=object)
    return pd.Series(iso3[codes], index=reported.index, dtype="string")


@lru_cache(maxsize=1)
def any_country_keys() -> dict[str, str]:
    """:func:`country_keys` plus the countries of :data:`OTHER_COUNTRIES`."""
    keys = {
        normalise_place_name(spelling): iso3
        for iso3, spellings in OTHER_COUNTRIES.items()
        for spelling in (iso3, *spellings)
    }
    return {**keys, **country_keys()}


def recognise_countries(reported: pd.Series) -> pd.Series:
    """ISO3 of each reported country, covered or not (<NA> when not recognised)."""
    keys = any_country_keys()
    codes, uniques = pd.factorize(reported)
    iso3 = np.array([keys.get(normalise_place_name(str(value))) for value in uniques] + [None], dtype=object)
    return pd.Series(iso3[codes], index=reported.index, dtype="string")


def _describe(candidates: pd.DataFrame) -> str:
    shown = candidates.head(MAX_CANDIDATES_LISTED)
    template = _("{place_id} ({admin1}, {iso3}, {lat}, {lon}, pop. {population})")
    parts = [
        template.format(
            place_id=row.place_id,
            admin1=row.admin1_name if isinstance(row.admin1_name, str) else "?",
            iso3=row.country_iso3,
            lat=f"{row.lat:.4f}",
            lon=f"{row.lon:.4f}",
            population=int(row.population),
        )
        for row in shown.itertuples()
    ]
    more = len(candidates) - len(shown)
    return "; ".join(parts) + (_("; and {n} more").format(n=more) if more > 0 else "")


def choose_place(name: str, found: pd.DataFrame) -> PlaceResolution:
    """Apply the ambiguity rules of this module to ``find_places`` output (best first)."""
    if found.empty:
        return PlaceResolution("not_found")
    best = found.iloc[0]
    populated = found["place_type"] == POPULATED_PLACE
    same_class = populated == (best["place_type"] == POPULATED_PLACE)
    tier = found[(found["match_rank"] == best["match_rank"]) & same_class]
    distance = geodesic_km(best["lat"], best["lon"], tier["lat"].to_numpy(), tier["lon"].to_numpy())
    others = tier[distance > SAME_PLACE_KM]
    best_population = int(best["population"]) if pd.notna(best["population"]) else 0
    runner_up = int(others["population"].fillna(0).max()) if len(others) else 0
    clear = others.empty or (
        best_population >= CLEAR_WINNER_MIN_POPULATION and best_population >= CLEAR_WINNER_RATIO * runner_up
    )
    if not clear:
        candidates = pd.concat([tier.iloc[[0]], others])
        return PlaceResolution(
            "ambiguous",
            detail=_("{n} places called {name} match equally well: {candidates}").format(
                n=len(candidates), name=repr(name), candidates=_describe(candidates)
            ),
        )
    precision = 2 if best["place_type"] == POPULATED_PLACE else 3
    return PlaceResolution(
        "found",
        latitude=float(best["lat"]),
        longitude=float(best["lon"]),
        geo_precision=precision,
        detail=f"{best['place_id']} ({best['name']}, {best['country_iso3']}, {float(best['lat']):.4f}, "
        f"{float(best['lon']):.4f})",
    )


def _narrow(found: pd.DataFrame, named: NamedUnits) -> tuple[pd.DataFrame, str]:
    """The candidates inside the row's named units; ``""`` or what was set aside.

    A named admin-1 unit keeps only its places (the boundary layer or the gazetteer's own
    admin-1 name says so); a named admin-2 unit keeps its places when it has any.
    """
    if found.empty or named.finest is None:
        return found, ""
    located = locate_admin_units(found["lon"].to_numpy(dtype=float), found["lat"].to_numpy(dtype=float))
    keep = np.ones(len(found), dtype=bool)
    within = ""
    if named.admin1 is not None:
        first = named.admin1
        at = located.admin1 if first.level == 1 else located.admin2
        inside = at == first.position
        if first.level == 1:
            inside |= found["admin1_name"].map(named.contains_name).to_numpy(dtype=bool)
        keep &= inside
        within = first.label()
    if named.admin2 is not None:
        inside2 = located.admin2 == named.admin2.position
        if (keep & inside2).any():
            keep &= inside2
            within = named.admin2.label()
    dropped = int((~keep).sum())
    note = (
        _("{n} place(s) of that name outside {unit} set aside").format(n=dropped, unit=within)
        if dropped and within
        else ""
    )
    return found[keep].reset_index(drop=True), note


def _at_unit(unit: Unit, column: str, note: str) -> PlaceResolution:
    precision = 2 if column in ("reported_admin2", "reported_admin3") else 3
    level = _("admin-2") if unit.level == 2 else _("admin-1")
    return PlaceResolution(
        "admin",
        latitude=unit.lat,
        longitude=unit.lon,
        geo_precision=precision,
        detail=_("the centre of {unit} ({level} unit)").format(unit=unit.label(), level=level),
        uncertainty_km=round(unit.radius_km, 1),
        column=column,
        admin1=unit.position if unit.level == 1 else -1,
        # a row placed at an admin-1 centre belongs to no admin-2 unit (NO_UNIT), whichever holds the centre
        admin2=unit.position if unit.level == 2 else NO_UNIT if precision == 3 else -1,
        note=note,
    )


def _lookup(lookup: PlaceLookup, name: str, scope: str | None) -> pd.DataFrame:
    try:
        return lookup(name, scope)
    except ValueError:  # a scope the gazetteer does not know finds nothing
        return pd.DataFrame()


def place_row(
    name: str | None,
    scope: str | None,
    admin1: str | None,
    admin2: str | None,
    admin3: str | None,
    lookup: PlaceLookup,
) -> PlaceResolution:
    """Place one row without coordinates from its place name and its own admin units.

    ``scope`` is the row's country (ISO3, or ``None``). Order: the place name (settled by
    the named units), the admin-3 (commune) seat, the admin-2 centre, the admin-1 centre.
    """
    named = match_named_units(scope, admin1, admin2)
    note = ""
    if name:
        found, set_aside = _narrow(_lookup(lookup, name, scope), named)
        resolution = choose_place(name, found)
        if resolution.status == "found":
            if set_aside:
                resolution = replace(resolution, detail=f"{resolution.detail}; {set_aside}")
            return resolution
        if named.finest is None and not admin3:
            return resolution
        where = _(" in {iso3}").format(iso3=scope) if scope else ""
        if resolution.status == "ambiguous":
            note = _("place {name} is ambiguous{where} ({detail})").format(
                name=repr(name), where=where, detail=resolution.detail
            )
        elif set_aside:
            note = _(
                "place {name} is in the gazetteer{where} only outside the named unit ({set_aside})"
            ).format(name=repr(name), where=where, set_aside=set_aside)
        else:
            note = _("place {name} is not in the gazetteer{where}").format(name=repr(name), where=where)
    else:
        note = _("no place name")
    if admin3:
        seat = choose_place(admin3, _narrow(_lookup(lookup, admin3, scope), named)[0])
        if seat.status == "found":
            return PlaceResolution(
                "admin",
                latitude=seat.latitude,
                longitude=seat.longitude,
                geo_precision=2,
                detail=_("the seat of commune {commune}, {detail}").format(
                    commune=repr(admin3), detail=seat.detail
                ),
                uncertainty_km=ADMIN3_UNCERTAINTY_KM,
                column="reported_admin3",
                admin1=-1,
                admin2=named.admin2.position if named.admin2 is not None else -1,
                note=note,
            )
    if named.admin2 is not None:
        return _at_unit(named.admin2, "reported_admin2", note)
    if named.admin1 is not None:
        return _at_unit(named.admin1, "reported_admin1", note)
    if name:
        return choose_place(name, _lookup(lookup, name, scope))  # not found or ambiguous: rejected
    return PlaceResolution("not_found", note=note)


def resolve_places(
    names: pd.Series,
    countries: pd.Series,
    lookup: PlaceLookup,
    cache: PlaceCache | None = None,
    admin: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Place each row by name and admin units (aligned with ``names``).

    Columns: status, latitude, longitude, geo_precision, detail, uncertainty_km, column,
    admin1, admin2, note (see :class:`PlaceResolution`). ``admin`` holds the rows'
    reported_admin1/2/3 (aligned with ``names``; absent: none).

    Looks up each distinct (normalised name, ISO3 scope, admin names) once, so a million
    rows naming fifty villages cost fifty lookups. Rows without a name or admin unit get
    status ``not_found``. A scope the gazetteer does not know (``ValueError`` from the
    lookup) finds nothing: searching every country instead could place the row in the wrong one.

    A message quotes the name as its first row spells it ("Boni", not a later "BONI");
    ``cache`` keeps the resolutions of earlier chunks of the same file, so a file checked
    in chunks, in order, quotes the spelling of the file's first row, as when checked whole.
    """
    columns = ("reported_admin1", "reported_admin2", "reported_admin3")
    if admin is None:
        admin = pd.DataFrame(
            {column: pd.Series(pd.NA, index=names.index, dtype="string") for column in columns}
        )
    units = [admin[column].astype("string") for column in columns]
    present = names.notna().to_numpy(dtype=bool, copy=True)
    for values in units:
        present = present | values.notna().to_numpy(dtype=bool)
    norm = names.map({value: normalise_place_name(str(value)) for value in names.dropna().unique()})
    combined = norm.astype("string").fillna("") + "\x1f" + countries.astype("string").fillna("")
    for values in units:
        combined = combined + "\x1f" + values.str.casefold().fillna("")
    codes, uniques = pd.factorize(combined.where(present), use_na_sentinel=True)
    first = pd.Series(np.arange(len(codes))).groupby(codes).first()

    def cell(values: pd.Series, position: int) -> str | None:
        value = values.iloc[position]
        return None if pd.isna(value) else str(value)

    resolved: list[PlaceResolution] = []
    for code in range(len(uniques)):
        key = str(uniques[code])
        if cache is not None and key in cache:
            resolved.append(cache[key])
            continue
        position = int(first[code])
        admin1, admin2, admin3 = (cell(values, position) for values in units)
        resolved.append(
            place_row(cell(names, position), cell(countries, position), admin1, admin2, admin3, lookup)
        )
        if cache is not None:
            cache[key] = resolved[-1]
    resolved.append(PlaceResolution("not_found"))  # code -1: nothing to place by
    table = pd.DataFrame(
        {
            "status": [item.status for item in resolved],
            "latitude": [item.latitude for item in resolved],
            "longitude": [item.longitude for item in resolved],
            "geo_precision": [item.geo_precision for item in resolved],
            "detail": [item.detail for item in resolved],
            "uncertainty_km": [item.uncertainty_km for item in resolved],
            "column": [item.column for item in resolved],
            "admin1": [item.admin1 for item in resolved],
            "admin2": [item.admin2 for item in resolved],
            "note": [item.note for item in resolved],
        }
    )
    return table.iloc[codes].set_axis(names.index)
