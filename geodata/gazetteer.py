"""Place-name gazetteer: load the shipped places and look names up.

Incident files often give only a place name, spelt many ways ("Ménaka", "MENAKA",
"Menaca"). Lookups compare names after :func:`normalise_place_name`, through an
index built once per file, so a lookup costs a dictionary hit, not a scan of 56,000
rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.errors import DataFileError
from geodata.io import read_table
from geodata.paths import DATA_DIR
from geodata.text import fold_accents

GAZETTEER_PATH: Path = DATA_DIR / "gazetteer.csv"

GAZETTEER_COLUMNS: tuple[str, ...] = (
    "place_id",
    "name",
    "asciiname",
    "alternatenames",
    "lat",
    "lon",
    "country_iso3",
    "admin1_name",
    "population",
    "place_type",
    "source",
)
"""Columns of ``gazetteer.csv``; ``alternatenames`` is ``|``-separated."""

_DTYPES: dict[str, str] = {
    "place_id": "str",
    "name": "str",
    "asciiname": "str",
    "alternatenames": "str",
    "lat": "float64",
    "lon": "float64",
    "country_iso3": "str",
    "admin1_name": "str",
    "population": "int64",
    "place_type": "str",
    "source": "str",
}

POPULATED_PLACE = "populated_place"
MATCH_LABELS: dict[int, str] = {0: "name", 1: "alternate", 2: "spacing"}
"""``match_rank`` values of :func:`find_places`, best first.

0: the name or ascii name matches; 1: an alternate name matches; 2: only the same
letters with different spacing match ("Banibangou" for "Bani Bangou").
"""

# Letters that NFKD does not split into base letter + accent.
_FOLD = str.maketrans(
    {"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ı": "i", "ħ": "h", "þ": "th", "œ": "oe", "æ": "ae"}
)
# Apostrophes are dropped ("N'Gourma" = "Ngourma"), any other non-word character
# (hyphen, dash, slash, dot, comma, underscore) separates words.
_APOSTROPHES = re.compile(r"['’‘`´ʼʻʹ′]")
_SEPARATORS = re.compile(r"[\W_]+")


def normalise_place_name(name: str) -> str:
    """Return the lookup key of a place name: casefolded, accents stripped.

    "Ménaka" -> "menaka", "Gorom-Gorom" -> "gorom gorom", "Fada N'Gourma" ->
    "fada ngourma". Non-Latin scripts pass through casefolded.
    """
    if not isinstance(name, str):
        raise TypeError(f"place name must be a str, got {type(name).__name__}: {name!r}")
    folded = _APOSTROPHES.sub("", fold_accents(name.casefold()).translate(_FOLD))
    return _SEPARATORS.sub(" ", folded).strip()


def load_gazetteer(path: Path | None = None) -> pd.DataFrame:
    """Return the shipped gazetteer with a ``name_norm`` lookup column.

    Read once per path and cached; the caller gets a copy it may modify.
    Raises :class:`DataFileError` naming the file when it is missing or malformed.
    """
    return _load_cached(Path(path) if path is not None else GAZETTEER_PATH).copy()


def find_places(
    name: str,
    country_iso3: str | Iterable[str] | None = None,
    *,
    path: Path | None = None,
) -> pd.DataFrame:
    """Return the gazetteer rows whose name matches ``name``, best match first.

    Matches ``name``, ``asciiname`` and ``alternatenames`` after
    :func:`normalise_place_name`, optionally only in the given ISO3 countries.
    Order: name match before alternate-name match before spacing-only match, then
    populated places before wells/camps/..., then larger population first.
    Adds ``match_rank`` (int) and ``match`` (see :data:`MATCH_LABELS`).
    An unknown name gives an empty frame with the same columns.
    """
    source = Path(path) if path is not None else GAZETTEER_PATH
    gazetteer = _load_cached(source)
    countries = _check_countries(country_iso3, gazetteer)
    positions, ranks = _name_index(source).lookup(normalise_place_name(name))
    found = gazetteer.iloc[positions].assign(match_rank=ranks)
    if countries is not None:
        found = found[found["country_iso3"].isin(countries)]
    found = (
        found.assign(_not_populated=found["place_type"] != POPULATED_PLACE)
        .sort_values(
            ["match_rank", "_not_populated", "population", "place_id"],
            ascending=[True, True, False, True],
            kind="stable",
        )
        .drop(columns="_not_populated")
        .reset_index(drop=True)
    )
    found["match"] = found["match_rank"].map(MATCH_LABELS).astype("str")
    return found


@lru_cache(maxsize=4)
def _load_cached(path: Path) -> pd.DataFrame:
    frame = read_table(path, GAZETTEER_COLUMNS, dtype=_DTYPES)
    _check_values(path, frame)
    frame = frame.loc[:, list(GAZETTEER_COLUMNS)]
    frame["asciiname"] = frame["asciiname"].fillna(frame["name"])
    frame["alternatenames"] = frame["alternatenames"].fillna("")
    frame["name_norm"] = [normalise_place_name(value) for value in frame["name"]]
    return frame.reset_index(drop=True)


def _check_values(path: Path, frame: pd.DataFrame) -> None:
    problems = []
    for column in ("place_id", "name", "country_iso3"):
        missing = frame.index[frame[column].isna()]
        if len(missing):
            problems.append(f"{len(missing)} row(s) without {column} (first at line {missing[0] + 2})")
    duplicated = frame["place_id"][frame["place_id"].duplicated()]
    if len(duplicated):
        problems.append(f"place_id not unique, e.g. {duplicated.iloc[0]!r}")
    bad = ~(frame["lat"].between(-90, 90) & frame["lon"].between(-180, 180))
    if bad.any():
        first = frame[bad].iloc[0]
        problems.append(
            f"{int(bad.sum())} row(s) with lat/lon outside -90..90/-180..180 or empty, "
            f"e.g. {first['place_id']!r} at ({first['lat']}, {first['lon']})"
        )
    if problems:
        raise DataFileError(path, "; ".join(problems))


def _check_countries(country_iso3: str | Iterable[str] | None, gazetteer: pd.DataFrame) -> list[str] | None:
    if country_iso3 is None:
        return None
    codes = [country_iso3] if isinstance(country_iso3, str) else list(country_iso3)
    allowed = set(gazetteer["country_iso3"].unique())
    unknown = [code for code in codes if not isinstance(code, str) or code.upper() not in allowed]
    if unknown:
        raise ValueError(f"country_iso3 {unknown} not in the gazetteer; allowed: {sorted(allowed)}")
    return [code.upper() for code in codes]


@dataclass(frozen=True)
class _NameIndex:
    """Normalised name -> rows of ``keys``; ``keys`` holds (gazetteer position, rank)."""

    positions: np.ndarray
    ranks: np.ndarray
    exact: dict[str, np.ndarray]
    spacing: dict[str, np.ndarray]

    def lookup(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        empty = np.empty(0, dtype=np.int64)
        if not key:
            return empty, empty
        hits = self.exact.get(key, empty)
        positions, ranks = self.positions[hits], self.ranks[hits]
        loose = np.unique(self.positions[self.spacing.get(key.replace(" ", ""), empty)])
        loose = loose[~np.isin(loose, positions)]
        return (
            np.concatenate([positions, loose]),
            np.concatenate([ranks, np.full(len(loose), 2, dtype=np.int64)]),
        )


@lru_cache(maxsize=4)
def _name_index(path: Path) -> _NameIndex:
    gazetteer = _load_cached(path)
    rows = np.arange(len(gazetteer))
    alternates = gazetteer["alternatenames"].str.split("|").explode()
    keys = pd.DataFrame(
        {
            "key": np.concatenate(
                [
                    gazetteer["name_norm"].to_numpy(dtype=object),
                    [normalise_place_name(value) for value in gazetteer["asciiname"]],
                    [normalise_place_name(value) for value in alternates],
                ]
            ),
            "position": np.concatenate([rows, rows, alternates.index.to_numpy()]),
            "rank": np.repeat([0, 0, 1], [len(rows), len(rows), len(alternates)]),
        }
    )
    # One entry per (key, place), keeping its best rank.
    keys = (
        keys[keys["key"] != ""]
        .sort_values(["rank", "position"], kind="stable")
        .drop_duplicates(["key", "position"])
        .reset_index(drop=True)
    )
    compact = keys["key"].str.replace(" ", "", regex=False)
    return _NameIndex(
        positions=keys["position"].to_numpy(np.int64),
        ranks=keys["rank"].to_numpy(np.int64),
        exact=keys.groupby("key", sort=False).indices,
        spacing=keys.groupby(compact, sort=False).indices,
    )
