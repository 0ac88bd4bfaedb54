"""Attach country/admin-1/admin-2 to incidents from their coordinates.

The spatial assignment is the authority (docs/architecture.md, 'Canonical incident'); whatever a
source file says
about country or region is kept in the ``reported_*`` columns for comparison.
"""

from __future__ import annotations

import pandas as pd

from geodata.assign import ASSIGNED_COLUMNS, assign_admin_units


def attach_admin_units(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with the assigned admin columns set from latitude/longitude."""
    assigned = assign_admin_units(frame["longitude"].to_numpy(), frame["latitude"].to_numpy())
    result = frame.copy()
    assigned.index = result.index
    for column in ASSIGNED_COLUMNS:
        result[column] = assigned[column]
    return result
