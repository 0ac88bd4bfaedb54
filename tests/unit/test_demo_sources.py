"""The demo steps aside: where it may load, how it is removed, and which sources count by default.

Stores are real (SQLite, and PostgreSQL when ``SAHEL_TEST_PG_URL`` is set). The "real" rows are
the invented Burkina Faso ACLED-layout fixture (tests/fixtures/import/acled_bfa_2022_export.csv,
every note SYNTHETIC), imported through the ordinary pipeline.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from incidents.auth import Role, User
from incidents.demo import (
    DEMO_REMOVE_ACTION,
    DEMO_REMOVED_KEY,
    demo_batch_ids,
    demo_may_autoload,
    ensure_demo_loaded,
    load_demo,
    remove_demo,
)
from incidents.errors import BatchNotFoundError, PermissionDenied, SettingError
from incidents.ingest.pipeline import commit_import, prepare_import
from incidents.query import IncidentFilter
from incidents.sources import REAL_SOURCES, date_span, demo_rows_left_out, of_sources, source_status
from incidents.store import IncidentStore

ROOT = Path(__file__).resolve().parents[2]
REAL_FILE = ROOT / "tests" / "fixtures" / "import" / "acled_bfa_2022_export.csv"
ADMIN = User(name="adam", role=Role.ADMIN)
ANALYST = User(name="ana", role=Role.ANALYST)
DEMO_ROWS = 120


def import_real_file(store: IncidentStore, path: Path = REAL_FILE) -> int:
    prepared = prepare_import(path, store, file_name=path.name, today=date(2026, 1, 1))
    return commit_import(prepared, store, user_name="ana").rows_accepted


# ---- where the demo may load -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "allowed"),
    [
        ({}, True),
        ({"SAHEL_DEMO": "on"}, True),
        ({"SAHEL_DEMO": "off"}, False),
        ({"SAHEL_DEMO": " OFF "}, False),
        ({"SAHEL_DB_URL": "postgresql://u:p@db:5432/sahel"}, False),
        ({"SAHEL_DB_URL": "sqlite:///var/sahel.db"}, False),  # named explicitly: not the embedded default
        ({"SAHEL_DB_URL": "  "}, True),  # blank is unset
    ],
)
def test_demo_loads_at_start_only_into_the_embedded_store(env: dict[str, str], allowed: bool) -> None:
    assert demo_may_autoload(env) is allowed


def test_an_unreadable_sahel_demo_is_a_setting_error() -> None:
    with pytest.raises(SettingError, match="SAHEL_DEMO"):
        demo_may_autoload({"SAHEL_DEMO": "maybe"})


# ---- removing it -------------------------------------------------------------------------------


def test_remove_demo_undoes_only_the_synthetic_batches_and_audits_them(store: IncidentStore) -> None:
    load_demo(store, n=DEMO_ROWS)
    load_demo(store, n=DEMO_ROWS + 30)  # a second demo batch (30 more positional ids)
    import_real_file(store)
    assert len(demo_batch_ids(store)) == 2

    removal = remove_demo(store, ADMIN)

    assert removal.rows_removed == DEMO_ROWS + 30
    assert len(removal.batch_ids) == 2
    assert store.count_incidents("demo") == 0
    assert store.count_incidents("ucdp") == 19  # the real UCDP sample stays
    assert store.count_incidents("acled") == 24
    batches = store.list_batches().set_index("batch_id")
    assert set(batches.loc[list(removal.batch_ids), "status"]) == {"undone"}
    audit = store.audit_log()
    logged = audit[audit["action"] == DEMO_REMOVE_ACTION]
    assert set(logged["batch_id"]) == set(removal.batch_ids)
    assert set(logged["user_name"]) == {"adam"}
    assert store.meta_value(DEMO_REMOVED_KEY) == 1
    assert demo_batch_ids(store) == []


def test_remove_demo_with_nothing_to_remove_changes_no_row_but_remembers(store: IncidentStore) -> None:
    removal = remove_demo(store, ADMIN)
    assert removal.batch_ids == () and removal.rows_removed == 0
    # A never-used store would get the demo at the app's first start; once removed, never.
    assert ensure_demo_loaded(store, n=DEMO_ROWS) is False
    assert store.count_incidents() == 0


def test_only_an_admin_may_remove_the_demo(store: IncidentStore) -> None:
    load_demo(store, n=DEMO_ROWS)
    with pytest.raises(PermissionDenied):
        remove_demo(store, ANALYST)
    assert store.count_incidents("demo") == DEMO_ROWS
    assert store.meta_value(DEMO_REMOVED_KEY) is None


def test_undo_batches_is_all_or_nothing(store: IncidentStore) -> None:
    load_demo(store, n=DEMO_ROWS)
    (demo_batch,) = demo_batch_ids(store)
    version = store.data_version()
    with pytest.raises(BatchNotFoundError):
        store.undo_batches([demo_batch, "no-such-batch"], "adam", meta={DEMO_REMOVED_KEY: 1})
    assert store.count_incidents("demo") == DEMO_ROWS
    assert store.list_batches().set_index("batch_id").loc[demo_batch, "status"] == "committed"
    assert store.meta_value(DEMO_REMOVED_KEY) is None
    assert store.data_version() == version


def test_an_explicit_demo_load_brings_a_removed_demo_back(store: IncidentStore) -> None:
    load_demo(store, n=DEMO_ROWS)
    remove_demo(store, ADMIN)
    result = load_demo(store, n=DEMO_ROWS)
    assert result.demo_added == DEMO_ROWS
    assert store.count_incidents("demo") == DEMO_ROWS
    assert not store.meta_value(DEMO_REMOVED_KEY)


def test_version_counters_cannot_be_set_as_flags(store: IncidentStore) -> None:
    with pytest.raises(ValueError, match="counter"):
        store.set_meta_value("data_version", 0)


# ---- which sources count by default ---------------------------------------------------------------


def test_a_store_with_only_the_demo_counts_every_source(store: IncidentStore) -> None:
    load_demo(store, n=DEMO_ROWS)  # the synthetic rows plus the shipped UCDP sample
    status = source_status(store)
    assert status.has_real_rows is False, "the UCDP sample loaded with the demo is not the user's data"
    assert status.demo_rows == DEMO_ROWS
    assert status.default_sources == ()
    assert not status.hides_demo(status.default_sources)


def test_real_rows_make_the_default_real_sources_only(store: IncidentStore) -> None:
    load_demo(store, n=DEMO_ROWS)
    import_real_file(store)
    status = source_status(store)
    assert status.has_real_rows is True
    assert status.default_sources == REAL_SOURCES
    assert "demo" not in REAL_SOURCES and {"acled", "ucdp", "generic", "manual"} <= set(REAL_SOURCES)
    assert status.hides_demo(status.default_sources)
    assert not status.hides_demo((*REAL_SOURCES, "demo"))

    frame = store.load_analysis_frame()
    real = of_sources(frame, status.default_sources)
    assert len(real) == 24 + 19
    assert demo_rows_left_out(frame, status.default_sources) == DEMO_ROWS
    assert date_span(real) is not None and date_span(real) != date_span(frame)


def test_undoing_the_real_import_brings_the_demo_back_into_view(store: IncidentStore) -> None:
    load_demo(store, n=DEMO_ROWS)
    import_real_file(store)
    real_batch = store.list_batches().iloc[0]["batch_id"]  # newest first
    store.undo_batch(real_batch)
    assert source_status(store).has_real_rows is False


def test_a_link_without_a_source_gets_the_default_sources() -> None:
    defaults = REAL_SOURCES
    assert IncidentFilter.from_query_params({}, ["MLI"], defaults).sources == REAL_SOURCES
    assert IncidentFilter.from_query_params({"source": ["bogus"]}, ["MLI"], defaults).sources == REAL_SOURCES
    chosen = IncidentFilter.from_query_params({"source": ["acled", "demo"]}, ["MLI"], defaults)
    assert chosen.sources == ("acled", "demo")
    assert IncidentFilter.from_query_params({}, ["MLI"]).sources == ()  # the old behaviour by default
    assert IncidentFilter.from_query_params(chosen.to_query_params(), ["MLI"], defaults) == chosen


def test_of_sources_with_no_selection_is_the_same_frame() -> None:
    frame = pd.DataFrame(
        {"source_dataset": ["demo", "acled"], "event_date": pd.to_datetime(["2020-01-01"] * 2)}
    )
    assert of_sources(frame, ()) is frame
    assert of_sources(frame, ("acled",))["source_dataset"].tolist() == ["acled"]
    assert demo_rows_left_out(frame, ()) == 0
    assert demo_rows_left_out(frame, ("acled",)) == 1
