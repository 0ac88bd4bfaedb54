"""What a user asked to see: one filter model shared by every page, the URL and the CLI.

:class:`IncidentFilter` is immutable and hashable, so cached computations can key on it;
:meth:`IncidentFilter.mask` evaluates it on an in-memory frame in a few vectorised passes
(milliseconds on a million rows), and :meth:`to_query_params` / :meth:`from_query_params`
round-trip it through a URL so a copied link reopens the same view.

The corridor filter measures against the corridors it is given: the dashboard and the CLI
pass the store's active corridors (``incidents.store.corridors.active_corridor_segments``),
so a retired corridor matches nothing and an uploaded route is the one used; None means
the shipped geometry (tests, scripts without a store).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Final, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from geodata.corridors import CorridorsLike, corridor_set, within_corridor_km
from incidents.model import ACTOR_GROUPS, EVENT_TYPES, SOURCE_DATASETS
from incidents.query_links import bound_query_params
from incidents.settings import CORRIDOR_KM

CorridorMask: TypeAlias = Callable[[str, float, pd.DataFrame], npt.NDArray[np.bool_]]
"""``(corridor_id, km, frame) -> bool mask``: the geometry test of the corridor filter."""

#: Date presets offered in the sidebar: name -> days back from the end date (None: all data).
DATE_PRESETS: Final[Mapping[str, int | None]] = {
    "last_30": 30,
    "last_90": 90,
    "last_365": 365,
    "all": None,
    "custom": None,
}
DEFAULT_PRESET: Final = "last_365"
MAX_CORRIDOR_KM: Final = 200.0

_LIST_PARAMS: Final = {
    "country": "countries",
    "type": "event_types",
    "actor": "actor_groups",
    "admin1": "admin1_codes",
    "source": "sources",
}


@dataclass(frozen=True)
class IncidentFilter:
    """Every filter of the dashboard. Empty tuples mean "no restriction" except ``countries``.

    ``countries`` is always explicit: an empty selection shows nothing (and the UI says so),
    because silently widening to every country would mislead a security manager.
    """

    countries: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    preset: str = DEFAULT_PRESET
    event_types: tuple[str, ...] = ()
    actor_groups: tuple[str, ...] = ()
    min_fatalities: int = 0
    admin1_codes: tuple[str, ...] = ()
    corridor_id: str | None = None
    corridor_km: float = CORRIDOR_KM
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.preset not in DATE_PRESETS:
            raise ValueError(f"unknown date preset {self.preset!r}; allowed: {list(DATE_PRESETS)}")
        unknown = set(self.event_types) - set(EVENT_TYPES)
        if unknown:
            raise ValueError(f"unknown event type(s) {sorted(unknown)}; allowed: {list(EVENT_TYPES)}")
        unknown = set(self.actor_groups) - set(ACTOR_GROUPS)
        if unknown:
            raise ValueError(f"unknown actor group(s) {sorted(unknown)}; allowed: {list(ACTOR_GROUPS)}")
        unknown = set(self.sources) - set(SOURCE_DATASETS)
        if unknown:
            raise ValueError(f"unknown data source(s) {sorted(unknown)}; allowed: {list(SOURCE_DATASETS)}")
        if self.min_fatalities < 0:
            raise ValueError("min_fatalities must be >= 0")
        if not 0 < self.corridor_km <= MAX_CORRIDOR_KM:
            raise ValueError(f"corridor_km must be in (0, {MAX_CORRIDOR_KM:g}]")
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"start date {self.since} is after end date {self.until}")

    # ---- dates -----------------------------------------------------------------------

    def resolved(self, data_range: tuple[date, date] | None, today: date | None = None) -> IncidentFilter:
        """Fix ``since``/``until`` from the preset and the store's date range.

        Presets count back from the last date with data (not today), so a store whose
        newest import is a month old still shows a full window.
        """
        if self.preset == "custom" and self.since and self.until:
            return self
        end = data_range[1] if data_range else (today or date.today())
        days = DATE_PRESETS[self.preset]
        if days is None:
            start = data_range[0] if data_range else end - timedelta(days=365)
        else:
            start = end - timedelta(days=days - 1)
        return replace(self, since=start, until=end)

    def previous_period(self) -> tuple[date, date]:
        """The period of equal length just before this one (for change figures)."""
        if self.since is None or self.until is None:
            raise ValueError("resolve the filter's dates first")
        length = (self.until - self.since).days + 1
        end = self.since - timedelta(days=1)
        return end - timedelta(days=length - 1), end

    # ---- evaluation ------------------------------------------------------------------

    def mask(
        self,
        frame: pd.DataFrame,
        corridor_mask: CorridorMask | None = None,
        *,
        ignore_dates: bool = False,
        corridors: CorridorsLike = None,
    ) -> npt.NDArray[np.bool_]:
        """Boolean mask of the rows of ``frame`` (canonical columns) this filter keeps.

        The corridor filter keeps incidents within ``corridor_km`` of ``corridor_id`` among
        ``corridors`` (the store's active corridors; None: shipped), via
        :func:`corridor_mask_for`; a ``corridor_mask(corridor_id, km, frame)`` replaces that
        test. ``ignore_dates`` serves the previous-period comparison.
        """
        in_countries = frame["country_iso3"].isin(self.countries).to_numpy(dtype=bool, na_value=False)
        keep = np.array(in_countries, dtype=bool, copy=True)  # pandas may hand back a read-only view
        if not ignore_dates:
            dates = frame["event_date"]
            if self.since is not None:
                keep &= (dates >= pd.Timestamp(self.since)).to_numpy()
            if self.until is not None:
                keep &= (dates <= pd.Timestamp(self.until)).to_numpy()
        for column, chosen in (
            ("event_type", self.event_types),
            ("actor_group", self.actor_groups),
            ("admin1_code", self.admin1_codes),
            ("source_dataset", self.sources),
        ):
            if chosen:
                keep &= frame[column].isin(chosen).to_numpy(dtype=bool, na_value=False)
        if self.min_fatalities > 0:
            keep &= (frame["fatalities"] >= self.min_fatalities).to_numpy()
        if self.corridor_id is not None:
            test = corridor_mask if corridor_mask is not None else corridor_mask_for(corridors)
            keep &= test(self.corridor_id, self.corridor_km, frame)
        return keep

    # ---- URL ---------------------------------------------------------------------------

    def to_query_params(self) -> dict[str, str | list[str]]:
        """Query-string form: only what differs from the defaults, lists as repeated keys."""
        params: dict[str, str | list[str]] = {}
        for key, name in _LIST_PARAMS.items():
            values = getattr(self, name)
            if values:
                params[key] = list(values)
        params["period"] = self.preset
        if self.preset == "custom" and self.since and self.until:
            params["from"] = self.since.isoformat()
            params["to"] = self.until.isoformat()
        if self.min_fatalities:
            params["min_fatalities"] = str(self.min_fatalities)
        if self.corridor_id:
            params["corridor"] = self.corridor_id
            params["corridor_km"] = f"{self.corridor_km:g}"
        return params

    @classmethod
    def from_query_params(
        cls,
        params: Mapping[str, str | Sequence[str]],
        default_countries: Sequence[str],
        default_sources: Sequence[str] = (),
    ) -> IncidentFilter:
        """Parse a query string leniently: a bad value falls back to its default, never raises.

        Links are pasted by people and edited by hand; a typo must not break the page. Every
        value is first bounded by :func:`incidents.query_links.bound_query_params` (dates,
        numbers, codes); the dashboard shows that function's notices. ``default_sources``
        applies when the query names no known source (the real sources once the store holds
        real data: ``incidents.sources``).
        """
        params = bound_query_params(params).params

        def values(key: str) -> list[str]:
            raw = params.get(key)
            if raw is None:
                return []
            items = [raw] if isinstance(raw, str) else list(raw)
            return [part for item in items for part in str(item).split(",") if part]

        def first(key: str) -> str | None:
            found = values(key)
            return found[0] if found else None

        countries = tuple(values("country")) or tuple(default_countries)
        preset = first("period") or DEFAULT_PRESET
        if preset not in DATE_PRESETS:
            preset = DEFAULT_PRESET
        since = _parse_date(first("from"))
        until = _parse_date(first("to"))
        if preset == "custom" and not (since and until and since <= until):
            preset, since, until = DEFAULT_PRESET, None, None
        if preset != "custom":
            since = until = None
        corridor_km = _parse_float(first("corridor_km"), CORRIDOR_KM)
        if not 0 < corridor_km <= MAX_CORRIDOR_KM:
            corridor_km = CORRIDOR_KM
        return cls(
            countries=tuple(c.upper() for c in countries),
            since=since,
            until=until,
            preset=preset,
            event_types=tuple(v for v in values("type") if v in EVENT_TYPES),
            actor_groups=tuple(v for v in values("actor") if v in ACTOR_GROUPS),
            min_fatalities=max(0, int(_parse_float(first("min_fatalities"), 0))),
            admin1_codes=tuple(values("admin1")),
            corridor_id=first("corridor"),
            corridor_km=corridor_km,
            sources=tuple(v for v in values("source") if v in SOURCE_DATASETS) or tuple(default_sources),
        )


def corridor_mask_for(corridors: CorridorsLike = None) -> CorridorMask:
    """The corridor filter's test against ``corridors`` (None: the shipped corridors).

    A corridor id not among ``corridors`` (retired since a link or saved view was made)
    matches no incident: the filter never falls back to a line that is no longer in force.
    The buffer is :func:`geodata.corridors.within_corridor_km`'s, cached per corridor set.
    """
    chosen = corridor_set(corridors)
    known = frozenset(chosen.ids)

    def near(corridor_id: str, km: float, frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
        if corridor_id not in known:
            return np.zeros(len(frame), dtype=bool)
        lon = frame["longitude"].to_numpy(dtype=np.float64)
        lat = frame["latitude"].to_numpy(dtype=np.float64)
        return within_corridor_km(corridor_id, km, lon, lat, chosen)

    return near


def _parse_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse_float(text: str | None, default: float) -> float:
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        return default
    return value if np.isfinite(value) else default
