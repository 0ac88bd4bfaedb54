"""Dates, numbers and percentages written the way the current language writes them (Babel, CLDR).

``2 Dec 2026`` / ``2 déc. 2026``, ``1,234.5`` / ``1 234,5``, ``12%`` / ``12 %``. Pages, charts,
the PDF and the PNG call these instead of ``strftime`` or ``f"{x:,}"``. French separates
thousands and percent signs with a narrow no-break space (U+202F); :func:`plain_spaces` turns it
into an ordinary no-break space for fonts that lack it (the PDF's built-in Helvetica).
"""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_decimal
from babel.numbers import format_percent as _babel_percent

from incidents.i18n import current_language

#: CLDR pattern per use: a day as people write it in a sentence, a month on a chart axis.
DAY_PATTERN = "d MMM y"
MONTH_PATTERN = "MMM y"


def _locale(language: str | None) -> str:
    return language or current_language()


def format_day(value: date | datetime, *, language: str | None = None) -> str:
    """A day: ``2 Dec 2026`` in English, ``2 déc. 2026`` in French."""
    day = value.date() if isinstance(value, datetime) else value
    return _babel_date(day, DAY_PATTERN, locale=_locale(language))


def format_month(value: date | datetime, *, language: str | None = None) -> str:
    """A month: ``Dec 2026`` / ``déc. 2026``."""
    day = value.date() if isinstance(value, datetime) else value
    return _babel_date(day, MONTH_PATTERN, locale=_locale(language))


def format_long_day(value: date | datetime, *, language: str | None = None) -> str:
    """A day in full words: ``December 2, 2026`` / ``2 décembre 2026``."""
    day = value.date() if isinstance(value, datetime) else value
    return _babel_date(day, "long", locale=_locale(language))


def format_timestamp(value: datetime, *, language: str | None = None) -> str:
    """A moment to the minute, as written in the language (the time zone is the value's own)."""
    return _babel_datetime(value, "d MMM y HH:mm", locale=_locale(language))


def format_number(value: float, *, digits: int = 0, language: str | None = None) -> str:
    """A number with the language's separators, ``digits`` decimals: ``1 234,5`` in French."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=_locale(language))


def format_percent(share: float, *, digits: int = 0, language: str | None = None) -> str:
    """A share (0.12) as a percentage: ``12%`` in English, ``12 %`` in French."""
    locale = Locale.parse(_locale(language))
    pattern = locale.percent_formats[None].pattern  # the language's own spacing: "#,##0 %" in French
    if digits > 0:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
    return _babel_percent(share, format=pattern, locale=locale)


def plain_spaces(text: str) -> str:
    """``text`` with narrow no-break spaces (U+202F) made no-break spaces: for fonts without them."""
    return text.replace("\u202f", "\u00a0")
