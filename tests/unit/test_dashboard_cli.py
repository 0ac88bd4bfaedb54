"""``python -m dashboard brief``: files written, one-sentence errors, and no Streamlit loaded."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from dashboard.cli import main
from incidents.demo import load_demo
from incidents.store import open_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(url)
    load_demo(store, n=300)
    store.close()
    monkeypatch.setenv("SAHEL_DB_URL", url)
    return url


def test_brief_writes_pdf_and_png(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf, png = tmp_path / "pack.pdf", tmp_path / "map.png"
    code = main(
        ["brief", "--out", str(pdf), "--png", str(png), "--country", "mli", "bfa", "--since", "2023-01-01"]
    )
    assert code == 0, capsys.readouterr().err
    assert pdf.read_bytes().startswith(b"%PDF")
    assert Image.open(io.BytesIO(png.read_bytes())).size == (1600, 1000)
    assert "synthetic demo" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--since", "2024-13-01"], "'2024-13-01' is not a YYYY-MM-DD date"),
        (["--country", "XXX"], "unknown country code(s) ['XXX']"),
        (["--since", "2024-05-01", "--until", "2024-01-01"], "is after --until"),
        (["--view", "nope"], "no saved view is called 'nope'"),
    ],
)
def test_bad_arguments_exit_2_with_one_sentence(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], phrase: str
) -> None:
    out = tmp_path / "pack.pdf"
    assert main(["brief", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert phrase in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_cli_does_not_import_streamlit(db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "pack.pdf"
    code = (
        "import sys\n"
        "from dashboard.cli import main\n"
        f"rc = main(['brief', '--out', {str(out)!r}, '--since', '2024-01-01'])\n"
        "print(rc, 'streamlit' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 False"
    assert out.exists()


def test_python_m_dashboard_runs_without_streamlit(db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "pack.pdf"
    result = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "dashboard",
            "brief",
            "--out",
            str(out),
            "--until",
            "2024-06-30",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = [
        line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    ]
    assert imported and not [name for name in imported if name.split(".")[0] == "streamlit"]
