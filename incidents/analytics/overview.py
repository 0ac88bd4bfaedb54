"""Headline figures for the Overview page: totals with change, top regions, top actors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd

from incidents.analytics._common import LEVELS, check_choice, encode, row_counts, unit_totals

#: How many newest incidents the Overview lists.
LATEST_COUNT: Final = 15


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
    fatalities = int(frame["fatalities"].to_numpy(dtype=np.int64).sum())
    counts = row_counts(frame)
    if counts is not None:  # pre-grouped: civilian_targeting counts incidents
        return int(counts.sum()), fatalities, int(frame["civilian_targeting"].to_numpy(dtype=np.int64).sum())
    return len(frame), fatalities, int(frame["civilian_targeting"].to_numpy(dtype=bool).sum())


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
    counts = row_counts(frame)
    weights = None if counts is None else counts[valid]
    incidents = np.rint(np.bincount(keys, weights=weights, minlength=len(labels))).astype(np.int64)
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


def latest_incident_ids(frame: pd.DataFrame, n: int = LATEST_COUNT) -> tuple[str, ...]:
    """Ids of the ``n`` most recent incidents (ties: the larger id first, for a stable order)."""
    if frame.empty or n <= 0:
        return ()
    if len(frame) > n:
        # Only rows on or after the n-th newest day can be among the newest n: found in linear
        # time, so the sort below orders a few hundred rows, not every row of the period (sorting
        # a million ids took a tenth of the Overview's server time). NaT is the smallest day.
        days = frame["event_date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
        nth_newest = np.partition(days, len(days) - n)[len(days) - n]
        frame = frame[days >= nth_newest]
    ordered = frame[["event_date", "incident_id"]].sort_values(
        ["event_date", "incident_id"], ascending=[False, False], kind="stable", na_position="last"
    )
    return tuple(str(value) for value in ordered["incident_id"].head(n))
