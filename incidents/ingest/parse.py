"""Vectorised parsers for the text cells validation must interpret: dates, coordinates, fatalities.

Each parser returns ``(values, bad)``: the parsed values (missing where the cell is
empty or unparseable) and a boolean mask of cells that held text but could not be
parsed. Empty cells are *not* bad — whether a value is required is validation's call.

Files of a million rows repeat the same few thousand date strings, so dates are parsed
once per unique string and mapped back; no parser calls dateutil or Python code per cell.

Digits of any script are read as the numbers they are (Arabic-Indic ``١٢``, full-width
``１２``, Devanagari ``१२`` -> ``12``), with the Unicode minus sign and the Arabic decimal
separator; only cells that are not plain ASCII take that (per-cell) path.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from geodata.text import fold_accents_series

#: Excel's day zero (Lotus 1-2-3 leap-year bug included): serial 1 is 1900-01-01.
EXCEL_EPOCH: Final = pd.Timestamp("1899-12-30")
#: Excel serials accepted as dates: 1954-10-03 .. 2119-01-10. Anything else is a number, not a date.
EXCEL_SERIAL_RANGE: Final = (20_000, 80_000)
#: Years accepted at all: older or later dates are typos (and overflow nanosecond timestamps).
YEAR_RANGE: Final = (1900, 2200)
#: Two-digit years below this are 20xx, the rest 19xx (Python's strptime pivot is 69).
TWO_DIGIT_YEAR_PIVOT: Final = 69

#: Month names and abbreviations, English and French, accent-folded and lower-cased.
MONTHS: Final[Mapping[str, int]] = {
    **{
        name: number
        for number, name in enumerate(
            [
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            ],
            start=1,
        )
    },
    **{
        name: number
        for number, name in enumerate(
            [
                "janvier",
                "fevrier",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "aout",
                "septembre",
                "octobre",
                "novembre",
                "decembre",
            ],
            start=1,
        )
    },
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    "janv": 1,
    "fev": 2,
    "fevr": 2,
    "avr": 4,
    "juil": 7,
    "aou": 8,
}

# A trailing time of day ("00:00:00.000", "T14:30Z") is dropped: incidents are dated to the day.
# Patterns run on lower-cased text, hence "t", "z", "utc".
_TIME_PART: Final = r"(?:[t ]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:z|utc|[+-]\d{2}:?\d{2})?)?$"
_SEP: Final = r"[\s\-/.,]+"
_ISO: Final = r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _TIME_PART
_COMPACT: Final = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
_NUMERIC: Final = r"^(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})" + _TIME_PART
_DAY_MONTH_NAME: Final = (
    r"^(?P<d>\d{1,2})(?:er)?" + _SEP + r"(?P<mon>[a-z]+)\.?" + _SEP + r"(?P<y>\d{4}|\d{2})" + _TIME_PART
)
_MONTH_NAME_DAY: Final = r"^(?P<mon>[a-z]+)\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})" + _TIME_PART
_EXCEL: Final = r"^(?P<serial>\d{5})(?:\.\d+)?$"

_COORDINATE: Final = r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$"
_HEMISPHERE: Final = r"^(?P<lead>[NSEWO])?(?P<num>[^NSEWO]*?)°?(?P<trail>[NSEWO])?$"
# Integers, "3.0", "3,0"; "1,000" is refused: a thousands separator or a decimal comma?
_INTEGER: Final = r"^[+-]?\d{1,9}(?:\.0+|,0{1,2})?$"
_PRINTABLE_ASCII: Final = r"[ -~]*"
#: A non-ASCII character: a decimal digit of any script (Unicode category Nd, what Python's
#: ``\d`` matches) becomes its ASCII digit, the signs and separators below their ASCII
#: form; any other character is left as it is.
_NON_ASCII_NUMBER_CHAR: Final = re.compile(r"[^\x00-\x7f]")
_NUMBER_CHARS: Final[Mapping[str, str]] = {
    "\u2212": "-",  # MINUS SIGN (Word, typeset reports)
    "\uff0d": "-",  # FULLWIDTH HYPHEN-MINUS
    "\uff0b": "+",  # FULLWIDTH PLUS SIGN
    "\u066b": ".",  # ARABIC DECIMAL SEPARATOR
    "\uff0e": ".",  # FULLWIDTH FULL STOP
}


def _ascii_number_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NUMBER_CHARS:
        return _NUMBER_CHARS[char]
    digit = unicodedata.decimal(char, None)
    return char if digit is None else str(digit)


def _blank_to_na(text: pd.Series) -> pd.Series:
    """Text as pandas strings, stripped, with empty cells as <NA>; digits of any script as ASCII."""
    strings = text.astype("string").str.strip()
    strings = strings.mask(strings == "")
    simple = printable_ascii(strings)
    if not simple.all():
        strings = strings.copy()
        strings[~simple] = [
            _NON_ASCII_NUMBER_CHAR.sub(_ascii_number_char, cell) if isinstance(cell, str) else cell
            for cell in strings[~simple].tolist()
        ]
    return strings


def printable_ascii(text: pd.Series) -> pd.Series:
    """Mask of cells made only of printable ASCII (space to ``~``); <NA> counts as True.

    pandas runs patterns with ``\\s`` or ``\\u`` escapes through Python's ``re`` one cell at
    a time (RE2 differs on them); this check runs in pyarrow. Such cells have no accents,
    no whitespace but the space, and NFKD leaves them unchanged, so callers take a
    vectorised path for them and the per-cell regex only for the rest (same result).
    """
    return text.str.fullmatch(_PRINTABLE_ASCII).fillna(True).astype(bool)


def remove_whitespace(text: pd.Series) -> pd.Series:
    """``text.str.replace(r"\\s+", "", regex=True)``, with Python's regex only where needed."""
    simple = printable_ascii(text)
    out = text.str.replace(" ", "", regex=False)
    if not simple.all():
        out[~simple] = text[~simple].str.replace(r"\s+", "", regex=True)
    return out


def _fold(text: pd.Series) -> pd.Series:
    """Lower-case, accent-stripped text, so 'Févr.' and 'fevr.' parse alike."""
    simple = printable_ascii(text)
    folded = text.str.lower()
    if not simple.all():
        folded[~simple] = fold_accents_series(folded[~simple])
    return folded


def _year(text: pd.Series) -> pd.Series:
    years = pd.to_numeric(text, errors="coerce").astype("float64")
    short = (text.str.len() == 2).fillna(False).astype(bool)
    century = np.where(years < TWO_DIGIT_YEAR_PIVOT, 2000, 1900)
    return years.where(~short, years + century)


def _ymd(years: pd.Series, months: pd.Series, days: pd.Series) -> pd.Series:
    """Dates from numeric parts via one explicit ISO format; impossible days (30 Feb) -> NaT."""
    parts = pd.DataFrame({"y": years, "m": months, "d": days}).apply(pd.to_numeric, errors="coerce")
    ok = parts.notna().all(axis=1) & parts["y"].between(*YEAR_RANGE)
    filled = parts.fillna(0).astype("int64")
    iso = (
        filled["y"].astype(str).str.zfill(4)
        + "-"
        + filled["m"].astype(str).str.zfill(2)
        + "-"
        + filled["d"].astype(str).str.zfill(2)
    )
    parsed = pd.to_datetime(iso.where(ok), format="%Y-%m-%d", errors="coerce")
    return parsed.astype("datetime64[ns]")


def _parse_unique_dates(text: pd.Series, dayfirst: bool) -> pd.Series:
    """Parse distinct date strings (no <NA>); NaT where no accepted format matches."""
    folded = _fold(text)
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")

    def fill(candidates: pd.Series) -> None:
        nonlocal result
        result = result.where(result.notna(), candidates)

    iso = folded.str.extract(_ISO)
    fill(_ymd(iso["y"], iso["m"], iso["d"]))
    compact = folded.str.extract(_COMPACT)
    fill(_ymd(compact["y"], compact["m"], compact["d"]))

    numeric = folded.str.extract(_NUMERIC)
    # Dots are a day-first convention everywhere; only slashes and hyphens are ambiguous.
    day_first = (numeric["sep"] == ".") | dayfirst
    days = numeric["a"].where(day_first, numeric["b"])
    months = numeric["b"].where(day_first, numeric["a"])
    fill(_ymd(_year(numeric["y"]), months, days))

    for pattern in (_DAY_MONTH_NAME, _MONTH_NAME_DAY):
        named = folded.str.extract(pattern)
        fill(_ymd(_year(named["y"]), named["mon"].map(MONTHS), named["d"]))

    excel = pd.to_numeric(folded.str.extract(_EXCEL)["serial"], errors="coerce")
    low, high = EXCEL_SERIAL_RANGE
    excel = excel.where(excel.between(low, high))
    fill(EXCEL_EPOCH + pd.to_timedelta(excel, unit="D"))
    return result


def parse_dates(text: pd.Series, *, dayfirst: bool = True) -> tuple[pd.Series, pd.Series]:
    """Parse incident dates written the many ways spreadsheets and exports write them.

    Accepts ISO ``2022-09-12`` (optionally with a time part), ``20220912``,
    ``12/09/2022`` and ``12-09-22`` (day first unless ``dayfirst=False``),
    ``12.09.2022`` (always day first), ``12 September 2022``, ``12-September-22``,
    ``15-Jul-22``, ``September 12, 2022``, French month names (``12 sept. 2022``,
    ``1er août 2022``) and Excel serial numbers 20000–80000 (44816 -> 2022-09-12).
    Returns ``(datetime64[ns] Series, bad mask)`` aligned with ``text``.
    """
    cells = _blank_to_na(text)
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    parsed_unique = _parse_unique_dates(pd.Series(uniques, dtype="string"), dayfirst)
    lookup = np.append(parsed_unique.to_numpy(), np.datetime64("NaT", "ns"))
    dates = pd.Series(lookup[codes], index=text.index, dtype="datetime64[ns]")  # code -1 -> NaT
    bad = cells.notna().to_numpy(dtype=bool) & dates.isna().to_numpy()
    return dates, pd.Series(bad, index=text.index, dtype=bool)


def parse_coordinates(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a latitude or longitude column as float degrees.

    Accepts decimal points or commas (``14,35``), stray spaces (``- 3.5``), a degree
    sign and a hemisphere letter (``14.35N``, ``3.5W``, French ``O`` = west: S/W/O negate).
    Refuses everything else (``abc``, ``1.2.3``, ``14,35,2``, ``inf``, ``nan``) rather than
    guess. Range checks are validation's job. Returns ``(float64 Series, bad mask)``.
    """
    if pd.api.types.is_numeric_dtype(text.dtype) and not pd.api.types.is_bool_dtype(text.dtype):
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = values.notna() & ~np.isfinite(values.fillna(0.0))
        return values.where(~bad), bad.astype(bool)
    cells = _blank_to_na(text)
    compact = remove_whitespace(cells)
    # Fast path for plain decimals (nearly every cell); the hemisphere regex only for the rest.
    plain = compact.str.fullmatch(_COORDINATE).fillna(False).astype(bool)
    values = pd.to_numeric(compact.where(plain).str.replace(",", ".", regex=False), errors="coerce")
    values = values.astype("float64")
    rest = cells.notna() & ~plain
    if rest.any():
        parts = compact[rest].str.upper().str.extract(_HEMISPHERE)
        hemisphere = parts["lead"].fillna(parts["trail"])
        two_letters = parts["lead"].notna() & parts["trail"].notna()
        number = parts["num"]
        ok = number.str.fullmatch(_COORDINATE).fillna(False).astype(bool) & ~two_letters
        marked = pd.to_numeric(number.where(ok).str.replace(",", ".", regex=False), errors="coerce")
        marked = marked.astype("float64")
        negate = hemisphere.isin(["S", "W", "O"]).fillna(False).astype(bool)
        values.loc[rest] = marked.where(~negate, -marked.abs())
    bad = cells.notna() & values.isna()
    return values, bad.fillna(False).astype(bool)


def parse_fatalities(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse fatality counts; an empty cell means 0, as in ACLED exports (no issue raised).

    Accepts integers and whole numbers written as ``3.0`` / ``3,0`` (spreadsheets turn
    counts into floats); refuses fractions, words and ``1,000`` (thousands separator or
    decimal comma — we cannot tell). Negative numbers are parsed and returned as such:
    validation reports them as ``negative_fatalities``. Returns ``(Int64 Series, bad)``
    with <NA> only where ``bad``.
    """
    cells = _blank_to_na(text)
    compact = remove_whitespace(cells)
    ok = compact.str.fullmatch(_INTEGER).fillna(False).astype(bool)
    whole = compact.where(ok).str.replace(r"[.,]0+$", "", regex=True)
    values = pd.to_numeric(whole, errors="coerce").astype("Int64")
    # Unparsed, whatever the pattern said: a cell the pattern passes but pandas cannot
    # convert is one bad cell, never a failed file.
    bad = (cells.notna() & (~ok | values.isna())).fillna(False).astype(bool)
    values = values.mask(cells.isna(), 0)
    return values, bad
