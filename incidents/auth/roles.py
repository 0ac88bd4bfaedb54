"""Roles, permissions and the check every guarded domain function makes first.

Three roles, each including the one below: ``viewer`` < ``analyst`` < ``admin``.
``undo_own`` is special: it is granted for a batch the user imported (``owner``), and
a user holding ``undo_any`` passes it for any owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Final

from incidents.errors import AuthError, PermissionDenied
from incidents.i18n import N_, Labels, _


class Role(IntEnum):
    """Ordered roles: a higher role holds every permission of a lower one."""

    VIEWER = 1
    ANALYST = 2
    ADMIN = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str | Role) -> Role:
        """``"analyst"`` -> ``Role.ANALYST``; an unknown name raises :class:`AuthError`."""
        if isinstance(text, Role):
            return text
        try:
            return cls[str(text).strip().upper()]
        except KeyError:
            allowed = [str(role) for role in cls]
            raise AuthError(
                _("unknown role {role}; use one of {allowed}").format(role=repr(text), allowed=allowed)
            ) from None


class Permission(StrEnum):
    VIEW = "view"  # every dashboard and briefing
    EXPORT = "export"  # exports of what the user can see
    IMPORT = "import"  # incident and site files
    UNDO_OWN = "undo_own"  # undo a batch the user imported
    UNDO_ANY = "undo_any"  # undo anyone's batch
    EDIT_REFERENCE = "edit_reference"  # corridors, sites, key developments, saved views
    ADJUST_OUTLOOK = "adjust_outlook"  # analysts' what-if adjustments of the outlook
    MANAGE_ACCOUNTS = "manage_accounts"
    WATCH_OWN = "watch_own"  # watches for oneself: own in-app inbox and own e-mail
    WATCH_ANY = "watch_any"  # watches for anyone: any user, address or webhook


#: The lowest role that holds each permission.
MINIMUM_ROLE: Final[dict[Permission, Role]] = {
    Permission.VIEW: Role.VIEWER,
    Permission.EXPORT: Role.VIEWER,
    Permission.IMPORT: Role.ANALYST,
    Permission.UNDO_OWN: Role.ANALYST,
    Permission.EDIT_REFERENCE: Role.ANALYST,
    Permission.ADJUST_OUTLOOK: Role.ANALYST,
    Permission.WATCH_OWN: Role.VIEWER,
    Permission.WATCH_ANY: Role.ANALYST,
    Permission.UNDO_ANY: Role.ADMIN,
    Permission.MANAGE_ACCOUNTS: Role.ADMIN,
}

#: What each permission lets a user do, for refusal messages.
_ACTIONS: Final[dict[Permission, str]] = {
    Permission.VIEW: N_("view the dashboards"),
    Permission.EXPORT: N_("export data"),
    Permission.IMPORT: N_("import files"),
    Permission.UNDO_OWN: N_("undo batches"),
    Permission.UNDO_ANY: N_("undo other people's batches"),
    Permission.EDIT_REFERENCE: N_("edit corridors, sites, key developments or saved views"),
    Permission.ADJUST_OUTLOOK: N_("adjust the outlook"),
    Permission.MANAGE_ACCOUNTS: N_("manage accounts"),
    Permission.WATCH_OWN: N_("keep watches"),
    Permission.WATCH_ANY: N_("make watches for others, e-mail addresses other than their own or webhooks"),
}

#: How each role is named to people (the codes ``viewer``, ``analyst``, ``admin`` stay in data).
ROLE_LABELS: Final = Labels({"viewer": N_("viewer"), "analyst": N_("analyst"), "admin": N_("admin")})


def role_label(role: object) -> str:
    """A role (``Role`` or its code) in the reader's language: ``analyst`` -> « analyste »."""
    code = str(role)
    return ROLE_LABELS.get(code, code)


@dataclass(frozen=True)
class User:
    """An authenticated user (or the local admin of a single-user installation)."""

    name: str
    role: Role
    disabled: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role.parse(self.role))


#: The single user of local mode (localhost, no accounts). "local" is also the name the
#: store has always recorded for unauthenticated imports and undos.
LOCAL_ADMIN: Final = User(name="local", role=Role.ADMIN)


def _permission(permission: str) -> Permission:
    try:
        return Permission(permission)
    except ValueError:
        # A typo in the caller, not a user error: fail loudly.
        raise ValueError(
            f"unknown permission {permission!r}; use one of {[p.value for p in Permission]}"
        ) from None


def can(user: User, permission: str, owner: str | None = None) -> bool:
    """Whether ``user`` holds ``permission`` (for ``undo_own``: on a batch imported by ``owner``)."""
    wanted = _permission(permission)
    if user.disabled:
        return False
    if user.role >= MINIMUM_ROLE[wanted] and (wanted is not Permission.UNDO_OWN or owner == user.name):
        return True
    # undo_any implies undo_own of anyone's batch
    return wanted is Permission.UNDO_OWN and user.role >= MINIMUM_ROLE[Permission.UNDO_ANY]


def require(user: User, permission: str, *, owner: str | None = None, target: str = "") -> None:
    """Raise :class:`PermissionDenied` unless ``user`` holds ``permission``.

    ``owner`` is the user who imported the batch (for ``undo_own``); ``target`` names the
    object in the message (e.g. ``"batch 20250101T…"``).
    """
    wanted = _permission(permission)
    if can(user, wanted, owner=owner):
        return
    who = _("{role} {name}").format(role=role_label(user.role), name=repr(user.name))
    if user.disabled:
        raise PermissionDenied(_("the account {name} is disabled; ask an admin").format(name=repr(user.name)))
    if wanted is Permission.UNDO_OWN and user.role >= MINIMUM_ROLE[Permission.UNDO_OWN]:
        raise PermissionDenied(
            _(
                "{who} may not undo {target} imported by {owner}; only its importer or an admin may; "
                "ask an admin"
            ).format(who=who, target=target or _("a batch"), owner=repr(owner))
        )
    needed = MINIMUM_ROLE[wanted]
    what = f" {target}" if target else ""
    raise PermissionDenied(
        _("{who} may not {action}{target}; that needs the {role} role; ask an admin").format(
            who=who, action=_(_ACTIONS[wanted]), target=what, role=role_label(needed)
        )
    )
