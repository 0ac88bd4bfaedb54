"""The CLI's import writes each chunk as soon as it is checked: same batch, same report, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import incidents.ingest.stream as stream_module
from incidents.ingest.pipeline import commit_import, import_file, prepare_import
from incidents.ingest.report import ImportReport
from incidents.store import IncidentStore, open_store
from tests.conftest import WRITER_KINDS, open_test_store
from tests.unit.test_import_pipeline import ACLED_HEADER, FIXTURES, acled_row, write

TODAY = date(2026, 1, 1)


@pytest.fixture(params=WRITER_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IncidentStore]:
    """Both backends, and SQLite's child-process batch writer (tests/conftest.py)."""
    yield from open_test_store(request, tmp_path, request.param)


class InjectedFailure(RuntimeError):
    pass


def _mixed_file(tmp_path: Path) -> Path:
    """Valid rows, a rejected row, an in-file repeat: several chunks at chunk_rows=2."""
    rows = [
        acled_row("MLI1", "2024-01-01", "16.27", "-0.04"),
        acled_row("MLI2", "2024-01-02", "14.1", "-1.63"),
        acled_row("MLI3", "not a date", "14.1", "-1.63"),
        acled_row("MLI4", "2024-01-04", "16.27", "-0.04"),
        acled_row("MLI1", "2024-01-01", "16.27", "-0.04"),
        acled_row("MLI5", "2024-01-05", "14.1", "-1.63"),
        acled_row("MLI6", "2024-01-06", "16.27", "-0.04"),
    ]
    return write(tmp_path, "mixed.csv", [ACLED_HEADER, *rows])


def _comparable(report: ImportReport) -> dict[str, object]:
    data = report.to_dict()
    data.pop("batch_id")
    return data


def _stored(store: IncidentStore) -> pd.DataFrame:
    return store.load_incidents().drop(columns=["batch_id", "imported_at"])


@pytest.mark.parametrize("source", ["mixed", "acled_api_sample.csv", "acled_hdx_sample.csv"])
def test_streamed_import_stores_what_prepare_then_commit_stores(
    store: IncidentStore, tmp_path: Path, source: str
) -> None:
    path = _mixed_file(tmp_path) if source == "mixed" else FIXTURES / source
    reference = open_store(f"sqlite:///{tmp_path / 'reference.db'}")
    expected = commit_import(prepare_import(path, reference, today=TODAY), reference)
    streamed = import_file(path, store, today=TODAY, chunk_rows=2)
    assert streamed.batch_id is not None and not streamed.dry_run
    assert _comparable(streamed) == _comparable(expected)
    pd.testing.assert_frame_equal(_stored(store), _stored(reference))
    batches = store.list_batches()
    assert batches[["rows_read", "rows_accepted", "rows_rejected", "rows_duplicate"]].iloc[0].tolist() == [
        expected.rows_read,
        expected.rows_accepted,
        expected.rows_rejected,
        expected.rows_duplicate,
    ]
    reference.close()


def test_a_failure_after_chunks_were_written_leaves_the_store_as_it_was(
    store: IncidentStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_file(FIXTURES / "acled_api_sample.csv", store, today=TODAY)
    before = (store.count_incidents(), len(store.list_batches()), store.data_version())
    real_validate = stream_module.validate_staged
    calls: list[int] = []

    def fail_on_third_chunk(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise InjectedFailure("disk full")
        return real_validate(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(stream_module, "validate_staged", fail_on_third_chunk)
    with pytest.raises(InjectedFailure):
        import_file(_mixed_file(tmp_path), store, today=TODAY, chunk_rows=2)
    assert len(calls) == 3  # two chunks were checked and handed to the writer first
    assert (store.count_incidents(), len(store.list_batches()), store.data_version()) == before


def test_a_streamed_reimport_writes_no_batch(store: IncidentStore, tmp_path: Path) -> None:
    path = _mixed_file(tmp_path)
    first = import_file(path, store, today=TODAY, chunk_rows=2)
    before = (store.count_incidents(), len(store.list_batches()), store.data_version())
    again = import_file(path, store, today=TODAY, chunk_rows=2)
    assert again.batch_id is None and again.rows_accepted == 0
    assert again.rows_duplicate == first.rows_accepted + first.rows_duplicate
    assert (store.count_incidents(), len(store.list_batches()), store.data_version()) == before


def test_a_dry_run_writes_nothing(store: IncidentStore, tmp_path: Path) -> None:
    report = import_file(_mixed_file(tmp_path), store, today=TODAY, dry_run=True, chunk_rows=2)
    assert report.dry_run and report.batch_id is None and report.rows_accepted == 5
    assert store.count_incidents() == 0 and store.list_batches().empty
