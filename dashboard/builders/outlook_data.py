"""One outlook run for the dashboard and the briefing pack: the served outlook table, its 3-month
window, the backtest behind its skill gate (summarised, with how often each ICD 203 word came
true), the what-if scenarios, and each unit's monthly history for fan charts.

:func:`incidents.outlook.forecast.served_outlook` runs the backtest once for all of them, so the
page shows exactly the evidence its gate decided on. Analysts' adjustments are not part of a run
(they change without a refit): the page reads them separately. The engine (and scikit-learn with it) is
imported only when an outlook is made, so the briefing pack loads fast. No Streamlit: the page
caches :func:`run_outlook` in dashboard/ui/caching.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from incidents.i18n import N_, Labels
from incidents.risk.units import unit_names

if TYPE_CHECKING:
    from incidents.outlook.backtest import WordHits

#: The levels the dashboard offers (corridors stay in the command line for now).
OUTLOOK_LEVELS: Final = Labels({"admin1": N_("Regions (admin-1)"), "admin2": N_("Districts (admin-2)")})


@dataclass(frozen=True)
class OutlookRun:
    """``table``: the outlook (OUTLOOK_COLUMNS plus ``country_iso3``) for horizons 1-3;
    ``backtest``: :func:`incidents.outlook.backtest.summary` of the gate's backtest;
    ``history``: incidents per unit (rows, ``unit_code``) and month (columns, ``YYYY-MM``) up to
    the origin; ``origin``: the last complete month (``YYYY-MM``); ``window``: the 3-month
    window per unit (WINDOW_COLUMNS); ``hits`` / ``window_hits``: how often each ICD 203 word
    came true in the backtest (monthly, window); ``scenarios``: the what-ifs
    (SCENARIO_COLUMNS of :mod:`incidents.outlook.scenarios`)."""

    level: str
    origin: str
    table: pd.DataFrame
    backtest: dict[str, Any]
    history: pd.DataFrame
    window: pd.DataFrame = field(default_factory=pd.DataFrame)
    hits: dict[str, WordHits] = field(default_factory=dict)
    window_hits: dict[str, WordHits] = field(default_factory=dict)
    scenarios: pd.DataFrame = field(default_factory=pd.DataFrame)

    def unit_rows(self, unit_code: str) -> pd.DataFrame:
        return self.table[self.table["unit_code"] == unit_code]

    def sentence(self, unit_code: str, horizon: int) -> str:
        """The engine's sentence of one unit and month, with the word's backtest hit rate (plain text)."""
        from incidents.outlook.forecast import month_sentence

        return month_sentence(self.table, self.hits, unit_code, horizon)

    def window_sentence(self, unit_code: str) -> str:
        """The engine's sentence of one unit's 3-month window (plain text)."""
        from incidents.outlook.forecast import window_sentence

        return window_sentence(self.window, self.window_hits, unit_code)

    def unit_history(self, unit_code: str) -> pd.Series:
        return self.history.loc[unit_code]


def outlook_origin(frame: pd.DataFrame) -> str:
    """The origin an outlook of ``frame`` takes: its last complete month, ``YYYY-MM``."""
    from incidents.outlook.panel import last_complete_month  # the engine loads scikit-learn: on use

    return str(last_complete_month(frame))


def run_outlook(frame: pd.DataFrame, level: str, origin: str) -> OutlookRun:
    """The outlook of ``frame`` (the analysis frame of the chosen sources) at ``origin``.

    Raises ``OutlookDataError`` (one sentence: what is missing) under 24 months of data up to
    the origin or under 30 units with an incident, before any model runs.
    """
    from incidents.outlook.backtest import summary  # the engine loads scikit-learn: on use
    from incidents.outlook.forecast import served_outlook
    from incidents.outlook.panel import build_panel
    from incidents.outlook.scenarios import build_scenarios

    panel = build_panel(frame, level)  # type: ignore[arg-type]
    at = panel.month_index(pd.Period(origin, freq="M"))
    served = served_outlook(panel, at)  # refuses too little history before any model runs
    table = served.table
    countries = unit_names(level).set_index("unit_code")["country_iso3"]  # type: ignore[arg-type]
    table = table.assign(country_iso3=table["unit_code"].map(countries).fillna("").astype(str))
    history = pd.DataFrame(
        panel.counts[:, : at + 1],
        index=panel.units["unit_code"].astype(str).to_numpy(),
        columns=[str(month) for month in panel.months[: at + 1]],
    )
    return OutlookRun(
        level,
        origin,
        table,
        summary(served.backtest, level),
        history,
        window=served.window,
        hits=served.hits,
        window_hits=served.window_hits,
        scenarios=build_scenarios(panel, at),
    )


#: The saved-view (and address) parameter that adds the Outlook section to the briefing pack.
OUTLOOK_PARAM: Final = "outlook"
#: Units listed in the briefing pack's Outlook section.
MAX_PACK_ROWS: Final = 10


def wants_outlook(params: Mapping[str, str | Sequence[str]]) -> bool:
    """Whether a view's query (``outlook=1``) asks for the Outlook section."""
    raw = params.get(OUTLOOK_PARAM)
    values = [raw] if isinstance(raw, str) else list(raw or [])
    return bool(values) and str(values[-1]).strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class OutlookSection:
    """The briefing pack's Outlook section: the most likely units of the chosen countries for the
    month after the origin, in ICD 203 words, and what serves them; or why there is none."""

    month: str  # "January 2026"; "" when refused
    origin: str
    rows: pd.DataFrame  # outlook rows (OUTLOOK_COLUMNS, country_iso3) of the listed units
    served: tuple[str, ...]  # one sentence per tier and run of horizons (gate_sentences)
    refused: str = ""


def outlook_section(run: OutlookRun, countries: Sequence[str], *, top: int = MAX_PACK_ROWS) -> OutlookSection:
    """The section from ``run`` (admin-1 expected): next month, units of ``countries``, most likely first."""
    from dashboard.builders.outlook_charts import gate_sentences  # charts import plotly: only when used

    next_month = run.table[(run.table["horizon"] == 1) & run.table["country_iso3"].isin(list(countries))]
    rows = next_month.sort_values(["p_fatal", "count_q50"], ascending=False, kind="stable").head(top)
    from incidents.outlook.wording import month_text  # the engine's words: light, but only when used

    month = month_text(str(next_month["month"].iloc[0])) if len(next_month) else ""
    one_month = [d for d in run.backtest["gate"] if d["horizon"] == 1]
    return OutlookSection(month, run.origin, rows.reset_index(drop=True), tuple(gate_sentences(one_month)))


def refused_section(reason: str) -> OutlookSection:
    """The section when no outlook can be made (too little history): the reason, no table."""
    return OutlookSection("", "", pd.DataFrame(), (), refused=reason)
