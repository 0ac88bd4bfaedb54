"""The two HTTP routes that set and clear the sign-in cookie (``/_sahel/session/start`` and ``/end``).

Why routes: a Streamlit script talks to the browser over a WebSocket and cannot set an
HttpOnly cookie (JavaScript could not either: HttpOnly means scripts never see it).
Only an HTTP response can. Streamlit >= 1.5x serves apps with Starlette and accepts extra
routes through ``st.App(script, routes=...)``; ``dashboard/serve.py`` is that entry
point (``streamlit run dashboard/serve.py``), registering these routes at start-up.

The flow after a password sign-in (``dashboard.ui.auth.finish_sign_in``):

1. The script issues a 60-second, single-use *handoff* token
   (:func:`incidents.auth.sessions.handoff_token`) and sends the browser to
   ``/_sahel/session/start?token=...&next=/map?view=...`` (the redirect message
   Streamlit's own ``st.login`` uses).
2. This route redeems the token for a session token and answers ``303`` to ``next``
   (a path on this server only) with ``Set-Cookie: sahel_session=...; HttpOnly;
   SameSite=Strict; Path=/`` (``Secure`` when the request came over HTTPS, directly or
   through a proxy that says so in ``X-Forwarded-Proto``), lifetime ``SAHEL_SESSION_HOURS``.
3. Every new page load's WebSocket carries the cookie; the script reads it with
   ``st.context.cookies`` and checks it on every run (signature, expiry, the account's
   session generation, account enabled).

Sign-out raises the account's generation (the cookie is dead from then on, everywhere)
and sends the browser to ``/_sahel/session/end``, which deletes the cookie. A page load that
brings a dead cookie (signed out elsewhere, expired) is sent there too, then back to its page.

Run as ``streamlit run dashboard/app.py`` (without these routes), sign-in still works but
lasts only as long as the browser tab: :func:`mounted` tells the script which it is.
"""

from __future__ import annotations

import logging
from typing import Any, Final
from urllib.parse import urlsplit

from incidents import settings
from incidents.auth.sessions import COOKIE_NAME, redeem_handoff
from incidents.errors import IncidentsError
from incidents.store import IncidentStore, open_store

START_PATH: Final = "/_sahel/session/start"
END_PATH: Final = "/_sahel/session/end"
_LOG = logging.getLogger(__name__)

_state: dict[str, Any] = {"mounted": False, "store": None}


def mounted() -> bool:
    """Whether this process serves the cookie routes (started through ``dashboard/serve.py``)."""
    return bool(_state["mounted"])


def base_path() -> str:
    """Streamlit's ``server.baseUrlPath`` as ``""`` or ``"/prefix"``."""
    from streamlit import config

    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def safe_next(target: str | None, base: str = "") -> str:
    """``target`` if it is a path on this server (no scheme, host or ``//``), else the app's root."""
    root = f"{base}/"
    text = str(target or "")
    if not text.startswith("/") or text.startswith("//") or "\\" in text or len(text) > 2000:
        return root
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        return root
    parts = urlsplit(text)
    if parts.scheme or parts.netloc:
        return root
    if base and not (text == base or text.startswith(f"{base}/") or text.startswith(f"{base}?")):
        return root
    return text


def _store() -> IncidentStore:
    if _state["store"] is None:
        _state["store"] = open_store()
    store: IncidentStore = _state["store"]
    return store


def _is_https(request: Any) -> bool:
    forwarded = str(request.headers.get("x-forwarded-proto", "")).split(",")[0].strip().lower()
    return bool(request.url.scheme == "https" or forwarded == "https")


def _no_store(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token never leaves in a Referer
    return response


async def start_session(request: Any) -> Any:
    """Redeem a handoff token and set the session cookie; 303 to ``next`` either way."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import RedirectResponse

    base = base_path()
    target = safe_next(request.query_params.get("next"), base)
    token = str(request.query_params.get("token", ""))
    try:
        cookie = await run_in_threadpool(redeem_handoff, _store(), token)
        hours = settings.session_hours()
    except IncidentsError as exc:  # store unreachable or a bad setting: no cookie, say so in the log
        _LOG.error("sign-in cookie not set: %s", exc)
        cookie = None
        hours = 0
    response = RedirectResponse(target, status_code=303)
    if cookie is not None:
        response.set_cookie(
            COOKIE_NAME,
            cookie,
            max_age=hours * 3600,
            path=f"{base}/",
            secure=_is_https(request),
            httponly=True,
            samesite="strict",
        )
    return _no_store(response)


async def end_session(request: Any) -> Any:
    """Delete the session cookie (the session itself already ended in the store); 303 to ``next``
    (a path on this server) or home."""
    from starlette.responses import RedirectResponse

    base = base_path()
    response = RedirectResponse(safe_next(request.query_params.get("next"), base), status_code=303)
    response.delete_cookie(
        COOKIE_NAME, path=f"{base}/", secure=_is_https(request), httponly=True, samesite="strict"
    )
    return _no_store(response)


def routes() -> list[Any]:
    """The Starlette routes for ``st.App(..., routes=...)``; marks this process as serving them."""
    from starlette.routing import Route

    base = base_path()
    _state["mounted"] = True
    return [
        Route(f"{base}{START_PATH}", start_session, methods=["GET"]),
        Route(f"{base}{END_PATH}", end_session, methods=["GET"]),
    ]
