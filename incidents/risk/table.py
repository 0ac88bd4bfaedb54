"""One table per level joining the conflict index and the trend/surge flags (CLI, Risk page)."""

from __future__ import annotations

from datetime import date
from typing import Final

import pandas as pd

from geodata.corridors import CorridorsLike, corridor_set
from incidents.risk.index import INDEX_COLUMNS, RiskConfig, compute_risk_index
from incidents.risk.trends import TREND_COLUMNS, trend_flags
from incidents.risk.units import UnitLevel
from incidents.settings import CORRIDOR_KM

RISK_TABLE_COLUMNS: Final = (*INDEX_COLUMNS, *TREND_COLUMNS[1:])
"""Index columns, then the trend columns: this_week, avg_4w, avg_52w, change_4w_pct,
change_52w_pct, trend_4w, trend_52w, surge."""


def build_risk_table(
    frame: pd.DataFrame,
    *,
    level: UnitLevel,
    as_of: date,
    config: RiskConfig = RiskConfig(),  # noqa: B008 - frozen, immutable default
    corridor_km: float = CORRIDOR_KM,
    corridors: CorridorsLike = None,
) -> pd.DataFrame:
    """Every unit of ``level``: index, indicators, level, trend and surge flags, highest index first.

    ``corridors``: the corridor units (the store's active corridors; None: shipped).
    """
    chosen = corridor_set(corridors) if level == "corridor" else None
    index = compute_risk_index(
        frame, level=level, as_of=as_of, config=config, corridor_km=corridor_km, corridors=chosen
    )
    flags = trend_flags(frame, level=level, as_of=as_of, corridor_km=corridor_km, corridors=chosen)
    table = index.merge(flags, on="unit_code", how="left", validate="one_to_one")
    table = table.sort_values(["index", "events", "unit_code"], ascending=[False, False, True], kind="stable")
    return table.reset_index(drop=True)[list(RISK_TABLE_COLUMNS)]
