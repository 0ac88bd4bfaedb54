"""Roles and permissions: who may do what, and the sentence a refusal says."""

from __future__ import annotations

import pytest

from incidents.auth import LOCAL_ADMIN, Permission, PermissionDenied, Role, User, can, require
from incidents.errors import IncidentsError

VIEWER = User("vera", Role.VIEWER)
ANALYST = User("ana", Role.ANALYST)
ADMIN = User("adam", Role.ADMIN)


def test_roles_are_ordered_and_parse_from_names() -> None:
    assert Role.VIEWER < Role.ANALYST < Role.ADMIN
    assert Role.parse(" Analyst ") is Role.ANALYST
    assert str(Role.ADMIN) == "admin"
    assert User("x", "viewer").role is Role.VIEWER  # type: ignore[arg-type]
    with pytest.raises(IncidentsError, match=r"unknown role 'boss'.*viewer"):
        Role.parse("boss")


@pytest.mark.parametrize(
    ("user", "allowed"),
    [
        (VIEWER, {"view", "export", "watch_own"}),
        (ANALYST, {"view", "export", "import", "edit_reference", "adjust_outlook", "watch_own", "watch_any"}),
        (
            ADMIN,
            {
                "view",
                "export",
                "import",
                "edit_reference",
                "adjust_outlook",
                "watch_own",
                "watch_any",
                "undo_any",
                "manage_accounts",
            },
        ),
    ],
)
def test_each_role_holds_its_permissions(user: User, allowed: set[str]) -> None:
    granted = {p.value for p in Permission if p is not Permission.UNDO_OWN and can(user, p)}
    assert granted == allowed


def test_undo_own_depends_on_the_batch_owner() -> None:
    assert can(ANALYST, "undo_own", owner="ana")
    assert not can(ANALYST, "undo_own", owner="bob")
    assert not can(VIEWER, "undo_own", owner="vera")  # viewers import nothing, undo nothing
    assert can(ADMIN, "undo_own", owner="bob")  # undo_any covers every owner
    assert can(LOCAL_ADMIN, Permission.UNDO_OWN, owner="someone")


def test_refusal_names_user_role_batch_and_owner() -> None:
    with pytest.raises(PermissionDenied) as caught:
        require(ANALYST, "undo_own", owner="bob", target="batch 20250101T000000Z-abc")
    message = str(caught.value)
    assert "analyst 'ana' may not undo batch 20250101T000000Z-abc imported by 'bob'" in message
    assert "ask an admin" in message
    assert isinstance(caught.value, IncidentsError)  # the CLI's single handler turns it into exit 2


def test_refusal_says_which_role_is_needed() -> None:
    with pytest.raises(
        PermissionDenied, match="viewer 'vera' may not import files; that needs the analyst role"
    ):
        require(VIEWER, Permission.IMPORT)
    with pytest.raises(PermissionDenied, match=r"analyst 'ana' may not manage accounts.*admin"):
        require(ANALYST, "manage_accounts")
    require(ANALYST, "edit_reference")  # no error


def test_disabled_users_may_do_nothing() -> None:
    disabled = User("old", Role.ADMIN, disabled=True)
    assert not can(disabled, "view")
    with pytest.raises(PermissionDenied, match="disabled"):
        require(disabled, "view")


def test_an_unknown_permission_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown permission 'edit'"):
        can(ADMIN, "edit")


def test_local_admin_is_the_name_the_store_always_recorded() -> None:
    assert User("local", Role.ADMIN) == LOCAL_ADMIN
