"""Incidents placed around a watched site, for the alerts tests."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from incidents.model import conform_incidents
from tests.unit.test_store_compact import rich_incidents

#: The watched site: an office in Mopti (lon, lat).
MOPTI: tuple[float, float] = (-4.18, 14.49)
#: Km north of Mopti of the five incidents of :func:`around_mopti` (1 degree of latitude: ~110.6 km).
INSIDE_KM: tuple[float, ...] = (5.0, 12.0, 20.0)
OUTSIDE_KM: tuple[float, ...] = (31.0, 60.0)


def incidents_at(
    ids: Sequence[str],
    lonlat: Sequence[tuple[float, float]],
    *,
    dataset: str = "acled",
    **columns: Sequence[object],
) -> pd.DataFrame:
    """Canonical incidents ``ids`` at ``lonlat``, other columns as given (else rich_incidents')."""
    frame = rich_incidents(list(ids), dataset=dataset)
    frame["longitude"] = [point[0] for point in lonlat]
    frame["latitude"] = [point[1] for point in lonlat]
    for name, values in columns.items():
        frame[name] = list(values)
    return conform_incidents(frame)


def north_of_mopti(km: float) -> tuple[float, float]:
    return MOPTI[0], MOPTI[1] + km / 110.6


def around_mopti(prefix: str = "m", **columns: Sequence[object]) -> pd.DataFrame:
    """Three incidents within 25 km of :data:`MOPTI` (``{prefix}-in-1..3``) and two beyond (``-out-1..2``)."""
    ids = [f"{prefix}-in-{n}" for n in range(1, 4)] + [f"{prefix}-out-{n}" for n in range(1, 3)]
    points = [north_of_mopti(km) for km in (*INSIDE_KM, *OUTSIDE_KM)]
    return incidents_at(ids, points, **columns)
