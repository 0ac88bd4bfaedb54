"""Schema version 7: the reported event type and the location uncertainty of each incident row,
stored by both writers and on both backends, shown by the ``incidents`` view and exported."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import inspect, text

from incidents.export import export_incidents
from incidents.model import INCIDENT_COLUMNS, conform_incidents
from incidents.store import IncidentStore, open_store
from incidents.store import migrations as migrations_module
from incidents.store.migrations import current_version
from tests.unit.test_store_bulk_write import _stored_cells, stores_by_both_writers
from tests.unit.test_store_compact import (
    META,
    expected,
    open_upgraded,
    rich_incidents,
    url,  # noqa: F401 - the SQLite/PostgreSQL store URL fixture
    with_batch,
    write_v6_batch,
)


def reported(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with both version-7 columns filled: labels (one shared with event_type, one
    missing) and radii (one missing, one zero)."""
    n = len(frame)
    out = frame.copy()
    labels = ["Remote violence", None, "Battle-No change of territory", "other", "Remote violence"]
    radii = [12.5, np.nan, 0.0, 35.0]
    out["event_type_reported"] = pd.Series([labels[i % len(labels)] for i in range(n)], dtype="string")
    out["uncertainty_km"] = [radii[i % len(radii)] for i in range(n)]
    return conform_incidents(out)


def test_the_canonical_incident_has_both_columns_in_place() -> None:
    names = list(INCIDENT_COLUMNS)
    assert names[names.index("geo_precision") + 1] == "uncertainty_km"
    assert names[names.index("event_type") + 1] == "event_type_reported"
    assert INCIDENT_COLUMNS["uncertainty_km"] == "float64"
    assert INCIDENT_COLUMNS["event_type_reported"] == "string"
    frame = conform_incidents(rich_incidents(["a"]).drop(columns=["uncertainty_km", "event_type_reported"]))
    assert np.isnan(frame.loc[0, "uncertainty_km"]) and pd.isna(frame.loc[0, "event_type_reported"])


def test_both_columns_round_trip_and_unknown_radius_is_null(store: IncidentStore) -> None:
    first = reported(rich_incidents([f"a{i}" for i in range(7)]))
    record = store.add_batch(first, META)
    pd.testing.assert_frame_equal(
        store.load_incidents(), expected(with_batch(first, record.batch_id, record.created_at))
    )
    details = store.load_incident_details(["acled:a1", "acled:a2"]).sort_values("incident_id")
    assert details["event_type_reported"].isna().tolist() == [True, False]
    assert np.isnan(details["uncertainty_km"].iloc[0]) and details["uncertainty_km"].iloc[1] == 0.0
    with store.engine.connect() as conn:
        nulls = conn.execute(
            text("SELECT count(*) FROM incident_rows WHERE uncertainty_km IS NULL")
        ).scalar_one()
        view = conn.execute(
            text("SELECT event_type_reported, uncertainty_km FROM incidents WHERE incident_id = 'acled:a0'")
        ).one()
        columns = list(conn.execute(text("SELECT * FROM incidents")).keys())
    assert nulls == 2  # a1 and a5: NaN is stored as NULL, not as a NaN number (PostgreSQL has those)
    assert tuple(view) == ("Remote violence", 12.5)
    assert columns == list(INCIDENT_COLUMNS)


def test_both_sqlite_writers_store_identical_cells_in_the_new_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = [reported(rich_incidents([f"a{i}" for i in range(7)])), rich_incidents(["u1"], dataset="ucdp")]
    stores = stores_by_both_writers(tmp_path, monkeypatch, batches)
    cells = {kind: _stored_cells(store) for kind, store in stores.items()}
    assert cells["child"] == cells["here"]
    with stores["child"].engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT typeof(event_type_reported), typeof(uncertainty_km), uncertainty_km "
                "FROM incident_rows ORDER BY incident_id"
            )
        ).all()
    assert ("integer", "real", 12.5) in stored and ("null", "null", None) in stored  # not vacuous
    for store in stores.values():
        store.close()


def _migrations_up_to(version: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrations_module, "MIGRATIONS", migrations_module.MIGRATIONS[:version])
    monkeypatch.setattr(migrations_module, "LATEST_VERSION", version)


def test_a_version_6_store_gains_both_columns_and_keeps_its_rows(
    url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert migrations_module.LATEST_VERSION >= 7  # upgraded through 7 to whatever is latest
    _migrations_up_to(6, monkeypatch)
    old = open_store(url)
    rows = rich_incidents([f"a{i}" for i in range(6)])
    created_at = datetime(2025, 6, 1, 8, 30, tzinfo=UTC)
    try:
        with old.engine.begin() as conn:
            assert current_version(conn) == 6
            write_v6_batch(conn, rows, "20250601T083000Z-aaaaaaaa", created_at)
        with old.engine.connect() as conn:
            assert {"event_type_reported", "uncertainty_km"}.isdisjoint(
                column["name"] for column in inspect(conn).get_columns("incident_rows")
            )
            view_before = conn.execute(text("SELECT * FROM incidents ORDER BY incident_id")).mappings().all()
    finally:
        old.close()
    store = open_upgraded(url, monkeypatch)  # through version 7 to the latest
    try:
        with store.engine.connect() as conn:
            added = {
                column["name"]: column
                for column in inspect(conn).get_columns("incident_rows")
                if column["name"] in ("event_type_reported", "uncertainty_km")
            }
            view_after = conn.execute(text("SELECT * FROM incidents ORDER BY incident_id")).mappings().all()
        assert set(added) == {"event_type_reported", "uncertainty_km"}
        assert all(column["nullable"] for column in added.values())
        # The view keeps every old column and value, and shows the new ones (empty for old rows).
        assert [{k: row[k] for k in view_before[0]} for row in view_after] == [
            dict(row) for row in view_before
        ]
        assert all(row["event_type_reported"] is None and row["uncertainty_km"] is None for row in view_after)
        want = expected(with_batch(rows, "20250601T083000Z-aaaaaaaa", created_at))
        pd.testing.assert_frame_equal(store.load_incidents(), want)
        new = reported(rich_incidents(["b0", "b1"], first_day="2024-05-01"))
        record = store.add_batch(new, META)
        loaded = store.load_incidents()
        pd.testing.assert_frame_equal(
            loaded, expected(want, with_batch(new, record.batch_id, record.created_at))
        )
        assert loaded.set_index("incident_id").loc["acled:b0", "event_type_reported"] == "Remote violence"
    finally:
        store.close()


def test_exports_write_both_columns_after_the_existing_ones(store: IncidentStore, tmp_path: Path) -> None:
    store.add_batch(reported(rich_incidents(["a0", "a1"])), META)
    frame = store.load_incidents()
    earlier = [name for name in INCIDENT_COLUMNS if name not in ("event_type_reported", "uncertainty_km")]
    export_incidents(frame, tmp_path / "out.csv")
    table = pd.read_csv(tmp_path / "out.csv")
    assert list(table.columns) == [*earlier, "event_type_reported", "uncertainty_km"]
    assert table["event_type_reported"].iloc[0] == "Remote violence"
    assert pd.isna(table["event_type_reported"].iloc[1])
    assert table["uncertainty_km"].iloc[0] == 12.5 and np.isnan(table["uncertainty_km"].iloc[1])
    export_incidents(frame, tmp_path / "out.geojson")
    document: dict[str, Any] = json.loads((tmp_path / "out.geojson").read_text(encoding="utf-8"))
    properties = document["features"][0]["properties"]
    assert list(properties)[-2:] == ["event_type_reported", "uncertainty_km"]
    by_id = {feature["properties"]["incident_id"]: feature["properties"] for feature in document["features"]}
    assert by_id["acled:a0"]["event_type_reported"] == "Remote violence"
    assert by_id["acled:a0"]["uncertainty_km"] == 12.5 and by_id["acled:a1"]["uncertainty_km"] is None
