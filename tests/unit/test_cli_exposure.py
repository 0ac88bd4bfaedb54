"""``python -m incidents exposure`` in-process, against a temporary SQLite store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from incidents.admin_join import attach_admin_units
from incidents.auth import Role, User
from incidents.cli.main import main
from incidents.risk.exposure import EXPOSURE_COLUMNS
from incidents.store import BatchMeta, IncidentStore
from incidents.store.corridors import active_corridor_segments, retire_corridor


def _add_incidents(store: IncidentStore) -> None:
    frame = pd.DataFrame(
        {
            "source_dataset": "manual",
            "source_event_id": ["m1", "m2", "m3"],
            "event_date": pd.to_datetime(["2024-03-30", "2024-03-01", "2023-01-01"]),
            "date_precision": "day",
            "latitude": [14.50, 14.60, 14.50],
            "longitude": [-4.18, -4.10, -4.18],
            "geo_precision": 1,
            "event_type": "battle",
            "actor_group": "JNIM",
            "fatalities": [2, 3, 50],
            "civilian_targeting": False,
        }
    )
    store.add_batch(attach_admin_units(frame), BatchMeta("m.csv", "0" * 64, "generic", rows_read=3))


def test_exposure_writes_a_formula_safe_csv(
    cli_store: IncidentStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_incidents(cli_store)
    sites = tmp_path / "sites.csv"
    sites.write_text(
        'name,type,lat,lon\nMopti office,office,14.49,-4.19\n"=HYPERLINK(""http://x"")",camp,16.27,-0.04\n'
        "Broken,camp,abc,1\n",
        encoding="utf-8",
    )
    out = tmp_path / "out" / "exposure.csv"
    assert main(["exposure", "--sites", str(sites), "--as-of", "2024-03-31", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "wrote the exposure of 2 sites/routes as of 2024-03-31" in printed
    assert "bad_coordinate" in printed

    table = pd.read_csv(out, keep_default_na=False)
    assert list(table.columns) == list(EXPOSURE_COLUMNS)
    assert table.loc[0, "name"] == "Mopti office"
    assert table.loc[1, "name"].startswith("'=HYPERLINK")
    assert (table.loc[0, "inc_10km_7d"], table.loc[0, "inc_25km_90d"]) == (1, 2)
    assert table.loc[0, "fatalities_50km_90d"] == 5  # the 2023 incident is outside 90 days
    assert table.loc[0, "exposure_rating"] in ("High", "Severe")  # an incident within 10 km this week


def test_as_of_defaults_to_the_latest_stored_event(
    cli_store: IncidentStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_incidents(cli_store)
    sites = tmp_path / "sites.csv"
    sites.write_text("name,lat,lon\nA,14.49,-4.19\n", encoding="utf-8")
    out = tmp_path / "e.csv"
    assert main(["exposure", "--sites", str(sites), "--out", str(out)]) == 0
    assert "as of 2024-03-30" in capsys.readouterr().out


def test_nearest_corridor_is_an_active_one_and_none_when_all_are_retired(
    cli_store: IncidentStore, tmp_path: Path
) -> None:
    _add_incidents(cli_store)
    sites = tmp_path / "sites.csv"
    sites.write_text("name,lat,lon\nMopti office,14.49,-4.19\n", encoding="utf-8")
    out = tmp_path / "e.csv"
    analyst = User("ana", Role.ANALYST)

    def nearest() -> tuple[str, str]:
        assert main(["exposure", "--sites", str(sites), "--as-of", "2024-03-31", "--out", str(out)]) == 0
        row = pd.read_csv(out, keep_default_na=False).iloc[0]
        return str(row["nearest_corridor"]), str(row["corridor_distance_km"])

    assert nearest()[0].startswith("Central Mali")  # C7 passes 1 km away
    retire_corridor(cli_store, "C7", by=analyst)
    name, km = nearest()
    assert not name.startswith("Central Mali") and float(km) > 100
    for corridor_id in sorted(set(active_corridor_segments(cli_store)["corridor_id"])):
        retire_corridor(cli_store, corridor_id, by=analyst)
    assert nearest() == ("", "")  # no active corridor: none, never the shipped lines
    # The corridors in force before any retirement (2000-01-01 is before the store existed: none).
    argv = ["exposure", "--sites", str(sites), "--as-of", "2024-03-31", "--out", str(out)]
    assert main([*argv, "--corridors-as-of", "2000-01-01"]) == 0
    assert pd.read_csv(out, keep_default_na=False).iloc[0]["nearest_corridor"] == ""


def test_file_without_usable_sites_fails_with_exit_2(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sites = tmp_path / "sites.csv"
    sites.write_text("name,lat,lon\nA,abc,1\n", encoding="utf-8")
    out = tmp_path / "e.csv"
    assert main(["exposure", "--sites", str(sites), "--out", str(out)]) == 2
    assert "no usable site" in capsys.readouterr().err
    assert not out.exists()


def test_missing_columns_and_bad_out_suffix(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sites = tmp_path / "sites.csv"
    sites.write_text("label,where\nA,b\n", encoding="utf-8")
    assert main(["exposure", "--sites", str(sites), "--out", str(tmp_path / "e.csv")]) == 2
    assert "error:" in capsys.readouterr().err
    assert main(["exposure", "--sites", str(sites), "--out", str(tmp_path / "e.xlsx")]) == 2
