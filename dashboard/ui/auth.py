"""Sign-in for the dashboard: who the session's user is, and which pages they may open.

The session keeps only the account name and its session generation; on every run the
account is re-read from the store and the generation compared with the account's current
one, so sign-out (anywhere), a password or role change and a disabled account take effect
at the user's next click. Permissions themselves are enforced in the domain layer
(``incidents.auth``); this module decides the navigation and shows who is signed in.

A sign-in lasts across reloads and new tabs through an HttpOnly cookie when the server
runs ``dashboard/serve.py`` (see :mod:`dashboard.ui.session_routes`); with an identity
provider configured (``[auth]`` in ``.streamlit/secrets.toml``) users may also sign in
through Streamlit's OpenID Connect support (``st.login``), as the account named by their
verified e-mail address (:func:`incidents.auth.sessions.account_for_identity`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final
from urllib.parse import urlencode

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from dashboard.ui import session_routes
from dashboard.ui.caching import get_store
from incidents.auth import LOCAL_ADMIN, AuthError, Permission, User, can
from incidents.auth.accounts import get_user, has_admin, user_count, verify_credentials
from incidents.auth.mode import AuthMode, auth_mode, no_admin_message
from incidents.auth.roles import MINIMUM_ROLE
from incidents.auth.sessions import (
    COOKIE_NAME,
    account_for_identity,
    current_session_user,
    handoff_token,
    session_generation,
    user_of_token,
)
from incidents.auth.sessions import sign_out as end_account_sessions
from incidents.errors import IncidentsError
from incidents.i18n import N_, Labels, _
from incidents.settings import client_ip_header

SESSION_KEY: Final = "auth_user"
GENERATION_KEY: Final = "auth_generation"  # the account's session generation at sign-in
SSO_KEY: Final = "auth_sso"  # set when the session came from the identity provider
LOCAL_BADGE: Final = N_("Local mode — no sign-in")
#: How each role is called on the page (the codes stay: viewer, analyst, admin).
ROLE_LABELS: Final = Labels({"viewer": N_("viewer"), "analyst": N_("analyst"), "admin": N_("admin")})

Pages = Mapping[str, Sequence[StreamlitPage]] | Sequence[StreamlitPage]


def current_mode() -> AuthMode:
    """``"local"`` or ``"required"`` for this server and store (see :func:`incidents.auth.mode.auth_mode`)."""
    address = st.get_option("server.address")
    return auth_mode(address, None, has_accounts=user_count(get_store()) > 0)


def current_user() -> User | None:
    """The user of this session: the local admin in local mode, else the signed-in account or None.

    Checked on every run: the session's generation must still be the account's (sign-out,
    password, role and disable end it) and the account enabled. A session without a user
    is resumed from the sign-in cookie or the identity provider's sign-in, when valid.
    """
    if current_mode() == "local":
        return LOCAL_ADMIN
    store = get_store()
    name = st.session_state.get(SESSION_KEY)
    if name:
        generation = st.session_state.get(GENERATION_KEY)
        user = None
        if isinstance(generation, int):
            user = current_session_user(store, str(name), generation)
        if user is not None:
            return user
        _forget()
    return _resume()


def _forget() -> None:
    for key in (SESSION_KEY, GENERATION_KEY, SSO_KEY):
        st.session_state.pop(key, None)


def _remember(user: User, generation: int, *, sso: bool = False) -> None:
    st.session_state[SESSION_KEY] = user.name
    st.session_state[GENERATION_KEY] = generation
    if sso:
        st.session_state[SSO_KEY] = True


def sso_configured() -> bool:
    """Whether an identity provider is configured (``[auth]`` in ``.streamlit/secrets.toml``)."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, ValueError, st.errors.StreamlitAPIException):
        return False


def _resume() -> User | None:
    """The account of a valid sign-in cookie or identity-provider sign-in, remembered for the session."""
    store = get_store()
    token = st.context.cookies.get(COOKIE_NAME) if st.context.cookies is not None else None
    if token:
        user = user_of_token(store, str(token))
        if user is not None:
            _remember(user, session_generation(store, user.name))
            return user
    if sso_configured() and st.user.is_logged_in:
        user = account_for_identity(st.user.to_dict(), lambda email: get_user(store, email))
        if user is not None:
            _remember(user, session_generation(store, user.name), sso=True)
            return user
    return None


def may(user: User | None, permission: Permission, what: str) -> bool:
    """Whether ``user`` holds ``permission``; if not, a caption naming the role it needs.

    Only a courtesy: the domain function refuses anyway (``PermissionDenied``).
    """
    if user is not None and can(user, permission):
        return True
    role = MINIMUM_ROLE[permission]
    st.caption(
        _("{what} needs the {role} role; ask an admin.").format(
            what=what, role=ROLE_LABELS.get(str(role), str(role))
        )
    )
    return False


def client_key() -> str:
    """The client's address for per-client rate limiting ("" when unknown)."""
    header = client_ip_header()
    if header:
        return str(st.context.headers.get(header, "")).split(",")[0].strip()
    return str(st.context.ip_address or "")


def sign_in(name: str, password: str) -> User:
    """Check the credentials and start the session; raises AuthenticationFailed / AccountLocked."""
    store = get_store()
    user = verify_credentials(store, name, password, client_key=client_key())
    _remember(user, session_generation(store, user.name))
    return user


def _redirect(url: str) -> None:
    """Send the browser to ``url`` (the message Streamlit's own ``st.login`` / ``st.logout`` send)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    context = get_script_run_ctx()
    if context is None:
        return
    message = ForwardMsg()
    message.auth_redirect.url = url
    context.enqueue(message)


def finish_sign_in(user: User, next_path: str | None = None) -> None:
    """After a password sign-in: have the server set the lasting cookie, then open ``next_path``.

    Without the cookie routes (``streamlit run dashboard/app.py``, tests) the sign-in lasts
    as long as the tab: just rerun.
    """
    if not session_routes.mounted():
        st.rerun()
    base = session_routes.base_path()
    generation = st.session_state.get(GENERATION_KEY)
    token = handoff_token(get_store(), user.name, int(generation) if isinstance(generation, int) else -1)
    target = session_routes.safe_next(next_path or f"{base}/", base)
    _redirect(f"{base}{session_routes.START_PATH}?{urlencode({'token': token, 'next': target})}")
    st.stop()


def sign_out() -> None:
    """End the session: every session of the account (all tabs and browsers), and this one's state."""
    user = current_user()
    sso = bool(st.session_state.get(SSO_KEY))
    if user is not None and user is not LOCAL_ADMIN:
        end_account_sessions(get_store(), user.name)
    for key in list(st.session_state.keys()):
        st.session_state.pop(key, None)
    if sso and st.user.is_logged_in:
        st.logout()  # clears the identity provider's cookie and reloads the app
        return
    if session_routes.mounted():
        _redirect(f"{session_routes.base_path()}{session_routes.END_PATH}")
        st.stop()


def _signin_page(url_path: str = "signin") -> StreamlitPage:
    # A callable page, not a file in pages/: Streamlit then always runs app.py (and this gate) first.
    from dashboard.app_pages.signin import render

    default = url_path == "signin"
    return st.Page(render, title=_("Sign in"), icon=":material/login:", url_path=url_path, default=default)


def all_pages(pages: Pages) -> list[StreamlitPage]:
    """Every page of a navigation (sections flattened)."""
    return [page for group in pages.values() for page in group] if isinstance(pages, Mapping) else list(pages)


def signin_only(pages: Pages) -> bool:
    """Whether ``pages`` is the sign-in navigation (shown without a page menu)."""
    return all(page.title == _("Sign in") for page in all_pages(pages))


def requested_page() -> str:
    """The page path the browser asked for (``"map"`` for ``/map``), ``""`` when unknown."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    manager = getattr(get_script_run_ctx(), "pages_manager", None)
    return str(getattr(manager, "intended_page_name", "") or "")


def _signin_pages(pages_by_section: Pages) -> list[StreamlitPage]:
    """The sign-in page, also at the address of every page (so ``/map?view=...`` shows the form
    rather than "page not found", and after sign-in that page opens). Menu hidden."""
    aliases = [
        _signin_page(page.url_path)
        for page in all_pages(pages_by_section)
        if page.url_path and page.url_path != "signin"
    ]
    return [_signin_page(), *aliases]


def show_user_badge(user: User, mode: AuthMode) -> None:
    """Sidebar: the local-mode badge, or who is signed in with a Sign out button."""
    if mode == "local":
        st.sidebar.info(_(LOCAL_BADGE), icon=":material/lock_open:")
        return
    st.sidebar.caption(
        _("Signed in as `{name}` ({role})").format(
            name=user.name, role=ROLE_LABELS.get(str(user.role), user.role)
        )
    )
    if st.sidebar.button(_("Sign out"), key="signout", icon=":material/logout:"):
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
        _refuse(_("The dashboard cannot decide how to sign users in: {problem}.").format(problem=exc))
        raise  # unreachable: st.stop() ends the run
    except IncidentsError as exc:  # the store cannot be opened: nobody can be signed in
        _refuse(_("The incident store cannot be opened: {problem}.").format(problem=exc))
        raise
    if mode == "local":
        show_user_badge(LOCAL_ADMIN, mode)
        return pages_by_section
    if not has_admin(get_store()):
        _refuse(no_admin_message())
    user = current_user()
    if user is None:
        if _holds_dead_cookie():
            _clear_dead_cookie(pages_by_section)
        return _signin_pages(pages_by_section)
    show_user_badge(user, mode)
    return pages_by_section


def _holds_dead_cookie() -> bool:
    """Whether the browser sent a sign-in cookie that no longer signs anyone in.

    Signed out elsewhere, expired, or a sign-out whose redirect the browser never followed
    (a rerun can replace the run that sent it): the cookie is harmless but should go.
    """
    cookies = st.context.cookies
    return session_routes.mounted() and cookies is not None and bool(cookies.get(COOKIE_NAME))


def _clear_dead_cookie(pages_by_section: Pages) -> None:
    """Send the browser through the route that deletes the cookie, back to the page it asked for."""
    st.navigation(_signin_pages(pages_by_section), position="hidden")
    base = session_routes.base_path()
    page = requested_page()
    query = urlencode(dict(st.query_params.items()))
    target = session_routes.safe_next(f"{base}/{page}" + (f"?{query}" if query else ""), base)
    _redirect(f"{base}{session_routes.END_PATH}?{urlencode({'next': target})}")
    st.stop()
