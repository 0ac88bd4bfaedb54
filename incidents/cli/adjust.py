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
from incidents.i18n import _
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
        raise argparse.ArgumentTypeError(
            _("{text} is not a number of percent (e.g. 25 or -10)").format(text=repr(text))
        ) from exc


def _show(frame: pd.DataFrame) -> str:
    table = frame[list(ADJUSTMENT_COLUMNS)].copy()
    table["percent"] = [f"{value:+g} %" for value in table["percent"]]
    table["created_at"] = table["created_at"].dt.strftime("%Y-%m-%d %H:%M:%SZ")
    return table.to_string(index=False)


def _cmd_adjust(store: IncidentStore, args: argparse.Namespace) -> int:
    level = args.level or DEFAULT_LEVEL
    if args.list:
        current = list_adjustments(store, args.level)
        nothing = (
            _("no outlook adjustments in force at {level}").format(level=args.level)
            if args.level
            else _("no outlook adjustments in force at any level")
        )
        print(_show(current) if len(current) else nothing)
        return EXIT_OK
    if args.history:
        versions = adjustment_history(store, args.history, level=level)
        print(
            _show(versions)
            if len(versions)
            else _("no {level} adjustment of {unit} was ever recorded").format(
                level=level, unit=repr(args.history)
            )
        )
        return EXIT_OK
    user = operator(store, args.user)
    if args.remove:
        removed = remove_unit_adjustment(store, args.remove, level=level, by=user, note=args.note or "")
        print(
            _(
                "{level} adjustment of {unit} removed (version {version}, by {user}); its history stays"
            ).format(level=level, unit=removed.unit_code, version=removed.version, user=user.name)
        )
        return EXIT_OK
    if args.percent is None or args.note is None:
        raise AdjustmentError(_("--unit needs --percent N and --note TEXT (say why)"))
    recorded = adjust_unit(store, args.unit, args.percent, args.note, level=level, by=user)
    print(
        _(
            "{level} {unit}: what-if {percent} % recorded as version {version} by {user}; "
            "the outlook stays as forecast and shows the what-if beside it"
        ).format(
            level=level,
            unit=recorded.unit_code,
            percent=f"{args.percent:+g}",
            version=recorded.version,
            user=user.name,
        )
    )
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``outlook-adjust`` sub-command to the CLI's sub-parsers."""
    adjust = commands.add_parser(
        "outlook-adjust",
        help=_(
            "record an analyst's what-if adjustment of the outlook (± N %% for a unit, with a note), "
            "list those in force, show a unit's history, or remove one"
        ),
    )
    action = adjust.add_mutually_exclusive_group(required=True)
    action.add_argument("--unit", metavar="CODE", help=_("the unit to adjust (with --percent and --note)"))
    action.add_argument("--list", action="store_true", help=_("list the adjustments in force"))
    action.add_argument("--history", metavar="CODE", help=_("every version of one unit's adjustment"))
    action.add_argument("--remove", metavar="CODE", help=_("remove one unit's adjustment (a new version)"))
    adjust.add_argument(
        "--percent",
        type=number,
        metavar="N",
        help=_("change of the expected incident count, {low} to {high} (%%)").format(
            low=f"{MIN_PERCENT:+.0f}", high=f"{MAX_PERCENT:+.0f}"
        ),
    )
    adjust.add_argument(
        "--note", metavar="TEXT", help=_("why (required with --unit; optional with --remove)")
    )
    adjust.add_argument(
        "--level",
        choices=RISK_LEVELS_OF_UNITS,
        help=_("the unit's level (default {level}; --list without it shows every level)").format(
            level=DEFAULT_LEVEL
        ),
    )
    add_acting_user(adjust)
    adjust.set_defaults(handler=_cmd_adjust)
