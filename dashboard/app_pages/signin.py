"""Sign-in page: the only page a session without a user can open in required mode.

Widget keys are part of the test contract: ``signin_name``, ``signin_password``,
``signin_submit`` (and ``signin_sso`` when an identity provider is configured). A failure
never says whether the name exists. The page is a callable (:func:`render`) registered by
``dashboard.ui.auth.gate_navigation``, so the app's entry script, and with it the gate, runs
before it on every rerun.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

from incidents.errors import AccountLocked, AuthenticationFailed
from incidents.i18n import N_, _

FAILURE_MESSAGE: Final = N_("Sign-in failed: the name or the password is not correct.")
SSO_NO_ACCOUNT: Final = N_(
    "Your organisation's sign-in worked, but no enabled account of this dashboard is named by "
    "your e-mail address; ask an admin to add one."
)


def _single_sign_on() -> None:
    """The identity provider's button, and what to say when its user has no account here."""
    if st.user.is_logged_in:  # signed in at the provider, yet the gate found no account
        st.warning(_(SSO_NO_ACCOUNT), icon="⚠️")
        if st.button(_("Use another account"), key="signin_sso_logout"):
            st.logout()
        return
    st.button(
        _("Sign in with your organisation"), key="signin_sso", icon=":material/badge:", on_click=st.login
    )
    st.caption(_("Or with a name and password:"))


def render() -> None:
    # dashboard.ui.auth and dashboard.ui.saved_views register this page: import late
    from dashboard.ui import session_routes
    from dashboard.ui.auth import finish_sign_in, sign_in, sso_configured
    from dashboard.ui.saved_views import held_link_path

    st.title(_("Sign in"))
    st.caption(_("This dashboard is shared: sign in with the account an admin created for you."))
    if sso_configured():
        _single_sign_on()
    # clear_on_submit: the password does not linger in the session state
    with st.form("signin_form", clear_on_submit=True):
        name = st.text_input(_("Name"), key="signin_name", autocomplete="username")
        password = st.text_input(
            _("Password"), type="password", key="signin_password", autocomplete="current-password"
        )
        submitted = st.form_submit_button(_("Sign in"), key="signin_submit", type="primary")
    if not submitted:
        return
    try:
        user = sign_in(name, password)
    except AccountLocked as exc:
        message = str(exc)
        st.error(f"{message[:1].upper()}{message[1:]}.", icon="🔒")
    except AuthenticationFailed:
        st.error(_(FAILURE_MESSAGE), icon="🚫")
    else:
        finish_sign_in(user, held_link_path(session_routes.base_path()))
