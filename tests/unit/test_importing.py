"""Pure helpers of the Import page (dashboard/builders/importing.py), against a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from dashboard.builders import importing as imp
from incidents.auth import LOCAL_ADMIN
from incidents.errors import FileLevelError
from incidents.ingest.column_mapping import MAPPABLE_FIELDS, ColumnMapping, load_mapping
from incidents.ingest.report import ImportReport
from incidents.ingest.staged import ImportIssue
from incidents.store import IncidentStore

# ``store`` is the root conftest's: SQLite and PostgreSQL. SQLite's child-process batch writer is
# tested where writing is the subject (test_store.py, test_import_stream_write.py).


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
ACLED = FIXTURES / "acled_api_sample.csv"
GENERIC = FIXTURES / "generic_fr_semicolon.csv"
GENERIC_MAPPING = FIXTURES / "generic_mapping.json"


def test_run_validation_writes_nothing_and_commit_writes_one_batch(sqlite_store: IncidentStore) -> None:
    shares: list[float] = []
    prepared = imp.run_validation(
        ACLED.read_bytes(), ACLED.name, sqlite_store, progress=lambda share, _label: shares.append(share)
    )
    assert prepared.report.format == "acled"
    assert prepared.report.rows_accepted > 0
    assert len(prepared.preview) <= 20
    assert shares and all(0 <= share <= 1 for share in shares)
    assert sqlite_store.count_incidents() == 0

    report = imp.run_commit(prepared, sqlite_store, by=LOCAL_ADMIN)
    assert report.batch_id is not None
    assert sqlite_store.count_incidents() == report.rows_accepted
    batches = sqlite_store.list_batches()
    assert batches.loc[0, "user_name"] == imp.USER_NAME
    assert report.batch_id in imp.import_message(report)


def test_revalidating_a_committed_file_finds_only_duplicates(sqlite_store: IncidentStore) -> None:
    first = imp.run_validation(ACLED.read_bytes(), ACLED.name, sqlite_store)
    imp.run_commit(first, sqlite_store, by=LOCAL_ADMIN)
    again = imp.run_validation(ACLED.read_bytes(), ACLED.name, sqlite_store)
    assert again.report.rows_accepted == 0
    assert again.report.rows_duplicate > 0
    final = imp.run_commit(again, sqlite_store, by=LOCAL_ADMIN)
    assert final.batch_id is None
    assert "Nothing new" in imp.import_message(final)


def test_generic_file_validates_with_a_mapping_built_from_widget_values(sqlite_store: IncidentStore) -> None:
    data = GENERIC.read_bytes()
    raw = imp.read_upload(data, GENERIC.name)
    columns = list(raw.frame.columns)
    assert imp.effective_format("auto", columns) == "generic"
    saved = load_mapping(GENERIC_MAPPING)
    selections = imp.initial_selections(saved, columns)
    labels = imp.distinct_values(raw.frame, selections["event_type"])
    table = imp.event_type_table(labels, saved.event_type_values)
    mapping = imp.build_mapping(
        "field team", selections, imp.event_type_values_from_table(table), dayfirst=True
    )
    assert mapping.columns == saved.columns
    prepared = imp.run_validation(data, GENERIC.name, sqlite_store, fmt="generic", mapping=mapping)
    assert prepared.report.format == "generic"
    assert prepared.report.rows_accepted > 0


def test_bad_bytes_raise_a_file_level_error(sqlite_store: IncidentStore) -> None:
    with pytest.raises(FileLevelError):
        imp.run_validation(b"", "empty.csv", sqlite_store)


def test_an_encoding_chosen_on_the_page_reads_a_file_otherwise_refused(sqlite_store: IncidentStore) -> None:
    # The French fixture saved by an old DOS tool (cp850): refused until its encoding is chosen.
    data = GENERIC.read_bytes().decode("cp1252").encode("cp850", errors="replace")
    with pytest.raises(FileLevelError, match="UTF-8, UTF-16, Windows-1252"):
        imp.read_upload(data, "dos.csv")
    assert "cp850" in imp.ENCODING_LABELS
    raw = imp.read_upload(data, "dos.csv", "cp850")
    assert "Localité" in raw.frame.columns
    mapping = load_mapping(GENERIC_MAPPING)
    prepared = imp.run_validation(data, "dos.csv", sqlite_store, mapping=mapping, encoding="cp850")
    assert prepared.report.rows_accepted > 0
    assert "Point focal Douentza" in prepared.rows["source"].tolist()


def test_initial_selections_cover_every_field_and_match_case_insensitively() -> None:
    mapping = ColumnMapping(name="m", columns={"event_date": "DATE", "location": "Absent"})
    selections = imp.initial_selections(mapping, ["Date", "Lieu"])
    assert set(selections) == set(MAPPABLE_FIELDS)
    assert selections["event_date"] == "Date"
    assert selections["location"] == imp.NOT_MAPPED
    assert imp.missing_columns(mapping, ["Date", "Lieu"]) == ["Absent"]


def test_build_mapping_drops_unmapped_fields_and_blank_types() -> None:
    mapping = imp.build_mapping(
        "  ",
        {"event_date": "Date", "location": imp.NOT_MAPPED, "notes": None, "bogus": "x"},
        {"Attaque": "violence_against_civilians", "Autre": None, "Vide": "", "Nan": float("nan")},
        dayfirst=False,
    )
    assert mapping.name == "unnamed"
    assert mapping.columns == {"event_date": "Date"}
    assert mapping.event_type_values == {"Attaque": "violence_against_civilians"}
    assert mapping.date_dayfirst is False


def test_distinct_values_and_event_type_table() -> None:
    frame = pd.DataFrame({"Type": ["Attaque", " attaque", None, "Attaque", "", "Autre"]}, dtype="string")
    assert imp.distinct_values(frame, "Type") == ["Attaque", "attaque", "Autre"]
    assert imp.distinct_values(frame, None) == []
    assert imp.distinct_values(frame, "missing") == []
    assert imp.distinct_values(frame, "Type", limit=1) == ["Attaque"]
    table = imp.event_type_table(["Attaque", "Autre"], {"attaque": "battle"})
    assert list(table.columns) == list(imp.EVENT_TYPE_EDITOR_COLUMNS)
    assert imp.event_type_values_from_table(table) == {"Attaque": "battle", "Autre": None}
    assert imp.event_type_values_from_table(table.iloc[0:0]) == {}


def test_saved_mapping_round_trips(tmp_path: Path) -> None:
    mapping = ColumnMapping(
        name="Mopti field team / v2",
        columns={"event_date": "Date"},
        event_type_values={"Attaque": "battle"},
    )
    assert imp.saved_mappings(tmp_path / "none") == []
    path = imp.save_named_mapping(mapping, tmp_path / "mappings")
    assert path.name == "mopti_field_team_v2.json"
    assert imp.saved_mappings(tmp_path / "mappings") == [path]
    assert load_mapping(path) == mapping
    text = imp.mapping_json(mapping)
    assert json.loads(text)["columns"] == {"event_date": "Date"}
    assert imp.mapping_from_bytes(text.encode(), "upload.json") == mapping


def test_invalid_mappings_are_refused(tmp_path: Path) -> None:
    bad = ColumnMapping(name="bad", event_type_values={"x": "not_a_type"})
    with pytest.raises(FileLevelError, match="not_a_type"):
        imp.save_named_mapping(bad, tmp_path)
    assert not list(tmp_path.iterdir())
    with pytest.raises(FileLevelError, match="not valid JSON"):
        imp.mapping_from_bytes(b"{nope", "broken.json")


def _report(*issues: ImportIssue) -> ImportReport:
    return ImportReport("my file.csv", "0" * 64, "generic", None, 3, 1, 1, 1, issues=issues, dry_run=True)


def test_issue_filters_and_formula_safe_csv() -> None:
    report = _report(
        ImportIssue(
            line=2, column="notes", code="bad_date", severity="error", message="m", value="=HYPERLINK(1)"
        ),
        ImportIssue(
            line=3, column="x", code="outside_coverage", severity="warning", message="m", value="-3.5"
        ),
    )
    issues = report.issues_frame()
    assert imp.issue_options(issues) == (["error", "warning"], ["bad_date", "outside_coverage"])
    assert imp.issue_options(issues.iloc[0:0]) == ([], [])
    assert len(imp.filter_issues(issues)) == 2
    assert imp.filter_issues(issues, ["warning"])["code"].tolist() == ["outside_coverage"]
    assert imp.filter_issues(issues, [], ["bad_date"])["line"].tolist() == [2]
    assert imp.filter_issues(issues, ["warning"], ["bad_date"]).empty
    csv = imp.issues_csv(issues).decode("utf-8")
    assert "'=HYPERLINK(1)" in csv
    assert ",-3.5" in csv  # a plain number stays readable
    assert imp.issues_file_name(report) == "my_file_issues.csv"
    assert imp.summary_figures(report) == {
        "Rows read": 3,
        "Accepted (new)": 1,
        "Rejected": 1,
        "Duplicates skipped": 1,
        "Outside (skipped)": 0,
    }


def test_batch_helpers() -> None:
    batches = pd.DataFrame(
        {
            "batch_id": ["b2", "b1"],
            "file_name": ["new.csv", "old.csv"],
            "created_at": [pd.Timestamp("2025-11-02 10:04"), pd.Timestamp("2025-11-01 09:00")],
            "rows_accepted": [12, 5],
            "status": ["committed", "undone"],
        }
    )
    committed = imp.undoable_batches(batches)
    assert committed["batch_id"].tolist() == ["b2"]
    assert imp.batch_label(committed.iloc[0].to_dict()) == "b2 — new.csv (12 incidents, 2025-11-02 10:04 UTC)"
    assert imp.batch_rows(batches, "b1") == 5
    assert imp.batch_rows(batches, "nope") == 0
    assert imp.undoable_batches(batches.iloc[0:0]).empty


def test_clamp_share() -> None:
    assert imp.clamp_share(-0.1) == 0.0
    assert imp.clamp_share(1.2) == 1.0
    assert imp.clamp_share(0.5) == 0.5
