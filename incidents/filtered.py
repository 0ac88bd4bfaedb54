"""The filtered incidents a page shows, answered in memory or by the database: one interface.

Pages ask a :class:`FilteredIncidents` for their figures (key figures, top units, a time
series, the region × month matrix, the newest ids, the sources to credit) and, only when
they draw every point, for the rows. Two answers, the same figures:

* :class:`FrameIncidents`: the rows already filtered in memory (:func:`incidents.selection.apply_filter`);
  the fastest path on the embedded SQLite store, whose whole analysis frame a server holds.
* :class:`DatabaseIncidents`: the database filters and groups (:mod:`incidents.store.filtered_sql`)
  and the analytics shape a few hundred grouped rows (:data:`incidents.analytics.INCIDENT_COUNT`);
  a PostgreSQL server then never holds the store's millions of rows for these pages.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

import pandas as pd
from sqlalchemy import ColumnElement, and_

from geodata.corridors import CorridorsLike
from incidents.analytics import (
    LATEST_COUNT,
    KeyFigures,
    incident_series,
    incident_total,
    key_figures,
    latest_incident_ids,
    region_month_matrix,
    top_actor_groups,
    top_units,
    unit_trend,
)
from incidents.query import IncidentFilter
from incidents.store import IncidentStore
from incidents.store.filtered_sql import filter_condition, filter_texts, unit_condition

__all__ = ["SOURCE_KEYS", "DatabaseIncidents", "FilteredIncidents", "FrameIncidents"]

Level = Literal["admin1", "admin2"]
DateGrain = Literal["day", "month"]
#: What the credits and the demo notice need of the rows shown (incidents.credits).
SOURCE_KEYS: tuple[str, ...] = ("source_dataset", "batch_id")
#: One database scan grouped by these answers every figure without dates (counts, top units at
#: both levels, actor groups, the sources to credit): a few thousand groups at most.
SUMMARY_KEYS: tuple[str, ...] = (
    "country_iso3",
    "admin1_code",
    "admin1_name",
    "admin2_code",
    "admin2_name",
    "actor_group",
    *SOURCE_KEYS,
)


class FilteredIncidents(ABC):
    """The incidents of one filter (its period) and of the period just before it.

    Every figure comes from three frames an answer gives (:meth:`summary`, :meth:`_previous`,
    :meth:`_dated`): rows, or rows grouped by the database with their
    :data:`~incidents.analytics.INCIDENT_COUNT`; the analytics read both alike.
    """

    @abstractmethod
    def summary(self) -> pd.DataFrame:
        """The period's incidents by unit, actor group and source (rows, or groups weighted by
        :data:`~incidents.analytics.INCIDENT_COUNT`): what the analytics need without dates."""

    @abstractmethod
    def _previous(self) -> pd.DataFrame:
        """The previous period's incidents (totals are all that is read of them)."""

    @abstractmethod
    def _dated(self, keys: Sequence[str], grain: DateGrain) -> pd.DataFrame:
        """The period's incidents with their ``event_date`` (the day, or the month's first day)
        and the columns ``keys``."""

    @abstractmethod
    def latest_ids(self, n: int = LATEST_COUNT) -> tuple[str, ...]:
        """Ids of the ``n`` newest incidents (ties: the larger id first)."""

    @abstractmethod
    def map_points(self) -> pd.DataFrame:
        """``longitude``, ``latitude`` and ``fatalities`` of every matching incident: what a
        map's hexagons and heat layer draw (the database sends only these columns)."""

    @abstractmethod
    def rows(self) -> pd.DataFrame:
        """Every matching row's analysis columns (pages that draw or list each incident)."""

    @abstractmethod
    def within(self, level: Level, code: str) -> FilteredIncidents:
        """The same incidents, of one admin unit only (a region clicked on the map)."""

    def unit_trend(self, level: Level, code: str) -> pd.DataFrame:
        """Incidents and fatalities per month in one unit (:func:`incidents.analytics.unit_trend`)."""
        return unit_trend(self._dated((f"{level}_code",), "month"), level, code, "M")

    @property
    def count(self) -> int:
        return incident_total(self.summary())

    def key_figures(self) -> KeyFigures:
        return key_figures(self.summary(), self._previous())

    def top_units(self, level: Level, n: int) -> pd.DataFrame:
        return top_units(self.summary(), level, n)

    def top_actor_groups(self, n: int) -> pd.DataFrame:
        return top_actor_groups(self.summary(), n)

    def sources_shown(self) -> pd.DataFrame:
        """``source_dataset`` and ``batch_id`` of the rows shown, each pair at least once (credits)."""
        return self.summary()

    def series(
        self,
        *,
        freq: Literal["W", "M"],
        by: Literal["event_type", "actor_group", "country_iso3"] | None,
        measure: Literal["incidents", "fatalities"],
    ) -> pd.DataFrame:
        # Days for weeks: weeks start on Monday, which SQL dialects disagree on.
        dated = self._dated(() if by is None else (by,), "month" if freq == "M" else "day")
        return incident_series(dated, freq=freq, by=by, measure=measure)

    def region_month_matrix(
        self,
        *,
        level: Level,
        measure: Literal["incidents", "fatalities", "rate"],
        areas: pd.Series,
        sort: Literal["total", "name", "recent"],
        months: pd.PeriodIndex | None = None,
    ) -> pd.DataFrame:
        dated = self._dated((f"{level}_code", f"{level}_name", "country_iso3"), "month")
        return region_month_matrix(dated, level=level, measure=measure, areas=areas, sort=sort, months=months)


@dataclass(frozen=True)
class FrameIncidents(FilteredIncidents):
    """The answer from rows filtered in memory (``current``, ``previous``: :func:`apply_filter`'s pair)."""

    current: pd.DataFrame
    previous: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        return self.current

    def _previous(self) -> pd.DataFrame:
        return self.previous

    def _dated(self, keys: Sequence[str], grain: DateGrain) -> pd.DataFrame:
        return self.current

    def latest_ids(self, n: int = LATEST_COUNT) -> tuple[str, ...]:
        return latest_incident_ids(self.current, n)

    def map_points(self) -> pd.DataFrame:
        return self.current

    def rows(self) -> pd.DataFrame:
        return self.current

    def within(self, level: Level, code: str) -> FrameIncidents:
        def of_unit(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[
                frame[f"{level}_code"].astype("string").eq(code).to_numpy(dtype=bool, na_value=False)
            ]

        return FrameIncidents(of_unit(self.current), of_unit(self.previous))


@dataclass(frozen=True)
class DatabaseIncidents(FilteredIncidents):
    """The answer from the database: every figure from grouped rows, rows only when asked for.

    Subclass and override its four reads (:meth:`grouped`, :meth:`latest_ids`, :meth:`map_points`,
    :meth:`rows`) to cache them (the dashboard does, in one place); every figure is built on them.
    """

    store: IncidentStore
    filter: IncidentFilter  # dates resolved
    corridors: CorridorsLike = field(default=None, repr=False)
    unit: tuple[Level, str] | None = None  # (level, code): one admin unit only (:meth:`within`)
    #: Each period's summary, split once: a page run asks for it five to ten times (figures, banner,
    #: credits, the map's shading) and a view lives for one run.
    _periods: dict[bool, pd.DataFrame] = field(default_factory=dict, init=False, repr=False, compare=False)

    def grouped(
        self,
        keys: Sequence[str],
        dates: DateGrain | None = None,
        previous: bool = False,
        both: bool = False,
    ) -> pd.DataFrame:
        """The matching incidents grouped by ``keys`` (and by day or month), of the
        filter's period, the one before it, or ``both`` (with ``before_split``, true for the
        one before): :meth:`IncidentStore.grouped_incidents`."""
        since, until = self.filter.since, self.filter.until
        assert since is not None and until is not None  # the filter's dates are resolved
        period = self.filter.previous_period() if previous else None
        if both:
            period = (self.filter.previous_period()[0], until)
        split = since if both else None
        return self.store.grouped_incidents(self._where(period), tuple(keys), dates, split=split)

    def _where(self, period: tuple[date, date] | None = None) -> ColumnElement[bool]:
        unit_texts = () if self.unit is None else (self.unit[1],)
        label_ids = self.store.label_ids((*filter_texts(self.filter), *unit_texts))
        where = filter_condition(self.filter, self.corridors, label_ids, period, self.store.postgis_schema())
        return where if self.unit is None else and_(where, unit_condition(*self.unit, label_ids))

    def summary(self) -> pd.DataFrame:
        """The period's incidents grouped by :data:`SUMMARY_KEYS`: one scan, shared with the
        previous period's totals, serves the Overview."""
        return self._of_period(before=False)

    def _previous(self) -> pd.DataFrame:
        return self._of_period(before=True)

    def _of_period(self, *, before: bool) -> pd.DataFrame:
        if not self._periods:
            both = self.grouped(SUMMARY_KEYS, both=True)
            earlier = both["before_split"].to_numpy(dtype=bool)
            for flag in (False, True):
                self._periods[flag] = (
                    both[earlier == flag].drop(columns="before_split").reset_index(drop=True)
                )
        return self._periods[before].copy(deep=False)  # copy-on-write: a caller's change stays its own

    def _dated(self, keys: Sequence[str], grain: DateGrain) -> pd.DataFrame:
        return self.grouped(keys, grain)

    def latest_ids(self, n: int = LATEST_COUNT) -> tuple[str, ...]:
        return self.store.newest_incident_ids(self._where(), n)

    def map_points(self) -> pd.DataFrame:
        return self.store.load_map_points(self._where())

    def rows(self) -> pd.DataFrame:
        return self.store.load_analysis_frame(where=self._where())

    def within(self, level: Level, code: str) -> DatabaseIncidents:
        return replace(self, unit=(level, code))
