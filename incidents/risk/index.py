"""Subnational conflict index per admin-1, admin-2 or corridor unit (docs/methodology.md).

Four indicators over a trailing window, adapted from ACLED's Conflict Index:

* deadliness: fatalities;
* danger: events with civilian targeting;
* diffusion: share of the unit's populated ~10 km grid cells holding at least
  ``diffusion_min_events`` events (a cell is populated when a gazetteer populated place
  lies in it; ACLED uses population rasters, which we do not ship);
* fragmentation: distinct non-state armed actors (actor names whose family is JNIM,
  IS Sahel, rebels or militia).

Each indicator is scaled to 0-1 against a FIXED cap (:class:`RiskConfig`), never against
the units in view, so a unit's index depends only on its own incidents: filtering other
countries out cannot change it. The index is the weighted mean of the four scores;
risk levels 1-5 come from fixed thresholds on the index.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geodata.assign import assign_admin_units
from geodata.corridors import CorridorSet, CorridorsLike, corridor_set
from geodata.gazetteer import POPULATED_PLACE, load_gazetteer
from geodata.hexgrid import project_metric
from incidents.analytics._common import encode
from incidents.i18n import pgettext
from incidents.risk.units import UnitLevel, unit_keys, unit_membership, unit_names
from incidents.settings import CORRIDOR_KM
from incidents.vocabularies import normalise_actor_group


def _translated_level_names() -> dict[int, str]:
    """The risk levels' names in the current language (context "risk level": the "High" of a
    risk, not of a precision or an exposure rating)."""
    return {
        1: pgettext("risk level", "Low"),
        2: pgettext("risk level", "Moderate"),
        3: pgettext("risk level", "High"),
        4: pgettext("risk level", "Very high"),
        5: pgettext("risk level", "Extreme"),
    }


class RiskLevelLabels(Mapping[int, str]):
    """The names of the risk levels 1-5 (1 Low .. 5 Extreme), read in the current language at each
    lookup; :meth:`english` for data files and stored tables."""

    _english: Final = {1: "Low", 2: "Moderate", 3: "High", 4: "Very high", 5: "Extreme"}

    def __getitem__(self, level: int) -> str:
        return _translated_level_names()[level] if level in self._english else self._english[level]

    def __iter__(self) -> Iterator[int]:
        return iter(self._english)

    def __len__(self) -> int:
        return len(self._english)

    def english(self, level: int) -> str:
        """The English name (CSV cells, stored and cached tables)."""
        return self._english[level]


RISK_LEVEL_LABELS: Final = RiskLevelLabels()
#: Actor families counted by the fragmentation indicator (non-state armed groups).
NON_STATE_ARMED: Final = frozenset({"JNIM", "IS Sahel", "rebels", "militia"})
INDEX_COLUMNS: Final = (
    "unit_code",
    "unit_name",
    "country_iso3",
    "events",
    "fatalities",
    "civilian_events",
    "armed_groups",
    "diffusion",
    "deadliness_score",
    "danger_score",
    "diffusion_score",
    "fragmentation_score",
    "index",
    "risk_level",
)
CELL_COLUMNS: Final = ("unit_code", "cell_x", "cell_y")
#: Cell indices are packed into one int64 key: x and y each get 2**21 slots.
_CELL_BITS: Final = 21
_CELL_OFFSET: Final = 1 << (_CELL_BITS - 1)
#: Scores are rounded so that a hand-computed example reproduces exactly.
_SCORE_DECIMALS: Final = 6


@dataclass(frozen=True)
class RiskConfig:
    """Fixed parameters of the index; every value is documented in docs/methodology.md.

    Deadliness and danger are log-scaled: ``log10(1 + x) / log10(1 + cap)``, capped at 1,
    so 9 fatalities score 1/3 and 99 score 2/3 with the default cap of 999. Diffusion and
    fragmentation are linear: ``min(1, x / cap)``. ``level_thresholds`` are the lowest
    index of levels 2, 3, 4 and 5 (a threshold belongs to the higher level).
    """

    window_days: int = 365
    diffusion_cell_km: float = 10.0
    diffusion_min_events: int = 3
    deadliness_cap: float = 999.0
    danger_cap: float = 99.0
    diffusion_cap: float = 0.25
    fragmentation_cap: float = 8.0
    weights: tuple[float, float, float, float] = (0.25, 0.25, 0.25, 0.25)
    level_thresholds: tuple[float, float, float, float] = field(default=(0.10, 0.25, 0.45, 0.65))

    def __post_init__(self) -> None:
        if self.window_days < 1:
            raise ValueError(f"window_days must be >= 1; got {self.window_days!r}")
        if not self.diffusion_cell_km > 0:
            raise ValueError(f"diffusion_cell_km must be > 0; got {self.diffusion_cell_km!r}")
        if self.diffusion_min_events < 1:
            raise ValueError(f"diffusion_min_events must be >= 1; got {self.diffusion_min_events!r}")
        for name in ("deadliness_cap", "danger_cap", "diffusion_cap", "fragmentation_cap"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0; got {getattr(self, name)!r}")
        if (
            len(self.weights) != 4
            or any(w < 0 for w in self.weights)
            or not np.isclose(sum(self.weights), 1.0)
        ):
            raise ValueError(f"weights must be 4 non-negative numbers summing to 1; got {self.weights!r}")
        thresholds = list(self.level_thresholds)
        if len(thresholds) != 4 or thresholds != sorted(thresholds) or not thresholds[0] > 0:
            raise ValueError(
                f"level_thresholds must be 4 increasing numbers > 0; got {self.level_thresholds!r}"
            )


def window_bounds(as_of: date, window_days: int) -> tuple[date, date]:
    """Inclusive first and last day of the trailing window ending at ``as_of``."""
    return as_of - timedelta(days=window_days - 1), as_of


def risk_levels(
    index: npt.ArrayLike, thresholds: tuple[float, ...] = RiskConfig().level_thresholds
) -> npt.NDArray[np.int64]:
    """Risk level 1-5 of each index value; a value equal to a threshold gets the higher level."""
    values = np.round(np.asarray(index, dtype=np.float64), _SCORE_DECIMALS)
    return (np.searchsorted(np.asarray(thresholds, dtype=np.float64), values, side="right") + 1).astype(
        np.int64
    )


def log_score(values: npt.ArrayLike, cap: float) -> npt.NDArray[np.float64]:
    """``min(1, log10(1 + x) / log10(1 + cap))`` for x >= 0."""
    x = np.maximum(np.asarray(values, dtype=np.float64), 0.0)
    return np.minimum(1.0, np.log10(1.0 + x) / np.log10(1.0 + cap))


def linear_score(values: npt.ArrayLike, cap: float) -> npt.NDArray[np.float64]:
    """``min(1, x / cap)`` for x >= 0."""
    return np.minimum(1.0, np.maximum(np.asarray(values, dtype=np.float64), 0.0) / cap)


def cells_of(
    lon: npt.ArrayLike, lat: npt.ArrayLike, cell_km: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Grid cell (x, y index) of each point on a ``cell_km`` square grid in the Sahel metric projection."""
    x, y = project_metric(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    size = cell_km * 1000.0
    return np.floor(x / size).astype(np.int64), np.floor(y / size).astype(np.int64)


def populated_cells(
    level: UnitLevel,
    *,
    cell_km: float = 10.0,
    corridor_km: float = CORRIDOR_KM,
    corridors: CorridorsLike = None,
) -> pd.DataFrame:
    """The diffusion denominator: each unit's grid cells holding a gazetteer populated place.

    Columns :data:`CELL_COLUMNS`. A cell on a border belongs to every unit that has a
    place in it. For corridors, the units are those of ``corridors`` (None: shipped).
    Cached per arguments, corridors by their hashable :class:`~geodata.corridors.CorridorSet`
    (the gazetteer is static reference data).
    """
    chosen = corridor_set(corridors) if level == "corridor" else None
    return _populated_cells_cached(level, float(cell_km), float(corridor_km), chosen).copy()


@lru_cache(maxsize=8)
def _populated_cells_cached(
    level: str, cell_km: float, corridor_km: float, corridors: CorridorSet | None
) -> pd.DataFrame:
    places = load_gazetteer()
    places = places[places["place_type"] == POPULATED_PLACE]
    lon = places["lon"].to_numpy(dtype=np.float64)
    lat = places["lat"].to_numpy(dtype=np.float64)
    if level == "corridor":
        located = pd.DataFrame({"longitude": lon, "latitude": lat})
    else:
        located = assign_admin_units(lon, lat).reset_index(drop=True)
    membership = unit_membership(
        located,
        level,  # type: ignore[arg-type]
        corridor_km=corridor_km,
        corridors=corridors,
    )
    cx, cy = cells_of(lon, lat, cell_km)
    rows = membership["row"].to_numpy()
    cells = pd.DataFrame(
        {"unit_code": membership["unit_code"], "cell_x": cx[rows], "cell_y": cy[rows]},
        columns=list(CELL_COLUMNS),
    )
    return cells.drop_duplicates().reset_index(drop=True)


def compute_risk_index(
    frame: pd.DataFrame,
    *,
    level: UnitLevel,
    as_of: date,
    config: RiskConfig = RiskConfig(),
    corridor_km: float = CORRIDOR_KM,
    reference_cells: pd.DataFrame | None = None,
    corridors: CorridorsLike = None,
) -> pd.DataFrame:
    """The conflict index of every unit of ``level`` over the window ending at ``as_of``.

    Pass the full analysis frame, not a country-filtered one (the result per unit does
    not depend on other units, but a filtered frame may lack the unit's own events).
    ``reference_cells`` (columns :data:`CELL_COLUMNS`) replaces the gazetteer's populated
    cells, for tests and the worked example. ``corridors``: the corridor units (the
    store's active corridors; None: shipped; ignored for admin levels). Units without
    events get zeros and level 1. Columns :data:`INDEX_COLUMNS`, rows in :func:`unit_names` order.
    """
    chosen = corridor_set(corridors) if level == "corridor" else None
    names = unit_names(level, chosen)
    unit_index = pd.Index(names["unit_code"].astype(str))
    size = len(unit_index)
    window = _window_rows(frame, as_of, config.window_days)
    rows, keys = unit_keys(frame, level, unit_index, rows=window, corridor_km=corridor_km, corridors=chosen)

    fatalities = frame["fatalities"].to_numpy(dtype=np.float64)[rows]
    civilian = frame["civilian_targeting"].to_numpy(dtype=bool)[rows]
    events = np.bincount(keys, minlength=size).astype(np.int64)
    deaths = np.rint(np.bincount(keys, weights=fatalities, minlength=size)).astype(np.int64)
    civilian_events = np.bincount(keys[civilian], minlength=size).astype(np.int64)
    armed = _armed_group_counts(frame, rows, keys, size)
    cells = (
        reference_cells
        if reference_cells is not None
        else populated_cells(
            level, cell_km=config.diffusion_cell_km, corridor_km=corridor_km, corridors=chosen
        )
    )
    diffusion = _diffusion(frame, rows, keys, unit_index, cells, config)

    scores = {
        "deadliness_score": log_score(deaths, config.deadliness_cap),
        "danger_score": log_score(civilian_events, config.danger_cap),
        "diffusion_score": linear_score(diffusion, config.diffusion_cap),
        "fragmentation_score": linear_score(armed, config.fragmentation_cap),
    }
    # The index sums the unrounded scores; only the stored values are rounded (6 decimals).
    index = np.round(
        sum(w * s for w, s in zip(config.weights, scores.values(), strict=True)), _SCORE_DECIMALS
    )
    scores = {name: np.round(value, _SCORE_DECIMALS) for name, value in scores.items()}
    result = pd.DataFrame(
        {
            **{column: names[column] for column in ("unit_code", "unit_name", "country_iso3")},
            "events": events,
            "fatalities": deaths,
            "civilian_events": civilian_events,
            "armed_groups": armed,
            "diffusion": np.round(diffusion, _SCORE_DECIMALS),
            **scores,
            "index": index,
            "risk_level": risk_levels(index, config.level_thresholds),
        },
        columns=list(INDEX_COLUMNS),
    )
    return result


def _window_rows(frame: pd.DataFrame, as_of: date, window_days: int) -> npt.NDArray[np.int64]:
    first, last = window_bounds(as_of, window_days)
    stamps = frame["event_date"].to_numpy()
    if stamps.dtype != np.dtype("datetime64[ns]"):
        stamps = pd.to_datetime(frame["event_date"]).to_numpy().astype("datetime64[ns]")
    days = stamps.astype("datetime64[D]")
    inside = (days >= np.datetime64(first, "D")) & (days <= np.datetime64(last, "D"))
    return np.flatnonzero(inside)


def _armed_group_counts(
    frame: pd.DataFrame, rows: npt.NDArray[np.int64], keys: npt.NDArray[np.int64], size: int
) -> npt.NDArray[np.int64]:
    """Distinct non-state armed actor names (actor1 or actor2) per unit.

    Names are classified once per distinct name (category), then pairs (unit, name) are
    deduplicated on integer keys.
    """
    vocabulary: dict[str, int] = {}
    pair_keys = []
    for column in ("actor1", "actor2"):
        if column not in frame.columns:
            continue
        codes, labels = encode(frame[column])
        global_ids = np.full(len(labels) + 1, -1, dtype=np.int64)  # last slot: missing (-1)
        for position, label in enumerate(labels):
            name = " ".join(str(label).split())
            if normalise_actor_group(name) in NON_STATE_ARMED:
                global_ids[position] = vocabulary.setdefault(name.casefold(), len(vocabulary))
        ids = global_ids[codes[rows]]
        armed = ids >= 0
        pair_keys.append(keys[armed] * (1 << 32) + ids[armed])
    if not pair_keys:
        return np.zeros(size, dtype=np.int64)
    unique_pairs = np.unique(np.concatenate(pair_keys))
    return np.bincount(unique_pairs >> 32, minlength=size).astype(np.int64)


def _diffusion(
    frame: pd.DataFrame,
    rows: npt.NDArray[np.int64],
    keys: npt.NDArray[np.int64],
    unit_index: pd.Index,
    cells: pd.DataFrame,
    config: RiskConfig,
) -> npt.NDArray[np.float64]:
    """Share of each unit's populated cells with at least ``diffusion_min_events`` events."""
    size = len(unit_index)
    ref_units = unit_index.get_indexer(cells["unit_code"].astype(object))
    keep = ref_units >= 0
    ref_keys = np.unique(
        _pack(
            ref_units[keep],
            cells["cell_x"].to_numpy(np.int64)[keep],
            cells["cell_y"].to_numpy(np.int64)[keep],
        )
    )
    denominator = np.bincount(ref_keys >> (2 * _CELL_BITS), minlength=size).astype(np.float64)
    lon = frame["longitude"].to_numpy(dtype=np.float64)[rows]
    lat = frame["latitude"].to_numpy(dtype=np.float64)[rows]
    located = np.isfinite(lon) & np.isfinite(lat)
    cx, cy = cells_of(lon[located], lat[located], config.diffusion_cell_km)
    event_keys, counts = np.unique(_pack(keys[located], cx, cy), return_counts=True)
    hot = event_keys[
        (counts >= config.diffusion_min_events) & np.isin(event_keys, ref_keys, assume_unique=True)
    ]
    numerator = np.bincount(hot >> (2 * _CELL_BITS), minlength=size).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), 0.0)


def _pack(
    units: npt.NDArray[np.int64], cx: npt.NDArray[np.int64], cy: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    mask = (1 << _CELL_BITS) - 1
    return (
        (units.astype(np.int64) << (2 * _CELL_BITS))
        | (((cx + _CELL_OFFSET) & mask) << _CELL_BITS)
        | ((cy + _CELL_OFFSET) & mask)
    )
