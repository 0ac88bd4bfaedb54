"""What a watch is: an area, filters, recipients and a delivery mode, each checked when made.

A :class:`Watch` is stored as JSON (``watch_versions.spec``) and read back with
:func:`watch_from_json`; every constructor path goes through :func:`check_watch`, so a stored
watch is always a valid one. Errors are :class:`~incidents.errors.WatchError`, one sentence each.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final
from urllib.parse import urlsplit

import shapely
from shapely.geometry import mapping, shape

from incidents.errors import WatchError
from incidents.i18n import N_, _
from incidents.model import EVENT_TYPES, SOURCE_DATASETS

AREA_KINDS: Final = ("site", "route", "admin", "corridor", "polygon")
#: Largest radius or buffer of a watch: beyond it a watch is a country, better watched by unit.
MAX_RADIUS_KM: Final = 500.0
MAX_NAME_LENGTH: Final = 120
MAX_RECIPIENTS: Final = 50
MAX_URL_LENGTH: Final = 2000
MAX_ACTOR_TEXT: Final = 200
#: Sources a watch may filter on: never ``demo`` (synthetic rows never alert).
WATCHABLE_SOURCES: Final = tuple(source for source in SOURCE_DATASETS if source != "demo")
WEBHOOK_SCHEMES: Final = ("http", "https")
WEEKDAYS: Final = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
IMMEDIATE: Final = "immediate"

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$"
)
_DAILY = re.compile(r"^daily@(\d{2}):(\d{2})$")
_WEEKLY = re.compile(r"^weekly@([A-Za-z]{3}),(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class Area:
    """Where a watch looks. ``kind`` is one of :data:`AREA_KINDS`.

    * ``site``: ``geometry_wkt`` a point, ``radius_km`` around it.
    * ``route``: ``geometry_wkt`` a line, ``radius_km`` either side of it.
    * ``admin``: ``admin1`` and/or ``admin2`` unit codes (an incident's own, from its coordinates).
    * ``corridor``: ``corridor_id`` of a store corridor, ``radius_km`` either side of it.
    * ``polygon``: ``geometry_wkt`` a (multi)polygon, e.g. from an uploaded GeoJSON file.

    ``label`` names the site, route or file in alerts.
    """

    kind: str
    label: str = ""
    geometry_wkt: str = ""
    radius_km: float = 0.0
    admin1: tuple[str, ...] = ()
    admin2: tuple[str, ...] = ()
    corridor_id: str = ""

    def geometry(self) -> shapely.Geometry:
        return shapely.from_wkt(self.geometry_wkt)


@dataclass(frozen=True)
class Filters:
    """Which incidents of the area count; empty means any."""

    event_types: tuple[str, ...] = ()
    min_fatalities: int = 0
    actor_text: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recipients:
    users: tuple[str, ...] = ()  # in-app inboxes (account names)
    emails: tuple[str, ...] = ()
    webhooks: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.users or self.emails or self.webhooks)


@dataclass(frozen=True)
class Watch:
    name: str
    area: Area
    filters: Filters = field(default_factory=Filters)
    recipients: Recipients = field(default_factory=Recipients)
    delivery: str = IMMEDIATE

    def to_json(self) -> str:
        """The stored form (``watch_versions.spec``); the name is stored beside it."""
        area = self.area
        spec: dict[str, Any] = {
            "area": {
                "kind": area.kind,
                "label": area.label,
                "geometry_wkt": area.geometry_wkt,
                "radius_km": area.radius_km,
                "admin1": list(area.admin1),
                "admin2": list(area.admin2),
                "corridor_id": area.corridor_id,
            },
            "filters": {
                "event_types": list(self.filters.event_types),
                "min_fatalities": self.filters.min_fatalities,
                "actor_text": self.filters.actor_text,
                "sources": list(self.filters.sources),
            },
            "recipients": {
                "users": list(self.recipients.users),
                "emails": list(self.recipients.emails),
                "webhooks": list(self.recipients.webhooks),
            },
            "delivery": self.delivery,
        }
        return json.dumps(spec, sort_keys=True, ensure_ascii=False)

    def describe_area(self) -> str:
        """The area in words, for listings and alerts ("25 km around Mopti office")."""
        area = self.area
        radius = f"{area.radius_km:g}"
        if area.kind == "site":
            return _("{km} km around {site}").format(km=radius, site=area.label or _("the site"))
        if area.kind == "route":
            return _("{km} km either side of {route}").format(km=radius, route=area.label or _("the route"))
        if area.kind == "corridor":
            return _("{km} km either side of corridor {corridor}").format(
                km=radius, corridor=area.corridor_id
            )
        if area.kind == "admin":
            return _("units {codes}").format(codes=", ".join([*area.admin1, *area.admin2]))
        return _("polygon {name}").format(name=area.label).strip()


def watch_from_json(name: str, text: str) -> Watch:
    """The :class:`Watch` stored as ``text`` under ``name`` (checked again)."""
    spec = json.loads(text)
    area = spec["area"]
    filters = spec["filters"]
    recipients = spec["recipients"]
    return check_watch(
        Watch(
            name=name,
            area=Area(
                kind=area["kind"],
                label=area.get("label", ""),
                geometry_wkt=area.get("geometry_wkt", ""),
                radius_km=float(area.get("radius_km", 0.0)),
                admin1=tuple(area.get("admin1", ())),
                admin2=tuple(area.get("admin2", ())),
                corridor_id=area.get("corridor_id", ""),
            ),
            filters=Filters(
                event_types=tuple(filters.get("event_types", ())),
                min_fatalities=int(filters.get("min_fatalities", 0)),
                actor_text=filters.get("actor_text", ""),
                sources=tuple(filters.get("sources", ())),
            ),
            recipients=Recipients(
                users=tuple(recipients.get("users", ())),
                emails=tuple(recipients.get("emails", ())),
                webhooks=tuple(recipients.get("webhooks", ())),
            ),
            delivery=spec.get("delivery", IMMEDIATE),
        )
    )


# ---- checks ----------------------------------------------------------------------------------


def check_watch(watch: Watch) -> Watch:
    """``watch`` with its texts tidied (lists de-duplicated, in order); raises :class:`WatchError`."""
    name = check_name(watch.name)
    return replace(
        watch,
        name=name,
        area=check_area(watch.area),
        filters=check_filters(watch.filters),
        recipients=check_recipients(watch.recipients),
        delivery=check_delivery(watch.delivery),
    )


def check_name(name: str) -> str:
    """The name with its white space tidied; empty, over-long or control characters refused."""
    text = " ".join(str(name).split())
    problem = (
        _("a watch needs a name")
        if not text
        else _("a watch name has at most {limit} characters, not {n}").format(
            limit=MAX_NAME_LENGTH, n=len(text)
        )
        if len(text) > MAX_NAME_LENGTH
        else _("the watch name {text} holds control characters").format(text=repr(text))
        if any(unicodedata.category(char).startswith("C") for char in text)
        else ""
    )
    if problem:
        raise WatchError(problem)
    return text


def _radius(value: float, what: str) -> float:
    radius = float(value)
    if not math.isfinite(radius) or radius <= 0 or radius > MAX_RADIUS_KM:
        raise WatchError(
            _("the {what} must be more than 0 and at most {limit} km, not {value}").format(
                what=what, limit=format(MAX_RADIUS_KM, "g"), value=repr(value)
            )
        )
    return radius


def _codes(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(value).strip() for value in values if str(value).strip()))


def check_area(area: Area) -> Area:
    """The area's own consistency (unit codes and corridor ids are checked against data elsewhere)."""
    if area.kind not in AREA_KINDS:
        raise WatchError(
            _("unknown area kind {kind}; use one of {value}").format(
                kind=repr(area.kind), value=list(AREA_KINDS)
            )
        )
    label = " ".join(str(area.label).split())[:200]
    if area.kind == "admin":
        admin1, admin2 = _codes(area.admin1), _codes(area.admin2)
        if not admin1 and not admin2:
            raise WatchError(_("a unit watch needs at least one admin-1 or admin-2 code"))
        return Area(kind="admin", label=label, admin1=admin1, admin2=admin2)
    if area.kind == "corridor":
        corridor_id = str(area.corridor_id).strip()
        if not corridor_id:
            raise WatchError(_("a corridor watch needs a corridor id"))
        return Area(
            kind="corridor",
            label=label,
            corridor_id=corridor_id,
            radius_km=_radius(area.radius_km, _("buffer")),
        )
    try:
        geometry = shapely.from_wkt(area.geometry_wkt)
    except (shapely.errors.GEOSException, TypeError, ValueError) as exc:
        raise WatchError(_("the area's geometry is not readable: {exc}").format(exc=exc)) from exc
    _check_coordinates(geometry)
    wanted = {
        "site": ("Point",),
        "route": ("LineString", "MultiLineString"),
        "polygon": ("Polygon", "MultiPolygon"),
    }
    if geometry.geom_type not in wanted[area.kind]:
        raise WatchError(
            _("a {kind} watch needs a {wanted}, not a {found}").format(
                kind=area.kind, wanted=_(" or ").join(wanted[area.kind]), found=geometry.geom_type
            )
        )
    if area.kind == "polygon":
        if not geometry.is_valid:
            raise WatchError(
                _("the polygon is not valid ({reason}); fix it in a GIS first").format(
                    reason=shapely.is_valid_reason(geometry)
                )
            )
        if geometry.area == 0:
            raise WatchError(_("the polygon has no area"))
        return Area(kind="polygon", label=label, geometry_wkt=geometry.wkt)
    what = _("radius") if area.kind == "site" else _("buffer")
    return Area(
        kind=area.kind, label=label, geometry_wkt=geometry.wkt, radius_km=_radius(area.radius_km, what)
    )


def _check_coordinates(geometry: shapely.Geometry) -> None:
    if geometry.is_empty:
        raise WatchError(_("the area's geometry is empty"))
    coordinates = shapely.get_coordinates(geometry)
    lon, lat = coordinates[:, 0], coordinates[:, 1]
    if not (all(map(math.isfinite, lon)) and all(map(math.isfinite, lat))):
        raise WatchError(_("the area's geometry has coordinates that are not numbers"))
    if (abs(lon) > 180).any() or (abs(lat) > 90).any():
        raise WatchError(_("the area's coordinates must be WGS84 longitude/latitude in degrees"))


def polygon_from_geojson(data: bytes | str, label: str = "the file") -> str:
    """The WKT of the (multi)polygon in a GeoJSON geometry, Feature or FeatureCollection.

    Several polygons are joined into one area; any other geometry type is refused.
    """
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WatchError(_("{label} is not GeoJSON: {exc}").format(label=label, exc=exc)) from exc
    geometries = []
    for item in _geojson_geometries(document, label):
        try:
            geometry = shape(item)
        except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as exc:
            raise WatchError(
                _("{label} holds a geometry that cannot be read: {exc}").format(label=label, exc=exc)
            ) from exc
        if geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise WatchError(
                _("{label} holds a {geom_type}; a polygon watch needs polygons only").format(
                    label=label, geom_type=geometry.geom_type
                )
            )
        geometries.append(geometry)
    if not geometries:
        raise WatchError(_("{label} holds no polygon").format(label=label))
    joined = shapely.union_all(geometries) if len(geometries) > 1 else geometries[0]
    return str(joined.wkt)


def _geojson_geometries(document: Any, label: str) -> list[Mapping[str, Any]]:
    """Every geometry of a GeoJSON geometry, Feature or FeatureCollection (nested ones too)."""
    match document:
        case {"type": "FeatureCollection", "features": list() as features}:
            return [geometry for feature in features for geometry in _geojson_geometries(feature, label)]
        case {"type": "Feature", "geometry": None}:
            return []
        case {"type": "Feature", "geometry": Mapping() as geometry}:
            return _geojson_geometries(geometry, label)
        case {"type": str(kind)} if kind not in ("FeatureCollection", "Feature"):
            return [document]
    raise WatchError(_("{label} is not a GeoJSON geometry, Feature or FeatureCollection").format(label=label))


def _known(codes: tuple[str, ...], allowed: Sequence[str], problem: str) -> tuple[str, ...]:
    """``codes`` when each is one of ``allowed``; else a WatchError naming the first stranger."""
    unknown = [value for value in codes if value not in allowed]
    if unknown:
        raise WatchError(_(problem).format(unknown=repr(unknown[0]), value=list(allowed)))
    return codes


def check_filters(filters: Filters) -> Filters:
    types = _known(
        _codes(filters.event_types), EVENT_TYPES, N_("unknown event type {unknown}; use some of {value}")
    )
    sources = _known(
        _codes(filters.sources), WATCHABLE_SOURCES, N_("unknown data source {unknown}; use some of {value}")
    )
    minimum = int(filters.min_fatalities)
    if minimum < 0:
        raise WatchError(_("the minimum fatalities must be 0 or more, not {minimum}").format(minimum=minimum))
    actor = " ".join(str(filters.actor_text).split())
    if len(actor) > MAX_ACTOR_TEXT:
        raise WatchError(_("the actor text has at most {limit} characters").format(limit=MAX_ACTOR_TEXT))
    return Filters(event_types=types, min_fatalities=minimum, actor_text=actor, sources=sources)


def check_email(address: str) -> str:
    text = str(address).strip()
    if len(text) > 254 or not _EMAIL.match(text):
        raise WatchError(_("{text} is not an e-mail address (name@example.org)").format(text=repr(text)))
    return text


def check_webhook_url(url: str) -> str:
    """An ``http://`` or ``https://`` URL with a host; anything else (``file://``, ``ftp://``) is refused."""
    text = str(url).strip()
    if len(text) > MAX_URL_LENGTH:
        raise WatchError(_("a webhook URL has at most {limit} characters").format(limit=MAX_URL_LENGTH))
    if any(char.isspace() or unicodedata.category(char).startswith("C") for char in text):
        raise WatchError(
            _("the webhook URL {text} holds spaces or control characters").format(text=repr(text[:80]))
        )
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise WatchError(_("{text} is not a URL: {exc}").format(text=repr(text[:80]), exc=exc)) from exc
    if parts.scheme.lower() not in WEBHOOK_SCHEMES:
        raise WatchError(
            _("the webhook URL {text} must start with http:// or https://").format(text=repr(text[:80]))
        )
    if not host:
        raise WatchError(_("the webhook URL {text} names no host").format(text=repr(text[:80])))
    return text


def check_recipients(recipients: Recipients) -> Recipients:
    users = _codes(name.lower() for name in recipients.users)
    emails = tuple(dict.fromkeys(check_email(address) for address in recipients.emails))
    webhooks = tuple(dict.fromkeys(check_webhook_url(url) for url in recipients.webhooks))
    if len(users) + len(emails) + len(webhooks) > MAX_RECIPIENTS:
        raise WatchError(_("a watch has at most {limit} recipients").format(limit=MAX_RECIPIENTS))
    result = Recipients(users=users, emails=emails, webhooks=webhooks)
    if not result:
        raise WatchError(
            _("a watch needs at least one recipient (an in-app user, an e-mail address or a webhook)")
        )
    return result


@dataclass(frozen=True)
class Schedule:
    """A parsed delivery mode: immediate, or a digest at ``hour:minute`` UTC (on ``weekday``, 0 = Monday)."""

    mode: str  # immediate | daily | weekly
    hour: int = 0
    minute: int = 0
    weekday: int | None = None


def parse_delivery(text: str) -> Schedule:
    """``immediate``, ``daily@HH:MM`` or ``weekly@DAY,HH:MM`` (DAY: MON..SUN; times UTC)."""
    value = str(text).strip()
    if value.lower() == IMMEDIATE:
        return Schedule(IMMEDIATE)
    daily = _DAILY.match(value)
    weekly = _WEEKLY.match(value)
    if daily:
        hour, minute = int(daily.group(1)), int(daily.group(2))
        weekday = None
    elif weekly and weekly.group(1).upper() in WEEKDAYS:
        weekday = WEEKDAYS.index(weekly.group(1).upper())
        hour, minute = int(weekly.group(2)), int(weekly.group(3))
    else:
        raise WatchError(
            _(
                "delivery {value} is not understood; use immediate, daily@HH:MM or "
                "weekly@DAY,HH:MM (e.g. weekly@MON,07:00)"
            ).format(value=repr(value))
        )
    if hour > 23 or minute > 59:
        raise WatchError(
            _("delivery {value} names no time of day (00:00 to 23:59)").format(value=repr(value))
        )
    return Schedule("daily" if weekday is None else "weekly", hour, minute, weekday)


def check_delivery(text: str) -> str:
    """The canonical spelling of a delivery mode (``weekly@MON,07:00``)."""
    schedule = parse_delivery(text)
    if schedule.mode == IMMEDIATE:
        return IMMEDIATE
    time = f"{schedule.hour:02d}:{schedule.minute:02d}"
    if schedule.weekday is None:
        return f"daily@{time}"
    return f"weekly@{WEEKDAYS[schedule.weekday]},{time}"


def area_geojson(area: Area) -> dict[str, Any] | None:
    """The area's geometry as a GeoJSON geometry (for maps and webhooks); None for units and corridors."""
    if not area.geometry_wkt:
        return None
    return dict(mapping(area.geometry()))


def names(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "any"
