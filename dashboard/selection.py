"""The filtered selection of incidents, without Streamlit: shared by the pages and the CLI.

:mod:`dashboard.context` draws the sidebar and caches; the briefing-pack CLI must not load
Streamlit at all, so the pure filtering step lives here and both import it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata.corridors import CorridorsLike, corridor_set
from incidents.query import IncidentFilter


def apply_filter(
    frame: pd.DataFrame, chosen: IncidentFilter, corridors: CorridorsLike = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows in the filter's period, rows in the previous period of equal length).

    ``corridors`` answers the corridor filter: pass the store's active corridors (the
    pages pass ``caching.active_corridors``); None means the shipped geometry.
    """
    if chosen.since is None or chosen.until is None:
        raise ValueError("resolve the filter's dates before applying it")
    base = chosen.mask(frame, ignore_dates=True, corridors=corridors)
    dates = frame["event_date"].to_numpy()
    current = base & (dates >= np.datetime64(chosen.since)) & (dates <= np.datetime64(chosen.until))
    prev_start, prev_end = chosen.previous_period()
    previous = base & (dates >= np.datetime64(prev_start)) & (dates <= np.datetime64(prev_end))
    return frame[current], frame[previous]


def inactive_corridor_note(chosen: IncidentFilter, corridors: CorridorsLike) -> str | None:
    """A sentence for a view or link whose corridor is not among ``corridors`` (retired since), else None."""
    if chosen.corridor_id is None or chosen.corridor_id in corridor_set(corridors).ids:
        return None
    return (
        f"Corridor {chosen.corridor_id} is not active in the store (retired since this view was made): "
        "its corridor filter matches no incident."
    )
