"""``python -m incidents exposure --sites FILE [--as-of DATE] --out FILE.csv``.

Reads a sites or routes file (as the dashboard's Site exposure page does), rates each
against the stored incidents and writes the exposure table as a formula-safe CSV. The
file's sites are not stored: this is a read-only report.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any, Final

from incidents.cli.args import add_report_output, iso_date
from incidents.errors import FileLevelError
from incidents.export import neutralise_formulas, write_output
from incidents.i18n import _, ngettext
from incidents.risk.exposure import site_exposure
from incidents.risk.index import compute_risk_index
from incidents.sites import read_sites
from incidents.sources import cli_rows, date_span, demo_notes
from incidents.store import IncidentStore
from incidents.store.corridors import active_corridor_segments, versions_in_use

EXIT_OK: Final = 0
MAX_ISSUES_PRINTED: Final = 20


def _cmd_exposure(store: IncidentStore, args: argparse.Namespace) -> int:
    read = read_sites(args.sites, file_name=args.sites.name)
    for issue in read.issues[:MAX_ISSUES_PRINTED]:
        line = _("line {line}: {severity} {code} [{column}] {message}").format(
            line=issue.line,
            severity=issue.severity,
            code=issue.code,
            column=issue.column,
            message=issue.message,
        )
        print("  " + line)
    if len(read.issues) > MAX_ISSUES_PRINTED:
        rest = len(read.issues) - MAX_ISSUES_PRINTED
        print("  " + ngettext("... {n} more issue", "... {n} more issues", rest).format(n=rest))
    if read.frame.empty:
        raise FileLevelError(
            _("{name} holds no usable site or route; nothing written").format(name=args.sites.name)
        )
    stored, sources, incidents = cli_rows(store, args.include_demo)
    as_of = args.as_of
    if as_of is None:
        span = date_span(incidents)
        as_of = span[1] if span is not None else date.today()
    risk = compute_risk_index(incidents, level="admin2", as_of=as_of) if len(incidents) else None
    corridors = active_corridor_segments(store, as_of=args.corridors_as_of)
    table = site_exposure(
        read.frame,
        incidents,
        as_of=as_of,
        risk_levels_admin2=risk,
        # The store's active corridors; with every corridor retired there is no nearest one
        # (never a fall-back to the shipped lines).
        corridors=corridors,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    safe = neutralise_formulas(table.astype({"exposure_rating": "string"}))
    write_output(args.out, lambda path: safe.to_csv(path, index=False))
    print(
        _("wrote the exposure of {count} sites/routes as of {day} to {path}").format(
            count=len(table), day=as_of.isoformat(), path=args.out
        )
    )
    print(_("corridors used: {versions}").format(versions=versions_in_use(corridors)))
    if len(read.issues):
        print(
            _("note: {rows} rows of {name} were left out (see the issues above)").format(
                rows=read.rows_rejected, name=args.sites.name
            )
        )
    for note in demo_notes(incidents, stored, sources):
        print(note)
    return EXIT_OK


def register(commands: Any) -> None:
    """Add the ``exposure`` command to the CLI's subparsers."""
    exposure = commands.add_parser(
        "exposure",
        help=_("rate the exposure of sites/routes (CSV, XLSX or GeoJSON) to stored incidents; write a CSV"),
    )
    exposure.add_argument("--sites", required=True, type=Path, metavar="FILE", help=_("sites or routes file"))
    exposure.add_argument(
        "--as-of",
        type=iso_date,
        metavar="DATE",
        help=_("last day of the 7/30/90-day windows (default: the latest event date in the store)"),
    )
    add_report_output(exposure)
    exposure.set_defaults(handler=_cmd_exposure)
