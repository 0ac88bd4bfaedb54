"""Unit-month panels: incidents and fatal incidents per unit and calendar month.

Every outlook model and baseline reads only these two matrices, so "nothing after the
origin" is one slice (``[:, : origin + 1]``) and cannot leak through another path. Units
and their membership come from :mod:`incidents.risk.units`, so a unit (admin-1, admin-2,
corridor buffer) holds here exactly the incidents it holds in ``python -m incidents risk``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geodata.corridors import CorridorsLike, corridor_set
from incidents.errors import OutlookDataError
from incidents.i18n import _
from incidents.risk.units import UnitLevel, unit_columns, unit_keys, unit_names
from incidents.settings import CORRIDOR_KM

#: Months of data, up to and including the origin, below which no outlook is made.
MIN_HISTORY_MONTHS: Final = 24
#: Units with at least one incident up to the origin, below which no outlook is made.
MIN_ACTIVE_UNITS: Final = 30


@dataclass(frozen=True)
class Panel:
    """Counts per unit (rows) and month (columns), first month of data to the last.

    ``counts``: incidents; ``fatal``: incidents with fatalities > 0. ``units``: the
    ``unit_code``/``unit_name`` table of :func:`incidents.risk.units.unit_names`, in row order.
    """

    level: str
    units: pd.DataFrame
    months: pd.PeriodIndex
    counts: npt.NDArray[np.float64]
    fatal: npt.NDArray[np.float64]

    def month_index(self, month: pd.Period) -> int:
        """Column of ``month`` (it must lie inside the panel)."""
        position = month.ordinal - self.months[0].ordinal
        if not 0 <= position < len(self.months):
            raise OutlookDataError(
                f"{month} is outside the months with data ({self.months[0]} to {self.months[-1]})"
            )
        return int(position)


def panel_columns(level: UnitLevel) -> tuple[str, ...]:
    """The analysis-frame columns :func:`build_panel` and :func:`last_complete_month` read for
    ``level``: the CLI reads only these of the store (``IncidentStore.load_analysis_frame``)."""
    return ("event_date", "fatalities", *unit_columns(level))


def build_panel(
    frame: pd.DataFrame,
    level: UnitLevel,
    *,
    corridor_km: float = CORRIDOR_KM,
    corridors: CorridorsLike = None,
) -> Panel:
    """The unit-month panel of ``frame`` (the analysis frame, or its :func:`panel_columns`)
    for every unit of ``level``.

    Months run from the month of the first incident to the month of the last one; units
    without incidents are rows of zeros (they are part of the outlook: quiet units).
    """
    chosen = corridor_set(corridors) if level == "corridor" else None
    names = unit_names(level, chosen)
    dates = pd.to_datetime(frame["event_date"])
    if not len(frame) or dates.isna().all():
        raise OutlookDataError("the store holds no dated incidents to build an outlook from")
    periods = dates.dt.to_period("M")
    first, last = periods.min(), periods.max()
    months = pd.period_range(first, last, freq="M")
    unit_index = pd.Index(names["unit_code"].astype(str))
    rows, keys = unit_keys(frame, level, unit_index, corridor_km=corridor_km, corridors=chosen)
    ordinals = np.asarray(periods.array.asi8, dtype=np.int64)[rows]  # NaT: the smallest int64
    keep = ordinals >= first.ordinal
    rows, keys, column = rows[keep], keys[keep], ordinals[keep] - first.ordinal
    size = (len(unit_index), len(months))
    flat = keys * size[1] + column
    counts = np.bincount(flat, minlength=size[0] * size[1]).reshape(size).astype(np.float64)
    deadly = frame["fatalities"].to_numpy(dtype=np.float64, na_value=0.0)[rows] > 0
    fatal = np.bincount(flat[deadly], minlength=size[0] * size[1]).reshape(size).astype(np.float64)
    units = names[["unit_code", "unit_name"]].reset_index(drop=True)
    return Panel(level=level, units=units, months=months, counts=counts, fatal=fatal)


def last_complete_month(frame: pd.DataFrame) -> pd.Period:
    """The default origin: the month of the last incident if it falls on that month's last day,
    else the month before (a month still being filled would read as a drop in violence)."""
    last = pd.to_datetime(frame["event_date"]).max()
    if pd.isna(last):
        raise OutlookDataError("the store holds no dated incidents to build an outlook from")
    month = pd.Period(last, freq="M")
    return month if last.normalize() == month.end_time.normalize() else month - 1


def check_history(panel: Panel, origin: int, *, what: str | None = None) -> None:
    """Refuse (``OutlookDataError``, one sentence) too short a history or too few active units.

    ``what``: the month checked in words (default "the origin", in the reader's language)."""
    months = origin + 1
    what = _("the origin") if what is None else what
    if months < MIN_HISTORY_MONTHS:
        raise OutlookDataError(
            _(
                "not enough history: {months} month(s) of data up to {what} ({month}), at least {needed} "
                "are needed"
            ).format(months=months, what=what, month=panel.months[origin], needed=MIN_HISTORY_MONTHS)
        )
    active = int((panel.counts[:, : origin + 1].sum(axis=1) > 0).sum())
    if active < MIN_ACTIVE_UNITS:
        raise OutlookDataError(
            _(
                "too few units with incidents: {active} {level} unit(s) had any incident up to {what} "
                "({month}), at least {needed} are needed"
            ).format(
                active=active,
                level=panel.level,
                what=what,
                month=panel.months[origin],
                needed=MIN_ACTIVE_UNITS,
            )
        )
