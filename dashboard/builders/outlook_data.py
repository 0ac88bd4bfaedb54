"""One outlook run for the dashboard and the briefing pack: the served outlook table, the
backtest behind its skill gate (summarised), and each unit's monthly history for fan charts.

The backtest is run once and handed to :func:`incidents.outlook.forecast.build_outlook`, so
the page shows exactly the evidence its gate decided on. No Streamlit: the page caches
:func:`run_outlook` in dashboard/ui/caching.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from incidents.outlook.backtest import summary
from incidents.outlook.forecast import build_outlook, gate_backtest
from incidents.outlook.panel import build_panel, check_history, last_complete_month
from incidents.risk.units import unit_names

#: The levels the dashboard offers (corridors stay in the command line for now).
OUTLOOK_LEVELS: Final = {"admin1": "Regions (admin-1)", "admin2": "Districts (admin-2)"}


@dataclass(frozen=True)
class OutlookRun:
    """``table``: the outlook (OUTLOOK_COLUMNS plus ``country_iso3``) for horizons 1-3;
    ``backtest``: :func:`incidents.outlook.backtest.summary` of the gate's backtest;
    ``history``: incidents per unit (rows, ``unit_code``) and month (columns, ``YYYY-MM``) up to
    the origin; ``origin``: the last complete month (``YYYY-MM``)."""

    level: str
    origin: str
    table: pd.DataFrame
    backtest: dict[str, Any]
    history: pd.DataFrame

    def unit_rows(self, unit_code: str) -> pd.DataFrame:
        return self.table[self.table["unit_code"] == unit_code]

    def unit_history(self, unit_code: str) -> pd.Series:
        return self.history.loc[unit_code]


def outlook_origin(frame: pd.DataFrame) -> str:
    """The origin an outlook of ``frame`` takes: its last complete month, ``YYYY-MM``."""
    return str(last_complete_month(frame))


def run_outlook(frame: pd.DataFrame, level: str, origin: str) -> OutlookRun:
    """The outlook of ``frame`` (the analysis frame of the chosen sources) at ``origin``.

    Raises ``OutlookDataError`` (one sentence: what is missing) under 24 months of data up to
    the origin or under 30 units with an incident, before any model runs.
    """
    panel = build_panel(frame, level)  # type: ignore[arg-type]
    at = panel.month_index(pd.Period(origin, freq="M"))
    check_history(panel, at)
    backtest = gate_backtest(panel, at)
    table = build_outlook(panel, at, backtest=backtest)
    countries = unit_names(level).set_index("unit_code")["country_iso3"]  # type: ignore[arg-type]
    table = table.assign(country_iso3=table["unit_code"].map(countries).fillna("").astype(str))
    history = pd.DataFrame(
        panel.counts[:, : at + 1],
        index=panel.units["unit_code"].astype(str).to_numpy(),
        columns=[str(month) for month in panel.months[: at + 1]],
    )
    return OutlookRun(level, origin, table, summary(backtest, level), history)
