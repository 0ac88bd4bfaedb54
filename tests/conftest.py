"""Shared fixtures: real stores (SQLite always; PostgreSQL when SAHEL_TEST_PG_URL is set).

In CI (``CI=true``) a missing PostgreSQL is a failure, not a skip: `.ci/run` starts one.
The spatial lookup cache (``SAHEL_CACHE_DIR``) points at a fresh directory for the whole
run, so tests never read or write the user's ``~/.cache`` (app and e2e servers inherit it).

The suite runs on two pytest-xdist workers (``-n 2`` in pyproject.toml). Tests that drive a
browser run on one worker, one after another (``xdist_group("browser")``), so at most one
Chromium and its Streamlit servers compete with the other worker for the two cores; the tests
of an app file that shares one store stay together on one worker, where that store and the
app's caches are built once. ``-m "not slow"`` leaves out the few long tests for a quick loop.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import incidents.store.sql as store_sql
from incidents.settings import CACHE_DIR_ENV
from incidents.store import IncidentStore, open_store
from tests.pg_schemas import empty_pg_schema

PG_ENV = "SAHEL_TEST_PG_URL"
_saved_cache_env: list[str | None] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-visual",
        action="store_true",
        help="rewrite the reference images of tests/e2e/test_visual.py from the current look",
    )


def pytest_configure(config: pytest.Config) -> None:
    """A private lookup cache, set before collection so code run at import time sees it too."""
    _saved_cache_env.append(os.environ.get(CACHE_DIR_ENV))
    os.environ[CACHE_DIR_ENV] = tempfile.mkdtemp(prefix="sahel-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    directory = os.environ.pop(CACHE_DIR_ENV, None)
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
    previous = _saved_cache_env.pop() if _saved_cache_env else None
    if previous is not None:
        os.environ[CACHE_DIR_ENV] = previous


#: The xdist group of every browser test (one worker runs them one after another).
BROWSER_GROUP = "browser"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups from the item ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests: slow and in the browser group. Shared-store app files: one group per file."""
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.xdist_group(BROWSER_GROUP))
        elif item.get_closest_marker("shared_app_db"):
            item.add_marker(pytest.mark.xdist_group(item.path.stem))


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_or_skip(reason: str) -> None:
    """Skip on a developer machine; fail in CI, where every dependency must be present."""
    if in_ci():
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[IncidentStore]:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield store
    store.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        require_or_skip(f"{PG_ENV} is not set; no PostgreSQL server to test against")
    assert base is not None
    with empty_pg_schema(base) as url:
        yield url


#: Store kinds for tests of writing incidents: also SQLite's child-process batch writer.
WRITER_KINDS = ["sqlite", "sqlite-bulk", "postgresql"]


def open_test_store(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> Iterator[IncidentStore]:
    """A fresh store of ``kind``: ``sqlite``, ``postgresql`` or ``sqlite-bulk``.

    ``sqlite-bulk`` writes every batch through the child process that large SQLite batches
    use (incidents.store.sqlite_bulk), however small.
    """
    if kind == "sqlite-bulk":
        request.getfixturevalue("monkeypatch").setattr(store_sql, "BULK_MIN_ROWS", 0)
    if kind.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    opened = open_store(url)
    yield opened
    opened.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IncidentStore]:
    """The same store tests against both backends."""
    yield from open_test_store(request, tmp_path, request.param)
