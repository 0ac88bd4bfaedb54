"""Argument value parsers shared by the command lines (``python -m incidents``, ``python -m dashboard``).

Each raises ``argparse.ArgumentTypeError`` quoting the bad value, so argparse prints one
clear line and exits 2.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, NoReturn

from geodata.boundaries import country_names
from incidents.auth import Role, User, require
from incidents.auth.accounts import get_user
from incidents.errors import IncidentsError
from incidents.i18n import LANGUAGES, N_, _, supported
from incidents.settings import interface_language
from incidents.store import IncidentStore

LANGUAGE_OPTION = "--lang"


def choose_language(argv: Sequence[str] | None = None) -> str:
    """The language of a command line run: ``--lang``, else the environment, else English.

    The caller speaks it with :func:`incidents.i18n.use_language` around the run (a block, not a
    setting: a command run inside another program, a test, leaves that program's language as it was).

    Read before the parser is built, so its help texts are already in that language;
    ``LC_ALL`` / ``LC_MESSAGES`` / ``LANG`` as :func:`incidents.settings.interface_language` reads them.
    """
    words = list(sys.argv[1:] if argv is None else argv)
    chosen: str | None = None
    for index, word in enumerate(words):
        if word == "--":
            break
        if word == LANGUAGE_OPTION and index + 1 < len(words):
            chosen = supported(words[index + 1]) or chosen
        elif word.startswith(LANGUAGE_OPTION + "="):
            chosen = supported(word.split("=", 1)[1]) or chosen
    return supported(chosen) or interface_language() or LANGUAGES[0]


class LanguageHelpFormatter(argparse.HelpFormatter):
    """argparse's help layout with the "usage:" prefix in the run's language."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)


class LanguageParser(argparse.ArgumentParser):
    """An argument parser whose every (sub)command accepts ``--lang {en,fr}``.

    Sub-parsers are made of the same class, so ``python -m incidents users add --lang fr`` and
    ``python -m incidents --lang fr users add`` both work; the value was already applied by
    :func:`choose_language` (``SUPPRESS``: a sub-command never overwrites it with a default).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", LanguageHelpFormatter)
        super().__init__(*args, **kwargs)
        # argparse's own words (headings, -h) come from the standard library's English catalogue.
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = _("show this help message and exit")
        if kwargs.get("add_help", True):
            self.add_argument(
                LANGUAGE_OPTION,
                choices=LANGUAGES,
                default=argparse.SUPPRESS,
                help=_("language of the messages (default: LC_ALL, LC_MESSAGES or LANG, else English)"),
            )

    def error(self, message: str) -> NoReturn:
        """Usage and one line on stderr, exit 2 (argparse's behaviour, in the run's language)."""
        self.print_usage(sys.stderr)
        self.exit(2, _("{prog}: error: {message}").format(prog=self.prog, message=message) + "\n")


def iso_date(text: str) -> date:
    """A ``YYYY-MM-DD`` date."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            _("{text} is not a YYYY-MM-DD date").format(text=repr(text))
        ) from exc


def moment(text: str) -> datetime:
    """A moment in UTC: ``YYYY-MM-DD`` (the end of that day) or an ISO date-time (naive = UTC)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time.max, tzinfo=UTC)
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            _("{text} is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[:SS][+HH:MM])").format(
                text=repr(text)
            )
        ) from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def add_corridors_as_of(parser: Any) -> None:
    """``--corridors-as-of``: use the corridor versions in force at a past moment (reproduce an analysis)."""
    parser.add_argument(
        "--corridors-as-of",
        type=moment,
        metavar="WHEN",
        help=_(
            "use the corridor versions in force at this moment (YYYY-MM-DD = end of that day, UTC), "
            "to reproduce a past analysis (default: the corridors active now)"
        ),
    )


def positive_whole(noun: str, noun_plural: str | None = None) -> Callable[[str], int]:
    """A parser of a whole number of ``noun``s, at least 1 (its messages name the noun).

    ``noun`` and ``noun_plural`` (default ``noun + "s"``) are marked with ``N_`` by the caller.
    """
    noun_plural = noun_plural or noun + "s"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(
                _("{text} is not a whole number of {unit}").format(text=repr(text), unit=_(noun_plural))
            ) from exc
        if value < 1:
            raise argparse.ArgumentTypeError(
                _("{text} must be at least 1 {unit}").format(text=repr(text), unit=_(noun))
            )
        return value

    parse.__name__ = f"positive_{noun}s"
    return parse


#: A whole number of days, at least 1.
positive_days = positive_whole(N_("day"), N_("days"))


def positive_km(text: str) -> float:
    """A distance in kilometres, more than 0."""
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(_("{text} is not a distance in km").format(text=repr(text))) from exc
    if not value > 0:
        raise argparse.ArgumentTypeError(_("{text} must be more than 0 km").format(text=repr(text)))
    return value


def csv_path(text: str) -> Path:
    """An output path ending in ``.csv``."""
    path = Path(text)
    if path.suffix.lower() != ".csv":
        raise argparse.ArgumentTypeError(
            _("{text} must end in {suffix}").format(text=repr(text), suffix=".csv")
        )
    return path


def add_countries(parser: Any) -> None:
    """``--country``: limit to these countries (known ISO3 codes, any case, repeatable)."""
    parser.add_argument(
        "--country",
        nargs="+",
        action="extend",
        type=country_code,
        metavar="ISO3",
        help=_("limit to these countries"),
    )


def add_acting_user(parser: Any) -> None:
    """``--user``: act as this account instead of the shell operator (an admin)."""
    parser.add_argument(
        "--user",
        metavar="NAME",
        help=_(
            "act as this account, with its role (default: the shell operator, an admin, "
            "recorded as cli:<system user>)"
        ),
    )


def operator(store: IncidentStore, account: str | None) -> User:
    """Who a store-changing command acts as.

    Without ``--user``: the shell operator, an admin recorded as ``cli:<system user>``
    (shell access to the server already grants everything). With ``--user NAME``: that
    account, with its own role, so scripts can run least-privileged.
    """
    if not account:
        return User(name=f"cli:{getpass.getuser()}", role=Role.ADMIN)
    user = get_user(store, account)
    if user is None:
        raise IncidentsError(
            _(
                "--user {account} names no account; list them with `python -m incidents users list`, "
                "or omit --user to act as the shell operator"
            ).format(account=repr(account))
        )
    if user.disabled:
        require(user, "view")  # raises PermissionDenied naming the disabled account
    return user


def add_include_demo(parser: Any) -> None:
    """``--include-demo``: count synthetic demo rows even though the store holds real data."""
    parser.add_argument(
        "--include-demo",
        action="store_true",
        help=_(
            "count the synthetic demo rows too (by default they are left out once the store holds "
            "real data; a store with only the demo always counts it)"
        ),
    )


def add_report_output(parser: Any) -> None:
    """A CSV report's last options: ``--corridors-as-of``, ``--include-demo`` and ``--out FILE.csv``."""
    add_corridors_as_of(parser)
    add_include_demo(parser)
    parser.add_argument("--out", required=True, type=csv_path, metavar="FILE.csv")


def country_code(text: str) -> str:
    """A known ISO3 country code (any case); an unknown one names the known codes.

    An unknown code would otherwise select nothing and write an empty file that looks like
    "no incidents there".
    """
    code = text.strip().upper()
    known = country_names()
    if code not in known:
        raise argparse.ArgumentTypeError(
            _("{text} is not a known country code; known codes: {codes}").format(
                text=repr(text), codes=", ".join(sorted(known))
            )
        )
    return code
