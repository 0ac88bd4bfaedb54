"""Who may see and change what: roles, accounts, sign-in and the auth mode.

The domain layer enforces permissions (a function refuses; hiding a button is only a
courtesy). Wiring a domain function is one line::

    from incidents.auth import Permission, User, require

    def save_corridor(store, corridor, *, by: User) -> ...:
        require(by, Permission.EDIT_REFERENCE)
        ...

Streamlit is never imported here (docs/architecture.md, 'Layers'); the dashboard's session handling
lives in ``dashboard/ui/auth.py``.
"""

from incidents.auth.roles import LOCAL_ADMIN, Permission, Role, User, can, require
from incidents.errors import AuthError, PermissionDenied

__all__ = [
    "LOCAL_ADMIN",
    "AuthError",
    "Permission",
    "PermissionDenied",
    "Role",
    "User",
    "can",
    "require",
]
