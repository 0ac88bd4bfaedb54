"""Corridor versions in the store (SQLite and PostgreSQL): add, edit, retire, as_of."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime

import geopandas as gpd
import pytest
from shapely.geometry import LineString

from geodata.crs import WGS84
from incidents.auth import Role, User
from incidents.errors import CorridorNotFoundError, StoreError
from incidents.store import IncidentStore
from incidents.store.corridors import (
    active_corridor_segments,
    add_corridor_version,
    edit_corridor_metadata,
    list_corridor_versions,
    retire_corridor,
)

ANA = User("ana", Role.ANALYST)


def _line(*coords: tuple[float, float]) -> gpd.GeoDataFrame:
    lines = [LineString([a, b]) for a, b in itertools.pairwise(coords)]
    return gpd.GeoDataFrame(
        {"from_name": ["a"] * len(lines), "to_name": ["b"] * len(lines)}, geometry=lines, crs=WGS84
    )


def _pause() -> datetime:
    """A moment strictly between two writes (timestamps are stored to the microsecond)."""
    time.sleep(0.01)
    moment = datetime.now(UTC)
    time.sleep(0.01)
    return moment


def test_shipped_corridors_are_version_one(store: IncidentStore) -> None:
    active = active_corridor_segments(store)
    assert sorted(set(active["corridor_id"])) == sorted(f"C{i}" for i in range(1, 10))
    assert set(active["version"]) == {1}
    history = list_corridor_versions(store)
    assert len(history) == 9 and set(history["status"]) == {"active"}


def test_new_corridor_and_new_geometry_keep_every_version(store: IncidentStore) -> None:
    before = store.data_version()
    v1 = add_corridor_version(store, "X1", _line((0, 14), (1, 14)), name="Test", confidence="low", by=ANA)
    v2 = add_corridor_version(store, "X1", _line((0, 14), (1, 14), (2, 15)), name="Test", by=ANA)
    assert (v1, v2) == (1, 2)
    assert store.data_version() == before + 2
    history = list_corridor_versions(store, "X1")
    assert history["version"].tolist() == [1, 2]
    assert history["segments"].tolist() == [1, 2]
    active = active_corridor_segments(store)
    x1 = active[active["corridor_id"] == "X1"]
    assert x1["segment"].tolist() == [1, 2] and set(x1["version"]) == {2}
    audit = store.audit_log()
    assert audit["action"].tolist()[-2:] == ["corridor_add", "corridor_add"]
    assert set(audit["user_name"].tolist()[-2:]) == {"ana"}


def test_edit_creates_version_with_same_geometry_and_as_of_reproduces(store: IncidentStore) -> None:
    old = active_corridor_segments(store)
    moment = _pause()
    version = edit_corridor_metadata(store, "C2", name="Renamed", confidence="high", by=ANA)
    assert version == 2
    now = active_corridor_segments(store)
    c2 = now[now["corridor_id"] == "C2"]
    assert set(c2["corridor_name"]) == {"Renamed"} and set(c2["confidence"]) == {"high"}
    assert (
        c2.geometry.reset_index(drop=True)
        .geom_equals(old[old["corridor_id"] == "C2"].geometry.reset_index(drop=True))
        .all()
    )
    then = active_corridor_segments(store, as_of=moment)
    assert set(then.loc[then["corridor_id"] == "C2", "corridor_name"]) == set(
        old.loc[old["corridor_id"] == "C2", "corridor_name"]
    )
    assert set(then.loc[then["corridor_id"] == "C2", "version"]) == {1}
    assert store.audit_log()["action"].iloc[-1] == "corridor_edit"
    with pytest.raises(ValueError, match="nothing to change"):
        edit_corridor_metadata(store, "C2", name="Renamed", by=ANA)
    with pytest.raises(ValueError, match="confidence 'certain'"):
        edit_corridor_metadata(store, "C2", confidence="certain", by=ANA)


def test_retire_hides_it_but_as_of_still_shows_it(store: IncidentStore) -> None:
    moment = _pause()
    before = store.data_version()
    assert retire_corridor(store, "C3", by=ANA) == 2
    assert store.data_version() == before + 1
    assert "C3" not in set(active_corridor_segments(store)["corridor_id"])
    assert "C3" in set(active_corridor_segments(store, as_of=moment)["corridor_id"])
    assert list_corridor_versions(store, "C3")["status"].tolist() == ["active", "retired"]
    assert store.audit_log()["action"].iloc[-1] == "corridor_retire"
    with pytest.raises(StoreError, match="already retired"):
        retire_corridor(store, "C3", by=ANA)
    with pytest.raises(StoreError, match="retired"):
        edit_corridor_metadata(store, "C3", name="x", by=ANA)
    # uploading a geometry brings it back
    add_corridor_version(store, "C3", _line((0, 14), (1, 14)), name="Back", by=ANA)
    assert "C3" in set(active_corridor_segments(store)["corridor_id"])


def test_bad_inputs_are_refused(store: IncidentStore) -> None:
    with pytest.raises(CorridorNotFoundError, match="no corridor 'ZZ'"):
        retire_corridor(store, "ZZ", by=ANA)
    with pytest.raises(ValueError, match="corridor_id 'bad id'"):
        add_corridor_version(store, "bad id", _line((0, 14), (1, 14)), name="x", by=ANA)
    with pytest.raises(ValueError, match="no segments"):
        add_corridor_version(store, "X2", _line((0, 14), (1, 14)).iloc[0:0], name="x", by=ANA)
    assert active_corridor_segments(store, as_of=datetime(2000, 1, 1, tzinfo=UTC)).empty
