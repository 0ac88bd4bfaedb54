"""Roles enforced in the domain layer, against SQLite and PostgreSQL (the ``store`` fixture).

A viewer is refused every change; an analyst imports, edits reference data and undoes
their own batches only; an admin undoes anyone's batch and manages accounts. The audit
names the user and, for imports and undos, the role.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString

from incidents.auth import PermissionDenied, Role, User
from incidents.auth.accounts import create_user, disable_user, list_users, set_password, set_role
from incidents.auth.guarded import commit_import_as, undo_batch_as
from incidents.ingest.pipeline import PreparedImport, prepare_import
from incidents.sites import site_from_values
from incidents.store import IncidentStore
from incidents.store.corridors import add_corridor_version, edit_corridor_metadata, retire_corridor
from incidents.store.developments import add_development, delete_development, update_development
from incidents.store.saved_views import SavedView, delete_view, move_view, rename_view, save_view
from incidents.store.sites import add_sites_batch

ROOT = Path(__file__).resolve().parents[2]
ACLED = ROOT / "tests" / "fixtures" / "import" / "acled_api_sample.csv"
UCDP = ROOT / "incidents" / "data" / "ucdp_ged_sample_sahel_2012plus.csv"
TODAY = date(2026, 1, 1)

VIEWER = User("vera", Role.VIEWER)
ANA = User("ana", Role.ANALYST)
BO = User("bo", Role.ANALYST)
ADMIN = User("adam", Role.ADMIN)
DEVELOPMENT = {
    "date": "2025-09-03",
    "date_precision": "day",
    "scope": "MLI",
    "title": "Fuel blockade",
    "category": "security",
    "source": "test",
}


def _prepared(store: IncidentStore, path: Path = ACLED) -> PreparedImport:
    return prepare_import(path, store, file_name=path.name, today=TODAY)


def _line() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"segment": [1]}, geometry=[LineString([(0, 14), (1, 14)])], crs="EPSG:4326")


def _audit_rows(store: IncidentStore, action: str) -> list[tuple[str, str]]:
    log = store.audit_log()
    rows = log[log["action"] == action]
    return list(zip(rows["user_name"], rows["details"], strict=True))


# ---- viewer ---------------------------------------------------------------------------------


def test_viewer_cannot_import(store: IncidentStore) -> None:
    with pytest.raises(PermissionDenied, match="needs the analyst role"):
        commit_import_as(_prepared(store), store, VIEWER)
    assert store.list_batches().empty


def test_viewer_cannot_undo_even_their_own_name(store: IncidentStore) -> None:
    batch = commit_import_as(_prepared(store), store, ANA).batch_id
    assert batch is not None
    for owner_like in (VIEWER, User("ana", Role.VIEWER)):  # a demoted importer loses undo too
        with pytest.raises(PermissionDenied):
            undo_batch_as(store, batch, owner_like)
    assert store.list_batches().loc[0, "status"] == "committed"


def test_viewer_cannot_edit_reference_data(store: IncidentStore) -> None:
    version = store.data_version()
    refusals = [
        lambda: add_development(store, **DEVELOPMENT, by=VIEWER),
        lambda: update_development(store, 1, title="x", by=VIEWER),
        lambda: delete_development(store, 1, by=VIEWER),
        lambda: add_corridor_version(store, "X9", _line(), name="New", by=VIEWER),
        lambda: edit_corridor_metadata(store, "C1", name="Renamed", by=VIEWER),
        lambda: retire_corridor(store, "C1", by=VIEWER),
        lambda: add_sites_batch(
            store, site_from_values("Office", "office", 12.6, -8.0), file_name="x", sha256="0" * 64, by=VIEWER
        ),
        lambda: save_view(store, SavedView(name="v", title="V", query="country=MLI"), by=VIEWER),
        lambda: rename_view(store, "v", "w", by=VIEWER),
        lambda: move_view(store, "v", 1, by=VIEWER),
        lambda: delete_view(store, "v", by=VIEWER),
    ]
    for refused in refusals:
        with pytest.raises(PermissionDenied, match="edit corridors, sites, key developments or saved views"):
            refused()
    assert store.data_version() == version  # nothing written


@pytest.mark.parametrize("user", [VIEWER, ANA], ids=["viewer", "analyst"])
def test_only_admins_manage_accounts(store: IncidentStore, user: User) -> None:
    create_user(store, "adam", "admin", "admin password 2025", by=ADMIN)
    with pytest.raises(PermissionDenied, match="manage accounts"):
        create_user(store, "eve", "admin", "a long password", by=user)
    with pytest.raises(PermissionDenied):
        set_role(store, "adam", "viewer", by=user)
    with pytest.raises(PermissionDenied):
        disable_user(store, "adam", by=user)
    with pytest.raises(PermissionDenied):
        set_password(store, "adam", "another long one", by=user)
    assert [(a.name, a.role, a.disabled) for a in list_users(store)] == [("adam", Role.ADMIN, False)]


# ---- analyst and admin ----------------------------------------------------------------------


def test_analyst_imports_and_undoes_own_batch_with_role_in_audit(store: IncidentStore) -> None:
    report = commit_import_as(_prepared(store), store, ANA)
    assert report.batch_id is not None
    assert store.list_batches().loc[0, "user_name"] == "ana"
    assert undo_batch_as(store, report.batch_id, ANA) == report.rows_accepted
    [(importer, imported)] = _audit_rows(store, "import")
    [(undoer, undone)] = _audit_rows(store, "undo")
    assert importer == undoer == "ana"
    assert imported.endswith("by analyst 'ana'") and undone.endswith("by analyst 'ana'")


def test_analyst_cannot_undo_another_analysts_batch_but_admin_can(store: IncidentStore) -> None:
    mine = commit_import_as(_prepared(store), store, ANA).batch_id
    theirs = commit_import_as(_prepared(store, UCDP), store, BO).batch_id
    assert mine is not None and theirs is not None
    with pytest.raises(PermissionDenied, match="imported by 'bo'"):
        undo_batch_as(store, theirs, ANA)
    with pytest.raises(PermissionDenied, match="imported by 'ana'"):
        undo_batch_as(store, mine, BO)
    assert set(store.list_batches()["status"]) == {"committed"}
    assert undo_batch_as(store, theirs, ADMIN) > 0
    assert undo_batch_as(store, mine, ADMIN) > 0
    undos = _audit_rows(store, "undo")
    assert [name for name, _ in undos] == ["adam", "adam"]
    assert all(details.endswith("by admin 'adam'") for _, details in undos)


def test_analyst_edits_reference_data_under_their_name(store: IncidentStore) -> None:
    new_id = add_development(store, **DEVELOPMENT, by=ANA)
    update_development(store, new_id, title="Fuel blockade of Bamako", by=ANA)
    delete_development(store, new_id, by=ANA)
    assert add_corridor_version(store, "X9", _line(), name="New", by=ANA) == 1
    assert edit_corridor_metadata(store, "X9", name="Renamed", by=ANA) == 2
    assert retire_corridor(store, "X9", by=ANA) == 3
    site_batch = add_sites_batch(
        store, site_from_values("Office", "office", 12.6, -8.0), file_name="x", sha256="0" * 64, by=ANA
    )
    save_view(store, SavedView(name="v", title="V", query="country=MLI"), by=ANA)
    rename_view(store, "v", "w", by=ANA)
    move_view(store, "w", 1, by=ANA)
    delete_view(store, "w", by=ANA)
    log = store.audit_log()
    changes = log[~log["action"].isin(["import", "undo"])]
    assert len(changes) >= 10 and set(changes["user_name"]) == {"ana"}
    [(_, details)] = _audit_rows(store, "import_sites")
    assert details.endswith("by analyst 'ana'")
    assert undo_batch_as(store, site_batch, ANA) == 1  # sites batches are the analyst's own too


def test_a_disabled_admin_is_refused(store: IncidentStore) -> None:
    batch = commit_import_as(_prepared(store), store, ANA).batch_id
    assert batch is not None
    with pytest.raises(PermissionDenied, match="disabled"):
        undo_batch_as(store, batch, User("adam", Role.ADMIN, disabled=True))
