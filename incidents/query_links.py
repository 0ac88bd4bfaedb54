"""Bounding a filter link's query string before anything reads it.

A link is typed, pasted and edited by people, and can be crafted: ``?min_fatalities=1e30``,
``?from=0001-01-01`` or ``?corridor_km=1e-300`` must not crash a page (a widget refuses a
value outside its range; date arithmetic overflows at year 1 or 9999). :func:`bound_query_params`
turns every filter key into a value the sidebar widgets accept, or drops it, and says why in
one plain-text notice per parameter (the dashboard shows them; they name the parameter):

* dates (``from``, ``to``) are real ISO dates clamped to :data:`EARLIEST_LINK_DATE` ..
  today + :data:`LINK_DATE_HORIZON`;
* ``min_fatalities`` is a whole number in 0 .. :data:`MAX_MIN_FATALITIES`;
* ``corridor_km`` is a finite number in :data:`MIN_CORRIDOR_KM` .. ``MAX_CORRIDOR_KM``
  (the slider's range);
* ``period``, ``type``, ``actor`` and ``source`` are known names; ``country`` is an ISO3
  code; ``admin1`` and ``corridor`` are short printable codes; at most
  :data:`MAX_LINK_VALUES` values per key.

At most :data:`MAX_NOTICES` notices come back (a crafted link must not flood the page).

Keys that are not filter keys (a page's own, or junk) pass through untouched. Everything
here is pure; :meth:`incidents.query.IncidentFilter.from_query_params` applies it, so saved
views and the CLI get the same bounds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from incidents.i18n import _, ngettext
from incidents.i18n.formats import format_number
from incidents.model import ACTOR_GROUPS, EVENT_TYPES, SOURCE_DATASETS

#: Earliest date a link may ask for: UCDP GED, the oldest source the product reads, starts in 1989.
EARLIEST_LINK_DATE: Final = date(1989, 1, 1)
#: How far past today a link's dates may reach (a planned period); later dates are clamped.
LINK_DATE_HORIZON: Final = timedelta(days=365)
#: Largest "minimum fatalities" a link may ask for (the sidebar's number input has the same maximum).
MAX_MIN_FATALITIES: Final = 100_000
#: The corridor-distance slider's range, km (its maximum is ``incidents.query.MAX_CORRIDOR_KM``).
MIN_CORRIDOR_KM: Final = 5.0
MAX_LINK_CORRIDOR_KM: Final = 200.0
#: Values kept per list key (countries, regions, …); more is not a view anyone builds by hand.
MAX_LINK_VALUES: Final = 50
#: Longest region or corridor code a link may carry.
MAX_CODE_CHARS: Final = 64
#: Longest piece of a bad value quoted back in a notice.
_QUOTE_CHARS: Final = 40
#: Bad values named per list key, and notices in all: a crafted link must not flood the page.
_NAMED_PER_KEY: Final = 3
MAX_NOTICES: Final = 8

_ISO3: Final = re.compile(r"[A-Z]{3}")
_PRESETS: Final = ("last_30", "last_90", "last_365", "all", "custom")
_CHOICES: Final[Mapping[str, tuple[str, ...]]] = {
    "type": EVENT_TYPES,
    "actor": ACTOR_GROUPS,
    "source": SOURCE_DATASETS,
}
_CODE_LISTS: Final = ("admin1",)


@dataclass(frozen=True)
class BoundedParams:
    """A link's query string with every filter key bounded, and why anything changed."""

    params: dict[str, list[str]]
    notices: tuple[str, ...]


def quoted(text: str) -> str:
    """``text`` shortened for a notice (a crafted value can be megabytes long)."""
    short = text if len(text) <= _QUOTE_CHARS else text[: _QUOTE_CHARS - 1] + "…"
    return repr(short)


def link_date_range(today: date | None = None) -> tuple[date, date]:
    """The dates a link may name: :data:`EARLIEST_LINK_DATE` .. today + :data:`LINK_DATE_HORIZON`."""
    return EARLIEST_LINK_DATE, (today or date.today()) + LINK_DATE_HORIZON


def parse_link_date(text: str, today: date | None = None) -> tuple[date | None, str | None]:
    """``(date, problem)``: an ISO date clamped to :func:`link_date_range`; None and why when unreadable.

    A clamped date comes back with a problem text too, so the user learns the link was changed.
    """
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        return None, _("is not a date (use YYYY-MM-DD)")
    earliest, latest = link_date_range(today)
    if value < earliest:
        return earliest, _("is before {day}; {day} is used").format(day=earliest.isoformat())
    if value > latest:
        return latest, _("is after {day}; {day} is used").format(day=latest.isoformat())
    return value, None


def parse_bounded_int(text: str, lowest: int, highest: int) -> int | None:
    """A whole number written as digits (``"12"``, ``"12.0"``) within ``lowest..highest``, else None."""
    number = parse_bounded_float(text, lowest, highest)
    if number is None or not number.is_integer():
        return None
    return int(number)


def parse_bounded_float(text: str, lowest: float, highest: float) -> float | None:
    """A finite number within ``lowest..highest`` (inclusive), else None (NaN, inf, junk, out of range)."""
    stripped = text.strip()
    if len(stripped) > 32:  # no sensible number is this long; float() of a huge digit string is slow
        return None
    try:
        number = float(stripped)
    except ValueError:
        return None
    if not math.isfinite(number) or not lowest <= number <= highest:
        return None
    return number


def _values(raw: str | Sequence[str]) -> list[str]:
    items = [raw] if isinstance(raw, str) else [str(item) for item in raw]
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


def _is_code(text: str) -> bool:
    return len(text) <= MAX_CODE_CHARS and text.isprintable()


def _code(text: str) -> str | None:
    return text if _is_code(text) else None


def _country(text: str) -> str | None:
    code = text.upper()
    return code if _ISO3.fullmatch(code) else None


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str | None]:
    def accept(text: str) -> str | None:
        return text if text in choices else None

    return accept


def bound_query_params(params: Mapping[str, str | Sequence[str]], today: date | None = None) -> BoundedParams:
    """Bound every filter key of ``params`` (see the module docstring); other keys pass through.

    Never raises. Each parameter that was dropped or changed gets one notice naming it.
    """
    result: dict[str, list[str]] = {}
    notices: list[str] = []

    def note(key: str, raw: str, problem: str) -> None:
        notices.append(
            _("Link parameter {key}={value} {problem}.").format(key=key, value=quoted(raw), problem=problem)
        )

    def keep_list(key: str, accept: Callable[[str], str | None], what: str) -> None:
        kept: list[str] = []
        rejected = 0
        for value in _values(params[key]):
            accepted = accept(value)
            if accepted is None:
                rejected += 1
                if rejected <= _NAMED_PER_KEY:
                    note(key, value, _("is not {what}; it was ignored").format(what=what))
            elif accepted not in kept:
                kept.append(accepted)
        if rejected > _NAMED_PER_KEY:
            more = rejected - _NAMED_PER_KEY
            notices.append(
                ngettext(
                    "Link parameter {key}: {n} more value was ignored.",
                    "Link parameter {key}: {n} more values were ignored.",
                    more,
                ).format(key=key, n=format_number(more))
            )
        if len(kept) > MAX_LINK_VALUES:
            notices.append(
                _("Link parameter {key} has more than {limit} values; the rest were ignored.").format(
                    key=key, limit=MAX_LINK_VALUES
                )
            )
            kept = kept[:MAX_LINK_VALUES]
        if kept:
            result[key] = kept

    def first(key: str) -> str | None:
        found = _values(params[key])
        return found[0] if found else None

    for key in params:
        if key == "country":
            keep_list(key, _country, _("a three-letter country code"))
        elif key in _CHOICES:
            keep_list(
                key, _one_of(_CHOICES[key]), _("one of {choices}").format(choices=", ".join(_CHOICES[key]))
            )
        elif key in _CODE_LISTS:
            keep_list(key, _code, _("a region code"))
        elif key == "corridor":
            value = first(key)
            if value is not None and _is_code(value):
                result[key] = [value]
            elif value is not None:
                note(key, value, _("is not a corridor id; it was ignored"))
        elif key == "period":
            value = first(key)
            if value in _PRESETS:
                result[key] = [value]
            elif value is not None:
                note(
                    key,
                    value,
                    _("is not one of {choices}; it was ignored").format(choices=", ".join(_PRESETS)),
                )
        elif key in ("from", "to"):
            value = first(key)
            if value is None:
                continue
            parsed, problem = parse_link_date(value, today)
            if problem is not None:
                note(
                    key, value, problem if parsed else _("{problem}; it was ignored").format(problem=problem)
                )
            if parsed is not None:
                result[key] = [parsed.isoformat()]
        elif key == "min_fatalities":
            value = first(key)
            if value is None:
                continue
            number = parse_bounded_int(value, 0, MAX_MIN_FATALITIES)
            if number is None:
                note(
                    key,
                    value,
                    _("is not a whole number from 0 to {limit}; it was ignored").format(
                        limit=format_number(MAX_MIN_FATALITIES)
                    ),
                )
            else:
                result[key] = [str(number)]
        elif key == "corridor_km":
            value = first(key)
            if value is None:
                continue
            km = parse_bounded_float(value, MIN_CORRIDOR_KM, MAX_LINK_CORRIDOR_KM)
            if km is None:
                note(
                    key,
                    value,
                    _("is not a distance from {low} to {high} km; it was ignored").format(
                        low=format_number(MIN_CORRIDOR_KM), high=format_number(MAX_LINK_CORRIDOR_KM)
                    ),
                )
            else:
                result[key] = [f"{km:g}"]
        else:
            raw = params[key]
            result[key] = [raw] if isinstance(raw, str) else [str(item) for item in raw]
    since, until = result.get("from"), result.get("to")
    if since and until and since[0] > until[0]:
        notices.append(
            _(
                "Link parameters from={since} and to={until} are in the wrong order; they were ignored."
            ).format(since=since[0], until=until[0])
        )
        del result["from"], result["to"]
    if len(notices) > MAX_NOTICES:
        hidden = len(notices) - (MAX_NOTICES - 1)
        notices[MAX_NOTICES - 1 :] = [
            ngettext(
                "{n} more link parameter was changed or ignored.",
                "{n} more link parameters were changed or ignored.",
                hidden,
            ).format(n=format_number(hidden))
        ]
    return BoundedParams(result, tuple(notices))
