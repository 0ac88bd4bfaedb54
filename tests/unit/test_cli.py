"""The CLI in-process, against a temporary SQLite store chosen through SAHEL_DB_URL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from incidents.admin_join import attach_admin_units
from incidents.cli.main import main
from incidents.export import neutralise_formulas
from incidents.store import BatchMeta, IncidentStore
from tests.dated_fixtures import import_acled


def add_risky_incidents(store: IncidentStore) -> None:
    frame = pd.DataFrame(
        {
            "source_dataset": "manual",
            "source_event_id": ["m1", "m2"],
            "event_date": pd.to_datetime(["2024-03-01", "2024-04-01"]),
            "date_precision": "day",
            "latitude": [14.48, 13.51],
            "longitude": [-4.18, 2.13],
            "geo_precision": 1,
            "event_type": "battle",
            "actor_group": "JNIM",
            "fatalities": [2, 0],
            "civilian_targeting": False,
            "location": ["Mopti", "-12"],
            "notes": ['=HYPERLINK("http://evil.example","click")', "@SUM(A1:A2)"],
        }
    )
    store.add_batch(attach_admin_units(frame), BatchMeta("risky.csv", "0" * 64, "generic", rows_read=2))


def test_demo_twice_adds_nothing_the_second_time(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--rows", "300"]) == 0
    first = capsys.readouterr().out
    assert main(["demo", "--rows", "300"]) == 0
    second = capsys.readouterr().out
    assert "300 synthetic rows added, 19 UCDP rows added" in first
    assert "0 synthetic rows added, 0 UCDP rows added" in second
    assert "319 incidents" in second


def test_batches_lists_both_demo_batches(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["demo", "--rows", "50"])
    capsys.readouterr()
    assert main(["batches"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split()[:2] == ["batch_id", "created_at"]
    assert len(lines) == 3
    assert any("demo (synthetic)" in line for line in lines)
    assert any("ucdp_ged_sample_sahel_2012plus.csv" in line for line in lines)


def test_batches_on_empty_store(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batches"]) == 0
    assert "no batches" in capsys.readouterr().out


def test_undo_removes_a_batch(cli_store: IncidentStore, capsys: pytest.CaptureFixture[str]) -> None:
    add_risky_incidents(cli_store)
    batch_id = cli_store.list_batches()["batch_id"].iloc[0]
    assert main(["undo", batch_id]) == 0
    assert "2 rows removed" in capsys.readouterr().out
    assert cli_store.count_incidents() == 0
    assert main(["undo", batch_id]) == 2
    assert "already undone" in capsys.readouterr().err


def test_undo_unknown_batch_exits_2_with_one_sentence(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["undo", "no-such-batch"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "no-such-batch" in captured.err
    assert "Traceback" not in captured.err


def test_export_csv_neutralises_formulas_and_keeps_numbers(
    cli_store: IncidentStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_risky_incidents(cli_store)
    out = tmp_path / "out.csv"
    assert main(["export", "--out", str(out)]) == 0
    frame = pd.read_csv(out, keep_default_na=False).set_index("source_event_id")
    assert frame.loc["m1", "notes"] == '\'=HYPERLINK("http://evil.example","click")'
    assert frame.loc["m2", "notes"] == "'@SUM(A1:A2)"
    assert frame.loc["m2", "location"] == "-12"  # a plain number cannot run: left as is
    assert pd.api.types.is_float_dtype(frame["longitude"])
    assert frame.loc["m1", "longitude"] == pytest.approx(-4.18)
    assert frame.loc["m1", "event_date"] == "2024-03-01"
    assert "wrote 2 incidents" in capsys.readouterr().out


def test_export_filters_by_country_and_dates(
    cli_store: IncidentStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_risky_incidents(cli_store)
    out = tmp_path / "out.csv"
    assert main(["export", "--out", str(out), "--country", "ner", "mli", "--since", "2024-03-15"]) == 0
    assert pd.read_csv(out)["source_event_id"].tolist() == ["m2"]
    assert main(["export", "--out", str(out), "--country", "MLI", "--until", "2024-03-01"]) == 0
    assert pd.read_csv(out)["source_event_id"].tolist() == ["m1"]


def test_export_labels_demo_rows(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["demo", "--rows", "40"])
    out = tmp_path / "out.csv"
    capsys.readouterr()
    assert main(["export", "--out", str(out)]) == 0
    assert "40 rows are synthetic demo events" in capsys.readouterr().out
    assert (pd.read_csv(out)["source_dataset"] == "demo").sum() == 40


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_export_geodata_reads_back(
    db_url: str, tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["demo", "--rows", "60"])
    out = tmp_path / f"out{suffix}"
    assert main(["export", "--out", str(out)]) == 0
    frame = gpd.read_file(
        out, **({"layer": "incidents"} if suffix == ".gpkg" else {})
    )  # + a provenance layer
    assert len(frame) == 79
    assert frame.crs.to_epsg() == 4326
    assert (frame.geometry.x.round(6) == frame["longitude"].round(6)).all()
    assert set(frame["source_dataset"]) == {"demo", "ucdp"}


def test_export_to_unknown_format_exits_2(db_url: str, tmp_path: Path) -> None:
    assert main(["export", "--out", str(tmp_path / "out.xlsx")]) == 2


def test_export_to_missing_directory_exits_2(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--out", str(tmp_path / "nowhere" / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write") and "Traceback" not in err


def test_bad_store_url_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SAHEL_DB_URL", "mysql://host/db")
    assert main(["batches"]) == 2
    assert "SAHEL_DB_URL" in capsys.readouterr().err


def test_neutralise_formulas_touches_only_risky_text() -> None:
    risky = ["=1+2", "+A1", "-1+cmd|' /C calc'!A0", "\tx", "\rx"]
    frame = pd.DataFrame(
        {
            "text": pd.array([*risky, "ok", "-3.5", None], dtype="string"),
            "number": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        }
    )
    result = neutralise_formulas(frame)
    assert result["text"].tolist()[:7] == [*("'" + cell for cell in risky), "ok", "-3.5"]
    assert result["text"].isna().iloc[7]
    assert result["number"].tolist() == frame["number"].tolist()
    assert frame["text"].iloc[0] == "=1+2"  # the input is not modified


def test_export_of_acled_rows_credits_acled_and_says_how_old_the_data_are(
    cli_store: IncidentStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_acled(cli_store, tmp_path, date(2022, 12, 30))
    out = tmp_path / "acled.csv"
    capsys.readouterr()
    assert main(["export", "--out", str(out), "--country", "MLI"]) == 0
    printed = capsys.readouterr().out
    assert "rows come from ACLED; credit them: Armed Conflict Location & Event Data (ACLED)" in printed
    assert "UCDP" not in printed
    assert "note: The newest incident is from 30 Dec 2022" in printed
    sidecar = (tmp_path / "acled.provenance.txt").read_text(encoding="utf-8")
    assert "Armed Conflict Location & Event Data (ACLED); www.acleddata.com" in sidecar
    assert "2022-acled-export-Mali.csv" in sidecar and "Uppsala" not in sidecar
    assert "Natural Earth" in sidecar and "Countries: MLI" in sidecar
    assert "Data as of: 30 Dec 2022 (newest incident)" in sidecar


def test_export_of_ucdp_rows_names_the_ged_version(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["demo", "--rows", "20"])
    out = tmp_path / "all.geojson"
    capsys.readouterr()
    assert main(["export", "--out", str(out)]) == 0
    assert "rows come from UCDP GED v23.1; credit them: Source: Uppsala" in capsys.readouterr().out
    provenance = json.loads(out.read_text(encoding="utf-8"))["provenance"]
    assert "Global v23.1" in provenance["sources"] and "ACLED" not in provenance["sources"]
    assert provenance["includes_demo"] is True
