"""Incidents written into a test store as one committed batch, as an import would leave them."""

from __future__ import annotations

import pandas as pd

from incidents.admin_join import attach_admin_units
from incidents.store import BatchMeta, open_store


def store_frame(db_url: str, frame: pd.DataFrame, file_name: str = "m.csv") -> str:
    """Add ``frame`` (canonical columns, no admin units yet) to the store at ``db_url`` as one batch;
    returns ``db_url`` (a fixture can return the filled store's URL)."""
    store = open_store(db_url)
    try:
        store.add_batch(
            attach_admin_units(frame), BatchMeta(file_name, "0" * 64, "generic", rows_read=len(frame))
        )
    finally:
        store.close()
    return db_url
