"""``python -m incidents pivot`` in-process, against a temporary SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from geodata.crs import WGS84
from incidents.admin_join import attach_admin_units
from incidents.auth import Role, User
from incidents.cli.main import main
from incidents.risk.pivot import PIVOT_COLUMNS
from incidents.store import BatchMeta, IncidentStore, open_store
from incidents.store.corridors import add_corridor_version

BAMAKO = (12.65, -8.0)
NIAMEY = (13.51, 2.13)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IncidentStore]:
    url = f"sqlite:///{tmp_path}/s.db"
    monkeypatch.setenv("SAHEL_DB_URL", url)
    opened = open_store(url)
    yield opened
    opened.close()


def _add(store: IncidentStore, rows: list[tuple[str, tuple[float, float]]], notes: str = "") -> None:
    frame = pd.DataFrame(
        {
            "source_dataset": "manual",
            "source_event_id": [f"p{i}" for i in range(len(rows))],
            "event_date": pd.to_datetime([day for day, _ in rows]),
            "date_precision": "day",
            "latitude": [point[0] for _, point in rows],
            "longitude": [point[1] for _, point in rows],
            "geo_precision": 1,
            "event_type": "battle",
            "actor_group": "JNIM",
            "fatalities": 0,
            "civilian_targeting": False,
            "location": "x",
            "notes": notes,
        }
    )
    store.add_batch(attach_admin_units(frame), BatchMeta("p.csv", "0" * 64, "generic", rows_read=len(rows)))


@pytest.fixture
def filled(store: IncidentStore) -> IncidentStore:
    rows = [("2025-08-01", BAMAKO)] * 2 + [("2025-10-01", BAMAKO)] * 14
    rows += [("2025-08-15", NIAMEY)] * 3 + [("2025-10-15", NIAMEY)] * 3
    rows += [("2025-12-18", NIAMEY)]  # last day of the after window: sets the data end
    _add(store, rows)
    return store


def test_pivot_writes_the_contract_columns(
    filled: IncidentStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pivot.csv"
    code = main(["pivot", "--date", "2025-09-20", "--level", "admin1", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "before 2025-06-22..2025-09-19 (90 days)" in printed
    assert "after 2025-09-20..2025-12-18 (90 days)" in printed
    assert "not its cause" in printed
    table = pd.read_csv(out)
    assert list(table.columns) == list(PIVOT_COLUMNS)
    assert set(table["country_iso3"]) == {"MLI", "NER"}
    mali = table[table["country_iso3"] == "MLI"].iloc[0]
    assert (mali["events_before"], mali["events_after"]) == (2, 14)
    assert mali["rate_ratio"] == pytest.approx(7.0)
    assert bool(mali["significant"])
    niger = table[table["country_iso3"] == "NER"].iloc[0]
    assert (niger["events_before"], niger["events_after"]) == (3, 4)
    assert not bool(niger["significant"])


def test_pivot_corridor_level_uses_the_stores_active_corridors(filled: IncidentStore, tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    assert main(["pivot", "--level", "corridor", "--out", str(out)]) == 0
    assert "C8" not in set(pd.read_csv(out)["unit_code"])  # Bamako is 246 km from the shipped C8
    route = gpd.GeoDataFrame(geometry=[LineString([(-8.3, 12.5), (-7.7, 12.8)])], crs=WGS84)
    add_corridor_version(filled, "C8", route, name="C8 through Bamako", by=User("ana", Role.ANALYST))
    assert main(["pivot", "--level", "corridor", "--out", str(out)]) == 0
    c8 = pd.read_csv(out).set_index("unit_code").loc["C8"]
    assert (c8["unit_name"], c8["events_before"], c8["events_after"]) == ("C8 through Bamako", 2, 14)
    # Before that upload (here: before the store existed, so no corridor was in force at all).
    assert main(["pivot", "--level", "corridor", "--corridors-as-of", "2000-01-01", "--out", str(out)]) == 0
    assert pd.read_csv(out).empty


def test_pivot_window_and_country_options(filled: IncidentStore, tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    assert main(["pivot", "--date", "2025-09-20", "--window-days", "30", "--level", "admin1",
                 "--country", "MLI", "--out", str(out)]) == 0  # fmt: skip
    table = pd.read_csv(out)
    assert table["country_iso3"].tolist() == ["MLI"]
    # 2025-08-01 is outside [2025-08-21, 2025-09-19]: no event before, 14 after
    assert (table.loc[0, "events_before"], table.loc[0, "events_after"]) == (0, 14)
    assert table.loc[0, "rate_ratio"] == float("inf")


def test_pivot_default_date_and_truncated_after_window(
    store: IncidentStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add(store, [("2025-08-01", BAMAKO), ("2025-09-25", BAMAKO)])
    out = tmp_path / "p.csv"
    assert main(["pivot", "--level", "admin2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "after 2025-09-20..2025-09-25 (6 days)" in printed
    assert "after window is shorter" in printed
    assert len(pd.read_csv(out)) == 1


def test_pivot_csv_is_formula_safe(store: IncidentStore, tmp_path: Path) -> None:
    from incidents.cli.pivot import neutralise_formulas  # the same helper as incident exports

    risky = pd.DataFrame({"unit_name": ["=cmd()"], "rate_ratio": [-1.5]})
    assert neutralise_formulas(risky)["unit_name"].tolist() == ["'=cmd()"]
    _add(store, [("2025-10-01", BAMAKO)])
    out = tmp_path / "p.csv"
    assert main(["pivot", "--level", "admin1", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert not any(line.startswith(("=", "+", "@")) for line in text.splitlines())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--level", "region"], "invalid choice"),
        (["--level", "admin1", "--date", "20/09/2025"], "is not a YYYY-MM-DD date"),
        (["--level", "admin1", "--window-days", "0"], "at least 1 day"),
        (["--level", "admin1", "--corridor-km", "-3"], "more than 0 km"),
    ],
)
def test_pivot_bad_arguments_exit_2(
    store: IncidentStore, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code = main(["pivot", *argv, "--out", str(tmp_path / "p.csv")])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()


def test_pivot_after_data_end_is_a_clear_error(
    store: IncidentStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add(store, [("2025-08-01", BAMAKO)])
    code = main(["pivot", "--level", "admin1", "--out", str(tmp_path / "p.csv")])
    assert code == 2
    assert "no 'after' window" in capsys.readouterr().err


def test_pivot_out_must_be_csv(
    store: IncidentStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pivot", "--level", "admin1", "--out", str(tmp_path / "p.xlsx")]) == 2
    assert "must end in .csv" in capsys.readouterr().err
