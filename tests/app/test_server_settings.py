"""The app hides error details itself and refuses to run when usage statistics would call outside."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit import config

from tests.app.helpers import new_app, texts


@pytest.fixture
def usage_stats_on() -> Iterator[None]:
    """As ``--browser.gatherUsageStats true`` on the command line would (restored afterwards)."""
    before = config.get_option("browser.gatherUsageStats")
    config.set_option("browser.gatherUsageStats", True, "command-line argument or environment variable")
    try:
        yield
    finally:
        config.set_option("browser.gatherUsageStats", before, "command-line argument or environment variable")


def test_error_details_are_hidden_by_the_app_itself(app_db_url: str) -> None:
    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", "full")
    try:
        at = new_app()
        at.run()
        assert config.get_option("client.showErrorDetails") == "none"
    finally:
        config.set_option("client.showErrorDetails", before)


def test_the_app_refuses_to_run_with_usage_statistics_on(app_db_url: str, usage_stats_on: None) -> None:
    at = new_app()
    at.run()
    assert not at.exception
    assert [text for text in texts(at.error) if "browser.gatherUsageStats must be false" in text]
    assert not at.title  # no page ran
