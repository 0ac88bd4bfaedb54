"""End to end through the real readers, validation, dedupe and store: file in, batch and report out."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from incidents.cli.main import main
from incidents.errors import FileLevelError
from incidents.ingest.pipeline import commit_import, import_file, prepare_import
from incidents.store import IncidentStore

# ``store`` is the root conftest's: SQLite and PostgreSQL. SQLite's child-process batch writer is
# tested where writing is the subject (test_store.py, test_import_stream_write.py).


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
UCDP_SAMPLE = (
    Path(__file__).resolve().parents[2] / "incidents" / "data" / "ucdp_ged_sample_sahel_2012plus.csv"
)
TODAY = date(2026, 1, 1)

ACLED_HEADER = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
    "assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,"
    "admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,"
    "tags,timestamp"
)


def acled_row(
    event_id: str,
    when: str,
    lat: str,
    lon: str,
    fatalities: str = "1",
    *,
    note: str = "n",
    country: str = "Mali",
    location: str = "Gao",
    event_type: str = "Battles",
) -> str:
    return (
        f"{event_id},{when},2024,1,Political violence,{event_type},Armed clash,JNIM,,Rebel group,"
        f"Military Forces of Mali (2021-),,State forces,x,,466,Western Africa,{country},Gao,Gao,Gao,"
        f"{location},{lat},{lon},1,Synthetic,Local,{note},{fatalities},,1700000000"
    )


def write(tmp_path: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_each_reason_code_reported_at_its_physical_line(tmp_path: Path, store: IncidentStore) -> None:
    lines = [
        ACLED_HEADER,  # line 1
        acled_row("T1", "2024-03-01", "16.27", "-0.04", note='"first line\nsecond line"'),  # lines 2-3
        acled_row("T2", "not a date", "16.27", "-0.04"),  # line 4
        acled_row("T3", "2030-01-01", "16.27", "-0.04"),  # line 5
        acled_row("T4", "2024-03-01", "abc", "-0.04"),  # line 6
        acled_row("T5", "2024-03-01", "16.27", "-0.04", fatalities="-3"),  # line 7
        acled_row("T6", "2024-03-01", "16.27", "-0.04", fatalities="many"),  # line 8
        acled_row("T1", "2024-03-01", "16.27", "-0.04"),  # line 9: same id as line 2
        acled_row("T7", "2024-03-01", "16.27", "-0.04", country="Niger"),  # line 10
        acled_row("T8", "2024-03-01", "10.0", "-30.0", country=""),  # line 11: Atlantic
        acled_row("T9", "2024-03-01", "16.27", "-0.04", event_type="Unrest"),  # line 12
        acled_row("T10", "2024-03-01", "95", "-0.04"),  # line 13
    ]
    report = import_file(write(tmp_path, "acled.csv", lines), store, today=TODAY)
    found = {(issue.code, issue.line) for issue in report.issues}
    expected = {
        ("bad_date", 4),
        ("future_date", 5),
        ("bad_coordinate", 6),
        ("negative_fatalities", 7),
        ("bad_fatalities", 8),
        ("duplicate_in_file", 9),
        ("country_mismatch", 10),
        ("outside_coverage", 11),
        ("unknown_event_type", 12),
        ("coordinate_out_of_range", 13),
    }
    assert expected <= found
    assert report.rows_read == 11
    assert report.rows_rejected == 6
    assert report.rows_duplicate == 1
    assert report.rows_outside_coverage == 1  # T8, in the Atlantic: skipped, not stored
    assert report.rows_accepted == 3
    assert report.batch_id is not None
    stored = store.load_incidents()
    assert sorted(stored["source_event_id"]) == ["T1", "T7", "T9"]
    assert stored.set_index("source_event_id").loc["T1", "notes"] == "first line\nsecond line"


def test_acled_api_fixture_is_imported_and_reimport_changes_nothing(store: IncidentStore) -> None:
    first = import_file(FIXTURES / "acled_api_sample.csv", store, today=TODAY)
    assert (first.format, first.rows_read, first.rows_rejected) == ("acled", 12, 0)
    assert store.count_incidents() == first.rows_accepted == 12
    version = store.data_version()
    second = import_file(FIXTURES / "acled_api_sample.csv", store, today=TODAY)
    assert second.batch_id is None
    assert (second.rows_accepted, second.rows_duplicate) == (0, 12)
    assert {i.code for i in second.issues} >= {"duplicate_in_store"}
    assert store.count_incidents() == 12
    assert store.data_version() == version


def test_hdx_layout_and_ucdp_and_generic_with_mapping(store: IncidentStore) -> None:
    from incidents.ingest.column_mapping import load_mapping

    hdx = import_file(FIXTURES / "acled_hdx_sample.csv", store, today=TODAY)
    assert hdx.format == "acled" and hdx.rows_accepted > 0 and hdx.rows_rejected == 0
    ucdp = import_file(UCDP_SAMPLE, store, today=TODAY)
    assert (ucdp.format, ucdp.rows_read, ucdp.rows_accepted) == ("ucdp", 19, 19)
    generic = import_file(
        FIXTURES / "generic_fr_semicolon.csv",
        store,
        today=TODAY,
        mapping=load_mapping(FIXTURES / "generic_mapping.json"),
    )
    assert generic.format == "generic"
    assert any("cp1252" in warning for warning in generic.warnings)
    assert "geocoded_from_name" in {issue.code for issue in generic.issues}
    assert store.count_incidents() == hdx.rows_accepted + 19 + generic.rows_accepted


def test_dry_run_writes_nothing(store: IncidentStore) -> None:
    report = import_file(FIXTURES / "acled_api_sample.csv", store, dry_run=True, today=TODAY)
    assert report.dry_run and report.batch_id is None and report.rows_accepted == 12
    assert store.count_incidents() == 0 and store.list_batches().empty


def test_prepare_then_commit_reports_progress(store: IncidentStore) -> None:
    seen: list[float] = []
    prepared = prepare_import(
        FIXTURES / "acled_api_sample.csv",
        store,
        today=TODAY,
        progress=lambda share, _label: seen.append(share),
    )
    report = commit_import(prepared, store, progress=lambda share, _label: seen.append(share))
    assert report.batch_id is not None and not report.dry_run
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.7\n\x00\x01\x02binary", "not"),
        (b"date,notes\n2024-01-01,hello\n", "required"),
    ],
)
def test_file_level_failures_raise_and_write_nothing(
    tmp_path: Path, store: IncidentStore, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(FileLevelError, match=message):
        import_file(path, store, today=TODAY)
    assert store.count_incidents() == 0 and store.list_batches().empty


def test_size_limit_is_a_file_level_failure(tmp_path: Path, store: IncidentStore) -> None:
    path = write(
        tmp_path,
        "big.csv",
        [ACLED_HEADER] + [acled_row(f"B{i}", "2024-03-01", "16.27", "-0.04") for i in range(200)],
    )
    with pytest.raises(FileLevelError, match="limit"):
        import_file(path, store, max_bytes=1000)


def test_cli_import_report_json_and_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAHEL_DB_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    report_path = tmp_path / "report.json"
    assert main(["import", str(FIXTURES / "acled_api_sample.csv"), "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert set(report) >= {
        "file",
        "sha256",
        "format",
        "batch_id",
        "rows_read",
        "rows_accepted",
        "rows_rejected",
        "rows_duplicate",
        "issues",
    }
    assert report["batch_id"] and report["rows_accepted"] == 12
    for issue in report["issues"]:
        assert set(issue) == {"line", "column", "code", "severity", "message", "value"}
        assert issue["severity"] in ("error", "warning")

    bad = tmp_path / "bad.csv"
    bad.write_text("just one column\nx\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["import", str(bad), "--report", str(report_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and err.count("\n") == 0 and "Traceback" not in err
    failure = json.loads(report_path.read_text(encoding="utf-8"))
    assert failure["batch_id"] is None and failure["rows_read"] == 0 and failure["error"]
    assert main(["batches"]) == 0
    assert capsys.readouterr().out.count("committed") == 1


def test_generic_file_geocodes_names_and_flags_ambiguity_swaps_and_gaps(
    tmp_path: Path, store: IncidentStore
) -> None:

    from incidents.ingest.column_mapping import ColumnMapping

    mapping = ColumnMapping(
        name="field team",
        columns={
            "event_date": "date",
            "latitude": "lat",
            "longitude": "lon",
            "location": "place",
            "country": "country",
            "event_type": "type",
            "fatalities": "dead",
        },
        event_type_values={"attack": "violence_against_civilians"},
    )
    lines = [
        "date;lat;lon;place;country;type;dead",  # line 1
        "12/09/2024;;;Ménaka;Mali;attack;2",  # line 2: placed from the gazetteer
        "13/09/2024;;;Boni;;attack;0",  # line 3: several villages called Boni
        "14/09/2024;-0,04;16,27;Gao;Mali;attack;1",  # line 4: lat/lon swapped
        ";16,27;-0,04;Gao;Mali;attack;1",  # line 5: no date
        "15/09/2024;;;;Mali;attack;1",  # line 6: neither coordinates nor place
    ]
    report = import_file(write(tmp_path, "field.csv", lines), store, mapping=mapping, today=TODAY)
    found = {(issue.code, issue.line) for issue in report.issues}
    assert {
        ("geocoded_from_name", 2),
        ("ambiguous_place", 3),
        ("suspect_swapped_lat_lon", 4),
        ("missing_required", 5),
        ("missing_required", 6),
    } <= found
    ambiguous = next(issue for issue in report.issues if issue.code == "ambiguous_place")
    assert ambiguous.message.count("gn:") + ambiguous.message.count("osm:") >= 2
    stored = store.load_incidents()
    assert len(stored) == report.rows_accepted == 1
    assert (stored.loc[0, "admin2_code"], stored.loc[0, "geo_precision"]) == ("ML.GA.MN", 2)
