"""A filter applied to the analysis frame: the rows of the period and of the one before it.

Pure domain code: the dashboard's pages (through :mod:`dashboard.ui.context`), the
briefing pack and the command lines all select incidents through :func:`apply_filter`, so
a view counts the same rows wherever it is drawn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata.corridors import CorridorsLike, corridor_set
from incidents.i18n import _
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
    return _(
        "Corridor {corridor} is not active in the store (retired since this view was made): "
        "its corridor filter matches no incident."
    ).format(corridor=chosen.corridor_id)
