"""Sign-in page: the only page a session without a user can open in required mode.

Widget keys are part of the test contract: ``signin_name``, ``signin_password``,
``signin_submit``. A failure never says whether the name exists. The page is a callable
(:func:`render`) registered by ``dashboard.auth.gate_navigation``, so the app's entry
script, and with it the gate, runs before it on every rerun.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

from incidents.auth.accounts import AccountLocked, AuthenticationFailed

FAILURE_MESSAGE: Final = "Sign-in failed: the name or the password is not correct."


def render() -> None:
    from dashboard.auth import sign_in  # dashboard.auth registers this page: import late

    st.title("Sign in")
    st.caption("This dashboard is shared: sign in with the account an admin created for you.")
    # clear_on_submit: the password does not linger in the session state
    with st.form("signin_form", clear_on_submit=True):
        name = st.text_input("Name", key="signin_name", autocomplete="username")
        password = st.text_input(
            "Password", type="password", key="signin_password", autocomplete="current-password"
        )
        submitted = st.form_submit_button("Sign in", key="signin_submit", type="primary")
    if not submitted:
        return
    try:
        sign_in(name, password)
    except AccountLocked as exc:
        message = str(exc)
        st.error(f"{message[:1].upper()}{message[1:]}.", icon="🔒")
    except AuthenticationFailed:
        st.error(FAILURE_MESSAGE, icon="🚫")
    else:
        st.rerun()
