"""``python -m incidents risk`` in-process, against a temporary SQLite store."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from geodata.crs import WGS84
from incidents.auth import Role, User
from incidents.cli.args import moment
from incidents.cli.main import main
from incidents.export import neutralise_formulas
from incidents.risk.index import INDEX_COLUMNS
from incidents.risk.units import unit_names
from incidents.store import open_store
from incidents.store.corridors import add_corridor_version, retire_corridor
from tests.stored import store_frame

REQUIRED = (*INDEX_COLUMNS, "trend_4w", "trend_52w", "surge")
TRENDS = {"large_increase", "moderate_increase", "limited_change", "large_decrease"}


@pytest.fixture
def filled(db_url: str) -> str:
    dates = ["2024-01-10", "2024-06-01", "2024-06-25", "2024-06-28", "2024-06-30"]
    frame = pd.DataFrame(
        {
            "source_dataset": "manual",
            "source_event_id": [f"m{i}" for i in range(len(dates))],
            "event_date": pd.to_datetime(dates),
            "date_precision": "day",
            "latitude": [14.10, 14.10, 14.10, 15.00, 15.00],  # Soum (BF), then Douentza (ML)
            "longitude": [-1.63, -1.63, -1.63, -2.95, -2.95],
            "geo_precision": 1,
            "event_type": "battle",
            "actor1": ["JNIM", "JNIM", "Islamic State Sahel", "JNIM", "Military Forces of Mali"],
            "actor_group": "JNIM",
            "fatalities": [1, 2, 3, 4, 5],
            "civilian_targeting": [False, True, False, False, True],
            "location": ["Djibo", "Djibo", "Djibo", "Douentza", "Douentza"],
        }
    )
    return store_frame(db_url, frame)


def test_risk_admin2_defaults_to_last_event_date(
    filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "risk.csv"
    assert main(["risk", "--level", "admin2", "--out", str(out)]) == 0
    assert "ending 2024-06-30" in capsys.readouterr().out
    table = pd.read_csv(out, keep_default_na=False)
    assert set(REQUIRED) <= set(table.columns)
    assert len(table) == len(unit_names("admin2"))
    assert set(table["trend_4w"]) <= TRENDS and set(table["trend_52w"]) <= TRENDS
    soum = table.set_index("unit_code").loc["BF-SOM"]
    assert (soum["events"], soum["fatalities"], soum["civilian_events"], soum["armed_groups"]) == (3, 6, 1, 2)
    assert table["index"].is_monotonic_decreasing
    assert table["risk_level"].between(1, 5).all()
    pd.testing.assert_frame_equal(neutralise_formulas(table), table)


def test_risk_as_of_and_window(filled: str, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    assert (
        main(["risk", "--level", "admin1", "--as-of", "2024-06-05", "--window-days", "30", "--out", str(out)])
        == 0
    )
    table = pd.read_csv(out, keep_default_na=False).set_index("unit_code")
    assert table.loc["BF-12", "events"] == 1  # only 1 June is within 7 May - 5 June
    assert table.loc["ML-5", "events"] == 0


def test_risk_corridor_level(filled: str, tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    assert main(["risk", "--level", "corridor", "--out", str(out)]) == 0
    table = pd.read_csv(out, keep_default_na=False)
    assert sorted(table["unit_code"]) == sorted(unit_names("corridor")["unit_code"])


def _retire_c1_and_move_c3_east(db_url: str) -> None:
    """An analyst retires C1 and uploads a new C3 route through Maradi (far from the incidents)."""
    store = open_store(db_url)
    try:
        analyst = User("ana", Role.ANALYST)
        retire_corridor(store, "C1", by=analyst)
        moved = gpd.GeoDataFrame(geometry=[LineString([(6.8, 13.3), (7.5, 13.7)])], crs=WGS84)
        add_corridor_version(store, "C3", moved, name="C3 moved east", by=analyst)
    finally:
        store.close()


def test_risk_corridor_level_uses_the_stores_active_corridors(filled: str, tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    assert main(["risk", "--level", "corridor", "--out", str(out)]) == 0
    shipped = pd.read_csv(out, keep_default_na=False).set_index("unit_code")
    assert (shipped.loc["C1", "events"], shipped.loc["C3", "events"]) == (3, 3)  # Djibo is on both
    _retire_c1_and_move_c3_east(filled)
    assert main(["risk", "--level", "corridor", "--out", str(out)]) == 0
    table = pd.read_csv(out, keep_default_na=False).set_index("unit_code")
    assert "C1" not in table.index and len(table) == 8
    assert (table.loc["C3", "unit_name"], table.loc["C3", "events"]) == ("C3 moved east", 0)


def test_risk_corridors_as_of_reproduces_a_past_analysis(
    filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before_changes = datetime.now(UTC)
    time.sleep(0.01)  # the next versions are created strictly after this moment
    _retire_c1_and_move_c3_east(filled)
    out = tmp_path / "then.csv"
    capsys.readouterr()
    argv = ["risk", "--level", "corridor", "--corridors-as-of", before_changes.isoformat(), "--out", str(out)]
    assert main(argv) == 0
    then = pd.read_csv(out, keep_default_na=False).set_index("unit_code")
    assert (then.loc["C1", "events"], then.loc["C3", "events"]) == (3, 3)  # as before the changes
    assert "C1 v1" in capsys.readouterr().out
    assert main(["risk", "--level", "corridor", "--out", str(out)]) == 0
    now = pd.read_csv(out, keep_default_na=False).set_index("unit_code")
    assert "C1" not in now.index and now.loc["C3", "events"] == 0
    printed = capsys.readouterr().out
    assert "C3 v2" in printed and "C1 v" not in printed


def test_corridors_as_of_accepts_dates_and_date_times() -> None:
    assert moment("2025-09-20") == datetime(2025, 9, 20, 23, 59, 59, 999999, tzinfo=UTC)
    assert moment("2025-09-20T10:00") == datetime(2025, 9, 20, 10, 0, tzinfo=UTC)  # naive = UTC
    assert moment("2025-09-20T10:00+02:00") == datetime(2025, 9, 20, 8, 0, tzinfo=UTC)
    with pytest.raises(argparse.ArgumentTypeError, match="not a date"):
        moment("20/09/2025")


def test_risk_bad_arguments(filled: str, tmp_path: Path) -> None:
    assert main(["risk", "--level", "county", "--out", str(tmp_path / "x.csv")]) == 2
    assert main(["risk", "--level", "admin1", "--out", str(tmp_path / "x.txt")]) == 2
    assert main(["risk", "--level", "admin1", "--window-days", "0", "--out", str(tmp_path / "x.csv")]) == 2
    bad_moment = [
        "risk",
        "--level",
        "corridor",
        "--corridors-as-of",
        "yesterday",
        "--out",
        str(tmp_path / "x.csv"),
    ]
    assert main(bad_moment) == 2
    assert not (tmp_path / "x.csv").exists()


def test_risk_on_an_empty_store_fails_cleanly(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "e.csv"
    assert main(["risk", "--level", "admin1", "--out", str(out)]) == 2
    assert "no incidents" in capsys.readouterr().err
    assert not out.exists()
