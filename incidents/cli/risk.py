"""``python -m incidents risk``: the conflict index and trend flags of every unit, as CSV.

Registered into the main parser by :func:`register` (one line in incidents/cli/main.py).
"""

from __future__ import annotations

import argparse
from typing import Final

from incidents.cli.args import add_report_output, iso_date, positive_days
from incidents.errors import EmptyStoreError
from incidents.export import neutralise_formulas, write_output
from incidents.i18n import _
from incidents.risk.index import RiskConfig
from incidents.risk.table import build_risk_table
from incidents.risk.units import RISK_LEVELS_OF_UNITS
from incidents.settings import CORRIDOR_KM
from incidents.sources import cli_rows, date_span, demo_notes
from incidents.store import IncidentStore
from incidents.store.corridors import active_corridor_segments, versions_in_use

EXIT_OK: Final = 0


def _cmd_risk(store: IncidentStore, args: argparse.Namespace) -> int:
    stored, sources, frame = cli_rows(store, args.include_demo)
    span = date_span(frame)
    if span is None:
        raise EmptyStoreError(
            _("the store holds no incidents; import some (or run 'python -m incidents demo') first")
        )
    as_of = args.as_of or span[1]
    config = RiskConfig(window_days=args.window_days)
    # Corridor units are the store's active corridors: retired ones are left out, uploads used.
    corridors = (
        active_corridor_segments(store, as_of=args.corridors_as_of) if args.level == "corridor" else None
    )
    table = build_risk_table(
        frame,
        level=args.level,
        as_of=as_of,
        config=config,
        corridor_km=args.corridor_km,
        corridors=corridors,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_output(
        args.out, lambda path: neutralise_formulas(table).to_csv(path, index=False, encoding="utf-8")
    )
    rated = int((table["events"] > 0).sum())
    print(
        _(
            "wrote {count} {level} units ({rated} with incidents) to {path}; window {days} days ending {day}"
        ).format(
            count=len(table),
            level=args.level,
            rated=rated,
            path=args.out,
            days=config.window_days,
            day=as_of.isoformat(),
        )
    )
    if corridors is not None:
        print(_("corridors used: {versions}").format(versions=versions_in_use(corridors)))
    for note in demo_notes(frame, stored, sources):
        print(note)
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``risk`` sub-command to the CLI's sub-parsers."""
    risk = commands.add_parser(
        "risk",
        help=_("conflict index, risk level and trend/surge flags per admin-1, admin-2 or corridor unit"),
    )
    risk.add_argument("--level", required=True, choices=RISK_LEVELS_OF_UNITS)
    risk.add_argument(
        "--as-of", type=iso_date, metavar="DATE", help=_("last day of the window (default: last event)")
    )
    risk.add_argument(
        "--window-days",
        type=positive_days,
        default=RiskConfig().window_days,
        metavar="N",
        help=_("default 365"),
    )
    risk.add_argument(
        "--corridor-km",
        type=float,
        default=CORRIDOR_KM,
        metavar="KM",
        help=_("corridor half-width (default 25)"),
    )
    add_report_output(risk)
    risk.set_defaults(handler=_cmd_risk)
