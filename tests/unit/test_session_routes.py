"""The cookie routes of dashboard/serve.py: real Starlette requests and responses, a real SQLite store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.requests import Request

from dashboard.ui import session_routes
from incidents.auth import sessions
from incidents.auth.accounts import create_user
from incidents.auth.sessions import COOKIE_NAME, handoff_token, session_generation, user_of_token
from incidents.store import IncidentStore, open_store
from tests.unit.test_auth_accounts import PASSWORD, use_cheap_hashes


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IncidentStore]:
    use_cheap_hashes(monkeypatch)
    url = f"sqlite:///{tmp_path / 'routes.db'}"
    monkeypatch.setenv("SAHEL_DB_URL", url)
    monkeypatch.delenv("SAHEL_SESSION_SECRET", raising=False)
    monkeypatch.delenv("SAHEL_SESSION_HOURS", raising=False)
    sessions._secret_cache.clear()
    opened = open_store(url)
    create_user(opened, "ana", "analyst", PASSWORD)
    monkeypatch.setitem(session_routes._state, "store", None)
    yield opened
    if session_routes._state["store"] is not None:
        session_routes._state["store"].close()
    opened.close()


class Answer:
    """A route's response: status, headers and its Set-Cookie lines."""

    def __init__(self, response: Any) -> None:
        self.status_code = int(response.status_code)
        self.headers = dict(response.headers)
        self.cookies = [value.decode() for key, value in response.raw_headers if key == b"set-cookie"]


def _call(handler: Any, path: str, query: dict[str, str], headers: dict[str, str]) -> Answer:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": urlencode(query).encode(),
        "headers": [(key.lower().encode(), value.encode()) for key, value in headers.items()],
        "scheme": "http",
        "server": ("127.0.0.1", 8501),
        "client": ("127.0.0.1", 40000),
        "root_path": "",
    }
    return Answer(asyncio.run(handler(Request(scope))))


def _start(token: str, next_path: str, **headers: str) -> Answer:
    query = {"token": token, "next": next_path}
    return _call(session_routes.start_session, session_routes.START_PATH, query, headers)


def test_the_routes_are_registered_at_their_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(session_routes._state, "mounted", False)  # restored afterwards: AppTests rerun
    assert not session_routes.mounted()
    paths = {route.path for route in session_routes.routes()}
    assert paths == {session_routes.START_PATH, session_routes.END_PATH}
    assert session_routes.mounted()


def test_a_handoff_sets_an_httponly_strict_cookie_once(store: IncidentStore) -> None:
    token = handoff_token(store, "ana", session_generation(store, "ana"))
    response = _start(token, "/map?view=mali")
    assert response.status_code == 303 and response.headers["location"] == "/map?view=mali"
    (set_cookie,) = response.cookies
    assert set_cookie.startswith(f"{COOKIE_NAME}=s1.")
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/", "Max-Age=43200"):
        assert attribute in set_cookie
    assert "Secure" not in set_cookie  # plain http here
    assert PASSWORD not in set_cookie
    assert response.headers["cache-control"] == "no-store"
    value = set_cookie.split(";")[0].split("=", 1)[1]
    assert user_of_token(store, value) is not None
    again = _start(token, "/map")
    assert again.status_code == 303 and again.cookies == []  # single use


def test_behind_an_https_proxy_the_cookie_is_secure(store: IncidentStore) -> None:
    token = handoff_token(store, "ana", session_generation(store, "ana"))
    response = _start(token, "/", **{"X-Forwarded-Proto": "https"})
    assert "Secure" in response.cookies[0]


@pytest.mark.parametrize("token", ["", "h1.bad", "s1.YW5h.0.9999999999.00.AAAA"])
def test_a_bad_token_sets_no_cookie(store: IncidentStore, token: str) -> None:
    response = _start(token, "/")
    assert response.status_code == 303 and response.cookies == []


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "map",
        "/x\r\nSet-Cookie: a=b",
    ],
)
def test_next_never_leaves_the_server(store: IncidentStore, target: str) -> None:
    token = handoff_token(store, "ana", session_generation(store, "ana"))
    assert _start(token, target).headers["location"] == "/"


def test_a_base_path_is_kept(store: IncidentStore) -> None:
    assert session_routes.safe_next("/sahel/map?view=x", "/sahel") == "/sahel/map?view=x"
    assert session_routes.safe_next("/other/map", "/sahel") == "/sahel/"


def test_the_end_route_deletes_the_cookie() -> None:
    response = _call(session_routes.end_session, session_routes.END_PATH, {}, {})
    assert response.status_code == 303 and response.headers["location"] == "/"
    (set_cookie,) = response.cookies
    assert set_cookie.startswith(f'{COOKIE_NAME}=""') or set_cookie.startswith(f"{COOKIE_NAME}=;")
    assert "Max-Age=0" in set_cookie and "HttpOnly" in set_cookie


@pytest.mark.parametrize(
    ("next_path", "location"),
    [("/map?view=mali", "/map?view=mali"), ("https://evil.example/", "/"), ("//evil.example", "/")],
)
def test_the_end_route_returns_to_a_page_on_this_server_only(next_path: str, location: str) -> None:
    response = _call(session_routes.end_session, session_routes.END_PATH, {"next": next_path}, {})
    assert response.status_code == 303 and response.headers["location"] == location
    assert len(response.cookies) == 1
