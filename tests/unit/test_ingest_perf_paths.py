"""Ingest performance paths: raw-DBAPI/COPY batch insert, empty-store id lookup, lazy issue messages."""

from __future__ import annotations

import numpy as np
import pandas as pd

from incidents.admin_join import attach_admin_units
from incidents.ingest.issues import IssueCollector
from incidents.store import BatchMeta, IncidentStore

META = BatchMeta(file_name="f.csv", sha256="0" * 64, format="generic", rows_read=1)


def incidents(ids: list[str]) -> pd.DataFrame:
    n = len(ids)
    frame = pd.DataFrame(
        {
            "source_dataset": ["manual"] * n,
            "source_event_id": ids,
            "event_date": pd.date_range("2024-01-01", periods=n, freq="D"),
            "date_precision": ["day"] * n,
            "latitude": [16.27] * n,
            "longitude": [-0.04] * n,
            "geo_precision": [1] * n,
            "event_type": ["battle"] * n,
            "actor_group": ["JNIM"] * n,
            "fatalities": list(range(n)),
            "civilian_targeting": [True] * n,
        }
    )
    return attach_admin_units(frame)


def test_fast_insert_stores_values_like_core_insert(sqlite_store: IncidentStore) -> None:
    """The raw-DBAPI insert path must store exactly what a Core insert would (dates as ISO text)."""
    from sqlalchemy import text

    sqlite_store.add_batch(incidents(["x"]), META)
    with sqlite_store.engine.connect() as conn:
        stored_date, imported_at, targeting = conn.execute(
            text("SELECT event_date, imported_at, civilian_targeting FROM incidents")
        ).one()
    assert isinstance(stored_date, str) and len(stored_date) == 10  # YYYY-MM-DD, as SQLAlchemy's Date
    assert isinstance(imported_at, str) and imported_at[:4].isdigit()
    assert targeting in (0, 1)
    assert sqlite_store.existing_incident_ids(["manual:x", "manual:y"]) == {"manual:x"}


def test_existing_ids_on_an_empty_store(store: IncidentStore) -> None:
    assert store.existing_incident_ids(["manual:a"]) == set()
    assert store.existing_incident_ids([]) == set()


def test_lazy_issue_message_is_built_only_when_rows_are_flagged() -> None:
    issues = IssueCollector(np.array([2, 3, 4]))
    calls: list[int] = []

    def message() -> pd.Series:
        calls.append(1)
        return pd.Series(["a", "b", "c"], dtype="string")

    assert issues.add(np.zeros(3, dtype=bool), "event_date", "bad_date", "error", message, value=message) == 0
    assert calls == []
    flagged = np.array([False, True, False])
    assert issues.add(flagged, "event_date", "bad_date", "error", message, value=message) == 1
    [issue] = issues.to_list()
    assert (issue.line, issue.message, issue.value) == (3, "b", "b")
    assert issues.rejected.tolist() == [False, True, False]
