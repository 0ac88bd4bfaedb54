"""The Import page run headless with ``streamlit.testing`` against a fresh SQLite store.

AppTest cannot drive ``st.file_uploader``, so the validation step is done with
``dashboard.builders.importing.run_validation`` (what the "Validate" button calls) and its result
placed in session state, where the page keeps it; confirming, committing and undoing are
then driven through the page's widgets by key.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.builders import importing as imp
from incidents.auth import LOCAL_ADMIN
from incidents.ingest.pipeline import PreparedImport
from incidents.store import IncidentStore
from tests.app.helpers import IMPORT_FIXTURES, IMPORT_PAGE, assert_clean, start_app, texts

FIXTURE = IMPORT_FIXTURES / "acled_api_sample.csv"

# No shared store: each test imports into its own (an import made by one must not turn the next one's
# rows into duplicates).


@pytest.fixture
def page(app_db_url: str) -> AppTest:
    return start_app(IMPORT_PAGE)


def _prepare(store: IncidentStore) -> PreparedImport:
    return imp.run_validation(FIXTURE.read_bytes(), FIXTURE.name, store)


def test_page_renders_the_empty_state(page: AppTest) -> None:
    assert_clean(page)
    assert any("Import incidents" in text for text in texts(page.title))
    assert any("Upload a file to start" in text for text in texts(page.info))
    assert page.selectbox(key="import_format").value == "auto"
    assert page.selectbox(key="import_format").options == [
        imp.FORMAT_LABELS[fmt] for fmt in ("auto", "acled", "ucdp", "generic")
    ]
    assert page.radio(key="import_dayfirst").value is True
    # Nothing to confirm before a file was validated.
    with pytest.raises(KeyError):
        page.button(key="import_confirm")
    # The demo load (the fixture's, as on a first start) is a batch too: the history lists it.
    assert page.selectbox(key="undo_batch").options


def test_prepared_import_shows_preview_and_summary_then_commits(
    page: AppTest, app_store: IncidentStore
) -> None:
    prepared = _prepare(app_store)
    page.session_state["import_prepared"] = prepared
    page.run()
    assert_clean(page)
    metrics = {metric.label: metric.value for metric in page.metric}
    report = prepared.report
    assert metrics["Rows read"] == f"{report.rows_read:,}"
    assert metrics["Accepted (new)"] == f"{report.rows_accepted:,}"
    assert len(page.dataframe) >= 2  # preview and batch history (plus issues when any)
    confirm = page.button(key="import_confirm")
    assert confirm.label == f"Import {report.rows_accepted:,} rows"
    assert not confirm.disabled

    before = app_store.count_incidents()
    confirm.click().run()
    assert not page.exception, page.exception
    assert app_store.count_incidents() == before + report.rows_accepted
    batch_id = app_store.list_batches().loc[0, "batch_id"]
    assert any(batch_id in text for text in texts(page.success))
    # The new batch is offered for undo; the prepared import is gone (no double commit).
    assert page.selectbox(key="undo_batch").value == batch_id
    with pytest.raises(KeyError):
        page.button(key="import_confirm")


def test_nothing_new_disables_the_import_button(page: AppTest, app_store: IncidentStore) -> None:
    # no-op when an earlier test committed it already
    imp.run_commit(_prepare(app_store), app_store, by=LOCAL_ADMIN)
    page.session_state["import_prepared"] = _prepare(app_store)
    page.run()
    assert not page.exception, page.exception
    assert page.button(key="import_confirm").disabled
    assert any("Nothing to import" in text for text in texts(page.info))


def test_undo_needs_confirmation_and_removes_the_batch(page: AppTest, app_store: IncidentStore) -> None:
    committed = imp.run_commit(_prepare(app_store), app_store, by=LOCAL_ADMIN)
    if committed.batch_id is None:  # an earlier test imported the fixture: undo that batch instead
        batches = imp.undoable_batches(app_store.list_batches())
        batch_id = batches.loc[batches["file_name"] == FIXTURE.name, "batch_id"].iloc[0]
    else:
        batch_id = committed.batch_id
    page.run()
    rows = imp.batch_rows(app_store.list_batches(), batch_id)
    page.selectbox(key="undo_batch").set_value(batch_id).run()
    assert page.button(key="undo_button").disabled
    confirm = page.checkbox(key="undo_confirm")
    assert confirm.label == f"I understand this removes {rows:,} incidents"

    before = app_store.count_incidents()
    confirm.check().run()
    page.button(key="undo_button").click().run()
    assert_clean(page)
    assert app_store.count_incidents() == before - rows
    status = app_store.list_batches().set_index("batch_id").loc[batch_id, "status"]
    assert status == "undone"
    assert any(f"{rows:,} incidents removed" in text for text in texts(page.success))
    assert batch_id not in page.selectbox(key="undo_batch").options
    assert page.checkbox(key="undo_confirm").value is False


class _FakeUpload:
    """Stands in for st.file_uploader's UploadedFile (AppTest cannot upload files)."""

    def __init__(self, path: Path) -> None:
        self.name = path.name
        self.file_id = f"test-{path.name}"
        self._data = path.read_bytes()

    def getvalue(self) -> bytes:
        return self._data


def test_generic_upload_shows_the_mapping_editor_and_validates(
    app_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streamlit

    upload = _FakeUpload(IMPORT_FIXTURES / "generic_fr_semicolon.csv")
    real_uploader = streamlit.file_uploader

    def fake_uploader(label: str, *args: object, **kwargs: object) -> object:
        if kwargs.get("key") == "import_file":
            return upload
        return real_uploader(label, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(streamlit, "file_uploader", fake_uploader)
    at = start_app(IMPORT_PAGE)
    assert_clean(at)
    assert at.selectbox(key="map_event_date").value == "Date"
    assert at.selectbox(key="map_latitude").value == "Latitude"
    assert at.selectbox(key="map_event_type").value == "Type d'incident"
    assert any("Detected format: **generic**" in text for text in texts(at.caption))

    at.button(key="import_validate").click().run()
    assert_clean(at)
    prepared = at.session_state["import_prepared"]
    assert prepared.report.format == "generic"
    assert prepared.report.rows_read > 0
    assert at.button(key="import_confirm").label.startswith("Import ")

    # Switching to a named format and back keeps a usable mapping (suggestions re-applied).
    at.selectbox(key="import_format").set_value("acled").run()
    at.selectbox(key="import_format").set_value("generic").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="map_event_date").value == "Date"


def test_outside_coverage_checkbox_and_count(page: AppTest, app_store: IncidentStore) -> None:
    keep = page.checkbox(key="import_keep_outside")
    assert keep.value is False and "--keep-outside" in (keep.help or "")
    outside = IMPORT_FIXTURES / "acled_outside_coverage.csv"
    prepared = imp.run_validation(outside.read_bytes(), outside.name, app_store)
    page.session_state["import_prepared"] = prepared
    page.run()
    assert_clean(page)
    metrics = {metric.label: metric.value for metric in page.metric}
    assert metrics["Outside (skipped)"] == "7"
    kept = imp.run_validation(outside.read_bytes(), outside.name, app_store, keep_outside=True)
    assert imp.summary_figures(kept.report)["Outside (kept)"] == 7
    assert kept.report.rows_accepted == prepared.report.rows_accepted + 7


def test_page_offers_a_text_encoding_for_csv_files(page: AppTest) -> None:
    assert_clean(page)
    encoding = page.selectbox(key="import_encoding")
    assert encoding.value == ""  # recognise UTF-8, UTF-16 or Windows-1252
    assert encoding.options == list(imp.ENCODING_LABELS.values())
