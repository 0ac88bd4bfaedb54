"""A sign-in that survives reloads and new tabs, in a real browser against ``dashboard/serve.py``.

The server requires sign-in (``SAHEL_AUTH=required``) and runs the entry point that sets
the HttpOnly session cookie. One account and one saved view are put in its store first.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from incidents.auth import LOCAL_ADMIN
from incidents.auth.accounts import create_user
from incidents.auth.sessions import COOKIE_NAME
from incidents.store import IncidentStore
from incidents.store.saved_views import SavedView, save_view
from tests.servers import AppServer, app_servers, browser_context, prepared_store

PASSWORD = "admin password 2026"
VIEW = "mali-battles-2024"
TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def signin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """A server that requires sign-in (with its cookie routes), an admin account and one saved view."""
    workdir = tmp_path_factory.mktemp("e2e_signin")

    def admin_and_view(store: IncidentStore) -> None:
        admin = create_user(store, "adam", "admin", PASSWORD, by=LOCAL_ADMIN)
        save_view(store, SavedView(name=VIEW, title="Mali battles", query="country=MLI&period=all"), by=admin)

    db_url = prepared_store(workdir, admin_and_view)
    with app_servers(db_url, workdir, entry="dashboard/serve.py", env_extra={"SAHEL_AUTH": "required"}) as (
        server,
    ):
        yield server


def _settled(page: Any) -> str:
    """The page's title once the script run has ended."""
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=TIMEOUT_MS)
    page.wait_for_selector("h1", timeout=TIMEOUT_MS)
    return str(page.locator("h1").first.inner_text()).strip()


def _sign_in(page: Any) -> None:
    page.get_by_label("Name", exact=True).fill("adam")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _wait_title(page: Any, title: str, timeout_ms: int = TIMEOUT_MS) -> None:
    page.wait_for_function(
        "title => [...document.querySelectorAll('h1')].some(h => h.innerText.trim() === title)",
        arg=title,
        timeout=timeout_ms,
    )
    _settled(page)


def _sign_out(page: Any) -> None:
    """Click "Sign out" once the page's run has ended, and wait for the sign-in page.

    A click that lands while a rerun replaces the sidebar (the map page reruns as it writes the
    view's filters into the address) can hit a button that is being swapped out; such a click is
    repeated, at most twice, while the button is still shown.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    for _ in range(3):
        _settled(page)
        page.get_by_role("button", name="Sign out").click()
        try:
            _wait_title(page, "Sign in", timeout_ms=30_000)
            return
        except PlaywrightTimeoutError:
            if page.get_by_role("button", name="Sign out").count() == 0:
                raise
    _wait_title(page, "Sign in")


def _wait_cookie_gone(context: Any, page: Any, timeout_s: float = 60.0) -> None:
    """Wait until the browser no longer holds the session cookie (the end route has answered)."""
    deadline = time.monotonic() + timeout_s
    while COOKIE_NAME in {c["name"] for c in context.cookies()}:
        if time.monotonic() > deadline:
            raise AssertionError(f"the {COOKIE_NAME} cookie is still held {timeout_s:.0f} s after sign-out")
        page.wait_for_timeout(250)


def _signed_in_caption(page: Any) -> bool:
    return page.get_by_text("Signed in as").count() > 0


@pytest.mark.e2e
def test_sign_in_survives_reload_and_new_tabs_until_sign_out(
    signin_server: AppServer, chromium_path: str, tmp_path: Path
) -> None:
    url = signin_server.url
    with browser_context(chromium_path) as context:
        page = context.new_page()
        page.goto(url)
        assert _settled(page) == "Sign in"
        page.screenshot(path=str(tmp_path / "signin.png"))
        _sign_in(page)
        _wait_title(page, "Overview")

        cookies = {cookie["name"]: cookie for cookie in context.cookies()}
        cookie = cookies[COOKIE_NAME]
        assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
        assert PASSWORD not in cookie["value"]
        assert page.evaluate("document.cookie").find(COOKIE_NAME) == -1  # scripts cannot read it

        page.reload()
        assert _settled(page) == "Overview" and _signed_in_caption(page)

        tab = context.new_page()  # a new tab on a view link: signed in, on that view
        tab.goto(f"{url}/map?view={VIEW}")
        _wait_title(tab, "Incident map")
        assert _signed_in_caption(tab)
        tab.wait_for_url("**country=MLI**", timeout=TIMEOUT_MS)
        assert f"view={VIEW}" not in tab.url
        tab.screenshot(path=str(tmp_path / "view_tab.png"))

        _sign_out(tab)
        _wait_cookie_gone(context, tab)

        after = context.new_page()  # the same link after sign-out: the sign-in page, no view name
        after.goto(f"{url}/map?view={VIEW}")
        assert _settled(after) == "Sign in"
        assert VIEW not in after.inner_text("body") and VIEW not in after.url
        after.screenshot(path=str(tmp_path / "after_signout.png"))

        # signing in from the held link continues to that page and view
        _sign_in(after)
        _wait_title(after, "Incident map")
        after.wait_for_url("**country=MLI**", timeout=TIMEOUT_MS)

    with browser_context(chromium_path) as replay:  # the first cookie, kept by an attacker, is dead
        replay.add_cookies([cookie])
        old = replay.new_page()
        old.goto(f"{url}/map?view={VIEW}")
        assert _settled(old) == "Sign in"
        _wait_cookie_gone(replay, old)  # a dead cookie is cleared on the way, and the link is kept
        _sign_in(old)
        _wait_title(old, "Incident map")
        old.wait_for_url("**country=MLI**", timeout=TIMEOUT_MS)
