"""Command line for scheduled briefing packs: ``python -m dashboard brief --out FILE.pdf ...``.

Runs without Streamlit (a cron job on a server with no browser): it imports only the pure
builders (:mod:`dashboard.builders.briefing_pack`) and the domain packages. Domain errors go to
stderr as one sentence with exit code 2; argparse's usage errors get the same treatment.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn
from urllib.parse import parse_qs

from geodata.boundaries import DEFAULT_COUNTRIES, country_names
from geodata.errors import GeodataError
from incidents.cli.args import LanguageParser, choose_language, iso_date
from incidents.errors import IncidentsError, OutlookDataError
from incidents.export import write_output
from incidents.i18n import N_, _, use_language
from incidents.query import IncidentFilter
from incidents.sources import cli_sources, of_sources
from incidents.store import IncidentStore, open_store

if TYPE_CHECKING:
    from dashboard.builders.outlook_data import OutlookSection

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 2
DEFAULT_TITLE: Final = N_("Security briefing: Mali and the central Sahel")
VIEWS_MODULE: Final = "incidents.store.saved_views"


class UsageError(Exception):
    """A bad command line: one sentence for stderr."""


class _Parser(LanguageParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _suffix_path(suffix: str) -> type:
    def parse(text: str) -> Path:
        path = Path(text)
        if path.suffix.lower() != suffix:
            message = _("{text} must end in {suffix}").format(text=repr(text), suffix=suffix)
            raise argparse.ArgumentTypeError(message)
        return path

    return parse  # type: ignore[return-value]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m dashboard", description=_("Sahel Security Dashboard tools (no web server).")
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    brief = commands.add_parser("brief", help=_("write a PDF briefing pack (and optionally a PNG map)"))
    brief.add_argument("--out", required=True, type=_suffix_path(".pdf"), metavar="FILE.pdf")
    brief.add_argument(
        "--png", type=_suffix_path(".png"), metavar="FILE.png", help=_("also write the map image")
    )
    brief.add_argument("--view", metavar="NAME", help=_("start from this saved view's filters and title"))
    brief.add_argument(
        "--country",
        nargs="+",
        action="extend",
        metavar="ISO3",
        help=_("countries (default: the view's, else {codes})").format(codes=" ".join(DEFAULT_COUNTRIES)),
    )
    brief.add_argument("--since", type=iso_date, metavar="DATE", help=_("first event date, inclusive"))
    brief.add_argument("--until", type=iso_date, metavar="DATE", help=_("last event date, inclusive"))
    brief.add_argument("--title", help=_("title of the pack (default: the view's title, else a generic one)"))
    brief.add_argument(
        "--include-demo",
        action="store_true",
        help=_(
            "count the synthetic demo rows too (by default they are left out once the store holds "
            "real data, unless the view chose them)"
        ),
    )
    return parser


def _load_view(
    store: IncidentStore, name: str, default_sources: Sequence[str] = ()
) -> tuple[IncidentFilter, str | None]:
    """The saved view's filter and title; a clear error when saved views are not available."""
    try:
        views = importlib.import_module(VIEWS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != VIEWS_MODULE:
            raise
        raise UsageError(
            _(
                "--view {name} cannot be used: saved views are not available in this installation "
                "({module} is missing)"
            ).format(name=repr(name), module=VIEWS_MODULE)
        ) from None
    view = views.get_view(store, name)
    if view is None:
        saved = list(views.list_views(store)["name"])
        raise UsageError(
            _("no saved view is called {name}; saved views: {views}").format(
                name=repr(name), views=saved or _("none")
            )
        )
    chosen = IncidentFilter.from_query_params(parse_qs(view.query), DEFAULT_COUNTRIES, default_sources)
    return chosen, (view.title or None)


def choose_filter(store: IncidentStore, args: argparse.Namespace) -> tuple[IncidentFilter, str]:
    """The filter and title from the view (if any) overridden by --country/--since/--until.

    Data sources: the view's choice; else real sources only once the store holds real data,
    every source with ``--include-demo`` (which also adds the demo to a view's real sources).
    """
    sources = cli_sources(store, bool(getattr(args, "include_demo", False)))
    chosen, title = IncidentFilter(countries=DEFAULT_COUNTRIES, sources=sources), None
    if args.view:
        chosen, title = _load_view(store, args.view, sources)
        if getattr(args, "include_demo", False) and chosen.sources and "demo" not in chosen.sources:
            chosen = replace(chosen, sources=(*chosen.sources, "demo"))
    if args.country:
        known = country_names()
        countries = tuple(dict.fromkeys(code.strip().upper() for code in args.country))
        unknown = [c for c in countries if c not in known]
        if unknown:
            raise UsageError(
                _("unknown country code(s) {codes}; allowed: {allowed}").format(
                    codes=unknown, allowed=sorted(known)
                )
            )
        chosen = replace(chosen, countries=countries)
    if args.since or args.until:
        if args.since and args.until and args.since > args.until:
            raise UsageError(
                _("--since {since} is after --until {until}").format(since=args.since, until=args.until)
            )
        data_range = store.date_range()
        since = args.since or (data_range[0] if data_range else args.until)
        until = args.until or (data_range[1] if data_range else args.since)
        if since > until:  # one bound given outside the stored range
            since, until = (since, since) if args.since else (until, until)
        chosen = replace(chosen, preset="custom", since=since, until=until)
    return chosen, args.title or title or _(DEFAULT_TITLE)


def _outlook_of_view(store: IncidentStore, name: str | None, chosen: IncidentFilter) -> OutlookSection | None:
    """The Outlook section when the view includes it (``outlook=1``): the models run here (a minute)."""
    from dashboard.builders.outlook_data import (
        outlook_origin,
        outlook_section,
        refused_section,
        run_outlook,
        wants_outlook,
    )

    view = importlib.import_module(VIEWS_MODULE).get_view(store, name) if name else None
    if view is None or not wants_outlook(view.query_params()):
        return None
    frame = of_sources(store.load_analysis_frame(), chosen.sources)
    try:
        return outlook_section(run_outlook(frame, "admin1", outlook_origin(frame)), chosen.countries)
    except OutlookDataError as exc:
        return refused_section(str(exc))


def _cmd_brief(store: IncidentStore, args: argparse.Namespace) -> int:
    from dashboard.builders.briefing_pack import build_briefing_pdf, collect_briefing_data

    chosen, title = choose_filter(store, args)
    outlook = _outlook_of_view(store, args.view, chosen)
    data = collect_briefing_data(store, chosen, title=title, outlook=outlook)
    # Written beside the target and renamed into place; a symbolic link is refused (ExportError).
    write_output(args.out, lambda path: path.write_bytes(build_briefing_pdf(data)))
    if args.png:
        write_output(args.png, lambda path: path.write_bytes(data.map_png))
    figures = data.key_figures
    print(
        _("wrote {path} ({count} incidents; {filters})").format(
            path=args.out, count=figures.incidents, filters=data.filter_summary
        )
    )
    if args.png:
        print(_("wrote {path}").format(path=args.png))
    if data.includes_demo:
        print(_("note: the pack includes synthetic demo events (source_dataset = demo), not real incidents"))
    stale = data.freshness.warning() if data.freshness is not None else None
    if stale:
        print(_("note: {message}").format(message=stale))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 2 with one sentence on stderr otherwise.

    The language of its messages and of the pack: ``--lang``, else the environment, else English.
    """
    with use_language(choose_language(argv)):
        return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(_("error: {message}").format(message=exc), file=sys.stderr)
        return EXIT_FAILURE
    except SystemExit as exc:  # --help
        return int(exc.code) if isinstance(exc.code, int) else EXIT_FAILURE
    try:
        store = open_store()
        try:
            return _cmd_brief(store, args)
        finally:
            store.close()
    except (UsageError, ValueError, IncidentsError, GeodataError) as exc:
        print(_("error: {message}").format(message=exc), file=sys.stderr)
        return EXIT_FAILURE
