"""Watches in the store and matching of committed batches, on SQLite and PostgreSQL (real stores)."""

from __future__ import annotations

import threading
from dataclasses import replace

import pandas as pd
import pytest
from sqlalchemy import select, update

from incidents.alerts.matching import (
    DELIVERED,
    PENDING,
    RETRACTED,
    WITHDRAWN,
    list_matches,
    match_pending,
)
from incidents.alerts.store import (
    add_watch,
    get_watch,
    list_watches,
    remove_watch,
    set_watch_status,
    watch_versions,
)
from incidents.alerts.watches import Area, Filters, Recipients, Watch
from incidents.auth.accounts import create_user, set_email
from incidents.auth.roles import LOCAL_ADMIN, Role, User
from incidents.errors import PermissionDenied, WatchError, WatchNotFoundError
from incidents.store import BatchMeta, IncidentStore, open_store, schema
from tests.unit.alerts_fixtures import MOPTI, around_mopti, incidents_at, north_of_mopti

META = BatchMeta(file_name="new.csv", sha256="0" * 64, format="acled", rows_read=5)
ANALYST = User("ana", Role.ANALYST)
VIEWER = User("vic", Role.VIEWER)


def site_watch(name: str = "Mopti office", radius_km: float = 25, **changes: object) -> Watch:
    area = Area(
        kind="site", label="Mopti office", geometry_wkt=f"POINT ({MOPTI[0]} {MOPTI[1]})", radius_km=radius_km
    )
    watch = Watch(name=name, area=area, recipients=Recipients(emails=("ops@example.org",)))
    return replace(watch, **changes)  # type: ignore[arg-type]


def matched_ids(store: IncidentStore, watch: str | None = None, status: str | None = None) -> list[str]:
    frame = list_matches(store, watch_name=watch)
    if status is not None:
        frame = frame[frame["status"] == status]
    return sorted(frame["incident_id"])


def test_a_site_watch_matches_the_three_incidents_within_its_radius_once(store: IncidentStore) -> None:
    add_watch(store, site_watch(), by=LOCAL_ADMIN)
    store.add_batch(around_mopti(), META)
    report = match_pending(store)
    assert (report.batches_matched, report.matches) == (1, 3)
    assert matched_ids(store) == ["acled:m-in-1", "acled:m-in-2", "acled:m-in-3"]
    distances = list_matches(store).sort_values("incident_id")["distance_km"].tolist()
    assert distances == pytest.approx([5.0, 12.0, 20.0], abs=0.3)  # geodesic km from the office
    # Matched once: a second pass and an empty re-import (every row a duplicate) add nothing.
    assert match_pending(store).matches == 0
    store.add_batch(around_mopti().iloc[0:0], META)
    assert match_pending(store).matches == 0
    assert len(list_matches(store)) == 3


def test_filters_demo_rows_and_paused_watches(store: IncidentStore) -> None:
    add_watch(store, site_watch("battles", filters=Filters(event_types=("battle",))), by=LOCAL_ADMIN)
    add_watch(store, site_watch("deadly", filters=Filters(min_fatalities=2)), by=LOCAL_ADMIN)
    add_watch(store, site_watch("jnim", filters=Filters(actor_text="jnim")), by=LOCAL_ADMIN)
    add_watch(store, site_watch("paused"), by=LOCAL_ADMIN)
    set_watch_status(store, "paused", "paused", by=LOCAL_ADMIN)
    # rich_incidents cycles event types battle, abduction, other; fatalities 0..4; actor1 JNIM, Mali, None.
    store.add_batch(around_mopti(), META)
    store.add_batch(around_mopti("d", source_dataset=["demo"] * 5), META)
    match_pending(store)
    assert matched_ids(store, "battles") == ["acled:m-in-1"]
    assert matched_ids(store, "deadly") == ["acled:m-in-3"]
    assert matched_ids(store, "jnim") == ["acled:m-in-1"]
    assert matched_ids(store, "paused") == []
    assert not [i for i in matched_ids(store) if i.startswith("demo:")]


def test_route_unit_polygon_and_corridor_areas(store: IncidentStore) -> None:
    # A route running east from Mopti: 10 km north of it is inside a 15 km buffer, 40 km is not.
    route = Area(kind="route", label="RN6", geometry_wkt="LINESTRING (-4.18 14.49, -3.0 14.49)", radius_km=15)
    polygon = Area(
        kind="polygon",
        label="zone",
        geometry_wkt="POLYGON ((-4.3 14.7, -4.2 14.7, -4.2 14.8, -4.3 14.8, -4.3 14.7))",
    )
    units = Area(kind="admin", admin2=("ML.GA.GA",))
    # Corridor C1 passes (-1.30945, 15.81791); a point 0.05 degrees east of it is ~5 km away.
    corridor = Area(kind="corridor", corridor_id="C1", radius_km=10)
    for name, area in (("route", route), ("polygon", polygon), ("units", units), ("corridor", corridor)):
        add_watch(store, site_watch(name, area=area), by=LOCAL_ADMIN)
    points = [
        (-3.6, 14.49 + 10 / 110.6),
        (-3.6, 14.49 + 40 / 110.6),
        (-4.25, 14.75),
        (-1.26, 15.818),
        (2.0, 13.5),
    ]
    incidents = incidents_at(
        ["r-in", "r-out", "poly", "corr", "unit"], points, admin2_code=[None, None, None, None, "ML.GA.GA"]
    )
    store.add_batch(incidents, META)
    match_pending(store)
    assert matched_ids(store, "route") == ["acled:r-in"]
    assert list_matches(store, watch_name="route")["distance_km"].iloc[0] == pytest.approx(10.0, abs=0.3)
    assert matched_ids(store, "polygon") == ["acled:poly"]
    assert matched_ids(store, "units") == ["acled:unit"]
    assert matched_ids(store, "corridor") == ["acled:corr"]
    assert list_matches(store, watch_name="corridor")["distance_km"].iloc[0] == pytest.approx(5.4, abs=0.6)


def test_undo_withdraws_unsent_matches_and_retracts_delivered_ones(store: IncidentStore) -> None:
    add_watch(store, site_watch(), by=LOCAL_ADMIN)
    batch = store.add_batch(around_mopti(), META)
    match_pending(store)
    table = schema.alert_matches
    with store.engine.begin() as conn:  # as delivery will: the first incident's alert went out
        conn.execute(update(table).where(table.c.incident_id == "acled:m-in-1").values(status=DELIVERED))
    store.undo_batch(batch.batch_id)
    report = match_pending(store)
    assert (report.withdrawn, report.retracted, report.undone_batches) == (2, 1, 1)
    assert matched_ids(store, status=RETRACTED) == ["acled:m-in-1"]
    assert matched_ids(store, status=WITHDRAWN) == ["acled:m-in-2", "acled:m-in-3"]
    assert match_pending(store).undone_batches == 0  # handled once
    # The same file again: unsent ones alert again, the delivered one is not alerted twice
    # (its correction, never sent, is no longer owed).
    again = store.add_batch(around_mopti(), META)
    assert match_pending(store).matches == 2
    assert matched_ids(store, status=PENDING) == ["acled:m-in-2", "acled:m-in-3"]
    assert matched_ids(store, status=DELIVERED) == ["acled:m-in-1"]
    assert set(list_matches(store)["batch_id"]) == {again.batch_id}
    assert len(list_matches(store)) == 3  # one row per (watch, incident), always


def test_batches_stored_before_alerts_existed_never_alert(tmp_path: pytest.TempPathFactory) -> None:
    """Migration 9 enters every batch already stored in the cursor (no flood of history)."""
    from incidents.store import migrations as migrations_module

    url = f"sqlite:///{tmp_path}/old.db"
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(migrations_module, "MIGRATIONS", migrations_module.MIGRATIONS[:8])
        patched.setattr(migrations_module, "LATEST_VERSION", 8)
        old = open_store(url)
        old.add_batch(around_mopti(), META)
        old.close()
    store = open_store(url)
    try:
        add_watch(store, site_watch(), by=LOCAL_ADMIN)
        assert match_pending(store).batches_matched == 0
        store.add_batch(around_mopti("n"), META)
        assert match_pending(store).batches_matched == 1
        assert matched_ids(store) == ["acled:n-in-1", "acled:n-in-2", "acled:n-in-3"]
    finally:
        store.close()


def test_watches_are_versioned_and_audited_without_their_secret(store: IncidentStore) -> None:
    hook = site_watch(recipients=Recipients(webhooks=("https://hooks.example.org/a",)))
    created = add_watch(store, hook, by=ANALYST)
    assert len(created.webhook_secret) >= 40
    assert created.stored.has_webhook_secret and created.stored.owner == "ana"
    with pytest.raises(WatchError, match="exists"):
        add_watch(store, hook, by=ANALYST)
    set_watch_status(store, "Mopti office", "paused", by=ANALYST)
    remove_watch(store, "Mopti office", by=ANALYST)
    assert list_watches(store) == []
    assert [w.status for w in list_watches(store, include_removed=True)] == ["removed"]
    again = add_watch(store, hook, by=ANALYST)
    assert again.stored.version == 4 and again.webhook_secret != created.webhook_secret
    assert watch_versions(store, "Mopti office")["status"].tolist() == [
        "active",
        "paused",
        "removed",
        "active",
    ]
    audit = store.audit_log()
    watch_rows = audit[audit["action"].str.startswith("watch_")]
    assert watch_rows["action"].tolist() == ["watch_add", "watch_pause", "watch_remove", "watch_add"]
    assert not audit["details"].fillna("").str.contains(created.webhook_secret, regex=False).any()
    with pytest.raises(WatchNotFoundError, match="no watch named 'nope'"):
        get_watch(store, "nope")


def test_unknown_units_and_corridors_are_refused(store: IncidentStore) -> None:
    with pytest.raises(WatchError, match=r"unknown admin-2 code 'ML\.XX'"):
        add_watch(store, site_watch(area=Area(kind="admin", admin2=("ML.XX",))), by=LOCAL_ADMIN)
    with pytest.raises(WatchError, match="no active corridor 'C99'"):
        add_watch(
            store, site_watch(area=Area(kind="corridor", corridor_id="C99", radius_km=5)), by=LOCAL_ADMIN
        )
    with pytest.raises(WatchError, match="no account named 'ghost'"):
        add_watch(store, site_watch(recipients=Recipients(users=("ghost",))), by=LOCAL_ADMIN)


def test_viewers_watch_only_for_themselves(store: IncidentStore) -> None:
    create_user(store, "vic", "viewer", "a long enough password 1", by=LOCAL_ADMIN)
    create_user(store, "ana", "analyst", "a long enough password 2", by=LOCAL_ADMIN)
    own = site_watch("mine", recipients=Recipients(users=("vic",)))
    assert add_watch(store, own, by=VIEWER).stored.owner == "vic"
    refused = {
        "other users' inboxes": site_watch("x1", recipients=Recipients(users=("ana",))),
        "webhooks": site_watch("x2", recipients=Recipients(webhooks=("https://h.example.org",))),
        "only to": site_watch("x3", recipients=Recipients(emails=("someone@example.org",))),
    }
    for message, watch in refused.items():
        with pytest.raises(PermissionDenied, match=message):
            add_watch(store, watch, by=VIEWER)
    with pytest.raises(PermissionDenied, match="only for themselves"):
        add_watch(store, site_watch("x4", recipients=Recipients(users=("vic",))), by=VIEWER, owner="ana")
    set_email(store, "vic", "vic@example.org", by=LOCAL_ADMIN)
    mailed = site_watch("mail", recipients=Recipients(emails=("VIC@example.org",)))
    assert add_watch(store, mailed, by=VIEWER).stored.owner == "vic"
    # Analysts make watches for anyone; a viewer changes only their own.
    add_watch(store, site_watch("team", recipients=Recipients(users=("vic", "ana"))), by=ANALYST, owner="vic")
    add_watch(store, site_watch("analysts'"), by=ANALYST)
    with pytest.raises(PermissionDenied, match="only their own watches"):
        remove_watch(store, "analysts'", by=VIEWER)
    remove_watch(store, "team", by=VIEWER)


def test_two_runners_match_each_batch_once_on_postgresql(pg_url: str) -> None:
    stores = [open_store(pg_url) for _ in range(2)]
    try:
        add_watch(stores[0], site_watch(), by=LOCAL_ADMIN)
        for n in range(4):
            stores[0].add_batch(around_mopti(f"b{n}"), META)
        start = threading.Barrier(2)
        reports = []
        errors: list[BaseException] = []

        def run(store: IncidentStore) -> None:
            start.wait()
            try:
                reports.append(match_pending(store))
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(store,)) for store in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert sum(report.batches_matched for report in reports) == 4
        assert sum(report.matches for report in reports) == 12
        with stores[0].engine.connect() as conn:
            cursor_rows = conn.execute(select(schema.alert_batches.c.batch_id)).all()
        assert len(cursor_rows) == 4 and len(list_matches(stores[0])) == 12
    finally:
        for store in stores:
            store.close()


def test_matching_reads_only_the_batch_not_the_store(store: IncidentStore) -> None:
    """An old incident near the site, stored before the watch's batch, is not in its alerts."""
    add_watch(store, site_watch(), by=LOCAL_ADMIN)
    store.add_batch(incidents_at(["old"], [north_of_mopti(1)]), META)
    match_pending(store)
    store.add_batch(around_mopti(), META)
    match_pending(store)
    frame = list_matches(store)
    assert len(frame) == 4
    assert frame.groupby("batch_id").size().sort_values().tolist() == [1, 3]
    assert isinstance(frame["matched_at"].dtype, pd.DatetimeTZDtype)
