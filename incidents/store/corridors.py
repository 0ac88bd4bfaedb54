"""Corridor maintenance in the store: versions, edits, retirement, and what was in force when.

Every change writes a new row of ``corridor_versions`` (version = previous + 1) and never
touches an old one, so an analysis can name the versions it used and be reproduced with
:func:`active_corridor_segments` ``(as_of=...)``. A version's metadata (name, armed groups,
sources, confidence) overrides the same properties on its segments when they are read.
Every change is audited (``corridor_add``, ``corridor_edit``, ``corridor_retire``) and
bumps the store's ``data_version`` in the same transaction.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any, Final

import geopandas as gpd
import pandas as pd
from pyproj import Geod
from sqlalchemy import select

from geodata.corridors import SEGMENT_COLUMNS
from geodata.crs import WGS84
from incidents.auth.roles import Permission, User, require
from incidents.errors import CorridorNotFoundError, StoreError
from incidents.i18n import _
from incidents.store import schema
from incidents.store.sql import IncidentStore
from incidents.store.versioned import append_version

CONFIDENCE_LEVELS: Final = ("low", "medium", "high")
CORRIDOR_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
#: Columns of :func:`list_corridor_versions` (everything but the geometry text, plus its summary).
VERSION_COLUMNS: Final = (
    "corridor_id",
    "version",
    "status",
    "name",
    "armed_groups",
    "sources",
    "confidence",
    "segments",
    "length_km",
    "note",
    "created_by",
    "created_at",
    "version_id",
    "source_refs",
)
#: Columns of :func:`active_corridor_segments` besides the geometry.
ACTIVE_COLUMNS: Final = (*SEGMENT_COLUMNS, "version", "confidence")

_GEOD = Geod(ellps="WGS84")
_UNSET: Any = object()


# ---- reading ----------------------------------------------------------------------------


def _version_rows(store: IncidentStore, corridor_id: str | None = None) -> pd.DataFrame:
    table = schema.corridor_versions
    query = select(table)
    if corridor_id is not None:
        query = query.where(table.c.corridor_id == corridor_id)
    with store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    frame = pd.DataFrame(rows, columns=[column.name for column in table.columns])
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)  # SQLite returns naive UTC
    frame["version"] = frame["version"].astype("int64")
    frame["_order"] = frame["corridor_id"].map(_natural_key)
    return (
        frame.sort_values(["_order", "version"], kind="stable").drop(columns="_order").reset_index(drop=True)
    )


def _natural_key(corridor_id: object) -> tuple[str, float, str]:
    """Sort "C2" before "C10"; other ids alphabetically after."""
    text = str(corridor_id)
    match = re.match(r"^(\D*)(\d+)$", text)
    return (match.group(1), float(match.group(2)), text) if match else (text, math.inf, text)


def _in_force(versions: pd.DataFrame, as_of: datetime | None) -> pd.DataFrame:
    """The latest version of each corridor (created at or before ``as_of``), active ones only."""
    if as_of is not None:
        stamp = pd.Timestamp(as_of)
        stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
        versions = versions[versions["created_at"] <= stamp]
    latest = versions.groupby("corridor_id", sort=False).tail(1)  # rows are sorted by version
    return latest[latest["status"] == "active"]


def _segments_of(row: pd.Series) -> gpd.GeoDataFrame:
    """A version's segments, with the version's metadata on every segment."""
    segments = gpd.GeoDataFrame.from_features(json.loads(row["segments_geojson"]), crs=WGS84)
    for column in SEGMENT_COLUMNS:
        if column not in segments.columns:
            segments[column] = "" if column not in ("connector", "branch") else False
    segments["corridor_id"] = str(row["corridor_id"])
    segments["corridor_name"] = str(row["name"])
    segments["armed_groups"] = str(row["armed_groups"])
    segments["sources"] = str(row["sources"])
    segments["source_refs"] = str(row["source_refs"])
    segments["version"] = int(row["version"])
    segments["confidence"] = str(row["confidence"])
    return segments


def active_corridor_segments(store: IncidentStore, as_of: datetime | None = None) -> gpd.GeoDataFrame:
    """Segments of every active corridor, one feature per segment (EPSG:4326).

    Without ``as_of``: the latest version of each corridor, if it is active. With ``as_of``:
    the versions in force at that moment (latest created at or before it), so a past
    analysis can be reproduced. Columns: :data:`ACTIVE_COLUMNS` and ``geometry``.
    """
    chosen = _in_force(_version_rows(store), as_of)
    frames = [_segments_of(row) for _, row in chosen.iterrows()]
    columns = [*ACTIVE_COLUMNS, "geometry"]
    if not frames:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=WGS84)
    result = pd.concat(frames, ignore_index=True)
    result["segment"] = result["segment"].astype("int64")
    result["connector"] = result["connector"].astype(bool)
    result["branch"] = result["branch"].astype(bool)
    return gpd.GeoDataFrame(result[columns], geometry="geometry", crs=WGS84)


def versions_in_use(segments: gpd.GeoDataFrame) -> str:
    """``"C1 v1, C2 v3"``: which corridor versions an analysis used (printed so it can be reproduced)."""
    if segments.empty:
        return "none in force (a version counts from the moment it was stored)"
    pairs = segments[["corridor_id", "version"]].drop_duplicates()
    ordered = sorted(
        zip(pairs["corridor_id"], pairs["version"], strict=True), key=lambda p: _natural_key(p[0])
    )
    return ", ".join(f"{corridor_id} v{int(version)}" for corridor_id, version in ordered)


def list_corridor_versions(store: IncidentStore, corridor_id: str | None = None) -> pd.DataFrame:
    """Every version (of one corridor, or all), oldest first per corridor; columns :data:`VERSION_COLUMNS`.

    ``segments`` and ``length_km`` summarise the stored geometry.
    """
    versions = _version_rows(store, corridor_id)
    counts, lengths = [], []
    for text in versions["segments_geojson"]:
        features = json.loads(text).get("features", [])
        counts.append(len(features))
        lengths.append(round(sum(float(f["properties"].get("length_km") or 0) for f in features), 1))
    versions["segments"] = pd.Series(counts, index=versions.index, dtype="int64")
    versions["length_km"] = pd.Series(lengths, index=versions.index, dtype="float64")
    return versions[list(VERSION_COLUMNS)]


# ---- writing ----------------------------------------------------------------------------


def add_corridor_version(
    store: IncidentStore,
    corridor_id: str,
    segments: gpd.GeoDataFrame,
    *,
    name: str,
    armed_groups: str = "",
    sources: str = "",
    source_refs: str = "",
    confidence: str = "medium",
    note: str = "",
    by: User,
) -> int:
    """Store ``segments`` as a new active version of ``corridor_id`` (a new corridor, or new geometry).

    Returns the new version number. Segments are renumbered 1..n in their order and their
    geodesic ``length_km`` recomputed; audited as ``corridor_add``.
    """
    require(by, Permission.EDIT_REFERENCE, target=f"corridor {corridor_id}")
    _check_id(corridor_id)
    _check_confidence(confidence)
    if not str(name).strip():
        raise ValueError(_("name must not be empty"))
    clean = _clean_segments(corridor_id, segments)
    metadata = {
        "name": str(name).strip(),
        "armed_groups": str(armed_groups),
        "sources": str(sources),
        "source_refs": str(source_refs),
        "confidence": confidence,
    }
    text = clean.to_json(drop_id=True)
    return _write_version(store, corridor_id, "corridor_add", metadata, text, "active", note, by.name)


def edit_corridor_metadata(
    store: IncidentStore,
    corridor_id: str,
    *,
    name: str = _UNSET,
    armed_groups: str = _UNSET,
    sources: str = _UNSET,
    source_refs: str = _UNSET,
    confidence: str = _UNSET,
    note: str = "",
    by: User,
) -> int:
    """New version with the same geometry and the given metadata changed; audited as ``corridor_edit``."""
    require(by, Permission.EDIT_REFERENCE, target=f"corridor {corridor_id}")
    latest = _latest(store, corridor_id)
    if latest["status"] != "active":
        raise StoreError(
            _(
                "corridor {corridor} is retired; upload its geometry again to bring it back before editing"
            ).format(corridor=repr(corridor_id))
        )
    changes = {
        "name": name,
        "armed_groups": armed_groups,
        "sources": sources,
        "source_refs": source_refs,
        "confidence": confidence,
    }
    metadata = {key: (str(latest[key]) if value is _UNSET else str(value)) for key, value in changes.items()}
    _check_confidence(metadata["confidence"])
    if not metadata["name"].strip():
        raise ValueError(_("name must not be empty"))
    changed = sorted(key for key in changes if metadata[key] != str(latest[key]))
    if not changed:
        raise ValueError(
            _("nothing to change for corridor {corridor}: the values equal version {version}").format(
                corridor=repr(corridor_id), version=latest["version"]
            )
        )
    note = note or f"edited {', '.join(changed)}"
    return _write_version(
        store,
        corridor_id,
        "corridor_edit",
        metadata,
        str(latest["segments_geojson"]),
        "active",
        note,
        by.name,
    )


def retire_corridor(store: IncidentStore, corridor_id: str, *, by: User, note: str = "") -> int:
    """New version with status ``retired`` (hidden from analysis, kept in history); ``corridor_retire``."""
    require(by, Permission.EDIT_REFERENCE, target=f"corridor {corridor_id}")
    latest = _latest(store, corridor_id)
    if latest["status"] == "retired":
        raise StoreError(
            _("corridor {corridor} is already retired (version {version})").format(
                corridor=repr(corridor_id), version=latest["version"]
            )
        )
    metadata = {
        key: str(latest[key]) for key in ("name", "armed_groups", "sources", "source_refs", "confidence")
    }
    return _write_version(
        store,
        corridor_id,
        "corridor_retire",
        metadata,
        str(latest["segments_geojson"]),
        "retired",
        note or "retired",
        by.name,
    )


def _latest(store: IncidentStore, corridor_id: str) -> pd.Series:
    versions = _version_rows(store, corridor_id)
    if versions.empty:
        known = sorted(_version_rows(store)["corridor_id"].unique(), key=_natural_key)
        raise CorridorNotFoundError(
            _("no corridor {corridor} in the store; known: {known}").format(
                corridor=repr(corridor_id), known=known
            )
        )
    return versions.iloc[-1]


def _write_version(
    store: IncidentStore,
    corridor_id: str,
    action: str,
    metadata: dict[str, str],
    segments_geojson: str,
    status: str,
    note: str,
    user_name: str,
) -> int:
    return append_version(
        store,
        schema.corridor_versions,
        {"corridor_id": corridor_id},
        {"status": status, "segments_geojson": segments_geojson, "note": note, **metadata},
        user_name=user_name,
        action=action,
        details=lambda version: f"corridor {corridor_id} version {version}: {note}",
        busy=_(
            "corridor {corridor} was changed by someone else at the same time; reload and try again"
        ).format(corridor=repr(corridor_id)),
    )


def _check_id(corridor_id: str) -> None:
    if not isinstance(corridor_id, str) or not CORRIDOR_ID_PATTERN.match(corridor_id):
        raise ValueError(
            _("corridor_id {corridor} must be 1-32 letters, digits, '.', '_' or '-' (e.g. 'C10')").format(
                corridor=repr(corridor_id)
            )
        )


def _check_confidence(confidence: str) -> None:
    if confidence not in CONFIDENCE_LEVELS:
        raise ValueError(
            _("confidence {confidence} not in {allowed}").format(
                confidence=repr(confidence), allowed=list(CONFIDENCE_LEVELS)
            )
        )


def _clean_segments(corridor_id: str, segments: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Segments ready to store: lines only, EPSG:4326, numbered 1..n, lengths recomputed."""
    if segments is None or len(segments) == 0:
        raise ValueError(_("corridor {corridor}: no segments to store").format(corridor=repr(corridor_id)))
    frame = segments.to_crs(WGS84) if segments.crs is not None else segments.set_crs(WGS84)
    kinds = set(frame.geom_type.dropna())
    if frame.geometry.isna().any() or frame.geometry.is_empty.any() or not kinds <= {"LineString"}:
        raise ValueError(
            _("corridor {corridor}: every segment must be a non-empty LineString; found {kinds}").format(
                corridor=repr(corridor_id), kinds=sorted(kinds)
            )
        )
    frame = frame.reset_index(drop=True).copy()
    for column in SEGMENT_COLUMNS:
        if column not in frame.columns:
            frame[column] = False if column in ("connector", "branch") else ""
    frame["corridor_id"] = corridor_id
    frame["segment"] = range(1, len(frame) + 1)
    frame["connector"] = frame["connector"].fillna(False).astype(bool)
    frame["branch"] = frame["branch"].fillna(False).astype(bool)
    frame["length_km"] = [round(_GEOD.geometry_length(line) / 1000, 3) for line in frame.geometry]
    for column in SEGMENT_COLUMNS:
        if column not in ("segment", "connector", "branch", "length_km"):
            frame[column] = frame[column].fillna("").astype(str)
    return gpd.GeoDataFrame(frame[[*SEGMENT_COLUMNS, "geometry"]], geometry="geometry", crs=WGS84)
