"""Where the shipped reference data lives."""

from __future__ import annotations

from pathlib import Path

DATA_DIR: Path = Path(__file__).resolve().parent / "data"
