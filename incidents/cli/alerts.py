"""``python -m incidents watches ...`` and ``python -m incidents alerts ...``: watches and their alerts.

Registered into the main parser by :func:`register`. ``alerts run`` is what cron or a systemd
timer calls (one pass), or a service with ``--loop SECONDS``; see docs/deploy.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from datetime import time as day_time
from pathlib import Path
from typing import Any, Final

from incidents.alerts.matching import list_matches
from incidents.alerts.outbox import OUTBOX_STATUSES, drop_removed, list_outbox
from incidents.alerts.runner import run_pass
from incidents.alerts.store import ACTIVE, PAUSED, REMOVED, add_watch, list_watches, set_watch_status
from incidents.alerts.watches import (
    WATCHABLE_SOURCES,
    Area,
    Filters,
    Recipients,
    Watch,
    names,
    polygon_from_geojson,
)
from incidents.cli.args import add_acting_user, iso_date, operator, positive_km
from incidents.errors import WatchError
from incidents.i18n import N_, _
from incidents.model import EVENT_TYPES
from incidents.settings import public_url, smtp_settings
from incidents.sites import read_sites
from incidents.store import IncidentStore

EXIT_OK: Final = 0
#: Longest pause of ``alerts run --loop`` (a day: a longer one is a timer's job).
MAX_LOOP_S: Final = 86_400
#: Largest GeoJSON polygon file read for a watch.
MAX_POLYGON_BYTES: Final = 20 * 2**20


def _site_area(path: Path, radius_km: float | None) -> Area:
    if radius_km is None:
        raise WatchError(
            _("--site-file needs --radius-km KM (the distance around the site, or either side of a route)")
        )
    read = read_sites(path)
    errors = [issue for issue in read.issues if issue.severity == "error"]
    if errors:
        first = errors[0]
        raise WatchError(
            _("{name} line {line}: {message}; fix the file first").format(
                name=read.file_name, line=first.line, message=first.message
            )
        )
    if len(read.frame) != 1:
        raise WatchError(
            _("{name} holds {count} sites or routes; a watch watches exactly one").format(
                name=read.file_name, count=len(read.frame)
            )
        )
    site = read.frame.iloc[0]
    return Area(
        kind=str(site["kind"]),
        label=str(site["name"]),
        geometry_wkt=str(site["geometry_wkt"]),
        radius_km=radius_km,
    )


def _polygon_area(path: Path) -> Area:
    try:
        if path.stat().st_size > MAX_POLYGON_BYTES:
            raise WatchError(
                _("{name} is larger than {size} MB").format(name=path.name, size=MAX_POLYGON_BYTES // 2**20)
            )
        data = path.read_bytes()
    except OSError as exc:
        raise WatchError(
            _("cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from exc
    return Area(kind="polygon", label=path.name, geometry_wkt=polygon_from_geojson(data, path.name))


def _area(args: argparse.Namespace) -> Area:
    if args.site_file is not None:
        return _site_area(args.site_file, args.radius_km)
    if args.radius_km is not None:
        raise WatchError(_("--radius-km goes with --site-file; a corridor takes --buffer-km"))
    if args.corridor is not None:
        if args.buffer_km is None:
            raise WatchError(_("--corridor needs --buffer-km KM (the distance either side of the corridor)"))
        return Area(kind="corridor", corridor_id=args.corridor, radius_km=args.buffer_km)
    if args.buffer_km is not None:
        raise WatchError(_("--buffer-km goes with --corridor"))
    if args.polygon is not None:
        return _polygon_area(args.polygon)
    return Area(kind="admin", admin1=tuple(args.admin1 or ()), admin2=tuple(args.admin2 or ()))


def _cmd_watches_add(store: IncidentStore, args: argparse.Namespace) -> int:
    watch = Watch(
        name=args.name,
        area=_area(args),
        filters=Filters(
            event_types=tuple(args.types or ()),
            min_fatalities=args.min_fatalities,
            actor_text=args.actor or "",
            sources=tuple(args.sources or ()),
        ),
        recipients=Recipients(
            users=tuple(args.inbox or ()), emails=tuple(args.email or ()), webhooks=tuple(args.webhook or ())
        ),
        delivery=args.digest,
    )
    created = add_watch(store, watch, by=operator(store, args.user), owner=args.owner)
    stored = created.stored
    print(
        _("watch {name} added (version {version}, owner {owner}): {area}").format(
            name=repr(stored.name),
            version=stored.version,
            owner=stored.owner,
            area=stored.watch.describe_area(),
        )
    )
    if created.webhook_secret:
        print(
            _("webhook secret (shown this once; the receiver needs it to check signatures): {secret}").format(
                secret=created.webhook_secret
            )
        )
    return EXIT_OK


def _cmd_watches_list(store: IncidentStore, args: argparse.Namespace) -> int:
    watches = list_watches(store, include_removed=args.all)
    if not watches:
        print(_("no watches; add one with `python -m incidents watches add NAME ...`"))
        return EXIT_OK
    for stored in watches:
        watch = stored.watch
        recipients, filters = watch.recipients, watch.filters
        print(
            _("{name}  [{status}, v{version}, owner {owner}, {delivery}]").format(
                name=stored.name,
                status=stored.status,
                version=stored.version,
                owner=stored.owner,
                delivery=watch.delivery,
            )
        )
        print("  " + _("area: {area}").format(area=watch.describe_area()))
        print(
            "  "
            + _(
                "filters: types {types}; fatalities >= {fatalities}; actor {actor}; sources {sources}"
            ).format(
                types=names(filters.event_types),
                fatalities=filters.min_fatalities,
                actor=filters.actor_text or _("any"),
                sources=names(filters.sources),
            )
        )
        print(
            "  "
            + _("recipients: in-app {users}; e-mail {emails}; webhooks {webhooks}").format(
                users=_listed(recipients.users),
                emails=_listed(recipients.emails),
                webhooks=_listed(recipients.webhooks),
            )
        )
    return EXIT_OK


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(values) if values else _("none")


#: ``watches pause|resume|remove``: the status each sets, and what it tells the user (after the name).
_STATUS_CHANGES: Final = {
    "pause": (
        PAUSED,
        N_(
            "watch {name} paused (version {version}): no new matches, and its alerts not yet sent wait "
            "until it is resumed"
        ),
    ),
    "resume": (
        ACTIVE,
        N_("watch {name} resumed (version {version}); the next `alerts run` sends what waited"),
    ),
    "remove": (
        REMOVED,
        N_(
            "watch {name} removed (version {version}; its history and sent alerts are kept, alerts not "
            "yet sent are dropped)"
        ),
    ),
}


def _cmd_watches_status(store: IncidentStore, args: argparse.Namespace) -> int:
    status, said = _STATUS_CHANGES[args.watches_command]
    version = set_watch_status(store, args.name, status, by=operator(store, args.user))
    if status == REMOVED:
        drop_removed(store)  # at once; every claim of a runner drops them too, whoever removed the watch
    print(_(said).format(name=repr(args.name), version=version))
    return EXIT_OK


def _cmd_alerts_run(store: IncidentStore, args: argparse.Namespace) -> int:
    if args.loop is not None and not 1 <= args.loop <= MAX_LOOP_S:
        raise WatchError(
            _("--loop takes 1 to {most} seconds between passes, not {value}").format(
                most=MAX_LOOP_S, value=f"{args.loop:g}"
            )
        )
    smtp = smtp_settings()  # a bad SAHEL_SMTP_URL stops here, before anything is taken from the outbox
    public_url()  # so does a bad SAHEL_PUBLIC_URL, before anything is queued
    while True:
        report = run_pass(store, smtp=smtp)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        print(_("{stamp} alerts: {summary}").format(stamp=stamp, summary=report.summary()), flush=True)
        if args.loop is None:
            return EXIT_OK
        try:
            time.sleep(args.loop)
        except KeyboardInterrupt:
            print(_("stopped"), file=sys.stderr)
            return EXIT_OK


def _cmd_alerts_list(store: IncidentStore, args: argparse.Namespace) -> int:
    since = None if args.since is None else datetime.combine(args.since, day_time.min, tzinfo=UTC)
    if args.watch is not None:
        known = {stored.name for stored in list_watches(store, include_removed=True)}
        if args.watch not in known:
            raise WatchError(
                _("no watch named {name}; see `python -m incidents watches list --all`").format(
                    name=repr(args.watch)
                )
            )
    matches = list_matches(store, watch_name=args.watch, since=since)
    if matches.empty:
        print(
            _("no alerts")
            + (" " + _("for {name}").format(name=repr(args.watch)) if args.watch else "")
            + (" " + _("since {day}").format(day=args.since) if since else "")
        )
        return EXIT_OK
    killed = _("{n} killed")
    for row in matches.itertuples(index=False):
        distance = (
            ""
            if row.distance_km is None or row.distance_km != row.distance_km
            else f"{row.distance_km:.1f} km"
        )
        print(
            f"{row.matched_at:%Y-%m-%d %H:%M}  {row.watch_name}  {row.status:<9}  {row.event_date}  "
            f"{row.event_type}  {killed.format(n=row.fatalities)}  {distance}  {row.location or ''}  "
            f"{row.incident_id}"
        )
    return EXIT_OK


def _cmd_alerts_outbox(store: IncidentStore, args: argparse.Namespace) -> int:
    frame = list_outbox(store, status=args.status)
    if frame.empty:
        print(
            _("the outbox is empty of {status} messages").format(status=args.status)
            if args.status
            else _("the outbox is empty")
        )
        return EXIT_OK
    for row in frame.itertuples(index=False):
        error = f"  ({row.last_error})" if row.last_error else ""
        print(
            f"#{row.message_id}  {row.created_at:%Y-%m-%d %H:%M}  {row.status:<7}  {row.kind:<10}  "
            f"{row.channel:<7}  {row.watch_name} -> {row.recipient}  "
            + _("attempts {n}").format(n=row.attempts)
            + error
        )
    return EXIT_OK


def _action(actions: Any, name: str, help_text: str, handler: Any, *, acting: bool = False) -> Any:
    """One subcommand running ``handler`` (with ``--user`` when it changes the store)."""
    parser = actions.add_parser(name, help=_(help_text))
    parser.set_defaults(handler=handler)
    if acting:
        add_acting_user(parser)
    return parser


def register(commands: Any) -> None:
    """Add the ``watches`` and ``alerts`` commands to the CLI's subparsers."""
    watches = commands.add_parser("watches", help=_("watched sites, routes, units, corridors and polygons"))
    actions = watches.add_subparsers(dest="watches_command", required=True, metavar="ACTION")

    add = actions.add_parser("add", help=_("watch an area for new incidents (one area option)"))
    add.add_argument("name", metavar="NAME")
    area = add.add_mutually_exclusive_group(required=True)
    area.add_argument(
        "--site-file", type=Path, metavar="FILE", help=_("a site or route file holding one site or route")
    )
    area.add_argument("--admin2", nargs="+", metavar="CODE", help=_("admin-2 unit codes (e.g. ML.GA.AN)"))
    area.add_argument("--admin1", nargs="+", metavar="CODE", help=_("admin-1 unit codes"))
    area.add_argument("--corridor", metavar="ID", help=_("a store corridor's id (e.g. C1)"))
    area.add_argument("--polygon", type=Path, metavar="FILE.geojson", help=_("a GeoJSON (multi)polygon"))
    add.add_argument("--radius-km", type=positive_km, metavar="KM", help=_("with --site-file: km around it"))
    add.add_argument("--buffer-km", type=positive_km, metavar="KM", help=_("with --corridor: km either side"))
    add.add_argument(
        "--types",
        nargs="+",
        choices=EVENT_TYPES,
        metavar="TYPE",
        help=_("only these: {types}").format(types=", ".join(EVENT_TYPES)),
    )
    add.add_argument("--min-fatalities", type=int, default=0, metavar="N")
    add.add_argument(
        "--actor", metavar="TEXT", help=_("only incidents whose actor 1 or 2 contains this text")
    )
    add.add_argument(
        "--sources",
        nargs="+",
        choices=WATCHABLE_SOURCES,
        metavar="SOURCE",
        help=_("only these data sources: {sources}").format(sources=", ".join(WATCHABLE_SOURCES)),
    )
    add.add_argument("--email", nargs="+", metavar="ADDR", help=_("e-mail these addresses"))
    add.add_argument("--webhook", nargs="+", metavar="URL", help=_("POST signed JSON to these http(s) URLs"))
    add.add_argument("--inbox", nargs="+", metavar="USER", help=_("the in-app inbox of these accounts"))
    add.add_argument(
        "--digest",
        default="immediate",
        metavar="MODE",
        help=_("immediate (default), daily@HH:MM or weekly@DAY,HH:MM (UTC)"),
    )
    add.add_argument(
        "--owner", metavar="NAME", help=_("the account the watch belongs to (default: the acting user)")
    )
    add_acting_user(add)
    add.set_defaults(handler=_cmd_watches_add)

    list_ = _action(actions, "list", N_("list watches"), _cmd_watches_list)
    list_.add_argument("--all", action="store_true", help=_("removed watches too"))
    for action, help_text in (
        ("pause", N_("hold a watch: no new matches, its unsent alerts wait")),
        ("resume", N_("start a paused watch again")),
        ("remove", N_("stop a watch (history and sent alerts kept, unsent ones dropped)")),
    ):
        changed = _action(actions, action, help_text, _cmd_watches_status, acting=True)
        changed.add_argument("name", metavar="NAME")

    alerts = commands.add_parser("alerts", help=_("run the alerts (match, queue, deliver) and list them"))
    alert_actions = alerts.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    run = _action(
        alert_actions, "run", N_("one pass: match new batches, queue due alerts, deliver"), _cmd_alerts_run
    )
    run.add_argument(
        "--loop", type=float, metavar="SECONDS", help=_("keep running, a pass every SECONDS (1-86400)")
    )
    listed = _action(alert_actions, "list", N_("matched incidents, newest first"), _cmd_alerts_list)
    listed.add_argument("--watch", metavar="NAME", help=_("of this watch only"))
    listed.add_argument(
        "--since", type=iso_date, metavar="DATE", help=_("matched on or after this day (UTC)")
    )
    outbox = _action(
        alert_actions, "outbox", N_("messages sent, waiting and failed (why)"), _cmd_alerts_outbox
    )
    outbox.add_argument("--status", choices=OUTBOX_STATUSES)
