"""Headline figures for the Overview page: totals with change, top regions, top actors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from incidents.analytics._common import LEVELS, check_choice, encode, unit_totals


def _change(current: int, previous: int) -> float | None:
    """Percentage change, or None when there is nothing to compare with."""
    if previous == 0:
        return None
    return (current - previous) / previous * 100.0


@dataclass(frozen=True)
class KeyFigures:
    """Totals of the selected period and of the equally long period just before it."""

    incidents: int
    fatalities: int
    civilian_events: int
    previous_incidents: int
    previous_fatalities: int
    previous_civilian_events: int

    @property
    def incidents_change_pct(self) -> float | None:
        return _change(self.incidents, self.previous_incidents)

    @property
    def fatalities_change_pct(self) -> float | None:
        return _change(self.fatalities, self.previous_fatalities)

    @property
    def civilian_events_change_pct(self) -> float | None:
        return _change(self.civilian_events, self.previous_civilian_events)


def _totals(frame: pd.DataFrame) -> tuple[int, int, int]:
    return (
        len(frame),
        int(frame["fatalities"].to_numpy(dtype=np.int64).sum()),
        int(frame["civilian_targeting"].to_numpy(dtype=bool).sum()),
    )


def key_figures(current: pd.DataFrame, previous: pd.DataFrame) -> KeyFigures:
    """Incidents, fatalities and civilian-targeting events now and in the previous period."""
    incidents, fatalities, civilian = _totals(current)
    previous_incidents, previous_fatalities, previous_civilian = _totals(previous)
    return KeyFigures(
        incidents=incidents,
        fatalities=fatalities,
        civilian_events=civilian,
        previous_incidents=previous_incidents,
        previous_fatalities=previous_fatalities,
        previous_civilian_events=previous_civilian,
    )


def top_units(
    frame: pd.DataFrame, level: Literal["admin1", "admin2"] = "admin1", n: int = 10
) -> pd.DataFrame:
    """The ``n`` units with most incidents (ties: more fatalities, then code).

    Columns: unit_code, unit_name, country_iso3, incidents, fatalities.
    """
    check_choice("level", level, LEVELS)
    totals = unit_totals(frame, level)
    ordered = totals.sort_values(
        ["incidents", "fatalities", "unit_code"], ascending=[False, False, True], kind="stable"
    )
    columns = ["unit_code", "unit_name", "country_iso3", "incidents", "fatalities"]
    return ordered.head(n)[columns].reset_index(drop=True)


def top_actor_groups(frame: pd.DataFrame, n: int = 8) -> pd.DataFrame:
    """The ``n`` actor groups with most incidents. Columns: actor_group, incidents, fatalities."""
    codes, labels = encode(frame["actor_group"])
    valid = codes >= 0
    keys = codes[valid]
    incidents = np.bincount(keys, minlength=len(labels))
    fatalities = np.bincount(
        keys, weights=frame["fatalities"].to_numpy(dtype=np.float64)[valid], minlength=len(labels)
    )
    present = np.flatnonzero(incidents)
    result = pd.DataFrame(
        {
            "actor_group": pd.array(labels[present].astype(str), dtype="string"),
            "incidents": incidents[present].astype(np.int64),
            "fatalities": np.rint(fatalities[present]).astype(np.int64),
        }
    )
    result = result.sort_values(
        ["incidents", "fatalities", "actor_group"], ascending=[False, False, True], kind="stable"
    )
    return result.head(n).reset_index(drop=True)
