"""The dashboard's filter as a SQL condition on ``incident_rows``, so the database does the work.

:meth:`incidents.query.IncidentFilter.mask` answers a filter on the in-memory frame; this
module answers the same filter in SQL, with the same rows kept: label columns compare by
label id (looked up from the filter's texts), dates by day number, and the corridor filter
tests each point against the very buffer polygon the in-memory path uses
(:func:`geodata.corridors.corridor_buffers`), with PostGIS ``ST_Contains`` behind a plain
bounding-box test that rules out most rows before the polygon is tried. The corridor filter
needs PostGIS (:func:`answers_in_sql`); every other filter runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import shapely
from sqlalchemy import ColumnElement, LargeBinary, and_, bindparam, false, func, true

from geodata.corridors import CorridorsLike, corridor_buffers, corridor_set
from incidents.query import IncidentFilter
from incidents.store import schema
from incidents.store.sql import IncidentStore, day_number

__all__ = ["answers_in_sql", "filter_condition", "filter_texts", "unit_condition"]

#: WGS 84: the store's longitudes and latitudes, and the corridor buffers'.
_WGS84 = 4326


def answers_in_sql(store: IncidentStore, chosen: IncidentFilter) -> bool:
    """Whether ``store`` can answer ``chosen`` in SQL: always, except a corridor filter without PostGIS."""
    return chosen.corridor_id is None or store.postgis_schema() is not None


def filter_texts(chosen: IncidentFilter) -> tuple[str, ...]:
    """Every text ``chosen`` compares a label column with (look their ids up for :func:`filter_condition`)."""
    return (
        *chosen.countries,
        *chosen.event_types,
        *chosen.actor_groups,
        *chosen.admin1_codes,
        *chosen.sources,
    )


def filter_condition(
    chosen: IncidentFilter,
    corridors: CorridorsLike,
    label_ids: Mapping[str, int],
    period: tuple[date, date] | None = None,
    postgis_schema: str | None = None,
) -> ColumnElement[bool]:
    """The rows of ``incident_rows`` that ``chosen`` keeps, dated within ``period``.

    ``label_ids`` maps the filter's texts (:func:`filter_texts`) to label ids
    (:meth:`IncidentStore.label_ids`); a text without one matches nothing. ``period``
    defaults to the filter's own dates (resolve them first); pass
    :meth:`IncidentFilter.previous_period` for the change figures. ``corridors`` are the
    store's active corridors, as for the in-memory filter (a retired corridor matches nothing).
    A corridor filter needs ``postgis_schema`` (:meth:`IncidentStore.postgis_schema`).
    """
    if period is None:
        if chosen.since is None or chosen.until is None:
            raise ValueError("resolve the filter's dates before turning it into SQL")
        period = (chosen.since, chosen.until)
    table = schema.incident_rows
    if not chosen.countries:
        return false()
    parts: list[ColumnElement[bool]] = [
        _label_in(table.c.country_iso3, chosen.countries, label_ids),
        table.c.event_day >= day_number(period[0]),
        table.c.event_day <= day_number(period[1]),
    ]
    for column, values in (
        (table.c.event_type, chosen.event_types),
        (table.c.actor_group, chosen.actor_groups),
        (table.c.admin1_code, chosen.admin1_codes),
        (table.c.source_dataset, chosen.sources),
    ):
        if values:
            parts.append(_label_in(column, values, label_ids))
    if chosen.min_fatalities > 0:
        parts.append(table.c.fatalities >= chosen.min_fatalities)
    if chosen.corridor_id is not None:
        if postgis_schema is None:
            raise ValueError("the corridor filter in SQL needs PostGIS: answer it in memory")
        parts.append(_near_corridor(chosen.corridor_id, chosen.corridor_km, corridors, postgis_schema))
    return and_(true(), *parts)


def unit_condition(level: str, code: str, label_ids: Mapping[str, int]) -> ColumnElement[bool]:
    """The rows of one admin unit (``level``: admin1 or admin2; ``label_ids`` holds ``code``'s id)."""
    if level not in ("admin1", "admin2"):
        raise ValueError(f"unknown unit level {level!r}; allowed: ['admin1', 'admin2']")
    return _label_in(schema.incident_rows.c[f"{level}_code"], (code,), label_ids)


def _label_in(column: Any, texts: Sequence[str], label_ids: Mapping[str, int]) -> ColumnElement[bool]:
    ids = sorted({label_ids[text] for text in texts if text in label_ids})
    return column.in_(ids) if ids else false()


def _near_corridor(
    corridor_id: str, km: float, corridors: CorridorsLike, postgis_schema: str
) -> ColumnElement[bool]:
    """Points inside the corridor's buffer polygon (PostGIS): the in-memory filter's own test."""
    if corridor_id not in corridor_set(corridors).ids:
        return false()
    polygon = corridor_buffers(km, corridors)[corridor_id]
    west, south, east, north = polygon.bounds
    table = schema.incident_rows
    wkb = bindparam("corridor_buffer", shapely.to_wkb(polygon), type_=LargeBinary, unique=True)
    postgis = getattr(func, postgis_schema)  # schema-qualified: found whatever the search_path
    area = postgis.ST_GeomFromWKB(wkb, _WGS84)
    point = postgis.ST_SetSRID(postgis.ST_MakePoint(table.c.longitude, table.c.latitude), _WGS84)
    return and_(
        table.c.longitude.between(west, east),
        table.c.latitude.between(south, north),
        postgis.ST_Contains(area, point),
    )
