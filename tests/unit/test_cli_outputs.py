"""CLI output files are safe: never written through a symbolic link, replaced atomically, never empty by typo.

``export --out`` followed a symbolic link and overwrote its target; an unknown ``--country``
wrote an empty file that read as "no incidents there".
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from incidents.cli.main import main
from incidents.errors import ExportError
from incidents.export import Provenance, export_incidents, provenance_path
from incidents.store import open_store

PRECIOUS = "precious: not an export\n"


@pytest.fixture
def demo_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/s.db"
    monkeypatch.setenv("SAHEL_DB_URL", url)
    assert main(["demo", "--rows", "200"]) == 0
    return url


def _precious(tmp_path: Path) -> Path:
    target = tmp_path / "elsewhere" / "precious.txt"
    target.parent.mkdir()
    target.write_text(PRECIOUS)
    return target


def _frame(url: str) -> pd.DataFrame:
    store = open_store(url)
    try:
        return store.load_incidents()
    finally:
        store.close()


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg"])
def test_export_refuses_a_symbolic_link(
    demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    target = _precious(tmp_path)
    link = tmp_path / f"out{suffix}"
    link.symlink_to(target)
    capsys.readouterr()
    assert main(["export", "--out", str(link)]) == 2
    err = capsys.readouterr().err
    assert "symbolic link" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert target.read_text() == PRECIOUS
    assert link.is_symlink()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []  # no leftovers


def test_a_csv_sidecar_that_is_a_link_is_refused_and_nothing_written(demo_url: str, tmp_path: Path) -> None:
    target = _precious(tmp_path)
    out = tmp_path / "incidents.csv"
    provenance_path(out).symlink_to(target)
    provenance = Provenance("test sources", "all", datetime(2026, 1, 1, tzinfo=UTC), includes_demo=True)
    with pytest.raises(ExportError, match="symbolic link"):
        export_incidents(_frame(demo_url), out, provenance)
    assert target.read_text() == PRECIOUS
    assert not out.exists()


def test_export_replaces_the_file_instead_of_writing_into_it(demo_url: str, tmp_path: Path) -> None:
    # A hard link shares the file's contents: writing into the file would change both names.
    out = tmp_path / "incidents.csv"
    out.write_text(PRECIOUS)
    twin = tmp_path / "twin.txt"
    os.link(out, twin)
    assert main(["export", "--out", str(out)]) == 0
    assert twin.read_text() == PRECIOUS
    assert "event_date" in out.read_text().splitlines()[0]
    # No temporary folder left behind; the provenance sidecar sits beside the CSV.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "incidents.csv",
        "incidents.provenance.txt",
        "s.db",
        "twin.txt",
    ]


@pytest.mark.parametrize(
    "command",
    [
        ["export", "--out", "{tmp}/out.csv"],
        ["pivot", "--level", "admin1", "--date", "2024-06-01", "--out", "{tmp}/out.csv"],
    ],
)
def test_an_unknown_country_is_an_error_naming_the_known_codes(
    demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    argv = [part.format(tmp=tmp_path) for part in command] + ["--country", "MLI", "XYZ"]
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "'XYZ' is not a known country code" in err
    assert "BFA" in err and "MLI" in err and "NER" in err
    assert not (tmp_path / "out.csv").exists()


def test_known_countries_in_any_case_still_work(demo_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    assert main(["export", "--out", str(out), "--country", "mli", " ner "]) == 0
    assert set(pd.read_csv(out)["country_iso3"]) <= {"MLI", "NER"}


SITES_CSV = "name,type,lat,lon\nMopti office,office,14.49,-4.19\n"  # SYNTHETIC


@pytest.mark.parametrize(
    "command",
    [
        ["risk", "--level", "admin1", "--out", "{tmp}/link.csv"],
        ["pivot", "--level", "admin1", "--date", "2024-06-01", "--out", "{tmp}/link.csv"],
        ["exposure", "--sites", "{tmp}/sites.csv", "--out", "{tmp}/link.csv"],
        ["brief", "--out", "{tmp}/link.pdf"],
        ["brief", "--out", "{tmp}/pack.pdf", "--png", "{tmp}/link.png"],
    ],
    ids=["risk", "pivot", "exposure", "brief", "brief-png"],
)
def test_every_output_option_refuses_a_symbolic_link(
    demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    from dashboard.cli import main as dashboard_main

    target = _precious(tmp_path)
    (tmp_path / "sites.csv").write_text(SITES_CSV, encoding="utf-8")
    argv = [part.format(tmp=tmp_path) for part in command]
    link = Path(next(part for part in argv if "/link." in part))
    link.symlink_to(target)
    capsys.readouterr()
    run = dashboard_main if argv[0] == "brief" else main
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert "symbolic link" in err and len(err.strip().splitlines()) == 1
    assert target.read_text() == PRECIOUS
