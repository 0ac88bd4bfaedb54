"""Accounts page (admins only): list, add, change role, disable/enable, reset passwords.

Every change goes through :mod:`incidents.auth.accounts` with ``by=current_user()``, so
the domain layer refuses a non-admin even if this page were reached. The page is only
registered in the navigation for users who may manage accounts (``dashboard/app.py``).
Widget keys are part of the test contract.
"""

from __future__ import annotations

from typing import Final

import pandas as pd
import streamlit as st

from dashboard.builders import tables
from dashboard.ui import caching, components
from dashboard.ui.auth import current_user, may
from incidents.auth import Permission, Role, User
from incidents.auth.accounts import (
    MIN_PASSWORD_LENGTH,
    create_user,
    disable_user,
    enable_user,
    list_users,
    recent_signin_failures,
    set_password,
    set_role,
)
from incidents.errors import IncidentsError
from incidents.store import IncidentStore

KEY_MESSAGE: Final = "admin_message"
ROLES: Final = [str(role) for role in Role]


def _flash(text: str) -> None:
    st.session_state[KEY_MESSAGE] = text
    st.rerun()


def _add_user(store: IncidentStore, user: User, first: bool) -> None:
    st.subheader("Add an account")
    if first:
        st.caption(
            "The first account ends local mode: from then on everyone signs in. It must be an admin, "
            "or nobody could manage accounts afterwards."
        )
    with st.form("admin_add_form", clear_on_submit=True):
        left, right = st.columns(2)
        name = left.text_input("Name", key="admin_new_name", help="Lower case letters, digits and . _ @ + -")
        role = right.selectbox("Role", [str(Role.ADMIN)] if first else ROLES, key="admin_new_role")
        password = left.text_input(
            "Password",
            type="password",
            key="admin_new_password",
            autocomplete="new-password",
            help=f"At least {MIN_PASSWORD_LENGTH} characters.",
        )
        again = right.text_input(
            "Password again", type="password", key="admin_new_password2", autocomplete="new-password"
        )
        submitted = st.form_submit_button("Add account", key="admin_add", type="primary")
    if not submitted:
        return
    if password != again:
        st.error("The two passwords differ; nothing was changed.", icon="🚫")
        return
    try:
        created = create_user(store, name, role, password, by=user)
    except IncidentsError as exc:
        components.domain_error(exc)
        return
    _flash(f"Account {created.name!r} added with role {created.role}.")


def _change_user(store: IncidentStore, user: User, names: list[str]) -> None:
    st.subheader("Change an account")
    picked = st.selectbox("Account", names, key="admin_pick")
    if not picked:
        return
    left, right = st.columns(2)
    with left:
        role = st.selectbox("New role", ROLES, key="admin_role")
        if st.button("Change role", key="admin_set_role"):
            _run(lambda: set_role(store, picked, role, by=user), f"{picked!r} now has role {role}.")
        toggle_left, toggle_right = st.columns(2)
        if toggle_left.button("Disable", key="admin_disable"):
            _run(
                lambda: disable_user(store, picked, by=user),
                f"{picked!r} disabled; it can no longer sign in.",
            )
        if toggle_right.button("Enable", key="admin_enable"):
            _run(lambda: enable_user(store, picked, by=user), f"{picked!r} enabled.")
    with right, st.form("admin_reset_form", clear_on_submit=True):
        password = st.text_input(
            "New password", type="password", key="admin_reset_password", autocomplete="new-password"
        )
        again = st.text_input(
            "New password again", type="password", key="admin_reset_password2", autocomplete="new-password"
        )
        submitted = st.form_submit_button("Reset password", key="admin_reset")
    if submitted:
        if password != again:
            st.error("The two passwords differ; nothing was changed.", icon="🚫")
            return
        _run(lambda: set_password(store, picked, password, by=user), f"Password of {picked!r} reset.")


def _run(change: object, message: str) -> None:
    try:
        change()  # type: ignore[operator]
    except IncidentsError as exc:
        components.domain_error(exc)
        return
    _flash(message)


def _failures(store: IncidentStore, user: User) -> None:
    st.subheader("Recent sign-in failures")
    rows = recent_signin_failures(store, by=user)
    if not rows:
        st.caption("No failed sign-ins recorded.")
        return
    st.dataframe(tables.display_columns(pd.DataFrame(rows)), hide_index=True, width="stretch")


st.title("Accounts")
user = current_user()
if user is None or not may(user, Permission.MANAGE_ACCOUNTS, "Managing accounts"):
    st.stop()
assert user is not None
try:
    store = caching.get_store()
    accounts = list_users(store)
except IncidentsError as exc:
    components.domain_error(exc)
    st.stop()
if message := st.session_state.pop(KEY_MESSAGE, None):
    st.success(message, icon="✅")
st.dataframe(
    pd.DataFrame(
        {
            "Name": [account.name for account in accounts],
            "Role": [str(account.role) for account in accounts],
            "Disabled": [account.disabled for account in accounts],
            "Created": [account.created_at for account in accounts],
            "Updated": [account.updated_at for account in accounts],
        }
    ),
    hide_index=True,
    width="stretch",
)
st.caption(
    "Role changes and disabling take effect at the user's next click. The last enabled admin cannot "
    "be demoted or disabled."
)
_add_user(store, user, first=not accounts)
st.divider()
_change_user(store, user, [account.name for account in accounts])
st.divider()
_failures(store, user)
