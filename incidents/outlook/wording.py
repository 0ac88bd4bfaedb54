"""Words for probabilities, after the ICD 203 estimative scale, so non-statisticians read them alike.

The scale names ranges (almost no chance 1-5 %, very unlikely 5-20 %, unlikely 20-45 %,
roughly even chance 45-55 %, likely 55-80 %, very likely 80-95 %, almost certain 95-99 %)
and leaves the ends open. Here every probability gets a word: below 5 % (0 included) is
"almost no chance", 95 % and above (100 % included) "almost certain". A probability on an
edge takes the higher class (20 % is "unlikely"), so the classes do not overlap.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

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
ICD203_WORDS: Final = tuple(word for _, word in ICD203_SCALE)


def likelihood_words(probability: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """The ICD 203 word of each probability (values outside 0..1 are clipped first)."""
    p = np.clip(np.asarray(probability, dtype=np.float64), 0.0, 1.0)
    edges = np.array([edge for edge, _ in ICD203_SCALE[1:]])
    # Round so that 0.2 computed in floating point (0.19999999999999998) sits on its edge.
    classes = np.searchsorted(edges, np.round(p, 12), side="right")
    return np.asarray(ICD203_WORDS, dtype=object)[classes]


def likelihood_word(probability: float) -> str:
    """The ICD 203 word of one probability."""
    return str(likelihood_words([probability])[0])
