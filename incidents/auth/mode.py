"""Local mode or required sign-in, decided from the listening address, env and accounts.

Local mode (one implicit admin, no sign-in) is only for a server nobody else can reach
and a store without accounts: any other address, ``SAHEL_AUTH=required`` or a single
account switches sign-in on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

from incidents.errors import AuthError
from incidents.i18n import _
from incidents.settings import AUTH_ENV, AUTH_VALUES, auth_setting

AuthMode = Literal["local", "required"]

ENV_VAR: Final = AUTH_ENV
ENV_VALUES: Final = AUTH_VALUES
LOOPBACK_ADDRESSES: Final = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
ADD_ADMIN_COMMAND: Final = "python -m incidents users add NAME --role admin"


def auth_mode(server_address: str | None, env: Mapping[str, str] | None, has_accounts: bool) -> AuthMode:
    """``"local"`` only for a loopback address, ``SAHEL_AUTH`` unset/auto and no account.

    An empty address means "every interface" (Streamlit's default), so it requires
    sign-in. An unknown ``SAHEL_AUTH`` value is an error rather than a guess. ``env``:
    the variables to read (``None``: the process environment).
    """
    setting = auth_setting(env)
    if setting not in ENV_VALUES:
        raise AuthError(
            _("{variable}={setting} is not understood; use one of {allowed}").format(
                variable=ENV_VAR, setting=repr(setting), allowed=list(ENV_VALUES)
            )
        )
    address = (server_address or "").strip().lower()
    if setting == "required" or has_accounts or address not in LOOPBACK_ADDRESSES:
        return "required"
    return "local"


def no_admin_message() -> str:
    """What to do when sign-in is required but nobody could sign in as admin."""
    return _(
        "Sign-in is required here (the server listens beyond this machine, SAHEL_AUTH=required, or accounts "
        "exist), but there is no enabled admin account yet. On the server, create one with "
        "`{command}` and reload this page."
    ).format(command=ADD_ADMIN_COMMAND)
