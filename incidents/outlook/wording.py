"""Words for probabilities, after the ICD 203 estimative scale, so non-statisticians read them alike.

The scale names ranges (almost no chance 1-5 %, very unlikely 5-20 %, unlikely 20-45 %,
roughly even chance 45-55 %, likely 55-80 %, very likely 80-95 %, almost certain 95-99 %)
and leaves the ends open. Here every probability gets a word: below 5 % (0 included) is
"almost no chance", 95 % and above (100 % included) "almost certain". A probability on an
edge takes the higher class (20 % is "unlikely"), so the classes do not overlap.

The sentences (:func:`outlook_sentence`) put the word, its percentage, the count range and how
often the word came true in the backtest side by side.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from babel.dates import format_date

from incidents.i18n import N_, Labels, _, current_language, ngettext
from incidents.i18n.formats import format_number, format_percent

#: (lower edge, word), ascending; a class runs from its edge up to the next one.
ICD203_SCALE: Final = (
    (0.00, "almost no chance"),
    (0.05, "very unlikely"),
    (0.20, "unlikely"),
    (0.45, "roughly even chance"),
    (0.55, "likely"),
    (0.80, "very likely"),
    (0.95, "almost certain"),
)
ICD203_WORDS: Final = tuple(word for _edge, word in ICD203_SCALE)
#: The words as a reader sees them (the words themselves are codes in tables and CSV files).
LIKELIHOOD_LABELS: Final = Labels(
    {
        "almost no chance": N_("almost no chance"),
        "very unlikely": N_("very unlikely"),
        "unlikely": N_("unlikely"),
        "roughly even chance": N_("roughly even chance"),
        "likely": N_("likely"),
        "very likely": N_("very likely"),
        "almost certain": N_("almost certain"),
    }
)


#: An ICD 203 word in the reader's language (itself when it is not one of the seven).
likelihood_label = LIKELIHOOD_LABELS.label


def likelihood_words(probability: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """The ICD 203 word of each probability (values outside 0..1 are clipped first)."""
    p = np.clip(np.asarray(probability, dtype=np.float64), 0.0, 1.0)
    edges = np.array([edge for edge, _word in ICD203_SCALE[1:]])
    # Round so that 0.2 computed in floating point (0.19999999999999998) sits on its edge.
    classes = np.searchsorted(edges, np.round(p, 12), side="right")
    return np.asarray(ICD203_WORDS, dtype=object)[classes]


def likelihood_word(probability: float) -> str:
    """The ICD 203 word of one probability."""
    return str(likelihood_words([probability])[0])


def _whole_percent(value: int) -> str:
    """``value`` % as the language writes it: the outlook's English "62 %" (its sentences, CSV
    files and briefing pack have always spaced it so), CLDR's "62 %" elsewhere."""
    if current_language() == "en":
        return f"{value} %"
    return format_percent(value / 100)


def percent(probability: float) -> str:
    """A probability as a whole percentage ("62 %"). Never "0 %" or "100 %": an estimate of the
    future is never certain, even where a baseline's share of past months is 0 or 12 of 12
    (the ICD 203 scale itself stops at 1 % and 99 %)."""
    p = min(max(float(probability), 0.0), 1.0)
    if p < 0.005:
        return _("< {percent}").format(percent=_whole_percent(1))
    if p >= 0.995:
        return _("> {percent}").format(percent=_whole_percent(99))
    return _whole_percent(math.floor(p * 100 + 0.5))  # half up: 0.5 % is "1 %", not banker's "0 %"


def _month_name(period: pd.Period, pattern: str) -> str:
    return str(format_date(period.to_timestamp().date(), pattern, locale=current_language()))


def month_text(month: pd.Period | str) -> str:
    """'January 2027' for the month ``2027-01`` ('janvier 2027' in French)."""
    return _month_name(pd.Period(month, freq="M"), "MMMM y")


def window_text(first: pd.Period | str, last: pd.Period | str) -> str:
    """'between January and March 2027' ('between December 2026 and February 2027' across a new
    year; 'in January 2027' for one month)."""
    start, end = pd.Period(first, freq="M"), pd.Period(last, freq="M")
    if start == end:
        return _("in {month}").format(month=month_text(start))
    if start.year == end.year:
        return _("between {first} and {last}").format(first=_month_name(start, "MMMM"), last=month_text(end))
    return _("between {first} and {last}").format(first=month_text(start), last=month_text(end))


def hit_rate_sentence(word: str, came_true: float | None, unit_months: int) -> str:
    """How often ``word`` came true in the backtest, or that the backtest never said it."""
    label = likelihood_label(word)
    if came_true is None or unit_months <= 0:
        return _("In the backtest, '{word}' was never said, so how often it comes true is not known.").format(
            word=label
        )
    # An observed share may be all or none (12 of 12); only in between is it kept off the ends.
    share = _whole_percent(round(came_true * 100)) if came_true in (0.0, 1.0) else percent(came_true)
    return ngettext(
        "In the backtest, '{word}' came true {share} of the time ({count} forecast).",
        "In the backtest, '{word}' came true {share} of the time ({count} forecasts).",
        unit_months,
    ).format(word=label, share=share, count=format_number(unit_months))


def expected_text(low: float, high: float) -> str:
    """'Expected 3–11 incidents (90 % range).' from the 5 % and 95 % quantiles."""
    lo, hi = int(low), int(high)
    span = f"{lo}" if lo == hi else f"{lo}–{hi}"
    return ngettext(
        "Expected {span} incident (90 % range).", "Expected {span} incidents (90 % range).", hi
    ).format(span=span)


def outlook_sentence(
    place: str,
    when: str,
    p_fatal: float,
    *,
    count_range: tuple[float, float] | None = None,
    came_true: float | None = None,
    unit_months: int = 0,
) -> str:
    """The outlook of one unit in words, e.g. "Likely (62 %): at least one fatal incident in
    Douentza in January 2027. Expected 3–11 incidents (90 % range). In the backtest, 'likely'
    came true 64 % of the time (412 forecasts)."

    ``when`` follows the place ("in January 2027", or :func:`window_text`'s "between January
    and March 2027");
    ``count_range`` is the 90 % range of the incident count (left out when None);
    ``came_true`` and ``unit_months``: how the word of ``p_fatal`` fared in the backtest
    (None: never said). Plain text: escape it before putting it into HTML.
    """
    word = likelihood_word(p_fatal)
    label = likelihood_label(word)
    parts = [
        _("{likelihood} ({percent}): at least one fatal incident in {place} {when}.").format(
            likelihood=label[:1].upper() + label[1:], percent=percent(p_fatal), place=place, when=when
        )
    ]
    if count_range is not None:
        parts.append(expected_text(*count_range))
    parts.append(hit_rate_sentence(word, came_true, unit_months))
    return " ".join(parts)
