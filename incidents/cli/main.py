"""Command line: ``python -m incidents COMMAND`` (docs/architecture.md, 'Command line').

Results go to stdout. Domain errors go to stderr as one sentence with exit code 2,
through the single handler in :func:`main`; never a traceback.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Final

import pandas as pd

from geodata.errors import GeodataError
from incidents.auth.guarded import require_import, undo_batch_as, write_stream_as
from incidents.cli import adjust as cli_adjust
from incidents.cli import alerts as cli_alerts
from incidents.cli import exposure as cli_exposure
from incidents.cli import outlook as cli_outlook
from incidents.cli import pivot as cli_pivot
from incidents.cli import risk as cli_risk
from incidents.cli import users as cli_users
from incidents.cli.args import (
    LanguageParser,
    add_acting_user,
    add_countries,
    add_include_demo,
    choose_language,
    iso_date,
    operator,
)
from incidents.credits import REFERENCE_DATA_CREDIT, incident_credits
from incidents.demo import DEMO_ROWS, load_demo, remove_demo
from incidents.errors import FileLevelError, IncidentsError, SettingError
from incidents.export import EXPORT_DRIVERS, PROVENANCE_SUFFIX, Provenance, export_incidents
from incidents.freshness import freshness
from incidents.i18n import _, ngettext, use_language
from incidents.ingest.column_mapping import load_mapping
from incidents.ingest.file_reader import check_encoding
from incidents.ingest.pipeline import FORMATS, prepare_stream
from incidents.ingest.report import file_level_report
from incidents.settings import DEMO_ENV, demo_enabled, stale_after_days
from incidents.sources import cli_sources, date_span, demo_notes, of_sources
from incidents.store import IncidentStore, open_store

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 2
MAX_ISSUES_PRINTED: Final = 20
BATCH_COLUMNS: Final = (
    "batch_id",
    "created_at",
    "status",
    "format",
    "rows_accepted",
    "rows_rejected",
    "rows_duplicate",
    "user_name",
    "file_name",
)


def _cmd_import(store: IncidentStore, args: argparse.Namespace) -> int:
    mapping = load_mapping(args.mapping) if args.mapping else None
    label = str(args.path)
    user = operator(store, args.user)
    if not args.dry_run:
        require_import(user)  # refuse before reading the file
    try:
        # Checked chunk by chunk; a real import writes each chunk as soon as it is checked.
        stream = prepare_stream(
            args.path,
            store,
            file_name=args.path.name,
            fmt=args.format,
            mapping=mapping,
            dayfirst=not args.month_first,
            max_bytes=int(args.max_mb * 2**20),
            keep_outside=args.keep_outside,
            encoding=args.encoding,
        )
        if args.dry_run:
            stream.collect()
            report = stream.report()
        else:
            report = write_stream_as(stream, store, user)
    except (IncidentsError, GeodataError) as exc:
        # Whatever failed the file (while reading it or checking its rows), nothing was
        # written; the report says so, as for a file that could not be read at all.
        if args.report:
            _write_failure_report(args.report, label, args.format, str(exc), dry_run=args.dry_run)
        raise
    if args.report:
        report.write_json(args.report)
    print(report.summary())
    for warning in report.warnings:
        print(_("note: {message}").format(message=warning))
    shown = report.issues[:MAX_ISSUES_PRINTED]
    for issue in shown:
        # The line number, severity, reason code and column stay as the JSON report writes them.
        print(
            "  "
            + _("line {line}: {severity} {code} [{column}] {message}").format(
                line=issue.line,
                severity=issue.severity,
                code=issue.code,
                column=issue.column,
                message=issue.message,
            )
        )
    if len(report.issues) > len(shown):
        rest = len(report.issues) - len(shown)
        if args.report:
            more = ngettext("... {n} more issue in {path}", "... {n} more issues in {path}", rest).format(
                n=rest, path=args.report
            )
        else:
            more = ngettext(
                "... {n} more issue (use --report FILE.json)",
                "... {n} more issues (use --report FILE.json)",
                rest,
            ).format(n=rest)
        print("  " + more)
    return EXIT_OK


def _write_failure_report(path: Path, file: str, fmt: str, message: str, *, dry_run: bool) -> None:
    """A report for a file that could not be imported at all (batch_id null, nothing read).

    ``dry_run`` says what was asked: a dry run that fails on the file is still a dry run.
    """
    data = Path(file).read_bytes() if Path(file).is_file() else b""
    report = file_level_report(Path(file).name, hashlib.sha256(data).hexdigest(), fmt)
    report = replace(report, dry_run=dry_run)
    document = {**report.to_dict(), "error": message}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")


def _cmd_demo(store: IncidentStore, args: argparse.Namespace) -> int:
    if args.remove:
        return _remove_demo(store, args)
    if not demo_enabled():
        raise SettingError(
            _(
                "{name}=off keeps the synthetic demo out of this installation; nothing written. "
                "Unset {name} (or set {name}=on) to load it"
            ).format(name=DEMO_ENV)
        )
    result = load_demo(store, n=args.rows)
    print(
        _("demo: {demo} synthetic rows added, {ucdp} UCDP rows added").format(
            demo=result.demo_added, ucdp=result.ucdp_added
        )
    )
    if result.total_added == 0:
        print(_("demo data already loaded; nothing written"))
    print(
        _("store now holds {count} incidents ({store})").format(
            count=store.count_incidents(), store=store.describe()
        )
    )
    if result.demo_added:
        print(_("remove the synthetic rows again with `python -m incidents demo --remove`"))
    return EXIT_OK


def _remove_demo(store: IncidentStore, args: argparse.Namespace) -> int:
    removal = remove_demo(store, operator(store, args.user))
    if not removal.batch_ids:
        print(
            _("no synthetic demo rows in the store; nothing removed ({store})").format(store=store.describe())
        )
    else:
        print(
            _(
                "demo removed: {rows} synthetic rows in {batches} batch(es) undone ({ids}); "
                "the UCDP sample (real events) stays"
            ).format(
                rows=removal.rows_removed, batches=len(removal.batch_ids), ids=", ".join(removal.batch_ids)
            )
        )
    print(_("the dashboard will not load the demo into this store again; `python -m incidents demo` does"))
    return EXIT_OK


def _cmd_batches(store: IncidentStore, _args: argparse.Namespace) -> int:
    batches = store.list_batches()
    if batches.empty:
        print(_("no batches in the store"))
        return EXIT_OK
    table = batches[[column for column in BATCH_COLUMNS if column in batches.columns]].copy()
    table["created_at"] = pd.to_datetime(table["created_at"], utc=True).dt.strftime("%Y-%m-%d %H:%M:%SZ")
    print(table.to_string(index=False))
    return EXIT_OK


def _cmd_undo(store: IncidentStore, args: argparse.Namespace) -> int:
    removed = undo_batch_as(store, args.batch_id, operator(store, args.user))
    print(
        _("batch {batch} undone: {rows} rows removed (incidents or sites)").format(
            batch=args.batch_id, rows=removed
        )
    )
    return EXIT_OK


def _cmd_export(store: IncidentStore, args: argparse.Namespace) -> int:
    countries = sorted({code.strip().upper() for code in args.country}) if args.country else None
    stored = store.load_incidents(countries=countries, since=args.since, until=args.until)
    sources = cli_sources(store, args.include_demo)
    frame = of_sources(stored, sources)
    batches = store.list_batches()
    credits = incident_credits(frame, batches)  # the sources of the exported rows, and only those
    data_range = date_span(frame)  # the newest exported incident: what the file describes
    fresh = freshness(
        data_range[1] if data_range else None,
        batches,
        today=date.today(),
        stale_after_days=stale_after_days(),
    )
    provenance = Provenance.for_frame(
        frame,
        sources=" ".join([*(credit.text for credit in credits), _(REFERENCE_DATA_CREDIT)]),
        filters=_export_filters(countries, args.since, args.until),
        freshness=fresh,
    )
    written = export_incidents(frame, args.out, provenance)
    print(_("wrote {count} incidents to {path}").format(count=written, path=args.out))
    for note in demo_notes(frame, stored, sources):
        print(note)
    counts = frame["source_dataset"].value_counts()
    for credit in credits:
        if credit.source in ("acled", "ucdp"):
            print(
                _("note: {count} rows come from {source}; credit them: {credit}").format(
                    count=counts[credit.source], source=credit.label, credit=credit.text
                )
            )
    stale = fresh.warning()
    if stale:
        print(_("note: {message}").format(message=stale))
    where = {
        ".csv": _("in {path}").format(path=args.out.with_name(args.out.stem + PROVENANCE_SUFFIX)),
        ".geojson": _("in the file's 'provenance' member"),
        ".gpkg": _("in the file's 'provenance' layer"),
    }[args.out.suffix.lower()]
    print(
        _(
            "provenance (sources, filters, data as of): {where}; every row keeps source_dataset and batch_id"
        ).format(where=where)
    )
    return EXIT_OK


def _export_filters(countries: list[str] | None, since: date | None, until: date | None) -> str:
    """The export's selection in words, as the dashboard's provenance says it."""
    dates = f"{since.isoformat() if since else 'first'} to {until.isoformat() if until else 'last'} incident"
    return f"Countries: {', '.join(countries) if countries else 'all'}; Dates: {dates}"


def _encoding_name(text: str) -> str:
    try:
        return check_encoding(text)
    except FileLevelError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _export_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in EXPORT_DRIVERS:
        raise argparse.ArgumentTypeError(
            _("{text} must end in one of {suffixes} (the format follows the extension)").format(
                text=repr(text), suffixes=list(EXPORT_DRIVERS)
            )
        )
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = LanguageParser(
        prog="python -m incidents",
        description=_(
            "Manage the incident store of the Sahel Security Dashboard "
            "(store location: SAHEL_DB_URL, default var/sahel.db)."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    import_ = commands.add_parser(
        "import",
        help=_("validate an incident file (ACLED, UCDP GED, generic CSV/XLSX) and store it as one batch"),
    )
    import_.add_argument("path", type=Path, metavar="PATH")
    import_.add_argument(
        "--format", choices=FORMATS, default="auto", help=_("default: detect from the header")
    )
    import_.add_argument(
        "--mapping", type=Path, metavar="FILE", help=_("column mapping (JSON) for generic files")
    )
    import_.add_argument("--dry-run", action="store_true", help=_("validate and report; write nothing"))
    import_.add_argument("--report", type=Path, metavar="FILE.json", help=_("write the import report here"))
    import_.add_argument(
        "--month-first",
        action="store_true",
        help=_("read 03/04/2024 as 4 March (default: day first, 3 April)"),
    )
    import_.add_argument("--max-mb", type=float, default=200.0, help=_("refuse larger files (default 200)"))
    import_.add_argument(
        "--keep-outside",
        action="store_true",
        help=_(
            "store rows whose point lies outside the covered countries (default: skip them, "
            "reported as outside_coverage), with their reported country and no admin units"
        ),
    )
    import_.add_argument(
        "--encoding",
        type=_encoding_name,
        metavar="NAME",
        help=_(
            "the CSV's text encoding, e.g. shift_jis, mac_roman, cp850, latin-1 (default: recognise "
            "UTF-8, UTF-16 or Windows-1252 and refuse any other)"
        ),
    )
    add_acting_user(import_)
    import_.set_defaults(handler=_cmd_import)

    demo = commands.add_parser(
        "demo",
        help=_("load the synthetic demo data and the UCDP sample (idempotent), or remove it with --remove"),
    )
    demo.add_argument(
        "--rows",
        type=int,
        default=DEMO_ROWS,
        help=_("synthetic rows to generate (default {rows})").format(rows=DEMO_ROWS),
    )
    demo.add_argument(
        "--remove",
        action="store_true",
        help=_(
            "undo every synthetic demo batch (all or nothing, audited; admins only) and keep the "
            "dashboard from loading the demo again"
        ),
    )
    add_acting_user(demo)
    demo.set_defaults(handler=_cmd_demo)

    batches = commands.add_parser("batches", help=_("list import batches, newest first"))
    batches.set_defaults(handler=_cmd_batches)

    undo = commands.add_parser("undo", help=_("remove exactly the incidents of one batch"))
    undo.add_argument("batch_id", metavar="BATCH_ID")
    add_acting_user(undo)
    undo.set_defaults(handler=_cmd_undo)

    export = commands.add_parser("export", help=_("write incidents to .csv, .geojson or .gpkg"))
    export.add_argument("--out", required=True, type=_export_path, metavar="FILE")
    add_countries(export)
    export.add_argument("--since", type=iso_date, metavar="DATE", help=_("first event date, inclusive"))
    export.add_argument("--until", type=iso_date, metavar="DATE", help=_("last event date, inclusive"))
    add_include_demo(export)
    export.set_defaults(handler=_cmd_export)
    for module in (cli_risk, cli_pivot, cli_exposure, cli_outlook, cli_adjust, cli_users, cli_alerts):
        module.register(commands)
    return parser


def _say_upgrading(old: int, new: int) -> None:
    print(
        _(
            "upgrading the store from schema version {old} to {new} (once; about 15 s per million incidents)…"
        ).format(old=old, new=new),
        file=sys.stderr,
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (0 success, 2 failure: nothing written).

    The language of its messages: ``--lang``, else the environment, else English.
    """
    with use_language(choose_language(argv)):
        return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed usage and the error
        return int(exc.code) if isinstance(exc.code, int) else EXIT_FAILURE
    handler: Callable[[IncidentStore, argparse.Namespace], int] = args.handler
    try:
        store = open_store(on_upgrade=_say_upgrading)
        try:
            return handler(store, args)
        finally:
            store.close()
    except (IncidentsError, GeodataError) as exc:
        print(_("error: {message}").format(message=exc), file=sys.stderr)
        return EXIT_FAILURE
