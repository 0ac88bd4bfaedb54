"""Saved views: named combinations of filters, map options and map position, kept in the store.

A briefer saves what the dashboard shows under a name and steps through the saved views
like slides; the PDF/PNG exports render the same views. Views live in the store (table
``saved_views``), so they survive restarts and everyone using the store shares them.

Every change is validated first (a typed error quoting the bad value), written in one
transaction with its audit row, and bumps ``data_version`` so cached lists refresh.
Positions are kept contiguous, 1..n, in briefing order.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qs

import pandas as pd
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from incidents.auth.roles import Permission, User, require
from incidents.errors import ViewError, ViewExistsError, ViewNotFoundError
from incidents.i18n import _
from incidents.query import IncidentFilter
from incidents.store import schema
from incidents.store.sql import IncidentStore

MAX_NAME_CHARS: Final = 120  # the column's width (schema.saved_views.name)
MAX_QUERY_CHARS: Final = 8_000
MAX_ZOOM: Final = 20
VIEW_FIELDS: Final = (
    "view_id",
    "name",
    "position",
    "title",
    "notes",
    "query",
    "center_lat",
    "center_lon",
    "zoom",
    "layers",
    "created_by",
    "updated_at",
)


@dataclass(frozen=True)
class SavedView:
    """One saved view.

    ``query`` is a URL query string: the filter (:meth:`IncidentFilter.to_query_params`) plus
    page options such as ``basemap=none&map_heat=count``. ``layers`` names the visible map
    layers (e.g. ``"heat:count"``, ``"hexagons"``, ``"choropleth:per_10k_km2:admin1"``,
    ``"admin2"``, ``"buffers"``). ``center_lat``/``center_lon``/``zoom`` are ``None`` when the
    map should fit the incidents. ``position``, ``view_id``, ``created_by`` and
    ``updated_at`` are set by the store (ignored by :func:`save_view`).
    """

    name: str
    title: str = ""
    notes: str = ""
    query: str = ""
    center_lat: float | None = None
    center_lon: float | None = None
    zoom: int | None = None
    layers: tuple[str, ...] = field(default_factory=tuple)
    position: int | None = None
    view_id: int | None = None
    created_by: str = ""
    updated_at: datetime | None = None

    def query_params(self) -> dict[str, list[str]]:
        """The query string as a mapping of key -> values (repeated keys kept)."""
        return parse_qs(self.query, keep_blank_values=False)

    def incident_filter(
        self, default_countries: Sequence[str], default_sources: Sequence[str] = ()
    ) -> IncidentFilter:
        """The saved filter (dates not yet resolved), parsed leniently like a pasted link.

        A view saved without a source choice gets ``default_sources`` (real sources only
        once the store holds real data), like a link without one.
        """
        return IncidentFilter.from_query_params(self.query_params(), default_countries, default_sources)

    @property
    def center(self) -> tuple[float, float] | None:
        if self.center_lat is None or self.center_lon is None:
            return None
        return (self.center_lat, self.center_lon)


# ---- validation ---------------------------------------------------------------------------


def check_name(value: object) -> str:
    """A view name: 1-120 printable characters, surrounding spaces removed."""
    text = str(value).strip() if value is not None else ""
    if not text:
        raise ViewError(_("the view name is empty; give the view a short name such as 'mopti-weekly'"))
    if len(text) > MAX_NAME_CHARS:
        raise ViewError(
            _("view name {name}… is longer than {limit} characters").format(
                name=repr(text[:40]), limit=MAX_NAME_CHARS
            )
        )
    if not text.isprintable():
        raise ViewError(
            _("view name {name} holds control characters (line breaks, tabs)").format(name=repr(text))
        )
    return text


def _check_query(value: object) -> str:
    text = str(value).strip().lstrip("?") if value is not None else ""
    if len(text) > MAX_QUERY_CHARS:
        raise ViewError(
            _("the view's query string is longer than {limit} characters").format(limit=MAX_QUERY_CHARS)
        )
    if not text.isprintable():
        raise ViewError(
            _("the view's query string {query} holds control characters").format(query=repr(text[:60]))
        )
    try:
        parse_qs(text, strict_parsing=bool(text))
    except ValueError as exc:
        raise ViewError(
            _("query {query} is not a URL query string like 'country=MLI&period=all'").format(
                query=repr(text[:60])
            )
        ) from exc
    return text


def _check_position(lat: object, lon: object, zoom: object) -> tuple[float | None, float | None, int | None]:
    if (lat is None) != (lon is None):
        raise ViewError(
            _("map centre needs both latitude and longitude, got {lat}, {lon}").format(
                lat=repr(lat), lon=repr(lon)
            )
        )
    checked_lat = checked_lon = None
    if lat is not None and lon is not None:
        try:
            checked_lat, checked_lon = float(lat), float(lon)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ViewError(
                _("map centre {lat}, {lon} is not a pair of numbers").format(lat=repr(lat), lon=repr(lon))
            ) from exc
        if not (math.isfinite(checked_lat) and -90 <= checked_lat <= 90):
            raise ViewError(_("map centre latitude {lat} is not in [-90, 90]").format(lat=repr(lat)))
        if not (math.isfinite(checked_lon) and -180 <= checked_lon <= 180):
            raise ViewError(_("map centre longitude {lon} is not in [-180, 180]").format(lon=repr(lon)))
    checked_zoom = None
    if zoom is not None:
        zoom_problem = _("zoom {zoom} is not a number between 0 and {limit}").format(
            zoom=repr(zoom), limit=MAX_ZOOM
        )
        try:
            raw_zoom = float(zoom)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ViewError(zoom_problem) from exc
        if not (math.isfinite(raw_zoom) and 0 <= raw_zoom <= MAX_ZOOM):
            raise ViewError(zoom_problem)
        checked_zoom = round(raw_zoom)  # Leaflet may report fractional zooms; the column is whole
    return checked_lat, checked_lon, checked_zoom


def _check_layers(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ViewError(
            _("layers {layers} must be a list of layer names such as ['heat:count', 'hexagons']").format(
                layers=repr(value)
            )
        )
    layers = tuple(str(item).strip() for item in value)
    if any(not item for item in layers):
        raise ViewError(_("layers {layers} holds an empty layer name").format(layers=repr(list(value))))
    return tuple(dict.fromkeys(layers))


def validate_view(view: SavedView) -> SavedView:
    """The view with its fields checked and normalised; :class:`ViewError` quoting the bad value."""
    name = check_name(view.name)
    lat, lon, zoom = _check_position(view.center_lat, view.center_lon, view.zoom)
    return replace(
        view,
        name=name,
        title=str(view.title or "").strip() or name,
        notes=str(view.notes or "").strip(),
        query=_check_query(view.query),
        center_lat=lat,
        center_lon=lon,
        zoom=zoom,
        layers=_check_layers(view.layers),
    )


# ---- reading ---------------------------------------------------------------------------------


def _from_row(row: Any) -> SavedView:
    """A :class:`SavedView` from a ``saved_views`` row mapping."""
    try:
        layers = tuple(str(item) for item in json.loads(row["layers"] or "[]"))
    except (ValueError, TypeError):
        layers = ()  # a hand-edited row must not break the briefing
    return SavedView(
        name=row["name"],
        title=row["title"],
        notes=row["notes"],
        query=row["query"],
        center_lat=row["center_lat"],
        center_lon=row["center_lon"],
        zoom=row["zoom"],
        layers=layers,
        position=int(row["position"]),
        view_id=int(row["view_id"]),
        created_by=row["created_by"],
        updated_at=pd.Timestamp(row["updated_at"]).to_pydatetime(),
    )


def _ordered(conn: Any) -> list[SavedView]:
    table = schema.saved_views
    rows = conn.execute(select(table).order_by(table.c.position, table.c.view_id)).mappings().all()
    return [_from_row(row) for row in rows]


def load_views(store: IncidentStore) -> list[SavedView]:
    """Every saved view as :class:`SavedView`, in briefing order."""
    with store.engine.connect() as conn:
        return _ordered(conn)


def list_views(store: IncidentStore) -> pd.DataFrame:
    """Every saved view, one row each, ordered by position; ``layers`` as a list."""
    views = load_views(store)
    rows = [{name: getattr(view, name) for name in VIEW_FIELDS} for view in views]
    frame = pd.DataFrame(rows, columns=list(VIEW_FIELDS))
    frame["layers"] = [list(view.layers) for view in views]
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], utc=True)
    return frame


def get_view(store: IncidentStore, name: str) -> SavedView | None:
    """The view called ``name`` (surrounding spaces ignored), or ``None``."""
    table = schema.saved_views
    with store.engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.name == str(name).strip())).mappings().first()
    return None if row is None else _from_row(row)


# ---- writing ---------------------------------------------------------------------------------


def _values(view: SavedView, user_name: str) -> dict[str, Any]:
    return {
        "title": view.title,
        "notes": view.notes,
        "query": view.query,
        "center_lat": view.center_lat,
        "center_lon": view.center_lon,
        "zoom": view.zoom,
        "layers": json.dumps(list(view.layers)),
        "created_by": user_name,
        "updated_at": datetime.now(UTC),
    }


def _require(conn: Any, name: str) -> SavedView:
    table = schema.saved_views
    row = conn.execute(select(table).where(table.c.name == name)).mappings().first()
    if row is None:
        known = [view.name for view in _ordered(conn)]
        raise ViewNotFoundError(
            _("no saved view named {name}; saved views: {known}").format(name=repr(name), known=known)
        )
    return _from_row(row)


def _renumber(conn: Any, names: list[str]) -> None:
    table = schema.saved_views
    for position, name in enumerate(names, start=1):
        conn.execute(update(table).where(table.c.name == name).values(position=position))


def save_view(store: IncidentStore, view: SavedView, *, by: User) -> int:
    """Create the view, or update the one with the same name (keeping its position); return its id.

    Audited as ``view_create`` or ``view_update`` (with the user); ``created_by`` is the creator.
    """
    require(by, Permission.EDIT_REFERENCE, target="saved views")
    user_name = by.name
    checked = validate_view(view)
    table = schema.saved_views
    try:
        with store.engine.begin() as conn:
            existing = conn.execute(
                select(table.c.view_id).where(table.c.name == checked.name)
            ).scalar_one_or_none()
            if existing is None:
                last = conn.execute(select(func.max(table.c.position))).scalar_one_or_none()
                result = conn.execute(
                    table.insert().values(
                        name=checked.name, position=int(last or 0) + 1, **_values(checked, user_name)
                    )
                )
                inserted = result.inserted_primary_key
                assert inserted is not None
                view_id, action = int(inserted[0]), "view_create"
            else:
                values = _values(checked, user_name)
                del values["created_by"]  # the creator stays; the audit row names who updated it
                conn.execute(update(table).where(table.c.view_id == existing).values(**values))
                view_id, action = int(existing), "view_update"
            store._log(conn, user_name, action, None, f"{checked.name}: {checked.title}"[:500])
            store._bump_version(conn)
    except IntegrityError as exc:  # another session created the same name meanwhile
        raise ViewExistsError(
            _("a view named {name} was saved at the same time; try again").format(name=repr(checked.name))
        ) from exc
    return view_id


def rename_view(store: IncidentStore, old: str, new: str, *, by: User) -> None:
    """Give the view ``old`` the name ``new`` (links to the old name stop working)."""
    require(by, Permission.EDIT_REFERENCE, target="saved views")
    user_name = by.name
    new_name = check_name(new)
    old_name = str(old).strip()
    table = schema.saved_views
    with store.engine.begin() as conn:
        _require(conn, old_name)
        if new_name == old_name:
            return
        if conn.execute(select(table.c.view_id).where(table.c.name == new_name)).first() is not None:
            raise ViewExistsError(
                _("a view named {name} already exists; choose another name").format(name=repr(new_name))
            )
        conn.execute(
            update(table).where(table.c.name == old_name).values(name=new_name, updated_at=datetime.now(UTC))
        )
        store._log(conn, user_name, "view_rename", None, f"{old_name} -> {new_name}"[:500])
        store._bump_version(conn)


def move_view(store: IncidentStore, name: str, new_position: int, *, by: User) -> int:
    """Move the view to ``new_position`` (1 = first; clamped to 1..n); return the position used."""
    require(by, Permission.EDIT_REFERENCE, target="saved views")
    user_name = by.name
    if isinstance(new_position, bool) or not isinstance(new_position, int):
        raise ViewError(_("position {position} is not a whole number").format(position=repr(new_position)))
    view_name = str(name).strip()
    with store.engine.begin() as conn:
        _require(conn, view_name)
        names = [view.name for view in _ordered(conn)]
        old_index = names.index(view_name)
        target = min(max(new_position, 1), len(names))
        names.pop(old_index)
        names.insert(target - 1, view_name)
        if target == old_index + 1:
            _renumber(conn, names)  # positions may have gaps from concurrent writes: close them
            return target
        _renumber(conn, names)
        store._log(conn, user_name, "view_move", None, f"{view_name}: {old_index + 1} -> {target}")
        store._bump_version(conn)
    return target


def delete_view(store: IncidentStore, name: str, *, by: User) -> None:
    """Remove the view and close the gap in the order; audited with its title."""
    require(by, Permission.EDIT_REFERENCE, target="saved views")
    user_name = by.name
    view_name = str(name).strip()
    table = schema.saved_views
    with store.engine.begin() as conn:
        old = _require(conn, view_name)
        conn.execute(delete(table).where(table.c.name == view_name))
        _renumber(conn, [view.name for view in _ordered(conn)])
        store._log(conn, user_name, "view_delete", None, f"{old.name}: {old.title}"[:500])
        store._bump_version(conn)
