"""``python -m incidents outlook`` in-process, against a temporary SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodata.boundaries import load_admin2
from incidents.cli.main import main
from incidents.outlook.forecast import OUTLOOK_COLUMNS
from incidents.outlook.wording import percent
from incidents.store import BatchMeta, open_store
from tests.stored import store_frame

EXACT_COLUMNS = (
    "unit_code,unit_name,level,origin,month,horizon,p_fatal,count_q05,count_q25,count_q50,"
    "count_q75,count_q95,p_surge,served_by,likelihood"
)
ADMIN2_UNITS = 131


def store_incidents(db_url: str, months: int, units: int = 35, seed: int = 0) -> None:
    """Incidents in ``units`` admin-2 units, every month from January 2023 for ``months`` months
    (the last month complete: its last day has an incident)."""
    rng = np.random.default_rng(seed)
    layer = load_admin2().sort_values("admin2_code").head(units)
    points = layer.geometry.representative_point()
    first = pd.Timestamp("2023-01-01")
    records = []
    for unit, point in enumerate(points):
        for month in range(months):
            start = first + pd.DateOffset(months=month)
            for _ in range(int(rng.poisson(3)) + 1):
                day = start + pd.Timedelta(days=int(rng.integers(0, 28)))
                records.append((day, point.x, point.y, int(rng.poisson(0.6)), unit))
    last_day = first + pd.DateOffset(months=months) - pd.Timedelta(days=1)
    records.append((last_day, points.iloc[0].x, points.iloc[0].y, 0, 0))
    frame = pd.DataFrame(
        {
            "source_dataset": "manual",
            "source_event_id": [f"m{i}" for i in range(len(records))],
            "event_date": pd.to_datetime([r[0] for r in records]),
            "date_precision": "day",
            "latitude": [r[2] for r in records],
            "longitude": [r[1] for r in records],
            "geo_precision": 1,
            "event_type": "battle",
            "actor1": "JNIM",
            "actor_group": "JNIM",
            "fatalities": [r[3] for r in records],
            "civilian_targeting": False,
            "location": "somewhere",
        }
    )
    store_frame(db_url, frame)


@pytest.fixture
def two_years(db_url: str) -> str:
    """25 months of incidents (January 2023 to January 2025) in 35 admin-2 units."""
    store_incidents(db_url, months=25)
    return db_url


def test_outlook_writes_exactly_the_contract_columns(
    two_years: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "outlook.csv"
    assert main(["outlook", "--level", "admin2", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").splitlines()[0] == EXACT_COLUMNS
    assert EXACT_COLUMNS.split(",") == list(OUTLOOK_COLUMNS)
    table = pd.read_csv(out, keep_default_na=False)
    assert len(table) == ADMIN2_UNITS * 3
    assert set(table["origin"]) == {"2025-01"}
    assert sorted(set(table["month"])) == ["2025-02", "2025-03", "2025-04"]
    assert set(table["level"]) == {"admin2"}
    assert table["p_fatal"].between(0, 1).all()
    assert "wrote the outlook of 131 admin2 units" in capsys.readouterr().out


def test_outlook_as_of_and_horizon(two_years: str, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    assert (
        main(["outlook", "--level", "admin2", "--as-of", "2024-12", "--horizon", "1", "--out", str(out)]) == 0
    )
    table = pd.read_csv(out, keep_default_na=False)
    assert len(table) == ADMIN2_UNITS
    assert set(table["month"]) == {"2025-01"} and set(table["horizon"]) == {1}


def test_backtest_writes_scores_per_forecaster_horizon_and_tier(two_years: str, tmp_path: Path) -> None:
    out = tmp_path / "bt.json"
    assert main(["outlook", "--backtest", "--origins", "1", "--out", str(out)]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["level"] == "admin2" and document["origins"] == ["2024-12"]
    assert {row["forecaster"] for row in document["scores"]} >= {
        "M1",
        "M2",
        "M3",
        "zero",
        "last",
        "climatology",
    }
    assert {"gate", "reliability", "likelihood_words"} <= set(document)


def test_backtest_scores_the_three_month_window_and_says_how_each_word_fared(
    db_url: str, tmp_path: Path
) -> None:
    store_incidents(db_url, months=28)  # January 2023 to April 2025
    out = tmp_path / "bt.json"
    assert main(["outlook", "--backtest", "--origins", "4", "--out", str(out)]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["origins"] == ["2024-12", "2025-01", "2025-02", "2025-03"]
    # Only 2024-12 and 2025-01 have all three months after them known (to April 2025).
    served = [row for row in document["window"] if row["forecaster"] == "served" and row["tier"] == "all"]
    assert len(served) == 1 and served[0]["unit_windows"] == 2 * ADMIN2_UNITS
    assert 0 <= served[0]["brier"] <= 1
    words = document["likelihood_words"]
    assert len(words) == 7 and sum(row["unit_months"] for row in words) > 0
    for row in words:
        if row["unit_months"]:
            share = {0.0: "0 %", 1.0: "100 %"}.get(row["came_true"]) or percent(row["came_true"])
            assert f"came true {share} of the time ({row['unit_months']:,} forecast" in row["sentence"]
        else:
            assert row["came_true"] is None and "never said" in row["sentence"]
    assert len(document["window_likelihood_words"]) == 7


def one_sentence_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    return err


def test_a_backtest_reaching_before_24_months_is_refused(
    two_years: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bt.json"
    assert main(["outlook", "--backtest", "--origins", "2", "--out", str(out)]) == 2
    assert "not enough history for 2 backtest origins" in one_sentence_error(capsys)
    assert not out.exists()


def test_six_months_of_data_are_refused(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_incidents(db_url, months=6)
    out = tmp_path / "o.csv"
    assert main(["outlook", "--level", "admin1", "--out", str(out)]) == 2
    assert "not enough history: 6 month(s) of data" in one_sentence_error(capsys)
    assert not out.exists()


def test_out_must_match_the_mode(two_years: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["outlook", "--backtest", "--out", str(tmp_path / "bt.csv")]) == 2
    assert "must end in .json" in one_sentence_error(capsys)


def test_as_of_after_the_last_complete_month_is_refused(
    two_years: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["outlook", "--as-of", "2025-02", "--out", str(tmp_path / "o.csv")]) == 2
    assert "last complete one is 2025-01" in one_sentence_error(capsys)


def test_the_cli_reads_only_the_panel_columns_and_writes_what_every_column_gives(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI's narrow read (``panel_columns``) changes nothing: the table and the backtest
    equal, to the byte, those built from the full analysis frame; the demo rule still applies."""
    from incidents.demo import generate_demo_incidents
    from incidents.export import neutralise_formulas
    from incidents.outlook.backtest import run_backtest, summary
    from incidents.outlook.forecast import backtest_origins, build_outlook, history_until
    from incidents.outlook.panel import build_panel, last_complete_month
    from incidents.sources import cli_rows

    store_incidents(db_url, months=26)
    store = open_store(db_url)
    try:
        store.add_batch(generate_demo_incidents(n=300, seed=2), BatchMeta("demo", "1" * 64, "demo"))
        _, _, every_column = cli_rows(store, include_demo=False)
    finally:
        store.close()
    assert len(every_column.columns) > 10 and set(every_column["source_dataset"]) == {"manual"}
    panel = build_panel(every_column, "admin2")
    origin = panel.month_index(last_complete_month(every_column))
    want_table = neutralise_formulas(build_outlook(panel, origin, horizons=(1, 2, 3))).to_csv(
        index=False, encoding="utf-8"
    )
    backtest = run_backtest(
        history_until(panel, origin), panel.months, backtest_origins(panel, origin, 2), origin
    )
    want_backtest = json.dumps(summary(backtest, "admin2"), indent=2) + "\n"

    table, scores = tmp_path / "o.csv", tmp_path / "bt.json"
    assert main(["outlook", "--out", str(table)]) == 0
    assert "300 synthetic demo rows left out" in capsys.readouterr().out
    assert main(["outlook", "--backtest", "--origins", "2", "--out", str(scores)]) == 0
    assert table.read_text(encoding="utf-8") == want_table
    assert scores.read_text(encoding="utf-8") == want_backtest
