"""Fixtures of the unit tests that run the CLI in-process against a temporary SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from incidents.store import IncidentStore, open_store


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A temporary SQLite store, chosen for the CLI through SAHEL_DB_URL."""
    url = f"sqlite:///{tmp_path}/s.db"
    monkeypatch.setenv("SAHEL_DB_URL", url)
    return url


@pytest.fixture
def cli_store(db_url: str) -> Iterator[IncidentStore]:
    """The store at ``db_url``, opened beside the CLI's own connection and closed afterwards."""
    opened = open_store(db_url)
    yield opened
    opened.close()
