"""Fixtures for the headless app tests: the SQLite store the app runs against.

Each test gets a fresh store unless its file is marked ``pytestmark = pytest.mark.shared_app_db``:
then all tests of that file share one store (built once, and the app's caches warm). No test may
rely on what another wrote, so shared files hold only tests that read, or write what no other
test counts; every file passes with its tests in reverse order (``pytest @reversed-ids.txt``).
The store is named by ``SAHEL_DB_URL``, so the app never loads the demo into it; the
fixture loads it first, as ``python -m incidents demo`` would, unless the test is marked
``pytest.mark.no_demo`` (an empty store). The demo is loaded once per test process into a
template file and each test gets a copy of it: loading it takes seconds, copying milliseconds.
The names differ from the root conftest's ``store`` (an IncidentStore on every backend) on purpose.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from incidents.demo import ensure_demo_loaded
from incidents.store import IncidentStore
from tests.app.helpers import DB_ENV, ROOT, opened_store, sqlite_url

SHARED_APP_DB = "shared_app_db"
NO_DEMO = "no_demo"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{SHARED_APP_DB}: the tests of this file share one app store")
    config.addinivalue_line("markers", f"{NO_DEMO}: the app store starts empty (no demo loaded)")


@pytest.fixture(autouse=True)
def _run_from_the_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamlit reads ``.streamlit/config.toml`` from the working directory, as ``streamlit run``
    from the repository root does: its ``server.address`` (this machine only) is what lets the app
    run without sign-in. Run from elsewhere, the app rightly asks for an admin account."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="session", autouse=True)
def _scan_installed_components_once() -> Iterator[None]:
    """Scan the installed packages for Streamlit components once per test process.

    Every new ``AppTest`` scans the metadata of every installed distribution for components
    (Streamlit's ``scan_component_manifests``): about 0.4 s on this machine, most of a short
    page test. What is installed does not change during a run, so the first scan's result
    serves every app of the process (a server, ``streamlit run``, scans once at start anyway).
    """
    from streamlit.components.v2 import manifest_scanner

    found = manifest_scanner.scan_component_manifests()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_scanner, "scan_component_manifests", lambda max_workers=None: list(found))
        yield


@pytest.fixture(scope="module")
def shared_app_db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite store for the whole test file (``SAHEL_DB_URL`` is not set: see ``app_db_url``)."""
    return sqlite_url(tmp_path_factory.mktemp(request.module.__name__.rpartition(".")[2]))


@pytest.fixture(scope="session")
def demo_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed SQLite store holding what ``ensure_demo_loaded`` loads into a new store."""
    url = sqlite_url(tmp_path_factory.mktemp("demo-template"))
    with opened_store(url) as store:
        ensure_demo_loaded(store)
    return Path(url.removeprefix("sqlite:///"))


@pytest.fixture
def app_db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The URL of the store the app under test uses, set as ``SAHEL_DB_URL`` for this test.

    A fresh SQLite file per test, or the file's shared store when it is marked ``shared_app_db``.
    """
    if request.node.get_closest_marker(SHARED_APP_DB):
        url = str(request.getfixturevalue("shared_app_db_url"))
    else:
        url = sqlite_url(tmp_path)
    monkeypatch.setenv(DB_ENV, url)
    target = Path(url.removeprefix("sqlite:///"))
    if not request.node.get_closest_marker(NO_DEMO) and not target.exists():
        # A new store (a shared one: its first test) gets the demo, as from ensure_demo_loaded.
        shutil.copyfile(request.getfixturevalue("demo_store_file"), target)
    return url


@pytest.fixture
def app_store(app_db_url: str) -> Iterator[IncidentStore]:
    """The app's store, opened by the test beside the app's own connection."""
    with opened_store(app_db_url) as store:
        yield store


@pytest.fixture
def auth_required(app_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """``app_db_url`` with ``SAHEL_AUTH=required``: every page needs a signed-in account."""
    monkeypatch.setenv("SAHEL_AUTH", "required")
    return app_db_url
