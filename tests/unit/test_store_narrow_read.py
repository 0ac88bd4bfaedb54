"""``IncidentStore.load_analysis_frame(columns)``: a narrow read is the wide read's columns.

Real stores, SQLite and (when ``SAHEL_TEST_PG_URL`` is set; always in CI) PostgreSQL. The rows
mix demo and "real" sources, two batches, incidents outside every admin unit (NULL codes and
names) and several incidents a day, so the order by date then id, the categories built from
the labels present and the batch ids are all exercised.
"""

from __future__ import annotations

import pandas as pd
import pytest

from incidents.admin_join import attach_admin_units
from incidents.demo import generate_demo_incidents
from incidents.outlook.panel import panel_columns
from incidents.sources import DEMO_SOURCE, cli_rows
from incidents.store import BatchMeta, IncidentStore
from incidents.store.sql import ANALYSIS_COLUMNS

COLUMN_SETS = [
    ("source_dataset", *panel_columns("admin2")),  # what `python -m incidents outlook` reads
    ("source_dataset", *panel_columns("admin1")),
    ("source_dataset", *panel_columns("corridor")),
    ("batch_id", "actor2", "incident_id"),  # batch keys, a label column with NULLs, the ids
    ("civilian_targeting", "geo_precision", "admin2_name", "event_type"),
    ("latitude",),
]


def real_rows(n: int) -> pd.DataFrame:
    """``n`` "acled" incidents on three days (ties broken by id), every fifth outside the Sahel."""
    frame = pd.DataFrame(
        {
            "source_dataset": "acled",
            "source_event_id": [f"r{i:03d}" for i in range(n)][::-1],  # stored out of id order
            "event_date": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-02"] * (n // 3)),
            "date_precision": "day",
            "latitude": [40.0 if i % 5 == 0 else 14.1 + i / 100 for i in range(n)],
            "longitude": [10.0 if i % 5 == 0 else -1.6 + i / 100 for i in range(n)],
            "geo_precision": 2,
            "event_type": ["battle", "explosion_remote_violence"] * (n // 2),
            "actor1": "JNIM",
            "actor2": [None if i % 2 else "FAMa" for i in range(n)],
            "actor_group": "JNIM",
            "fatalities": [i % 4 for i in range(n)],
            "civilian_targeting": [i % 3 == 0 for i in range(n)],
        }
    )
    return attach_admin_units(frame)


@pytest.fixture
def filled(store: IncidentStore) -> IncidentStore:
    store.add_batch(generate_demo_incidents(n=400, seed=5), BatchMeta("demo", "0" * 64, "demo"))
    store.add_batch(real_rows(30), BatchMeta("real.csv", "1" * 64, "generic", rows_read=30))
    return store


def test_a_narrow_read_equals_the_wide_reads_columns(filled: IncidentStore) -> None:
    wide = filled.load_analysis_frame()
    assert wide["event_date"].duplicated().any() and wide["admin2_code"].isna().any()
    assert wide["batch_id"].nunique() == 2
    for columns in COLUMN_SETS:
        narrow = filled.load_analysis_frame(columns)
        assert list(narrow.columns) == list(columns)
        pd.testing.assert_frame_equal(narrow, wide.loc[:, list(columns)])


def test_a_narrow_read_of_an_empty_store_has_the_wide_dtypes(store: IncidentStore) -> None:
    wide = store.load_analysis_frame()
    assert wide.empty
    for columns in COLUMN_SETS:
        pd.testing.assert_frame_equal(store.load_analysis_frame(columns), wide.loc[:, list(columns)])


def test_asking_for_every_column_is_the_wide_read(filled: IncidentStore) -> None:
    pd.testing.assert_frame_equal(filled.load_analysis_frame(ANALYSIS_COLUMNS), filled.load_analysis_frame())


def test_cli_rows_with_columns_counts_the_same_rows(filled: IncidentStore) -> None:
    """The demo rule (real rows only once there are any) holds on the narrow read."""
    stored, sources, counted = cli_rows(filled, include_demo=False)
    columns = panel_columns("admin2")
    narrow_stored, narrow_sources, narrow_counted = cli_rows(filled, include_demo=False, columns=columns)
    assert narrow_sources == sources and "acled" in sources and DEMO_SOURCE not in sources
    wanted = ["source_dataset", *columns]
    pd.testing.assert_frame_equal(narrow_stored, stored.loc[:, wanted])
    pd.testing.assert_frame_equal(narrow_counted, counted.loc[:, wanted])
    assert len(narrow_counted) == 30


@pytest.mark.parametrize(
    ("columns", "error", "message"),
    [
        (("event_date", "notes"), ValueError, "not analysis columns: ['notes']"),
        ((), ValueError, "at least one analysis column"),
        ("fatalities", TypeError, "not the string 'fatalities'"),
    ],
)
def test_columns_outside_the_analysis_frame_are_refused(
    filled: IncidentStore, columns: tuple[str, ...], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message.replace("[", r"\[").replace("]", r"\]")):
        filled.load_analysis_frame(columns)
