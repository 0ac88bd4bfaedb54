"""Argument value parsers shared by the command lines (``python -m incidents``, ``python -m dashboard``).

Each raises ``argparse.ArgumentTypeError`` quoting the bad value, so argparse prints one
clear line and exits 2.
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from geodata.boundaries import country_names
from incidents.auth import Role, User, require
from incidents.auth.accounts import get_user
from incidents.errors import IncidentsError
from incidents.store import IncidentStore


def iso_date(text: str) -> date:
    """A ``YYYY-MM-DD`` date."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from exc


def moment(text: str) -> datetime:
    """A moment in UTC: ``YYYY-MM-DD`` (the end of that day) or an ISO date-time (naive = UTC)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time.max, tzinfo=UTC)
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[:SS][+HH:MM])"
        ) from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def add_corridors_as_of(parser: Any) -> None:
    """``--corridors-as-of``: use the corridor versions in force at a past moment (reproduce an analysis)."""
    parser.add_argument(
        "--corridors-as-of",
        type=moment,
        metavar="WHEN",
        help="use the corridor versions in force at this moment (YYYY-MM-DD = end of that day, UTC), "
        "to reproduce a past analysis (default: the corridors active now)",
    )


def positive_whole(noun: str) -> Callable[[str], int]:
    """A parser of a whole number of ``noun``s, at least 1 (its messages name the noun)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of {noun}s") from exc
        if value < 1:
            raise argparse.ArgumentTypeError(f"{text!r} must be at least 1 {noun}")
        return value

    parse.__name__ = f"positive_{noun}s"
    return parse


#: A whole number of days, at least 1.
positive_days = positive_whole("day")


def positive_km(text: str) -> float:
    """A distance in kilometres, more than 0."""
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a distance in km") from exc
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 km")
    return value


def csv_path(text: str) -> Path:
    """An output path ending in ``.csv``."""
    path = Path(text)
    if path.suffix.lower() != ".csv":
        raise argparse.ArgumentTypeError(f"{text!r} must end in .csv")
    return path


def add_countries(parser: Any) -> None:
    """``--country``: limit to these countries (known ISO3 codes, any case, repeatable)."""
    parser.add_argument(
        "--country",
        nargs="+",
        action="extend",
        type=country_code,
        metavar="ISO3",
        help="limit to these countries",
    )


def add_acting_user(parser: Any) -> None:
    """``--user``: act as this account instead of the shell operator (an admin)."""
    parser.add_argument(
        "--user",
        metavar="NAME",
        help="act as this account, with its role (default: the shell operator, an admin, "
        "recorded as cli:<system user>)",
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
            f"--user {account!r} names no account; list them with `python -m incidents users list`, "
            "or omit --user to act as the shell operator"
        )
    if user.disabled:
        require(user, "view")  # raises PermissionDenied naming the disabled account
    return user


def add_include_demo(parser: Any) -> None:
    """``--include-demo``: count synthetic demo rows even though the store holds real data."""
    parser.add_argument(
        "--include-demo",
        action="store_true",
        help="count the synthetic demo rows too (by default they are left out once the store holds "
        "real data; a store with only the demo always counts it)",
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
            f"{text!r} is not a known country code; known codes: {', '.join(sorted(known))}"
        )
    return code
