"""Files as analysts really download them: row-number columns, every ACLED layout since 2016,
pre-2019 ACLED event types, and what a dry run reports.

Fixtures (tests/fixtures/import/README.md) hold invented rows only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from incidents.cli.main import main
from incidents.ingest.adapters import adapt_acled
from incidents.ingest.detect import ACLED_API_COLUMNS, detect_format
from incidents.ingest.file_reader import read_raw_table
from incidents.ingest.pipeline import import_file, prepare_import
from incidents.model import EVENT_TYPES
from incidents.store import IncidentStore, open_store
from incidents.vocabularies import (
    ACLED_PRE_2019_EVENT_TYPES,
    acled_inter_code,
    derive_actor_group,
    map_acled_event_type,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "import"
TODAY = date(2026, 1, 1)


# --- dry run --------------------------------------------------------------------------------


def test_cli_dry_run_report_says_dry_run(tmp_path: Path) -> None:
    report_path = tmp_path / "r.json"
    env = {**os.environ, "SAHEL_DB_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    command = [sys.executable, "-m", "incidents", "import", str(FIXTURES / "acled_api_sample.csv")]
    result = subprocess.run(
        [*command, "--dry-run", "--report", str(report_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["dry_run"] is True and report["batch_id"] is None and report["rows_accepted"] == 12


def test_cli_dry_run_of_a_file_refused_as_a_whole_still_says_dry_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAHEL_DB_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    bad = tmp_path / "bad.csv"
    bad.write_text(",event_date\nMali,2023-01-14\n", encoding="utf-8")  # unnamed, not row numbers
    report_path = tmp_path / "r.json"
    assert main(["import", str(bad), "--dry-run", "--report", str(report_path)]) == 2
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["dry_run"] is True and report["batch_id"] is None
    assert "have no name" in report["error"]
    assert main(["import", str(bad), "--report", str(report_path)]) == 2
    assert json.loads(report_path.read_text(encoding="utf-8"))["dry_run"] is False


# --- ACLED layouts -----------------------------------------------------------------------------


def _header(line: str) -> list[str]:
    """Column names of a CSV header line, written as files carry it."""
    return line.split(",")


#: ACLED's 2016 API (JSON fields, as CSV exports of it carry them).
ACLED_2016_API = _header(
    "data_id,iso,event_id_cnty,event_id_no_cnty,event_date,year,time_precision,event_type,actor1,"
    "ally_actor_1,inter1,actor2,ally_actor_2,inter2,interaction,country,admin1,admin2,admin3,location,"
    "latitude,longitude,gwno,geo_precision,source,notes,fatalities"
)
#: ACLED's Version 6/7 Africa files (2016 and earlier): upper case, GWNO first.
ACLED_VERSION_7 = _header(
    "GWNO,EVENT_ID_CNTY,EVENT_ID_NO_CNTY,EVENT_DATE,YEAR,TIME_PRECISION,EVENT_TYPE,ACTOR1,ALLY_ACTOR_1,"
    "INTER1,ACTOR2,ALLY_ACTOR_2,INTER2,INTERACTION,COUNTRY,ADMIN1,ADMIN2,ADMIN3,LOCATION,LATITUDE,"
    "LONGITUDE,GEO_PRECISION,SOURCE,NOTES,FATALITIES"
)
#: The HDX exports of 2019-2020.
ACLED_HDX = _header(
    "data_id,iso,event_id_cnty,event_id_no_cnty,event_date,year,time_precision,event_type,sub_event_type,"
    "actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,region,country,admin1,admin2,"
    "admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,timestamp,iso3"
)
CORE = ("event_date", "event_type", "latitude", "longitude")


def _reduced(columns: list[str], keep: tuple[str, ...]) -> list[str]:
    """``columns`` cut down to ``keep`` (any case) and the core columns, in file order."""
    wanted = {name.casefold() for name in (*keep, *CORE)}
    return [name for name in columns if name.casefold() in wanted]


@pytest.mark.parametrize(
    "columns",
    [
        pytest.param(list(ACLED_API_COLUMNS), id="current-api"),
        pytest.param([name.upper() for name in ACLED_API_COLUMNS], id="current-api-upper"),
        pytest.param(ACLED_HDX, id="hdx"),
        pytest.param(ACLED_2016_API, id="api-2016"),
        pytest.param(ACLED_VERSION_7, id="version-7-upper"),
        pytest.param(["Unnamed: 0", *ACLED_2016_API], id="api-2016-index-kept-by-name"),
        pytest.param(
            _reduced(list(ACLED_API_COLUMNS), ("event_id_cnty", "sub_event_type", "inter1", "country")),
            id="current-api-reduced",
        ),
        pytest.param(
            _reduced(ACLED_2016_API, ("data_id", "gwno", "ally_actor_1", "fatalities")), id="api-2016-reduced"
        ),
        pytest.param(
            [name.title() for name in _reduced(ACLED_VERSION_7, ("GWNO", "EVENT_ID_CNTY", "INTER1"))],
            id="version-7-reduced-title-case",
        ),
        pytest.param(_reduced(ACLED_HDX, ("event_id_no_cnty", "assoc_actor_2", "inter2")), id="hdx-reduced"),
    ],
)
def test_every_acled_layout_is_detected_by_its_column_names(columns: list[str]) -> None:
    assert detect_format(columns) == "acled"


@pytest.mark.parametrize(
    "columns",
    [
        ["date", "latitude", "longitude", "event_type", "actor1", "actor2", "fatalities", "notes", "source"],
        ["event_date", "event_type", "latitude", "longitude", "geo_precision", "admin3", "country"],
    ],
)
def test_field_spreadsheets_with_a_few_acled_like_names_stay_generic(columns: list[str]) -> None:
    assert detect_format(columns) == "generic"


# --- pre-2019 event types and actor type codes ------------------------------------------------


def test_pre_2019_event_type_crosswalk_is_the_one_the_methodology_documents() -> None:
    """The table in docs/methodology.md is what analysts read: it must be what the importer does."""
    text = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    section = text.split("## ACLED event types before 2019", 1)[1].split("\n## ", 1)[0]
    documented = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 2 and not cells[0].startswith("ACLED type"):
            documented[cells[0]] = cells[1].split(" ", 1)[0]  # the canonical type, before any remark
    assert documented == dict(ACLED_PRE_2019_EVENT_TYPES)
    assert set(documented.values()) <= set(EVENT_TYPES)
    labels = pd.Series(list(ACLED_PRE_2019_EVENT_TYPES), dtype="string")
    mapped = map_acled_event_type(labels, pd.Series(pd.NA, index=labels.index, dtype="string"))
    assert mapped.tolist() == list(ACLED_PRE_2019_EVENT_TYPES.values())


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("battle - no change of territory", "battle"),
        ("BATTLE-NON-STATE ACTOR OVERTAKES TERRITORY", "battle"),
        ("Battles-Government regains territory", "battle"),
        ("Remote Violence", "explosion_remote_violence"),
        ("  remote   violence ", "explosion_remote_violence"),
        ("Riots / Protests", "protest_riot"),
        ("riot/protest", "protest_riot"),
        ("Strategic Developments", "strategic_development"),
        ("Strategic development", "strategic_development"),
        ("Headquarter or base established", "strategic_development"),
        ("Non-Violent transfer of territory", "strategic_development"),
        ("Violence Against Civilians", "violence_against_civilians"),
        ("Explosions / Remote violence", "explosion_remote_violence"),
        ("Battle", "battle"),
        ("Unrest", "other"),
    ],
)
def test_event_type_matching_ignores_case_spacing_hyphens_and_plurals(label: str, expected: str) -> None:
    mapped = map_acled_event_type(pd.Series([label], dtype="string"), pd.Series([pd.NA], dtype="string"))
    assert mapped.tolist() == [expected]


def test_abduction_rule_still_applies_to_violence_against_civilians() -> None:
    types = pd.Series(["Violence against civilians", "VIOLENCE AGAINST CIVILIANS"], dtype="string")
    subs = pd.Series(["Abduction/forced disappearance", pd.NA], dtype="string")
    assert map_acled_event_type(types, subs).tolist() == ["abduction", "violence_against_civilians"]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1", 1),
        ("8", 8),
        ("3.0", 3),
        ("0", None),
        ("9", None),
        ("State forces", 1),
        ("Rebel group", 2),
        ("Political militia", 3),
        ("Identity militia", 4),
        ("Rioters", 5),
        ("Protesters", 6),
        ("Civilians", 7),
        ("External/Other forces", 8),
        ("", None),
        (None, None),
    ],
)
def test_acled_actor_type_codes_numeric_and_text(value: str | None, code: int | None) -> None:
    assert acled_inter_code(value) == code


def test_actor_type_codes_name_the_family_of_actors_whose_names_match_none() -> None:
    actor1 = pd.Series(["Ganda Koy", "Unidentified Armed Group (Mali)", None, "JNIM", "Katiba X", "Foo"])
    actor2 = pd.Series([None, "Civilians (Mali)", "CMFPR", "Military Forces of Mali", None, "Bar"])
    numeric = derive_actor_group(
        actor1, actor2, pd.Series(["3", "3", "0", "2", "2", "1"]), pd.Series(["0", "7", "3", "1", "0", "8"])
    )
    assert numeric.tolist() == ["militia", "unidentified", "militia", "JNIM", "rebels", "state forces"]
    text = derive_actor_group(
        actor1,
        actor2,
        pd.Series(
            ["Political militia", "Political militia", None, "Rebel group", "Rebel groups", "State forces"]
        ),
        pd.Series([None, "Civilians", "Political militia", "State forces", None, "External/Other forces"]),
    )
    assert text.tolist() == numeric.tolist()
    assert derive_actor_group(actor1, actor2).tolist() == [
        "unidentified",
        "unidentified",
        "unidentified",
        "JNIM",
        "unidentified",
        "unidentified",
    ]


# --- the fixtures, as read and adapted ---------------------------------------------------------


def test_api_export_written_by_pandas_is_read_without_its_index() -> None:
    raw = read_raw_table(FIXTURES / "acled_api_with_index.csv")
    assert list(raw.frame.columns) == list(ACLED_API_COLUMNS)
    assert any("holds row numbers" in note for note in raw.warnings)
    assert detect_format(list(raw.frame.columns)) == "acled"


def test_hdx_export_written_by_r_is_read_without_its_row_names_and_na_is_missing() -> None:
    raw = read_raw_table(FIXTURES / "acled_hdx_r_export.csv")
    assert list(raw.frame.columns) == ACLED_HDX
    assert any("holds row numbers" in note for note in raw.warnings)
    staged = adapt_acled(raw).frame
    assert staged["actor2"].isna().sum() == 1  # "NA" in the file: R's missing value, not an actor
    assert not staged.isin(["NA"]).any().any()
    assert staged["actor_group"].tolist()[:2] == ["JNIM", "militia"]


def test_2016_api_dump_is_adapted_with_old_types_and_numeric_codes() -> None:
    raw = read_raw_table(FIXTURES / "acled_2016_api_africa.csv")
    assert list(raw.frame.columns) == ACLED_2016_API
    assert detect_format(list(raw.frame.columns)) == "acled"
    staged = adapt_acled(raw).frame
    assert 40 <= len(staged) <= 60
    assert staged["event_type"].notna().all()  # every old type understood
    assert set(staged["event_type_reported"]) >= set(ACLED_PRE_2019_EVENT_TYPES)
    ganda_koy = staged["actor1"] == "Ganda Koy"  # no family by name; inter1 = 3
    assert staged.loc[ganda_koy, "actor_group"].tolist() == ["militia"]
    countries = set(staged["reported_country"])
    assert {"Mali", "Burkina Faso", "Niger"} <= countries and {"Somalia", "Kenya", "Egypt"} <= countries


# --- end to end: the CLI and prepare_import, into real stores ----------------------------------

COVERED = ("MLI", "BFA", "NER")
REAL_FILES = ("acled_api_with_index.csv", "acled_hdx_r_export.csv", "acled_2016_api_africa.csv")


def _labels_in_file(name: str) -> dict[str, str]:
    """event_id_cnty -> event_type as the fixture writes it."""
    frame = pd.read_csv(FIXTURES / name, dtype=str, keep_default_na=False)
    return dict(zip(frame["event_id_cnty"], frame["event_type"], strict=True))


def _check_covered_rows(stored: pd.DataFrame, name: str) -> None:
    """Rows in the covered countries: types mapped (<= 1 % other), the file's labels kept."""
    covered = stored[stored["country_iso3"].isin(COVERED)]
    assert len(covered) >= 6
    assert (covered["event_type"] == "other").mean() <= 0.01
    labels = _labels_in_file(name)
    assert covered["event_type_reported"].tolist() == [labels[i] for i in covered["source_event_id"]]


@pytest.mark.parametrize("name", REAL_FILES)
def test_real_layouts_import_through_the_cli_with_their_labels(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SAHEL_DB_URL", url)
    report_path = tmp_path / "r.json"
    assert main(["import", str(FIXTURES / name), "--report", str(report_path)]) == 0
    assert "note: column 1 (with an empty header) holds row numbers" in capsys.readouterr().out
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["format"] == "acled" and report["batch_id"] and report["dry_run"] is False
    assert any("holds row numbers" in note for note in report["warnings"])
    assert not [issue for issue in report["issues"] if issue["code"] == "unknown_event_type"]
    store = open_store(url)
    try:
        _check_covered_rows(store.load_incidents(), name)
    finally:
        store.close()


def test_2016_dump_keeps_every_covered_row_with_its_old_label(store: IncidentStore) -> None:
    name = "acled_2016_api_africa.csv"
    report = import_file(FIXTURES / name, store, today=TODAY)
    stored = store.load_incidents()
    covered = stored[stored["country_iso3"].isin(COVERED)]
    assert len(covered) == 30  # every Mali, Burkina Faso and Niger row of the file
    _check_covered_rows(stored, name)
    assert set(covered["event_type_reported"]) >= set(ACLED_PRE_2019_EVENT_TYPES)
    by_id = covered.set_index("source_event_id")
    assert by_id.loc["MLI9300", ["event_type", "event_type_reported"]].tolist() == [
        "explosion_remote_violence",
        "Remote violence",
    ]
    assert by_id.loc["MLI9312", "actor_group"] == "militia"  # "Ganda Koy", inter1 = 3
    assert report.rows_read == 48


@pytest.mark.parametrize("name", REAL_FILES)
def test_prepare_import_reads_each_real_file_and_notes_the_index(name: str, store: IncidentStore) -> None:
    prepared = prepare_import(FIXTURES / name, store, today=TODAY)
    assert prepared.report.format == "acled"
    assert any("holds row numbers" in note for note in prepared.report.warnings)
    assert "" not in prepared.raw.frame.columns  # the index column is gone from the preview too
    _check_covered_rows(prepared.rows, name)
    assert store.count_incidents() == 0  # nothing written
