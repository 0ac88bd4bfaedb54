"""A batch's ``incident_rows`` as one Arrow table: what both fast writers hand to their database.

The SQLite child process (:mod:`incidents.store.sqlite_bulk`) ingests it through ADBC; the
PostgreSQL writer (:mod:`incidents.store.pg_copy`) sends it as CSV to ``COPY``. Building the
columns with numpy and Arrow, never one Python object per cell, is what makes both fast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from incidents.store import schema
from incidents.store.labels import LABEL_COLUMNS, MISSING


def incident_rows_table(
    frame: pd.DataFrame, labels: dict[str, np.ndarray], batch_key: int, *, booleans: bool
) -> pa.Table:
    """``incident_rows`` of canonical ``frame`` (``labels``: :func:`~incidents.store.labels.encode_labels`).

    Rows come in primary-key order (the id index then grows at its right edge instead of
    splitting pages all over the tree). ``booleans=False`` writes ``civilian_targeting`` as
    0/1, as SQLite (which has no booleans) stores it.
    """
    columns: dict[str, pa.Array] = {}
    for column in schema.incident_rows.columns:
        name = column.name
        if name in LABEL_COLUMNS:
            ids = labels[name]
            columns[name] = pa.array(ids, type=pa.int64(), mask=ids == MISSING)
        elif name == "event_day":
            days = frame["event_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
            columns[name] = pa.array(days)
        elif name in ("latitude", "longitude"):
            columns[name] = pa.array(frame[name].to_numpy(dtype=np.float64))
        elif name == "uncertainty_km":  # NaN -> NULL: PostgreSQL would store NaN as a number
            values = frame[name].to_numpy(dtype=np.float64)
            columns[name] = pa.array(values, mask=np.isnan(values))
        elif name in ("geo_precision", "fatalities"):
            columns[name] = pa.array(frame[name].to_numpy(dtype=np.int64))
        elif name == "civilian_targeting":
            flags = frame[name].to_numpy(dtype=bool)
            columns[name] = pa.array(flags if booleans else flags.astype(np.int64))
        elif name == "batch_key":
            columns[name] = pa.array(np.full(len(frame), batch_key, dtype=np.int64))
        else:  # incident_id, source_event_id, notes
            columns[name] = pa.array(frame[name].array, type=pa.large_string(), from_pandas=True)
    table = pa.table(columns)
    return table.take(pc.sort_indices(table, sort_keys=[("incident_id", "ascending")]))
