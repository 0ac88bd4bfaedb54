"""Which language this run speaks, and the sidebar's selector.

Order of choice: ``?lang=`` in the address (a shared link opens in the sender's language), the
choice made earlier in this session, the signed-in account's saved language, the browser's
``Accept-Language``, English. The choice is written back to the address on every run (pages
lose the query string when one navigates between them) so the link in the address bar always
carries it; changing it keeps the page and the filters, which live in the session and the
address (every filter widget has a fixed ``key``, so a translated label does not reset it).
"""

from __future__ import annotations

import contextlib

import streamlit as st

from dashboard.ui.caching import get_store
from incidents.auth import LOCAL_ADMIN, User
from incidents.auth.accounts import account_language, set_account_language
from incidents.errors import IncidentsError
from incidents.i18n import LANGUAGE_NAMES, LANGUAGES, negotiate, set_fallback, set_language, supported

LANG_PARAM = "lang"
STATE_KEY = "_language"
SELECT_KEY = "_language_select"


def _session_language() -> str | None:
    try:
        return st.session_state.get(STATE_KEY)
    except Exception:  # noqa: BLE001 - no session (a thread of its own, a bare script): English
        return None


# Widget callbacks run before the script sets the language: they read the session's choice.
set_fallback(_session_language)


def _has_account(user: User | None) -> bool:
    return user is not None and user.name != LOCAL_ADMIN.name  # local mode has no account row


def _from_account(user: User | None) -> str | None:
    if user is None or not _has_account(user):
        return None
    try:
        return supported(account_language(get_store(), user.name))
    except IncidentsError:
        return None


def choose_language(user: User | None) -> str:
    """Decide this run's language, make it current for ``_()`` and keep it in the address."""
    chosen = (
        supported(st.query_params.get(LANG_PARAM))
        or supported(st.session_state.get(STATE_KEY))
        or _from_account(user)
        or negotiate(st.context.headers.get("Accept-Language") if st.context.headers else None)
    )
    language = set_language(chosen)
    st.session_state[STATE_KEY] = language
    if st.query_params.get(LANG_PARAM) != language:
        st.query_params[LANG_PARAM] = language
    return language


def language_selector(user: User | None) -> None:
    """The sidebar's language choice; saved to the account when someone is signed in."""

    def changed() -> None:
        language = supported(st.session_state.get(SELECT_KEY)) or LANGUAGES[0]
        st.session_state[STATE_KEY] = language
        st.query_params[LANG_PARAM] = language
        if user is not None and _has_account(user):
            # An account that cannot be written keeps the session's choice.
            with contextlib.suppress(IncidentsError):
                set_account_language(get_store(), user.name, language)

    current = st.session_state.get(STATE_KEY, LANGUAGES[0])
    st.session_state[SELECT_KEY] = current
    st.sidebar.selectbox(
        "Langue · Language",
        LANGUAGES,
        key=SELECT_KEY,
        format_func=lambda code: LANGUAGE_NAMES[code],
        on_change=changed,
    )
