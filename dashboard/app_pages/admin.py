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
from incidents.auth.roles import role_label
from incidents.errors import IncidentsError
from incidents.i18n import N_, _
from incidents.store import IncidentStore

KEY_MESSAGE: Final = "admin_message"
ROLES: Final = [str(role) for role in Role]
PASSWORDS_DIFFER: Final = N_("The two passwords differ; nothing was changed.")


def _flash(text: str) -> None:
    st.session_state[KEY_MESSAGE] = text
    st.rerun()


def _add_user(store: IncidentStore, user: User, first: bool) -> None:
    st.subheader(_("Add an account"))
    if first:
        st.caption(
            _(
                "The first account ends local mode: from then on everyone signs in. It must be an admin, "
                "or nobody could manage accounts afterwards."
            )
        )
    with st.form("admin_add_form", clear_on_submit=True):
        left, right = st.columns(2)
        name = left.text_input(
            _("Name"), key="admin_new_name", help=_("Lower case letters, digits and . _ @ + -")
        )
        role = right.selectbox(
            _("Role"), [str(Role.ADMIN)] if first else ROLES, key="admin_new_role", format_func=role_label
        )
        password = left.text_input(
            _("Password"),
            type="password",
            key="admin_new_password",
            autocomplete="new-password",
            help=_("At least {n} characters.").format(n=MIN_PASSWORD_LENGTH),
        )
        again = right.text_input(
            _("Password again"), type="password", key="admin_new_password2", autocomplete="new-password"
        )
        submitted = st.form_submit_button(_("Add account"), key="admin_add", type="primary")
    if not submitted:
        return
    if password != again:
        st.error(_(PASSWORDS_DIFFER), icon="🚫")
        return
    try:
        created = create_user(store, name, role, password, by=user)
    except IncidentsError as exc:
        components.domain_error(exc)
        return
    _flash(
        _("Account {name} added with role {role}.").format(
            name=repr(created.name), role=role_label(created.role)
        )
    )


def _change_user(store: IncidentStore, user: User, names: list[str]) -> None:
    st.subheader(_("Change an account"))
    picked = st.selectbox(_("Account"), names, key="admin_pick")
    if not picked:
        return
    left, right = st.columns(2)
    with left:
        role = st.selectbox(_("New role"), ROLES, key="admin_role", format_func=role_label)
        if st.button(_("Change role"), key="admin_set_role"):
            _run(
                lambda: set_role(store, picked, role, by=user),
                _("{name} now has role {role}.").format(name=repr(picked), role=role_label(role)),
            )
        toggle_left, toggle_right = st.columns(2)
        if toggle_left.button(_("Disable"), key="admin_disable"):
            _run(
                lambda: disable_user(store, picked, by=user),
                _("{name} disabled; it can no longer sign in.").format(name=repr(picked)),
            )
        if toggle_right.button(_("Enable"), key="admin_enable"):
            _run(lambda: enable_user(store, picked, by=user), _("{name} enabled.").format(name=repr(picked)))
    with right, st.form("admin_reset_form", clear_on_submit=True):
        password = st.text_input(
            _("New password"), type="password", key="admin_reset_password", autocomplete="new-password"
        )
        again = st.text_input(
            _("New password again"), type="password", key="admin_reset_password2", autocomplete="new-password"
        )
        submitted = st.form_submit_button(_("Reset password"), key="admin_reset")
    if submitted:
        if password != again:
            st.error(_(PASSWORDS_DIFFER), icon="🚫")
            return
        _run(
            lambda: set_password(store, picked, password, by=user),
            _("Password of {name} reset.").format(name=repr(picked)),
        )


def _run(change: object, message: str) -> None:
    try:
        change()  # type: ignore[operator]
    except IncidentsError as exc:
        components.domain_error(exc)
        return
    _flash(message)


def _failures(store: IncidentStore, user: User) -> None:
    st.subheader(_("Recent sign-in failures"))
    rows = recent_signin_failures(store, by=user)
    if not rows:
        st.caption(_("No failed sign-ins recorded."))
        return
    headers = {"at": _("When"), "user_name": _("Name"), "details": _("Details")}
    st.dataframe(tables.display_columns(pd.DataFrame(rows), headers), hide_index=True, width="stretch")


st.title(_("Accounts"))
user = current_user()
if user is None or not may(user, Permission.MANAGE_ACCOUNTS, _("Managing accounts")):
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
            _("Name"): [account.name for account in accounts],
            _("Role"): [role_label(account.role) for account in accounts],
            _("Disabled"): [account.disabled for account in accounts],
            _("Created"): [account.created_at for account in accounts],
            _("Updated"): [account.updated_at for account in accounts],
        }
    ),
    hide_index=True,
    width="stretch",
)
st.caption(
    _(
        "Role changes and disabling take effect at the user's next click. The last enabled admin cannot "
        "be demoted or disabled."
    )
)
_add_user(store, user, first=not accounts)
st.divider()
_change_user(store, user, [account.name for account in accounts])
st.divider()
_failures(store, user)
