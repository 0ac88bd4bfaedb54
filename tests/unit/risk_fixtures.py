"""Hand-built incident frames for the risk tests, including the worked example of docs/methodology.md."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd

from incidents.risk.index import CELL_COLUMNS, cells_of

AS_OF = date(2025, 6, 30)

#: Unit code -> (admin1_code, admin1_name, admin2_name, country, lon, lat) of a point inside it.
UNITS = {
    "ML.MO.DZ": ("ML-5", "Mopti", "Douentza", "MLI", -2.95, 15.00),
    "BF-SOM": ("BF-12", "Sahel", "Soum", "BFA", -1.63, 14.10),
    "ML.GA.AN": ("ML-7", "Gao", "Ansongo", "MLI", 0.50, 15.66),
}
#: One grid cell is 10 km: stepping 0.2 degrees east moves to another cell.
STEP_DEG = 0.2


def incidents(rows: Sequence[dict[str, object]]) -> pd.DataFrame:
    """Analysis-frame columns from short row dicts: unit, days_before (as-of), cell, fatalities, ..."""
    records = []
    for number, row in enumerate(rows):
        unit = str(row["unit"])
        admin1_code, admin1_name, admin2_name, iso3, lon, lat = UNITS[unit]
        cell = int(row.get("cell", 0))  # type: ignore[call-overload]
        records.append(
            {
                "incident_id": f"manual:{number}",
                "source_dataset": "manual",
                "event_date": pd.Timestamp(AS_OF - timedelta(days=int(row.get("days_before", 0)))),  # type: ignore[call-overload]
                "country_iso3": iso3,
                "admin1_code": admin1_code,
                "admin1_name": admin1_name,
                "admin2_code": unit,
                "admin2_name": admin2_name,
                "latitude": lat,
                "longitude": lon + STEP_DEG * cell,
                "geo_precision": 1,
                "event_type": "battle",
                "actor1": row.get("actor1", "Military Forces of Mali (2021-)"),
                "actor2": row.get("actor2"),
                "actor_group": "unidentified",
                "fatalities": int(row.get("fatalities", 0)),  # type: ignore[call-overload]
                "civilian_targeting": bool(row.get("civilian", False)),
            }
        )
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        frame = pd.DataFrame(columns=list(incidents([{"unit": "BF-SOM"}]).columns))
    frame["event_date"] = pd.to_datetime(frame["event_date"]).astype("datetime64[ns]")
    frame["fatalities"] = frame["fatalities"].astype(np.int64)
    frame["civilian_targeting"] = frame["civilian_targeting"].astype(bool)
    for column in ("latitude", "longitude"):
        frame[column] = frame[column].astype(np.float64)
    return frame


def reference_cells(cells_per_unit: dict[str, int]) -> pd.DataFrame:
    """``n`` populated cells per unit: cells 0 .. n-1 east of the unit's point."""
    pieces = []
    for unit, count in cells_per_unit.items():
        _, _, _, _, lon, lat = UNITS[unit]
        lons = lon + STEP_DEG * np.arange(count)
        cx, cy = cells_of(lons, np.full(count, lat), 10.0)
        pieces.append(pd.DataFrame({"unit_code": unit, "cell_x": cx, "cell_y": cy}))
    return pd.concat(pieces, ignore_index=True)[list(CELL_COLUMNS)]


def worked_example() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The worked example of docs/methodology.md: (incidents, populated cells)."""
    rows: list[dict[str, object]] = []
    # Unit A, Douentza: 12 events in the window, 99 fatalities, 9 civilian-targeting events,
    # 3 non-state armed actors; cells 0 (5 events) and 1 (3 events) reach 3 events, cell 2
    # has 2, and 2 events fall in cell 20, which holds no populated place.
    actors = ["JNIM", "Islamic State Sahel", "Dan Na Ambassagou"]
    fatalities_a = [20, 20, 20, 10, 10, 5, 5, 3, 3, 2, 1, 0]
    cells_a = [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 20, 20]
    for i in range(12):
        rows.append(
            {
                "unit": "ML.MO.DZ",
                "days_before": [0, 1, 10, 40, 100, 200, 300, 364, 364, 5, 6, 7][i],
                "cell": cells_a[i],
                "fatalities": fatalities_a[i],
                "civilian": i < 9,
                "actor1": actors[i % 3],
                "actor2": "Civilians (Mali)" if i < 9 else "Military Forces of Mali (2021-)",
            }
        )
    # Outside the window (365 days before the as-of date): must not count.
    rows.append(
        {
            "unit": "ML.MO.DZ",
            "days_before": 365,
            "fatalities": 500,
            "civilian": True,
            "actor1": "Katiba Macina",
        }
    )
    # Unit B, Soum: 4 events in cell 0, 9 fatalities, 1 armed actor named twice.
    for fatalities in (4, 3, 2, 0):
        rows.append({"unit": "BF-SOM", "days_before": 30, "fatalities": fatalities, "actor1": "JNIM"})
    # Unit C, Ansongo: one civilian-targeting event without fatalities.
    rows.append(
        {
            "unit": "ML.GA.AN",
            "days_before": 3,
            "civilian": True,
            "actor1": "Islamic State Sahel",
            "actor2": "Civilians (Mali)",
        }
    )
    cells = reference_cells({"ML.MO.DZ": 10, "BF-SOM": 5, "ML.GA.AN": 4})
    return incidents(rows), cells
