"""The Outlook page in a real browser with no internet: the ICD 203 map draws (Leaflet, its
legend of words) and the fan chart renders, with no script error and no request leaving the app.

AppTest (tests/app/test_outlook_page.py) runs the page's Python; only a browser runs the map's
JavaScript and plotly's drawing. The outlook run is cached in the server, so the every-page
test and this one pay for the models once.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import AppServer
from tests.servers import MAP_IFRAME, refuse_outside, settle, wait_single_map

pytestmark = pytest.mark.e2e

MAP_TIMEOUT_MS = 120_000


def _script_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))

    def console(message: Any) -> None:
        # Streamlit probes <page>/_stcore/health and host-config before the root ones: 404s that
        # every page but the Overview logs. Anything else is an error of the page.
        if message.type == "error" and "Failed to load resource" not in message.text:
            errors.append(f"console: {message.text}")

    page.on("console", console)
    return errors


def test_outlook_page_draws_its_map_and_fan_chart_offline(app_server: AppServer, browser_page: Any) -> None:
    page = browser_page
    errors = _script_errors(page)
    outside = refuse_outside(page, app_server)
    page.goto(f"{app_server.url}/outlook")
    settle(page, expect_map=True)
    frame = wait_single_map(page, (".leaflet-container", ".sahel-legend-outlook"), MAP_TIMEOUT_MS)
    legend = frame.locator(".sahel-legend-outlook").inner_text()
    assert "almost no chance" in legend and "almost certain" in legend
    assert frame.locator("path.leaflet-interactive").count() > 10  # the units, filled
    assert page.locator(MAP_IFRAME).count() == 1
    charts = page.locator(".js-plotly-plot")
    charts.first.wait_for(timeout=MAP_TIMEOUT_MS)
    assert charts.count() == 2  # the unit's fan chart and the reliability diagram
    fan = charts.first.inner_text()
    assert "90 % range (estimate)" in fan and "Observed incidents" in fan
    assert page.locator("[data-testid=stException]").count() == 0
    assert errors == []
    assert outside == [], "the page must work with no outside network"
