"""``python -m incidents outlook``: probability of fatal violence per unit for the next 1-3 months,
or (``--backtest``) the scores that show whether the models beat naive guesses.

Registered into the main parser by :func:`register`. The engine (incidents/outlook/) is
imported when the command runs: scikit-learn and scoringrules load in seconds, and the
other commands do not need them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Final

import pandas as pd

from incidents.cli.args import add_include_demo, positive_whole
from incidents.errors import EmptyStoreError, OutlookError
from incidents.export import neutralise_formulas, write_output
from incidents.i18n import N_, _
from incidents.risk.units import RISK_LEVELS_OF_UNITS
from incidents.settings import CORRIDOR_KM
from incidents.sources import cli_rows, demo_notes
from incidents.store import IncidentStore
from incidents.store.corridors import active_corridor_segments

EXIT_OK: Final = 0
DEFAULT_LEVEL: Final = "admin2"
MAX_HORIZON: Final = 3
DEFAULT_BACKTEST_ORIGINS: Final = 24
#: The analysts' what-if is written beside the outlook: ``FILE.csv`` -> ``FILE.whatif.csv``.
WHATIF_SUFFIX: Final = ".whatif.csv"


def month(text: str) -> pd.Period:
    """A ``YYYY-MM`` month."""
    try:
        if len(text) != 7:
            raise ValueError(text)
        return pd.Period(text, freq="M")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(_("{text} is not a YYYY-MM month").format(text=repr(text))) from exc


def horizon(text: str) -> int:
    """A horizon in months: 1, 2 or 3."""
    if text not in {"1", "2", "3"}:
        raise argparse.ArgumentTypeError(
            _("{text} is not a horizon of 1, 2 or 3 months").format(text=repr(text))
        )
    return int(text)


#: A number of backtest origins, at least 1.
positive_origins = positive_whole(N_("origin"), N_("origins"))


def _cmd_outlook(store: IncidentStore, args: argparse.Namespace) -> int:
    from incidents.outlook.backtest import run_backtest, summary
    from incidents.outlook.forecast import backtest_origins, build_outlook, history_until
    from incidents.outlook.panel import build_panel, last_complete_month, panel_columns

    wanted = ".json" if args.backtest else ".csv"
    if args.out.suffix.lower() != wanted:
        message = (
            _("--out {path} must end in {suffix} for a backtest")
            if args.backtest
            else _("--out {path} must end in {suffix} for an outlook")
        )
        raise OutlookError(message.format(path=args.out, suffix=wanted))
    stored, sources, frame = cli_rows(store, args.include_demo, panel_columns(args.level))
    if not len(frame):
        raise EmptyStoreError(
            _("the store holds no incidents; import some (or run 'python -m incidents demo') first")
        )
    corridors = active_corridor_segments(store) if args.level == "corridor" else None
    panel = build_panel(frame, args.level, corridor_km=CORRIDOR_KM, corridors=corridors)
    complete = last_complete_month(frame)
    chosen = args.as_of if args.as_of is not None else complete
    if chosen > complete:
        raise OutlookError(
            _(
                "--as-of {month} is not a complete month of the data (the last complete one is {complete})"
            ).format(month=chosen, complete=complete)
        )
    origin = panel.month_index(chosen)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.backtest:
        origins = backtest_origins(panel, origin, args.origins)
        backtest = run_backtest(history_until(panel, origin), panel.months, origins, origin)
        document = summary(backtest, args.level)
        write_output(
            args.out,
            lambda path: Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8"),
        )
        print(
            _(
                "wrote the backtest of {count} origins ({first} to {last}) over {units} {level} units "
                "to {path}"
            ).format(
                count=len(origins),
                first=document["origins"][0],
                last=document["origins"][-1],
                units=len(panel.units),
                level=args.level,
                path=args.out,
            )
        )
    else:
        table = build_outlook(panel, origin, horizons=tuple(range(1, args.horizon + 1)))
        write_output(
            args.out, lambda path: neutralise_formulas(table).to_csv(path, index=False, encoding="utf-8")
        )
        served = ", ".join(sorted(table["served_by"].unique()))
        print(
            _(
                "wrote the outlook of {units} {level} units for {months} month(s) after {month} to {path}; "
                "served by: {served}"
            ).format(
                units=len(panel.units),
                level=args.level,
                months=args.horizon,
                month=chosen,
                path=args.out,
                served=served,
            )
        )
        _write_whatif(store, table, args.level, args.out)
    for note in demo_notes(frame, stored, sources):
        print(note)
    return EXIT_OK


def _write_whatif(store: IncidentStore, table: pd.DataFrame, level: str, out: Path) -> None:
    """The analysts' what-if beside the outlook (never instead): ``FILE.whatif.csv``.

    Written when adjustments of ``level`` are in force; otherwise an earlier what-if file
    there is removed, so it cannot be read as belonging to this outlook.
    """
    from incidents.outlook.adjustments import apply_adjustments, list_adjustments

    path = out.with_name(out.stem + WHATIF_SUFFIX)
    whatif = apply_adjustments(table, list_adjustments(store, level))
    if whatif.empty:
        if path.is_file():
            path.unlink()
            print(
                _(
                    "no analyst adjustment of {level} units is in force; removed the earlier what-if {path}"
                ).format(level=level, path=path)
            )
        return
    write_output(
        path, lambda staged: neutralise_formulas(whatif).to_csv(staged, index=False, encoding="utf-8")
    )
    units = whatif["unit_code"].nunique()
    print(
        _(
            "wrote the analysts' what-if for {units} adjusted unit(s) to {path}, beside the outlook: "
            "only the count quantiles are scaled (p_fatal, p_surge and the words are the forecast's)"
        ).format(units=units, path=path)
    )


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``outlook`` sub-command to the CLI's sub-parsers."""
    outlook = commands.add_parser(
        "outlook",
        help=_(
            "probability of a fatal incident and the incident count per unit for the next 1-3 months "
            "(or, with --backtest, how the models score against naive baselines)"
        ),
    )
    outlook.add_argument(
        "--level", choices=RISK_LEVELS_OF_UNITS, default=DEFAULT_LEVEL, help=_("default admin2")
    )
    outlook.add_argument(
        "--as-of",
        type=month,
        metavar="YYYY-MM",
        help=_(
            "the origin: last month of data used (default: the last complete month); with --backtest, "
            "the last month scored"
        ),
    )
    outlook.add_argument(
        "--horizon",
        type=horizon,
        default=MAX_HORIZON,
        metavar="N",
        help=_("forecast the N months after the origin, N = 1, 2 or 3 (default 3)"),
    )
    outlook.add_argument(
        "--backtest", action="store_true", help=_("write the backtest's scores (JSON) instead of the outlook")
    )
    outlook.add_argument(
        "--origins",
        type=positive_origins,
        default=DEFAULT_BACKTEST_ORIGINS,
        metavar="N",
        help=_("monthly origins of the backtest (default 24)"),
    )
    add_include_demo(outlook)
    outlook.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="FILE",
        help=_("FILE.csv (outlook) or FILE.json (--backtest)"),
    )
    outlook.set_defaults(handler=_cmd_outlook)
