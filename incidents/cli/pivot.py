"""``python -m incidents pivot``: incidents per unit before and after a key development, as CSV.

Registered into the main parser by :func:`register`; errors travel as
:class:`~incidents.errors.IncidentsError` to the single handler in :func:`incidents.cli.main.main`.
"""

from __future__ import annotations

import argparse
from typing import Any, Final

from incidents.cli.args import add_countries, add_report_output, iso_date, positive_days, positive_km
from incidents.export import neutralise_formulas, write_output
from incidents.i18n import _
from incidents.risk.pivot import DEFAULT_PIVOT, DEFAULT_WINDOW_DAYS, before_after
from incidents.risk.units import RISK_LEVELS_OF_UNITS
from incidents.settings import CORRIDOR_KM
from incidents.sources import cli_rows, date_span, demo_notes
from incidents.store import IncidentStore
from incidents.store.corridors import active_corridor_segments, versions_in_use

EXIT_OK: Final = 0


def _cmd_pivot(store: IncidentStore, args: argparse.Namespace) -> int:
    stored, sources, frame = cli_rows(store, args.include_demo)
    data_range = date_span(frame)
    if args.country:
        countries = sorted({code.strip().upper() for code in args.country})
        frame = frame[frame["country_iso3"].isin(countries).to_numpy(dtype=bool, na_value=False)]
    data_until = data_range[1] if data_range is not None else None
    # Corridor units are the store's active corridors (or those in force at --corridors-as-of).
    corridors = (
        active_corridor_segments(store, as_of=args.corridors_as_of) if args.level == "corridor" else None
    )
    table = before_after(
        frame,
        pivot=args.date,
        window_days=args.window_days,
        level=args.level,
        corridor_km=args.corridor_km,
        data_until=data_until,
        corridors=corridors,
    )
    windows = table.attrs["windows"]
    write_output(
        args.out, lambda path: neutralise_formulas(table).to_csv(path, index=False, encoding="utf-8")
    )
    print(
        _(
            "wrote {count} units to {path}: before {before_start}..{before_end} ({days_before} days), "
            "after {after_start}..{after_end} ({days_after} days)"
        ).format(
            count=len(table),
            path=args.out,
            before_start=windows.before_start,
            before_end=windows.before_end,
            days_before=windows.days_before,
            after_start=windows.after_start,
            after_end=windows.after_end,
            days_after=windows.days_after,
        )
    )
    if corridors is not None:
        print(_("corridors used: {versions}").format(versions=versions_in_use(corridors)))
    if windows.truncated:
        print(
            _("note: the data end on {day}; the after window is shorter, rates are per day").format(
                day=windows.after_end
            )
        )
    print(
        _(
            "{count} units changed significantly (95% exact interval excludes 1). "
            "This measures change after the date, not its cause."
        ).format(count=int(table["significant"].sum()))
    )
    for note in demo_notes(frame, stored, sources):
        print(note)
    return EXIT_OK


def register(commands: Any) -> None:
    """Add the ``pivot`` command to the subparsers ``commands`` of :func:`incidents.cli.main.build_parser`."""
    pivot = commands.add_parser(
        "pivot",
        help=_("incidents per unit before and after a date (rate ratio with exact 95%% interval), as CSV"),
        description=_(
            "Compare the incident rate of each unit in the window before DATE "
            "[DATE-N, DATE-1] with the window from DATE on [DATE, DATE+N-1]. A significant change "
            "is a change after the date, not evidence of what caused it."
        ),
    )
    pivot.add_argument(
        "--date",
        type=iso_date,
        default=DEFAULT_PIVOT,
        metavar="DATE",
        help=_("pivot date, counted in the after window (default {day})").format(
            day=DEFAULT_PIVOT.isoformat()
        ),
    )
    pivot.add_argument(
        "--window-days",
        type=positive_days,
        default=DEFAULT_WINDOW_DAYS,
        metavar="N",
        help=_("days in each window (default {days})").format(days=DEFAULT_WINDOW_DAYS),
    )
    pivot.add_argument("--level", required=True, choices=RISK_LEVELS_OF_UNITS, help=_("units to compare"))
    pivot.add_argument(
        "--corridor-km",
        type=positive_km,
        default=CORRIDOR_KM,
        metavar="KM",
        help=_("corridor half-width for --level corridor (default {km})").format(km=f"{CORRIDOR_KM:g}"),
    )
    add_countries(pivot)
    add_report_output(pivot)
    pivot.set_defaults(handler=_cmd_pivot)
