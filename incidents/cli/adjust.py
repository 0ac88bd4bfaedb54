"""``python -m incidents outlook-adjust``: record, list, show or remove analysts' what-if adjustments.

``--unit CODE --percent N --note TEXT`` records (or replaces) one unit's adjustment as a new
version; ``--list`` shows those in force; ``--history CODE`` every version of one unit;
``--remove CODE`` marks one removed. Writes act as ``--user`` (default: the shell operator,
an admin) and are audited. The outlook itself never changes: ``python -m incidents outlook``
writes the what-if beside it (:mod:`incidents.outlook.adjustments`).
"""

from __future__ import annotations

import argparse
from typing import Final

import pandas as pd

from incidents.cli.args import add_acting_user, operator
from incidents.errors import AdjustmentError
from incidents.outlook.adjustments import (
    DEFAULT_LEVEL,
    MAX_PERCENT,
    MIN_PERCENT,
    adjust_unit,
    adjustment_history,
    list_adjustments,
    remove_unit_adjustment,
)
from incidents.risk.units import RISK_LEVELS_OF_UNITS
from incidents.store import IncidentStore
from incidents.store.outlook_adjustments import ADJUSTMENT_COLUMNS

EXIT_OK: Final = 0


def number(text: str) -> float:
    """A number (the range is the domain's to check, so the dashboard gets the same refusal)."""
    try:
        return float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of percent (e.g. 25 or -10)") from exc


def _show(frame: pd.DataFrame) -> str:
    table = frame[list(ADJUSTMENT_COLUMNS)].copy()
    table["percent"] = [f"{value:+g} %" for value in table["percent"]]
    table["created_at"] = table["created_at"].dt.strftime("%Y-%m-%d %H:%M:%SZ")
    return table.to_string(index=False)


def _cmd_adjust(store: IncidentStore, args: argparse.Namespace) -> int:
    level = args.level or DEFAULT_LEVEL
    if args.list:
        current = list_adjustments(store, args.level)
        where = f"at {args.level}" if args.level else "at any level"
        print(_show(current) if len(current) else f"no outlook adjustments in force {where}")
        return EXIT_OK
    if args.history:
        versions = adjustment_history(store, args.history, level=level)
        print(
            _show(versions)
            if len(versions)
            else f"no {level} adjustment of {args.history!r} was ever recorded"
        )
        return EXIT_OK
    user = operator(store, args.user)
    if args.remove:
        removed = remove_unit_adjustment(store, args.remove, level=level, by=user, note=args.note or "")
        print(
            f"{level} adjustment of {removed.unit_code} removed (version {removed.version}, by {user.name}); "
            "its history stays"
        )
        return EXIT_OK
    if args.percent is None or args.note is None:
        raise AdjustmentError("--unit needs --percent N and --note TEXT (say why)")
    recorded = adjust_unit(store, args.unit, args.percent, args.note, level=level, by=user)
    print(
        f"{level} {recorded.unit_code}: what-if {args.percent:+g} % recorded as version {recorded.version} "
        f"by {user.name}; the outlook stays as forecast and shows the what-if beside it"
    )
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``outlook-adjust`` sub-command to the CLI's sub-parsers."""
    adjust = commands.add_parser(
        "outlook-adjust",
        help="record an analyst's what-if adjustment of the outlook (± N %% for a unit, with a note), "
        "list those in force, show a unit's history, or remove one",
    )
    action = adjust.add_mutually_exclusive_group(required=True)
    action.add_argument("--unit", metavar="CODE", help="the unit to adjust (with --percent and --note)")
    action.add_argument("--list", action="store_true", help="list the adjustments in force")
    action.add_argument("--history", metavar="CODE", help="every version of one unit's adjustment")
    action.add_argument("--remove", metavar="CODE", help="remove one unit's adjustment (a new version)")
    adjust.add_argument(
        "--percent",
        type=number,
        metavar="N",
        help=f"change of the expected incident count, {MIN_PERCENT:+.0f} to {MAX_PERCENT:+.0f} (%%)",
    )
    adjust.add_argument("--note", metavar="TEXT", help="why (required with --unit; optional with --remove)")
    adjust.add_argument(
        "--level",
        choices=RISK_LEVELS_OF_UNITS,
        help=f"the unit's level (default {DEFAULT_LEVEL}; --list without it shows every level)",
    )
    add_acting_user(adjust)
    adjust.set_defaults(handler=_cmd_adjust)
