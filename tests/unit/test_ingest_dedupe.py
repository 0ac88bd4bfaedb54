"""find_duplicates against a real SQLite store: skipped duplicates, kept possible duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodata.crs import geodesic_km
from incidents.admin_join import attach_admin_units
from incidents.ingest.dedupe import find_duplicates, find_proximity_pairs
from incidents.model import conform_incidents
from incidents.store import BatchMeta, IncidentStore, open_store


def incidents(rows: list[dict[str, object]]) -> pd.DataFrame:
    base: dict[str, object] = {
        "source_dataset": "acled",
        "event_date": "2022-09-12",
        "date_precision": "day",
        "latitude": 15.5,
        "longitude": -2.0,
        "geo_precision": 1,
        "event_type": "battle",
        "actor_group": "JNIM",
        "fatalities": 1,
        "civilian_targeting": False,
    }
    frame = pd.DataFrame([{**base, **row} for row in rows])
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    ids = (frame["source_dataset"] + ":" + frame["source_event_id"]).to_numpy()
    # Like validate_staged's output, ids may repeat: conform with placeholders, then restore them.
    placeholders = [str(i) for i in range(len(frame))]
    conformed = conform_incidents(attach_admin_units(frame).assign(incident_id=placeholders))
    return conformed.assign(incident_id=pd.Series(ids, dtype="string"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[IncidentStore]:
    opened = open_store(f"sqlite:///{tmp_path}/s.db")
    opened.add_batch(
        incidents(
            [
                {"source_event_id": "A1"},
                {"source_event_id": "A2", "event_date": "2022-10-01", "latitude": 14.0, "longitude": -4.0},
            ]
        ),
        BatchMeta("f.csv", "0" * 64, "generic"),
    )
    yield opened
    opened.close()


def test_in_store_and_in_file_duplicates_are_skipped_as_warnings(store: IncidentStore) -> None:
    candidates = incidents(
        [
            {"source_event_id": "A1"},  # already stored
            {"source_event_id": "N1", "latitude": 12.0},
            {"source_event_id": "N1", "latitude": 12.0},  # repeat in file
            {"source_event_id": "A1"},  # stored again
        ]
    )
    result = find_duplicates(
        candidates, pd.Series([3, 8, 12, 20]), store, source_columns={"source_event_id": "ID"}
    )
    got = [(issue.line, issue.code, issue.severity, issue.column) for issue in result.issues]
    assert got == [
        (3, "duplicate_in_store", "warning", "ID"),
        (12, "duplicate_in_file", "warning", "ID"),
        (20, "duplicate_in_store", "warning", "ID"),
    ]
    assert "line 8" in result.issues[1].message
    assert result.rows_duplicate == 3
    assert result.kept["incident_id"].tolist() == ["acled:N1"]
    assert result.kept_lines.tolist() == [8]


def test_reimport_changes_nothing(store: IncidentStore) -> None:
    again = store.load_incidents()
    result = find_duplicates(again, pd.Series([2, 3]), store)
    assert result.kept.empty and result.rows_duplicate == 2


def test_possible_duplicate_from_another_source_is_kept(store: IncidentStore) -> None:
    candidates = incidents(
        [
            # ~2.2 km east and one day later, other source, same type -> possible duplicate
            {
                "source_dataset": "ucdp",
                "source_event_id": "U1",
                "event_date": "2022-09-13",
                "longitude": -1.98,
            },
            {
                "source_dataset": "ucdp",
                "source_event_id": "U2",
                "event_date": "2022-09-14",
                "longitude": -1.98,
            },
            {"source_dataset": "ucdp", "source_event_id": "U3", "longitude": -1.9},  # ~10.7 km
            {"source_dataset": "ucdp", "source_event_id": "U4", "event_type": "protest_riot"},
            {"source_dataset": "acled", "source_event_id": "A9"},  # same source: not flagged
        ]
    )
    result = find_duplicates(candidates, pd.Series([5, 6, 7, 9, 11]), store)
    assert [(issue.line, issue.code, issue.severity) for issue in result.issues] == [
        (5, "possible_duplicate", "warning")
    ]
    assert "acled:A1" in result.issues[0].message
    assert len(result.kept) == 5 and result.rows_duplicate == 0


@pytest.mark.slow
def test_proximity_pairs_match_brute_force() -> None:
    rng = np.random.default_rng(7)
    n = 1500  # 31,842 pairs within 5 km, a day and the type: plenty at every cell border

    def random_frame(size: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "event_type": rng.choice(["battle", "abduction"], size),
                "event_date": pd.Timestamp("2022-01-01")
                + pd.to_timedelta(rng.integers(0, 6, size), unit="D"),
                "latitude": rng.uniform(14.0, 14.3, size),
                "longitude": rng.uniform(-1.0, -0.7, size),
            }
        )

    cand, stored = random_frame(n), random_frame(n)
    got_c, got_s, _ = find_proximity_pairs(cand, stored)
    km = geodesic_km(
        cand["latitude"].to_numpy()[:, None],
        cand["longitude"].to_numpy()[:, None],
        stored["latitude"].to_numpy()[None],
        stored["longitude"].to_numpy()[None],
    )
    days = np.abs(
        (cand["event_date"].to_numpy()[:, None] - stored["event_date"].to_numpy()[None])
        / np.timedelta64(1, "D")
    )
    same = cand["event_type"].to_numpy()[:, None] == stored["event_type"].to_numpy()[None]
    want = set(zip(*np.nonzero((km <= 5) & (days <= 1) & same), strict=True))
    assert want  # the test data has pairs
    assert set(zip(got_c.tolist(), got_s.tolist(), strict=True)) == want
