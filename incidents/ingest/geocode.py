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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

import numpy as np
import pandas as pd

from geodata.boundaries import load_admin0
from geodata.gazetteer import POPULATED_PLACE, normalise_place_name

PlaceLookup = Callable[..., pd.DataFrame]

SAME_PLACE_KM: Final = 10.0
CLEAR_WINNER_MIN_POPULATION: Final = 1_000
CLEAR_WINNER_RATIO: Final = 3.0
MAX_CANDIDATES_LISTED: Final = 5
EARTH_RADIUS_KM: Final = 6371.0088

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

PlaceStatus = Literal["found", "not_found", "ambiguous"]


@dataclass(frozen=True)
class PlaceResolution:
    """Outcome of looking one place name up."""

    status: PlaceStatus
    latitude: float = float("nan")
    longitude: float = float("nan")
    geo_precision: int = 3
    detail: str = ""


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


def haversine_km(
    lat1: np.ndarray | float, lon1: np.ndarray | float, lat2: np.ndarray | float, lon2: np.ndarray | float
) -> np.ndarray:
    """Great-circle distance in km (vectorised)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def _describe(candidates: pd.DataFrame) -> str:
    shown = candidates.head(MAX_CANDIDATES_LISTED)
    parts = [
        f"{row.place_id} ({row.admin1_name if isinstance(row.admin1_name, str) else '?'}, "
        f"{row.country_iso3}, {row.lat:.4f}, {row.lon:.4f}, pop. {int(row.population)})"
        for row in shown.itertuples()
    ]
    more = len(candidates) - len(shown)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def choose_place(name: str, found: pd.DataFrame) -> PlaceResolution:
    """Apply the ambiguity rules of this module to ``find_places`` output (best first)."""
    if found.empty:
        return PlaceResolution("not_found")
    best = found.iloc[0]
    populated = found["place_type"] == POPULATED_PLACE
    same_class = populated == (best["place_type"] == POPULATED_PLACE)
    tier = found[(found["match_rank"] == best["match_rank"]) & same_class]
    distance = haversine_km(best["lat"], best["lon"], tier["lat"].to_numpy(), tier["lon"].to_numpy())
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
            detail=f"{len(candidates)} places called {name!r} match equally well: {_describe(candidates)}",
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


def resolve_places(
    names: pd.Series, countries: pd.Series, lookup: PlaceLookup, cache: PlaceCache | None = None
) -> pd.DataFrame:
    """Place each row by name: status, latitude, longitude, geo_precision, detail (aligned with ``names``).

    Looks up each distinct (normalised name, ISO3 scope) once, so a million rows naming
    fifty villages cost fifty lookups. Rows without a name get status ``not_found``.
    A scope the gazetteer does not know (``ValueError`` from the lookup) finds nothing:
    searching every country instead could place the row in the wrong one.

    A message quotes the name as its first row spells it ("Boni", not a later "BONI");
    ``cache`` keeps the resolutions of earlier chunks of the same file, so a file checked
    in chunks, in order, quotes the spelling of the file's first row, as when checked whole.
    """
    present = names.notna().to_numpy(dtype=bool)
    norm = names.map({value: normalise_place_name(str(value)) for value in names.dropna().unique()})
    combined = (norm.fillna("") + "\x1f" + countries.astype("string").fillna("")).where(present)
    codes, uniques = pd.factorize(combined, use_na_sentinel=True)
    first = pd.Series(np.arange(len(codes))).groupby(codes).first()
    resolved: list[PlaceResolution] = []
    for code in range(len(uniques)):
        key = str(uniques[code])
        if cache is not None and key in cache:
            resolved.append(cache[key])
            continue
        position = int(first[code])
        name, scope = str(names.iloc[position]), countries.iloc[position]
        scope_value = None if pd.isna(scope) else str(scope)
        try:
            found = lookup(name, scope_value)
        except ValueError:
            found = pd.DataFrame()
        resolved.append(choose_place(name, found))
        if cache is not None:
            cache[key] = resolved[-1]
    resolved.append(PlaceResolution("not_found"))  # code -1: no name
    table = pd.DataFrame(
        {
            "status": [item.status for item in resolved],
            "latitude": [item.latitude for item in resolved],
            "longitude": [item.longitude for item in resolved],
            "geo_precision": [item.geo_precision for item in resolved],
            "detail": [item.detail for item in resolved],
        }
    )
    return table.iloc[codes].set_axis(names.index)
