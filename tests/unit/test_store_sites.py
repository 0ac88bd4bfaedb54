"""Sites in the store: one audited batch per upload, removed by undo (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from incidents.auth import Role, User
from incidents.errors import StoreError
from incidents.sites import read_sites
from incidents.store import IncidentStore
from incidents.store.sites import LISTED_COLUMNS, add_sites_batch, list_sites

ANA = User("ana", Role.ANALYST)

SITES = b"name,type,lat,lon\nMopti office,office,14.49,-4.19\nGao camp,camp,16.27,-0.04\n"
ROUTES = b"route,seq,lat,lon\nR1,1,14.5,-4.2\nR1,2,14.6,-4.1\n"


def test_add_list_and_undo(store: IncidentStore) -> None:
    assert list_sites(store).empty
    assert list(list_sites(store).columns) == list(LISTED_COLUMNS)
    read = read_sites(SITES, file_name="sites.csv")
    before = store.data_version()
    batch_id = add_sites_batch(store, read.frame, file_name="sites.csv", sha256=read.sha256, by=ANA)
    assert store.data_version() == before + 1

    listed = list_sites(store)
    assert list(listed["name"]) == ["Mopti office", "Gao camp"]
    assert list(listed["site_id"]) == [f"{batch_id}:1", f"{batch_id}:2"]
    assert set(listed["batch_id"]) == {batch_id}
    assert listed["latitude"].tolist() == [14.49, 16.27]

    batch = store.list_batches().set_index("batch_id").loc[batch_id]
    assert batch["format"] == "sites" and batch["rows_accepted"] == 2 and batch["user_name"] == "ana"
    audit = store.audit_log()
    assert audit.iloc[-1]["action"] == "import_sites" and audit.iloc[-1]["batch_id"] == batch_id

    routes = read_sites(ROUTES, file_name="routes.csv")
    second = add_sites_batch(store, routes.frame, file_name="routes.csv", sha256=routes.sha256, by=ANA)
    assert len(list_sites(store)) == 3

    assert store.undo_batch(batch_id) == 2
    remaining = list_sites(store)
    assert list(remaining["batch_id"]) == [second]
    assert remaining.at[0, "kind"] == "route"
    assert remaining.at[0, "geometry_wkt"].startswith("LINESTRING")


def test_same_file_twice_gives_two_batches(store: IncidentStore) -> None:
    read = read_sites(SITES, file_name="sites.csv")
    first = add_sites_batch(store, read.frame, file_name="sites.csv", sha256=read.sha256, by=ANA)
    second = add_sites_batch(store, read.frame, file_name="sites.csv", sha256=read.sha256, by=ANA)
    assert first != second
    assert len(list_sites(store)) == 4


def test_bad_frame_writes_nothing(store: IncidentStore) -> None:
    read = read_sites(SITES, file_name="sites.csv")
    frame = read.frame.assign(kind="polygon")
    before = store.data_version()
    with pytest.raises(StoreError, match="polygon"):
        add_sites_batch(store, frame, file_name="x.csv", sha256="0" * 64, by=ANA)
    assert store.data_version() == before
    assert list_sites(store).empty and store.list_batches().empty
