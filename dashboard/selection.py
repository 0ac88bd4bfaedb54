"""The filtered selection of incidents, without Streamlit: shared by the pages and the CLI.

:mod:`dashboard.context` draws the sidebar and caches; the briefing-pack CLI must not load
Streamlit at all, so the pure filtering step lives here and both import it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from geodata.corridors import within_corridor_km
from incidents.query import IncidentFilter


def corridor_mask(corridor_id: str, km: float, frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """The corridor filter's geometry test, delegated to geodata."""
    return within_corridor_km(corridor_id, km, frame["longitude"].to_numpy(), frame["latitude"].to_numpy())


def apply_filter(frame: pd.DataFrame, chosen: IncidentFilter) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows in the filter's period, rows in the previous period of equal length)."""
    if chosen.since is None or chosen.until is None:
        raise ValueError("resolve the filter's dates before applying it")
    base = chosen.mask(frame, corridor_mask, ignore_dates=True)
    dates = frame["event_date"].to_numpy()
    current = base & (dates >= np.datetime64(chosen.since)) & (dates <= np.datetime64(chosen.until))
    prev_start, prev_end = chosen.previous_period()
    previous = base & (dates >= np.datetime64(prev_start)) & (dates <= np.datetime64(prev_end))
    return frame[current], frame[previous]
