"""What validating the earlier chunks of a file found out, for its later chunks to reuse.

Validation checks each row alone, so a file checked in chunks gives the whole file's
answer; two things are worth carrying between chunks all the same:

* place names (:data:`~incidents.ingest.place_names.PlaceCache`): a message quotes a name as
  the first row naming that place spells it; carried over, that is the file's first row,
  as when the file is checked in one piece (and each place is looked up once per file);
* parsed dates: a file repeats a few thousand date texts, and parsing them costs about
  as much as a chunk's other checks, so each distinct text is parsed once per file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from incidents.ingest.parse import parse_dates
from incidents.ingest.place_names import PlaceCache

#: Distinct date texts remembered per file; beyond this (dates with times of day, say)
#: remembering costs more than it saves, and later texts are parsed as they come.
MAX_REMEMBERED_DATES: Final = 100_000


def _large_strings(values: pd.Series) -> pa.Array:
    return pa.array(values.astype("string").array).cast(pa.large_string())


@dataclass
class ValidationMemo:
    """Carried from chunk to chunk of one file by :func:`~incidents.ingest.validate.validate_staged`."""

    places: PlaceCache = field(default_factory=dict)
    _dayfirst: bool | None = None
    _texts: pa.Array = field(default_factory=lambda: pa.array([], pa.large_string()))
    _dates: np.ndarray = field(default_factory=lambda: np.empty(0, dtype="datetime64[ns]"))
    _bad: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))

    def parse_dates(self, cells: pd.Series, *, dayfirst: bool) -> tuple[pd.Series, pd.Series]:
        """:func:`~incidents.ingest.parse.parse_dates` of ``cells``, reusing what earlier chunks parsed."""
        if dayfirst != self._dayfirst:  # another reading of the same texts: forget them
            self._dayfirst = dayfirst
            self._texts, self._dates, self._bad = (
                pa.array([], pa.large_string()),
                self._dates[:0],
                self._bad[:0],
            )
        present = cells.notna().to_numpy(dtype=bool)
        texts = _large_strings(cells[present])
        known = pc.fill_null(pc.index_in(texts, value_set=self._texts), -1).to_numpy(zero_copy_only=False)
        dates = np.full(len(cells), np.datetime64("NaT", "ns"))
        bad = np.zeros(len(cells), dtype=bool)
        at, hit = np.flatnonzero(present), known >= 0
        dates[at[hit]], bad[at[hit]] = self._dates[known[hit]], self._bad[known[hit]]
        if not hit.all():
            new = at[~hit]
            parsed, unreadable = parse_dates(cells.iloc[new], dayfirst=dayfirst)
            dates[new], bad[new] = parsed.to_numpy(dtype="datetime64[ns]"), unreadable.to_numpy(dtype=bool)
            if len(self._texts) + len(new) <= MAX_REMEMBERED_DATES:
                self._texts = pa.concat_arrays([self._texts, texts.filter(pa.array(~hit))])
                self._dates = np.concatenate([self._dates, dates[new]])
                self._bad = np.concatenate([self._bad, bad[new]])
        return pd.Series(dates, index=cells.index), pd.Series(bad, index=cells.index)
