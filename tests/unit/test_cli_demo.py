"""The command lines once real data sits beside the demo: real rows only by default, ``--include-demo``
to count the demo, and ``demo --remove``. In-process, against a SQLite store named by SAHEL_DB_URL.

The "real" rows are the invented Burkina Faso ACLED-layout fixture (notes SYNTHETIC).
"""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from dashboard.cli import main as dashboard_main
from incidents.auth import LOCAL_ADMIN
from incidents.auth.accounts import create_user
from incidents.cli.main import main
from incidents.demo import DEMO_REMOVE_ACTION, DEMO_REMOVED_KEY
from incidents.risk.exposure import site_exposure
from incidents.risk.index import RiskConfig, compute_risk_index
from incidents.risk.pivot import before_after
from incidents.risk.table import build_risk_table
from incidents.sites import read_sites
from incidents.sources import REAL_SOURCES, date_span, of_sources
from incidents.store import IncidentStore, open_store
from incidents.store.corridors import active_corridor_segments

ROOT = Path(__file__).resolve().parents[2]
REAL_FILE = ROOT / "tests" / "fixtures" / "import" / "acled_bfa_2022_export.csv"
DEMO_ROWS = 3_000  # enough for demo incidents near the fixture's Burkina Faso places in 2022
REAL_ROWS = 24 + 19  # the fixture and the UCDP sample loaded with the demo


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/s.db"
    monkeypatch.setenv("SAHEL_DB_URL", url)
    monkeypatch.delenv("SAHEL_DEMO", raising=False)
    return url


@pytest.fixture
def mixed(db_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    """The demo, then a real import through the CLI (as a new user does)."""
    assert main(["demo", "--rows", str(DEMO_ROWS)]) == 0
    assert main(["import", str(REAL_FILE)]) == 0
    capsys.readouterr()
    return db_url


def _frame(db_url: str) -> pd.DataFrame:
    store = open_store(db_url)
    try:
        return store.load_analysis_frame()
    finally:
        store.close()


def _opened(db_url: str) -> IncidentStore:
    return open_store(db_url)


# ---- demo --remove ------------------------------------------------------------------------------


def test_demo_remove_undoes_the_demo_and_says_so(mixed: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--remove"]) == 0
    out = capsys.readouterr().out
    assert f"demo removed: {DEMO_ROWS} synthetic rows in 1 batch(es)" in out
    store = _opened(mixed)
    try:
        assert store.count_incidents("demo") == 0
        assert store.count_incidents() == REAL_ROWS
        assert store.meta_value(DEMO_REMOVED_KEY) == 1
        audit = store.audit_log()
        assert audit.loc[audit["action"] == DEMO_REMOVE_ACTION, "user_name"].tolist() == [
            f"cli:{getpass.getuser()}"
        ]
    finally:
        store.close()

    assert main(["demo", "--remove"]) == 0  # nothing left: not an error
    assert "no synthetic demo rows in the store; nothing removed" in capsys.readouterr().out

    assert main(["demo", "--rows", "50"]) == 0  # asked for explicitly: back it comes
    store = _opened(mixed)
    try:
        assert store.count_incidents("demo") == 50
        assert not store.meta_value(DEMO_REMOVED_KEY)
    finally:
        store.close()


def test_demo_remove_refuses_an_analyst(mixed: str, capsys: pytest.CaptureFixture[str]) -> None:
    store = _opened(mixed)
    try:
        create_user(store, "ana", "analyst", "a password for tests", by=LOCAL_ADMIN)
    finally:
        store.close()
    assert main(["demo", "--remove", "--user", "ana"]) == 2
    assert "error:" in capsys.readouterr().err
    store = _opened(mixed)
    try:
        assert store.count_incidents("demo") == DEMO_ROWS
    finally:
        store.close()


def test_sahel_demo_off_refuses_to_load_the_demo_but_not_to_remove_it(
    mixed: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAHEL_DEMO", "off")
    assert main(["demo", "--remove"]) == 0
    assert main(["demo", "--rows", "50"]) == 2
    err = capsys.readouterr().err
    assert "SAHEL_DEMO=off" in err and err.count("\n") == 1
    store = _opened(mixed)
    try:
        assert store.count_incidents("demo") == 0
    finally:
        store.close()


# ---- real rows only by default ---------------------------------------------------------------------


def test_export_writes_real_rows_only_unless_asked(
    mixed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "all.csv"
    assert main(["export", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {REAL_ROWS} incidents" in printed
    assert f"{DEMO_ROWS:,} synthetic demo rows left out" in printed
    written = pd.read_csv(out, keep_default_na=False)
    assert "demo" not in set(written["source_dataset"])

    assert main(["export", "--out", str(out), "--include-demo"]) == 0
    assert f"wrote {REAL_ROWS + DEMO_ROWS} incidents" in capsys.readouterr().out


def test_export_of_a_demo_only_store_still_has_the_demo(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--rows", "40"]) == 0
    out = tmp_path / "demo.csv"
    assert main(["export", "--out", str(out)]) == 0
    assert "wrote 59 incidents" in capsys.readouterr().out


def test_risk_rates_real_rows_only_unless_asked(
    mixed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = _frame(mixed)
    real = of_sources(frame, REAL_SOURCES)
    span = date_span(real)
    assert span is not None
    out = tmp_path / "risk.csv"
    assert main(["risk", "--level", "admin1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"ending {span[1].isoformat()}" in printed, "as-of defaults to the last REAL event"
    assert f"{DEMO_ROWS:,} synthetic demo rows left out" in printed
    expected = build_risk_table(real, level="admin1", as_of=span[1], config=RiskConfig())
    table = pd.read_csv(out, keep_default_na=False)
    assert table["events"].sum() == expected["events"].sum() > 0

    assert (
        main(
            ["risk", "--level", "admin1", "--as-of", span[1].isoformat(), "--include-demo", "--out", str(out)]
        )
        == 0
    )
    with_demo = pd.read_csv(out, keep_default_na=False)
    assert with_demo["events"].sum() > expected["events"].sum()


def test_pivot_counts_real_rows_only_unless_asked(mixed: str, tmp_path: Path) -> None:
    pivot = date(2022, 6, 1)
    frame = _frame(mixed)
    real = of_sources(frame, REAL_SOURCES)
    expected = before_after(real, pivot=pivot, window_days=120, level="admin1", data_until=date_span(real)[1])  # type: ignore[index]
    out = tmp_path / "pivot.csv"
    args = [
        "pivot",
        "--date",
        pivot.isoformat(),
        "--window-days",
        "120",
        "--level",
        "admin1",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    table = pd.read_csv(out, keep_default_na=False)
    assert (table["events_before"].sum(), table["events_after"].sum()) == (
        expected["events_before"].sum(),
        expected["events_after"].sum(),
    )
    assert main([*args, "--include-demo"]) == 0
    with_demo = pd.read_csv(out, keep_default_na=False)
    assert with_demo["events_before"].sum() > table["events_before"].sum()


def test_exposure_counts_real_rows_only_unless_asked(mixed: str, tmp_path: Path) -> None:
    sites = tmp_path / "sites.csv"
    sites.write_text("name,lat,lon\nDjibo base,14.10,-1.63\nKaya office,13.09,-1.08\n", encoding="utf-8")
    as_of = date(2022, 11, 30)
    frame = _frame(mixed)
    real = of_sources(frame, REAL_SOURCES)
    store = _opened(mixed)
    try:
        corridors = active_corridor_segments(store)
    finally:
        store.close()
    expected = site_exposure(
        read_sites(sites, file_name=sites.name).frame,
        real,
        as_of=as_of,
        risk_levels_admin2=compute_risk_index(real, level="admin2", as_of=as_of),
        corridors=corridors,
    )
    out = tmp_path / "exposure.csv"
    args = ["exposure", "--sites", str(sites), "--as-of", as_of.isoformat(), "--out", str(out)]
    assert main(args) == 0
    table = pd.read_csv(out, keep_default_na=False)
    assert table["inc_50km_90d"].tolist() == expected["inc_50km_90d"].tolist()
    assert table["inc_50km_90d"].sum() > 0
    assert main([*args, "--include-demo"]) == 0
    with_demo = pd.read_csv(out, keep_default_na=False)
    assert with_demo["inc_50km_90d"].sum() > table["inc_50km_90d"].sum()


def test_briefing_pack_leaves_the_demo_out_unless_asked(
    mixed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = tmp_path / "pack.pdf"
    args = ["brief", "--out", str(pdf), "--country", "BFA", "--since", "2022-01-01", "--until", "2022-12-31"]
    frame = _frame(mixed)
    in_view = frame[(frame["country_iso3"] == "BFA") & (frame["event_date"].dt.year == 2022)]
    real = int((in_view["source_dataset"] != "demo").sum())  # the fixture's 24 and a UCDP sample event
    assert real >= 24 and len(in_view) > real
    assert dashboard_main(args) == 0
    printed = capsys.readouterr().out
    assert f"({real} incidents;" in printed
    assert "synthetic demo" not in printed
    assert dashboard_main([*args, "--include-demo"]) == 0
    printed = capsys.readouterr().out
    assert f"({len(in_view)} incidents;" in printed and "synthetic demo" in printed
