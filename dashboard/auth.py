"""Sign-in for the dashboard: who the session's user is, and which pages they may open.

The session keeps only the account name; the account is re-read from the store on every
run, so a disabled account or a changed role takes effect at the user's next click.
Permissions themselves are enforced in the domain layer (``incidents.auth``); this
module decides the navigation and shows who is signed in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Final

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from dashboard.caching import get_store
from incidents.auth import LOCAL_ADMIN, AuthError, Permission, User, can
from incidents.auth.accounts import get_user, has_admin, user_count, verify_credentials
from incidents.auth.mode import AuthMode, auth_mode, no_admin_message
from incidents.auth.roles import MINIMUM_ROLE
from incidents.errors import IncidentsError

SESSION_KEY: Final = "auth_user"
LOCAL_BADGE: Final = "Local mode — no sign-in"
#: Behind a reverse proxy every client has the proxy's address; name the header the proxy
#: sets (e.g. ``X-Real-IP``) here so the per-client sign-in limit sees real clients.
CLIENT_HEADER_ENV: Final = "SAHEL_CLIENT_IP_HEADER"

Pages = Mapping[str, Sequence[StreamlitPage]] | Sequence[StreamlitPage]


def current_mode() -> AuthMode:
    """``"local"`` or ``"required"`` for this server and store (see :func:`incidents.auth.mode.auth_mode`)."""
    address = st.get_option("server.address")
    return auth_mode(address, os.environ, has_accounts=user_count(get_store()) > 0)


def current_user() -> User | None:
    """The user of this session: the local admin in local mode, else the signed-in account or None."""
    if current_mode() == "local":
        return LOCAL_ADMIN
    name = st.session_state.get(SESSION_KEY)
    if not name:
        return None
    user = get_user(get_store(), str(name))
    if user is None or user.disabled:
        st.session_state.pop(SESSION_KEY, None)
        return None
    return user


def may(user: User | None, permission: Permission, what: str) -> bool:
    """Whether ``user`` holds ``permission``; if not, a caption naming the role it needs.

    Only a courtesy: the domain function refuses anyway (``PermissionDenied``).
    """
    if user is not None and can(user, permission):
        return True
    st.caption(f"{what} needs the {MINIMUM_ROLE[permission]} role; ask an admin.")
    return False


def client_key() -> str:
    """The client's address for per-client rate limiting ("" when unknown)."""
    header = os.environ.get(CLIENT_HEADER_ENV, "").strip()
    if header:
        return str(st.context.headers.get(header, "")).split(",")[0].strip()
    return str(st.context.ip_address or "")


def sign_in(name: str, password: str) -> User:
    """Check the credentials and start the session; raises AuthenticationFailed / AccountLocked."""
    user = verify_credentials(get_store(), name, password, client_key=client_key())
    st.session_state[SESSION_KEY] = user.name
    return user


def sign_out() -> None:
    """End the session: forget the user and everything the session held."""
    st.session_state.pop(SESSION_KEY, None)
    for key in list(st.session_state.keys()):
        st.session_state.pop(key, None)


def _signin_page() -> StreamlitPage:
    # A callable page, not a file in pages/: Streamlit then always runs app.py (and this gate) first.
    from dashboard.app_pages.signin import render

    return st.Page(render, title="Sign in", icon=":material/login:", url_path="signin", default=True)


def show_user_badge(user: User, mode: AuthMode) -> None:
    """Sidebar: the local-mode badge, or who is signed in with a Sign out button."""
    if mode == "local":
        st.sidebar.info(LOCAL_BADGE, icon=":material/lock_open:")
        return
    st.sidebar.caption(f"Signed in as `{user.name}` ({user.role})")
    if st.sidebar.button("Sign out", key="signout", icon=":material/logout:"):
        sign_out()
        st.rerun()


def _refuse(message: str) -> None:
    # Register a page set before stopping, so Streamlit never falls back to listing pages/.
    st.navigation([_signin_page()], position="hidden")
    st.error(message, icon="🚫")
    st.stop()


def gate_navigation(pages_by_section: Pages) -> Pages:
    """The pages this session may open: all of them, or only the sign-in page.

    In required mode with no enabled admin account the app stops with the command that
    creates one.
    """
    try:
        mode = current_mode()
    except AuthError as exc:
        _refuse(f"The dashboard cannot decide how to sign users in: {exc}.")
        raise  # unreachable: st.stop() ends the run
    except IncidentsError as exc:  # the store cannot be opened: nobody can be signed in
        _refuse(f"The incident store cannot be opened: {exc}.")
        raise
    if mode == "local":
        show_user_badge(LOCAL_ADMIN, mode)
        return pages_by_section
    if not has_admin(get_store()):
        _refuse(no_admin_message())
    user = current_user()
    if user is None:
        return [_signin_page()]
    show_user_badge(user, mode)
    return pages_by_section
