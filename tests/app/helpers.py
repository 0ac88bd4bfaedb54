"""Plain helpers for the headless app tests (``streamlit.testing``); the fixtures are in conftest.py.

The app reads its store from ``SAHEL_DB_URL``: set it first (the ``app_db_url`` fixture
does), then start the app with ``start_app``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from geodata.boundaries import country_names
from incidents.store import IncidentStore, open_store

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
IMPORT_FIXTURES = ROOT / "tests" / "fixtures" / "import"
DB_ENV = "SAHEL_DB_URL"
TIMEOUT_S = 120

# Pages, as AppTest.switch_page takes them (Overview is the default page).
OVERVIEW = "app_pages/overview.py"
MAP_PAGE = "app_pages/map.py"
TIMELINE = "app_pages/timeline.py"
HEATMAP = "app_pages/risk_heatmap.py"
RISK_PAGE = "app_pages/risk.py"
OUTLOOK_PAGE = "app_pages/outlook.py"
BEFORE_AFTER = "app_pages/before_after.py"
CORRIDORS = "app_pages/corridors.py"
EXPOSURE = "app_pages/exposure.py"
IMPORT_PAGE = "app_pages/import_data.py"
WATCHES_PAGE = "app_pages/watches.py"
INBOX_PAGE = "app_pages/inbox.py"
BRIEFING = "app_pages/briefing.py"
ABOUT = "app_pages/about.py"
ADMIN_PAGE = "app_pages/admin.py"
EVERY_PAGE = (
    OVERVIEW,
    MAP_PAGE,
    TIMELINE,
    HEATMAP,
    RISK_PAGE,
    OUTLOOK_PAGE,
    CORRIDORS,
    BEFORE_AFTER,
    EXPOSURE,
    IMPORT_PAGE,
    WATCHES_PAGE,
    INBOX_PAGE,
    BRIEFING,
    ABOUT,
    ADMIN_PAGE,
)
#: The pages with the shared sidebar filters.
FILTER_PAGES = (OVERVIEW, MAP_PAGE, TIMELINE, HEATMAP, RISK_PAGE, BEFORE_AFTER)


def sqlite_url(folder: Path, name: str = "app.db") -> str:
    return f"sqlite:///{folder / name}"


def new_app(*, timeout: float = TIMEOUT_S) -> AppTest:
    """The app, not yet run (set ``query_params`` or patch first)."""
    return AppTest.from_file(APP, default_timeout=timeout)


def start_app(page: str | None = None, *, timeout: float = TIMEOUT_S) -> AppTest:
    """The app after its first run, on ``page`` if given (the ``app_db_url`` fixture loaded the demo)."""
    at = new_app(timeout=timeout)
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    """Fill in and submit the sign-in form of ``at``; ``at`` after that run."""
    at.text_input(key="signin_name").set_value(name)
    at.text_input(key="signin_password").set_value(password)
    at.button(key="signin_submit").click().run()
    return at


def open_view_link(view: str, page: str) -> AppTest:
    """A new session opened by the link to saved view ``view``, then switched to ``page``."""
    at = new_app()
    at.query_params["view"] = view
    at.run()
    at.switch_page(page).run()
    assert_clean(at)
    return at


def texts(elements: Iterable[Any]) -> list[str]:
    """The text of each element (markdown, caption, info, warning, error, title, …)."""
    return [str(element.value) for element in elements]


def figures(at: AppTest) -> list[dict[str, Any]]:
    """The ``data`` and ``layout`` of every plotly chart on the page."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def plotly_array(value: Any) -> np.ndarray:
    """A plotly JSON array: a list, or a typed array ``{"dtype", "bdata"[, "shape"]}`` (plotly >= 6)."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        return flat.reshape([int(n) for n in str(shape).split(",")]) if shape else flat
    return np.asarray(value)


def assert_clean(at: AppTest) -> None:
    """The last run raised nothing and showed no error."""
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)


def metric_number(at: AppTest, label: str) -> int:
    """The value of the metric ``label`` as a whole number ("1,234" -> 1234)."""
    return int(str(next(metric.value for metric in at.metric if metric.label == label)).replace(",", ""))


@contextmanager
def opened_store(db_url: str) -> Iterator[IncidentStore]:
    """The store at ``db_url``, opened beside the app's own connection and closed afterwards."""
    store = open_store(db_url)
    try:
        yield store
    finally:
        store.close()


def country_without_incidents(db_url: str) -> str:
    """A selectable country with no incidents in the store (fails the test when there is none)."""
    with opened_store(db_url) as store:
        for iso3 in country_names():
            if store.load_incidents(countries=[iso3]).empty:
                return iso3
    pytest.fail("every country has demo incidents; cannot test the empty state")
