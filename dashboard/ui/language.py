"""Which language this run speaks, and the sidebar's selector.

Order of choice: ``?lang=`` in the address (a shared link opens in the sender's language) or the
selector, else the signed-in account's saved language, else the browser's ``Accept-Language``,
else English. The choice is written back to the address on every run (pages
lose the query string when one navigates between them) so the link in the address bar always
carries it; changing it keeps the page and the filters, which live in the session and the
address (every filter widget has a fixed ``key``, so a translated label does not reset it).
"""

from __future__ import annotations

import contextlib

import streamlit as st
from streamlit.errors import StreamlitAPIException

from dashboard.ui.caching import get_store
from incidents.auth import LOCAL_ADMIN, User
from incidents.auth.accounts import account_language, set_account_language
from incidents.errors import IncidentsError
from incidents.i18n import LANGUAGE_NAMES, LANGUAGES, negotiate, set_fallback, set_language, supported

LANG_PARAM = "lang"
STATE_KEY = "_language"
SOURCE_KEY = "_language_source"  # "asked" (link, selector), "account", or "guessed" (browser, default)
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
    """Decide this run's language, make it current for ``_()`` and keep it in the address.

    A language asked for (a link's ``?lang=``, the selector) holds for the session; one only
    guessed (browser, default) gives way to the account's as soon as someone signs in.
    """
    state = st.session_state
    asked = supported(st.query_params.get(LANG_PARAM))
    held = supported(state.get(STATE_KEY))
    how = state.get(SOURCE_KEY)
    if asked is not None and asked != held:
        language, how = asked, "asked"  # a new link, or the address edited by hand
    elif held is not None and how in ("asked", "account"):
        language = held
    elif (account := _from_account(user)) is not None:
        language, how = account, "account"
    else:
        browser = negotiate(st.context.headers.get("Accept-Language") if st.context.headers else None)
        language, how = held or browser or LANGUAGES[0], "guessed"
    state[STATE_KEY], state[SOURCE_KEY] = set_language(language), how
    if st.query_params.get(LANG_PARAM) != state[STATE_KEY]:
        st.query_params[LANG_PARAM] = state[STATE_KEY]
    return str(state[STATE_KEY])


def keep_widget_values() -> None:
    """Give every widget its own value again, so a changed language keeps what people chose.

    A select box tells the server its choice by the label it shows ("Last 90 days"); after a
    switch that label is no longer among the options ("90 derniers jours") and the choice would
    be lost. A callback still reads the values with the old labels, and a value written to
    ``st.session_state`` wins over the browser's: re-writing each one carries it across.
    Only text and choices are written: buttons, uploaders and tables cannot be, and need not be.
    """
    for key in list(st.session_state.keys()):
        value = st.session_state[key]
        chosen = isinstance(value, str) or (
            isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)
        )
        if key != SELECT_KEY and chosen:  # choices by label; never a button's or an uploader's state
            with contextlib.suppress(StreamlitAPIException):
                st.session_state[key] = value


def language_selector(user: User | None) -> None:
    """The sidebar's language choice; saved to the account when someone is signed in."""

    def changed() -> None:
        language = supported(st.session_state.get(SELECT_KEY)) or LANGUAGES[0]
        keep_widget_values()
        st.session_state[STATE_KEY], st.session_state[SOURCE_KEY] = language, "asked"
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
        format_func=LANGUAGE_NAMES.__getitem__,
        on_change=changed,
    )
