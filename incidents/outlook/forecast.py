"""The served outlook: one row per unit and horizon, from whatever the skill gate trusts.

At the origin, the backtest over the months before it (each target at or before the origin)
decides per tier and horizon whether a model or a baseline serves; the table then takes each
unit's numbers from that source and says which (``served_by``).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from incidents.errors import OutlookDataError
from incidents.outlook.backtest import DEFAULT_ORIGINS, Backtest, run_backtest
from incidents.outlook.features import WINDOW_MONTHS
from incidents.outlook.models import HORIZONS, PanelHistory, forecast_origin
from incidents.outlook.panel import MIN_HISTORY_MONTHS, Panel, check_history
from incidents.outlook.wording import likelihood_words

OUTLOOK_COLUMNS: Final = (
    "unit_code",
    "unit_name",
    "level",
    "origin",
    "month",
    "horizon",
    "p_fatal",
    "count_q05",
    "count_q25",
    "count_q50",
    "count_q75",
    "count_q95",
    "p_surge",
    "served_by",
    "likelihood",
)
#: First origin (0-based month) the gate's backtest scores: climatology needs 12 months.
FIRST_GATE_ORIGIN: Final = WINDOW_MONTHS - 1


def history_until(panel: Panel, origin: int) -> PanelHistory:
    """The panel cut after ``origin``: what every outlook at that origin may read."""
    return PanelHistory.of(
        panel.counts[:, : origin + 1], panel.fatal[:, : origin + 1], panel.months[: origin + 1]
    )


def gate_backtest(panel: Panel, origin: int, origins: int = DEFAULT_ORIGINS) -> Backtest:
    """The backtest behind an outlook at ``origin``: up to ``origins`` months before it, targets up to it."""
    history = history_until(panel, origin)
    first = max(FIRST_GATE_ORIGIN, origin - origins)
    return run_backtest(history, panel.months, range(first, origin), origin)


def build_outlook(
    panel: Panel,
    origin: int,
    *,
    horizons: tuple[int, ...] = HORIZONS,
    gate_origins: int = DEFAULT_ORIGINS,
    backtest: Backtest | None = None,
) -> pd.DataFrame:
    """The outlook table (:data:`OUTLOOK_COLUMNS`) at ``origin`` (a column of ``panel``).

    Refuses (``OutlookDataError``) under 24 months of data up to the origin or under 30 units
    with an incident. ``backtest``: :func:`gate_backtest` of this panel and origin when the
    caller already has it (the dashboard shows it beside the outlook), so it is not run twice.
    """
    check_history(panel, origin)
    gate = (backtest if backtest is not None else gate_backtest(panel, origin, gate_origins)).gate
    made = forecast_origin(history_until(panel, origin), origin, horizons)
    tier = np.where(made.active, "active", "quiet")
    pieces = []
    for horizon in horizons:
        quantiles = np.zeros((len(tier), 5))
        p_fatal = np.zeros(len(tier))
        p_surge = np.zeros(len(tier))
        served_by = np.empty(len(tier), dtype=object)
        for name in ("active", "quiet"):
            members = tier == name
            decision = gate[(name, horizon)]
            counts = made.counts[(decision.counts, horizon)]
            quantiles[members] = counts.quantiles()[members]
            p_surge[members] = counts.prob_at_least(made.surge_threshold)[members]
            p_fatal[members] = made.p_fatal[(decision.p_fatal, horizon)][members]
            served_by[members] = decision.served_by
        piece = pd.DataFrame(
            {
                "unit_code": panel.units["unit_code"].astype(str).to_numpy(),
                "unit_name": panel.units["unit_name"].astype(str).to_numpy(),
                "level": panel.level,
                "origin": str(panel.months[origin]),
                "month": str(panel.months[origin] + horizon),
                "horizon": horizon,
                "p_fatal": np.round(p_fatal, 3),
                **{
                    f"count_q{int(level * 100):02d}": quantiles[:, i].astype(np.int64)
                    for i, level in enumerate((0.05, 0.25, 0.50, 0.75, 0.95))
                },
                "p_surge": np.round(p_surge, 3),
                "served_by": served_by,
                "likelihood": likelihood_words(p_fatal),
            }
        )
        pieces.append(piece)
    return pd.concat(pieces, ignore_index=True)[list(OUTLOOK_COLUMNS)]


def backtest_origins(panel: Panel, last: int, origins: int) -> range:
    """The ``--backtest`` origins: the ``origins`` months before ``last`` (the last one scored).

    Refuses when the first origin has under 24 months of data up to it, or under 30 units
    with an incident.
    """
    if origins < 1:
        raise OutlookDataError(f"--origins must be at least 1; got {origins}")
    first = last - origins
    if first < MIN_HISTORY_MONTHS - 1:
        raise OutlookDataError(
            f"not enough history for {origins} backtest origins: {max(first + 1, 0)} month(s) of data up "
            f"to the first origin, at least {MIN_HISTORY_MONTHS} are needed "
            f"(data from {panel.months[0]} to {panel.months[last]}; ask for fewer origins)"
        )
    check_history(panel, first, what="the first backtest origin")
    return range(first, last)
