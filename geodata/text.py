"""Accent folding shared by every name comparison (places, admin units, headers, labels).

One core, two forms: :func:`fold_accents` for single strings and
:func:`fold_accents_series` for pandas string columns. Callers add what they need on
top (case folding, separators, apostrophes); the core only removes accents.
"""

from __future__ import annotations

import unicodedata

import pandas as pd

_COMBINING_ACCENTS = r"[\u0300-\u036f]"


def fold_accents(text: str) -> str:
    """``text`` in compatibility decomposition (NFKD) without combining marks.

    "Ségou" -> "Segou", "ﬁ" -> "fi"; case is kept, and letters NFKD does not split
    ("ø", "ß", "œ", "ı") stay as they are.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fold_accents_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`fold_accents` for Latin text.

    Removes only the combining diacritical marks block (U+0300-U+036F), so marks of
    other scripts (Arabic harakat) stay, unlike :func:`fold_accents`.
    """
    return values.str.normalize("NFKD").str.replace(_COMBINING_ACCENTS, "", regex=True)
