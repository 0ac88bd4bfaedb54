"""``python -m incidents users add|list|set-role|set-password|disable|enable``.

Whoever can run this on the server can already read the store, so the CLI acts as an
admin; the audit records it as ``cli:<system user>``. Passwords are prompted with
getpass (twice) or read from the first line of stdin with ``--password-stdin``; they
are never printed or logged.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any, Final

from incidents.auth.accounts import (
    create_user,
    disable_user,
    enable_user,
    list_users,
    set_email,
    set_password,
    set_role,
)
from incidents.auth.roles import Role, User
from incidents.errors import AccountError
from incidents.i18n import _
from incidents.store import IncidentStore

EXIT_OK: Final = 0
ROLES: Final = [str(role) for role in Role]


def _cli_user() -> User:
    try:
        system_user = getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        system_user = "unknown"
    return User(name=f"cli:{system_user}", role=Role.ADMIN)


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise AccountError(_("no password on stdin (expected one line)"))
        return password
    first = getpass.getpass(_("Password: "))
    if getpass.getpass(_("Repeat the password: ")) != first:
        raise AccountError(_("the two passwords differ; nothing was changed"))
    return first


def _cmd_add(store: IncidentStore, args: argparse.Namespace) -> int:
    user = create_user(store, args.name, args.role, _read_password(args), by=_cli_user())
    print(_("account {name} created with role {role}").format(name=repr(user.name), role=user.role))
    return EXIT_OK


def _cmd_list(store: IncidentStore, _args: argparse.Namespace) -> int:
    accounts = list_users(store)
    if not accounts:
        print(_("no accounts: the dashboard runs in local mode on localhost (see docs/deploy.md)"))
        return EXIT_OK
    name, role, status, created = _("name"), _("role"), _("status"), _("created")
    print(f"{name:<24} {role:<8} {status:<9} {created}")
    for account in accounts:
        status = _("disabled") if account.disabled else _("active")
        created = account.created_at.strftime("%Y-%m-%d %H:%M:%SZ")
        print(f"{account.name:<24} {account.role!s:<8} {status:<9} {created}")
    return EXIT_OK


def _cmd_set_role(store: IncidentStore, args: argparse.Namespace) -> int:
    set_role(store, args.name, args.role, by=_cli_user())
    print(_("account {name} now has role {role}").format(name=repr(args.name.lower()), role=args.role))
    return EXIT_OK


def _cmd_set_password(store: IncidentStore, args: argparse.Namespace) -> int:
    set_password(store, args.name, _read_password(args), by=_cli_user())
    print(_("password of account {name} changed").format(name=repr(args.name.lower())))
    return EXIT_OK


def _cmd_disable(store: IncidentStore, args: argparse.Namespace) -> int:
    disable_user(store, args.name, by=_cli_user())
    print(_("account {name} disabled").format(name=repr(args.name.lower())))
    return EXIT_OK


def _cmd_enable(store: IncidentStore, args: argparse.Namespace) -> int:
    enable_user(store, args.name, by=_cli_user())
    print(_("account {name} enabled").format(name=repr(args.name.lower())))
    return EXIT_OK


def _cmd_set_email(store: IncidentStore, args: argparse.Namespace) -> int:
    set_email(store, args.name, args.address, by=_cli_user())
    name = repr(args.name.lower())
    if args.address.strip():
        said = _("e-mail of account {name} set to {address} (its watches may mail only this address)")
    else:
        said = _("e-mail of account {name} cleared (its watches may mail only this address)")
    print(said.format(name=name, address=args.address.strip()))
    return EXIT_OK


def _add_password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin", action="store_true", help=_("read the password from the first line of stdin")
    )


def register(commands: Any) -> None:
    """Add the ``users`` command (with its own subcommands) to the CLI's subparsers."""
    users = commands.add_parser("users", help=_("manage dashboard accounts (sign-in, roles)"))
    actions = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    add = actions.add_parser("add", help=_("create an account (password prompted)"))
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=ROLES, help=_("viewer, analyst or admin"))
    _add_password_option(add)
    add.set_defaults(handler=_cmd_add)

    list_ = actions.add_parser("list", help=_("list accounts"))
    list_.set_defaults(handler=_cmd_list)

    role = actions.add_parser("set-role", help=_("change an account's role"))
    role.add_argument("name", metavar="NAME")
    role.add_argument("role", choices=ROLES, metavar="ROLE")
    role.set_defaults(handler=_cmd_set_role)

    password = actions.add_parser("set-password", help=_("set a new password (prompted)"))
    password.add_argument("name", metavar="NAME")
    _add_password_option(password)
    password.set_defaults(handler=_cmd_set_password)

    email = actions.add_parser("set-email", help=_('record the account\'s own e-mail address ("" clears it)'))
    email.add_argument("name", metavar="NAME")
    email.add_argument("address", metavar="ADDRESS")
    email.set_defaults(handler=_cmd_set_email)

    disable = actions.add_parser("disable", help=_("stop an account from signing in"))
    disable.add_argument("name", metavar="NAME")
    disable.set_defaults(handler=_cmd_disable)

    enable = actions.add_parser("enable", help=_("allow a disabled account to sign in again"))
    enable.add_argument("name", metavar="NAME")
    enable.set_defaults(handler=_cmd_enable)
