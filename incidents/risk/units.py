"""Which incidents belong to which unit, for admin-1, admin-2 and corridor units.

Admin levels are 1:1 (the store's spatial join gives each incident at most one unit);
corridors are 1:many (an incident within ``corridor_km`` of two corridors counts in
both). Every risk computation goes through :func:`unit_membership`, so the index, the
trend flags and the other risk modules agree on what "in the unit" means.

Which corridors: every function takes ``corridors`` (a GeoDataFrame of lines or
segments, a :class:`geodata.corridors.CorridorSet`, or None for the shipped file). The
dashboard and the CLI pass the store's active corridors
(``incidents.store.corridors.active_corridor_segments``), so a retired corridor is no
unit and an uploaded route is the one incidents are measured against. Caches are keyed
on the hashable :class:`~geodata.corridors.CorridorSet`, never on a frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geodata.boundaries import load_admin0, load_admin1, load_admin2
from geodata.corridors import CorridorSet, CorridorsLike, corridor_buffers, corridor_set
from incidents.analytics._common import check_choice, encode
from incidents.settings import CORRIDOR_KM

UnitLevel = Literal["admin1", "admin2", "corridor"]
RISK_LEVELS_OF_UNITS: Final = ("admin1", "admin2", "corridor")
"""Unit levels the risk functions accept."""
MEMBERSHIP_COLUMNS: Final = ("row", "unit_code")
NAME_COLUMNS: Final = ("unit_code", "unit_name", "country_iso3")


def unit_columns(level: UnitLevel) -> tuple[str, ...]:
    """The columns of the analysis frame that place an incident in a unit of ``level``
    (what :func:`unit_membership` and :func:`unit_keys` read): the unit code for admin
    levels, the coordinates for corridors."""
    check_choice("level", level, RISK_LEVELS_OF_UNITS)
    return ("longitude", "latitude") if level == "corridor" else (f"{level}_code",)


def unit_membership(
    frame: pd.DataFrame,
    level: UnitLevel,
    *,
    corridor_km: float = CORRIDOR_KM,
    corridors: CorridorsLike = None,
) -> pd.DataFrame:
    """One row per (incident, unit) pair: ``row`` (int position in ``frame``) and ``unit_code``.

    Incidents without a unit (outside the boundary layers, or near no corridor) have no
    row. For corridors, ``corridor_km`` is the half-width of the buffer around the line
    and ``corridors`` the lines (None: shipped; ignored for admin levels).
    """
    check_choice("level", level, RISK_LEVELS_OF_UNITS)
    if level == "corridor":
        return _corridor_membership(frame, corridor_km, corridor_set(corridors))
    codes, labels = encode(frame[f"{level}_code"])
    rows = np.flatnonzero(codes >= 0)
    return pd.DataFrame(
        {
            "row": rows.astype(np.int64),
            "unit_code": pd.array(labels[codes[rows]].astype(str), dtype="string"),
        },
        columns=list(MEMBERSHIP_COLUMNS),
    )


def unit_keys(
    frame: pd.DataFrame,
    level: UnitLevel,
    units: pd.Index,
    *,
    rows: npt.NDArray[np.int64] | None = None,
    corridor_km: float = CORRIDOR_KM,
    corridors: CorridorsLike = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The membership of :func:`unit_membership` as integers: (row positions, positions in ``units``).

    The fast path of the risk computations: category codes are mapped onto ``units``
    through their (few) labels, so no per-row string is built. ``rows`` limits the
    incidents considered (e.g. to a date window); units missing from ``units`` (or, for
    corridors, from ``corridors``) are dropped.
    """
    check_choice("level", level, RISK_LEVELS_OF_UNITS)
    candidates = np.arange(len(frame), dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    if level == "corridor":
        buffers = _buffers(corridor_km, corridor_set(corridors))
        lon = frame["longitude"].to_numpy(dtype=np.float64)[candidates]
        lat = frame["latitude"].to_numpy(dtype=np.float64)[candidates]
        found_rows, found_keys = [], []
        for position, corridor_id in enumerate(units):
            zone = buffers.get(str(corridor_id))
            if zone is None:
                continue
            inside = np.asarray(shapely.contains_xy(zone, lon, lat), dtype=bool)
            found_rows.append(candidates[inside])
            found_keys.append(np.full(int(inside.sum()), position, dtype=np.int64))
        if not found_rows:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        return np.concatenate(found_rows), np.concatenate(found_keys)
    codes, labels = encode(frame[f"{level}_code"])
    lookup = np.append(units.get_indexer(pd.Index(labels.astype(str))), -1).astype(np.int64)  # code -1 -> -1
    keys = lookup[codes[candidates]]
    known = keys >= 0
    return candidates[known], keys[known]


def _buffers(corridor_km: float, corridors: CorridorSet) -> Mapping[str, shapely.Geometry]:
    if not corridor_km > 0:
        raise ValueError(f"corridor_km must be > 0; got {corridor_km!r}")
    return corridor_buffers(corridor_km, corridors)


def _corridor_membership(frame: pd.DataFrame, corridor_km: float, corridors: CorridorSet) -> pd.DataFrame:
    buffers = _buffers(corridor_km, corridors)
    lon = frame["longitude"].to_numpy(dtype=np.float64)
    lat = frame["latitude"].to_numpy(dtype=np.float64)
    pieces_rows: list[np.ndarray] = []
    pieces_codes: list[np.ndarray] = []
    for corridor_id in corridors.ids:  # unit_names order
        rows = np.flatnonzero(shapely.contains_xy(buffers[corridor_id], lon, lat))
        pieces_rows.append(rows.astype(np.int64))
        pieces_codes.append(np.full(len(rows), str(corridor_id), dtype=object))
    rows = np.concatenate(pieces_rows) if pieces_rows else np.empty(0, dtype=np.int64)
    codes = np.concatenate(pieces_codes) if pieces_codes else np.empty(0, dtype=object)
    return pd.DataFrame(
        {"row": rows, "unit_code": pd.array(codes.astype(str), dtype="string")},
        columns=list(MEMBERSHIP_COLUMNS),
    )


def unit_names(level: UnitLevel, corridors: CorridorsLike = None) -> pd.DataFrame:
    """Every unit of ``level``: ``unit_code``, ``unit_name``, ``country_iso3``.

    Admin-1 covers the whole primary layer, admin-2 every shipped unit (both sorted by
    code); corridors every corridor of ``corridors`` (None: the shipped ones), in their
    order; a corridor's ``country_iso3`` lists the countries its line crosses
    (``;``-separated, alphabetical). ``corridors`` is ignored for admin levels.
    """
    check_choice("level", level, RISK_LEVELS_OF_UNITS)
    chosen = corridor_set(corridors) if level == "corridor" else None
    return _unit_names_cached(level, chosen).copy()


@lru_cache(maxsize=8)
def _unit_names_cached(level: str, corridors: CorridorSet | None) -> pd.DataFrame:
    if corridors is not None:
        lines = corridors.lines()
        admin0 = load_admin0()
        countries = []
        for line in lines.geometry:
            crossed = admin0.loc[admin0.intersects(line), "iso3"].astype(str)
            countries.append(";".join(sorted(crossed)))
        names = pd.DataFrame(
            {
                "unit_code": lines["corridor_id"].astype(str),
                "unit_name": lines["corridor_name"].astype(str),
                "country_iso3": pd.Series(countries, index=lines.index, dtype=object),
            }
        )
    else:
        layer = load_admin1() if level == "admin1" else load_admin2()
        names = pd.DataFrame(
            {
                "unit_code": layer[f"{level}_code"].astype(str),
                "unit_name": layer[f"{level}_name"].astype(str),
                "country_iso3": layer["iso3"].astype(str),
            }
        )
        names = names.drop_duplicates("unit_code").sort_values("unit_code", kind="stable")
    result = names.reset_index(drop=True)
    for column in NAME_COLUMNS:
        result[column] = result[column].astype("string")
    return result[list(NAME_COLUMNS)]
