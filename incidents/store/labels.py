"""Dictionary encoding of the incidents' label columns (schema version 5).

Most incident columns repeat a few hundred texts over millions of rows (countries, admin
units, event types, actors). ``incident_rows`` stores a small integer per cell instead,
``labels.label_id``, shared by every label column: integer rows are about half the size
and insert about twice as fast in SQLite as the same rows with text. Everything here is
vectorised over distinct values (``pd.factorize``), never per row.

In memory a missing label is code ``0`` (label ids start at 1); in SQL it is NULL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from incidents.store import schema
from incidents.store.migrations import V7_LABEL_COLUMNS

#: Canonical columns stored as label ids in ``incident_rows`` (same names there); unchanged
#: since migration 7 defined them (a migration that adds one defines the new tuple).
LABEL_COLUMNS: Final = V7_LABEL_COLUMNS
#: Code for a missing label (NULL in SQL); real label ids start at 1.
MISSING: Final = 0
#: Texts or ids per IN (...) query: under SQLite's 32,766 bound-parameter limit.
LOOKUP_CHUNK: Final = 30_000


def encode_labels(
    conn: Connection, frame: pd.DataFrame, columns: Sequence[str] = LABEL_COLUMNS
) -> dict[str, np.ndarray]:
    """Label ids (int64, :data:`MISSING` for NA) of ``frame[columns]``, adding new texts to ``labels``.

    Runs inside the caller's transaction, so the new labels commit or roll back with the
    batch. Each column is factorised once; only its distinct texts are looked up.
    """
    return encode_with(frame, lambda texts: label_ids(conn, texts), columns)


def encode_with(
    frame: pd.DataFrame,
    ids_of: Callable[[list[str]], Mapping[str, int]],
    columns: Sequence[str] = LABEL_COLUMNS,
) -> dict[str, np.ndarray]:
    """:func:`encode_labels` with ``ids_of(distinct texts)`` giving (and adding) the ids.

    Shared with the SQLite bulk writer, which reaches ``labels`` through another driver.
    """
    factorized = {name: pd.factorize(frame[name], use_na_sentinel=True) for name in columns}
    texts = sorted({str(text) for _codes, uniques in factorized.values() for text in uniques})
    ids = ids_of(texts)
    encoded: dict[str, np.ndarray] = {}
    for name, (codes, uniques) in factorized.items():
        # The extra last entry maps the NA sentinel (-1) to MISSING.
        lookup = np.array([ids[str(text)] for text in uniques] + [MISSING], dtype=np.int64)
        encoded[name] = lookup[codes]
    return encoded


def label_ids(conn: Connection, texts: Sequence[str]) -> dict[str, int]:
    """The id of each text, inserting the texts not yet in ``labels``.

    ``ON CONFLICT DO NOTHING`` lets two PostgreSQL imports add the same new text at once:
    the second waits for the first and then reads its id.
    """
    ids = _existing_ids(conn, texts)
    missing = [text for text in texts if text not in ids]
    if missing:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(schema.labels).on_conflict_do_nothing(index_elements=["text"])
        conn.execute(insert, [{"text": text} for text in missing])
        ids.update(_existing_ids(conn, missing))
    return ids


def existing_label_ids(conn: Connection, texts: Sequence[str]) -> dict[str, int]:
    """The id of each of these texts that ``labels`` holds (others are left out; nothing is added)."""
    return _existing_ids(conn, texts)


def _existing_ids(conn: Connection, texts: Sequence[str]) -> dict[str, int]:
    table = schema.labels
    found: dict[str, int] = {}
    for start in range(0, len(texts), LOOKUP_CHUNK):
        chunk = list(texts[start : start + LOOKUP_CHUNK])
        query = select(table.c.text, table.c.label_id).where(table.c.text.in_(chunk))
        found.update({str(text): int(label_id) for text, label_id in conn.execute(query)})
    return found


def label_texts(conn: Connection, ids: Iterable[int]) -> dict[int, str]:
    """Text of each of these label ids (:data:`MISSING` and unknown ids are left out)."""
    wanted = sorted({int(label_id) for label_id in ids} - {MISSING})
    table = schema.labels
    texts: dict[int, str] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        query = select(table.c.label_id, table.c.text).where(table.c.label_id.in_(chunk))
        texts.update({int(label_id): str(text) for label_id, text in conn.execute(query)})
    return texts


def codes_array(values: np.ndarray) -> np.ndarray:
    """Label ids as read from SQL (an object array, None for NULL) as int64, :data:`MISSING` for NULL."""
    try:
        return values.astype(np.int64)
    except TypeError:  # some NULLs
        return np.where(pd.isna(values), MISSING, values).astype(np.int64)


def _distinct(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct codes and each cell's position among them (``np.unique`` without a sort:
    label ids are small, dense integers)."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    seen = np.zeros(int(codes.max()) + 1, dtype=bool)
    seen[codes] = True
    uniques = np.flatnonzero(seen)
    position_of = np.zeros(len(seen), dtype=np.int64)
    position_of[uniques] = np.arange(len(uniques))
    return uniques, position_of[codes]


def decode_strings(codes: np.ndarray, texts: Mapping[int, str]) -> pd.api.extensions.ExtensionArray:
    """``string`` values (NA for :data:`MISSING`), taken in Arrow from the distinct texts.

    The canonical dtype directly: no Python object per cell, no later conversion.
    """
    uniques, positions = _distinct(codes)
    dictionary = pa.array(
        [texts.get(int(code)) if code != MISSING else None for code in uniques], type=pa.large_string()
    )
    return pd.arrays.ArrowStringArray(dictionary.take(pa.array(positions)))


def decode_categorical(codes: np.ndarray, texts: Mapping[int, str]) -> pd.Categorical:
    """``category`` values straight from label ids.

    Same result as ``Series(decoded texts).astype("category")``: categories sorted, NA for
    :data:`MISSING`, but without making a million Python strings first.
    """
    uniques, positions = _distinct(codes)
    present = uniques != MISSING
    categories = pd.Index(sorted(texts[int(code)] for code in uniques[present]))
    # Position of each distinct code's text among the sorted categories; -1 for missing.
    category_of = np.full(len(uniques), -1, dtype=np.int64)
    category_of[present] = categories.get_indexer([texts[int(code)] for code in uniques[present]])
    return pd.Categorical.from_codes(category_of[positions], dtype=pd.CategoricalDtype(categories))


def distinct_ids(*codes: np.ndarray) -> list[int]:
    """The label ids used in these columns (for :func:`label_texts`)."""
    return sorted({int(code) for column in codes for code in _distinct(column)[0]})


def python_ids(codes: Sequence[np.ndarray]) -> np.ndarray:
    """Object array ``lookup`` with ``lookup[code]`` the DBAPI parameter for ``code``.

    ``lookup[codes].tolist()`` turns a chunk of label ids into parameters by copying
    pointers to one shared ``int`` per label (``None`` for :data:`MISSING`) instead of
    making a Python int per cell: the row tuples of a million-row batch build in half the time.
    """
    top = max((int(column.max()) for column in codes if len(column)), default=MISSING)
    lookup = np.array([None, *range(1, top + 1)], dtype=object)
    return lookup
