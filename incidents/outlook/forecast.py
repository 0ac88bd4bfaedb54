"""The served outlook: one row per unit and horizon, from whatever the skill gate trusts.

At the origin, the backtest over the months before it (each target at or before the origin)
decides per tier and horizon whether a model or a baseline serves; the table then takes each
unit's numbers from that source and says which (``served_by``). :func:`served_outlook` also
keeps that backtest, the 3-month window probability of a fatal incident (:func:`window_outlook`)
and how often each ICD 203 word came true, for the sentences of the Outlook page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from incidents.errors import OutlookDataError
from incidents.i18n import _
from incidents.outlook.backtest import DEFAULT_ORIGINS, Backtest, WordHits, run_backtest, word_hits
from incidents.outlook.distributions import at_least_once
from incidents.outlook.features import WINDOW_MONTHS
from incidents.outlook.models import HORIZONS, PanelHistory, forecast_origin
from incidents.outlook.panel import MIN_HISTORY_MONTHS, Panel, check_history
from incidents.outlook.wording import likelihood_words, month_text, outlook_sentence, window_text

#: The columns that say which unit and month a row of the outlook or a scenario is about.
UNIT_MONTH_COLUMNS: Final = ("unit_code", "unit_name", "level", "origin", "month", "horizon")
OUTLOOK_COLUMNS: Final = (
    *UNIT_MONTH_COLUMNS,
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
#: Columns of :func:`window_outlook`: one row per unit.
WINDOW_COLUMNS: Final = (
    "unit_code",
    "unit_name",
    "level",
    "origin",
    "first_month",
    "last_month",
    "p_fatal_window",
    "likelihood",
)
#: First origin (0-based month) the gate's backtest scores: climatology needs 12 months.
FIRST_GATE_ORIGIN: Final = WINDOW_MONTHS - 1


def rounded_probability(p: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Probabilities to 3 decimals, but never rounded to 0 or 1 when they are not: 0.9996 is
    0.999, so the table and its words never say "certain" of what the model is not."""
    exact = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    rounded = np.round(exact, 3)
    rounded = np.where((rounded == 1.0) & (exact < 1.0), 0.999, rounded)
    return np.where((rounded == 0.0) & (exact > 0.0), 0.001, rounded)


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
    return _served_table(
        panel,
        origin,
        horizons,
        backtest if backtest is not None else gate_backtest(panel, origin, gate_origins),
    )[0]


def _served_table(
    panel: Panel, origin: int, horizons: tuple[int, ...], backtest: Backtest
) -> tuple[pd.DataFrame, npt.NDArray[np.float64]]:
    """The outlook table and its unrounded p_fatal, (units, horizons)."""
    gate = backtest.gate
    made = forecast_origin(history_until(panel, origin), origin, horizons)
    tier = np.where(made.active, "active", "quiet")
    pieces = []
    served_p = np.zeros((len(tier), len(horizons)))
    for column, horizon in enumerate(horizons):
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
        served_p[:, column] = p_fatal
        piece = pd.DataFrame(
            {
                "unit_code": panel.units["unit_code"].astype(str).to_numpy(),
                "unit_name": panel.units["unit_name"].astype(str).to_numpy(),
                "level": panel.level,
                "origin": str(panel.months[origin]),
                "month": str(panel.months[origin] + horizon),
                "horizon": horizon,
                "p_fatal": rounded_probability(p_fatal),
                **{
                    f"count_q{int(level * 100):02d}": quantiles[:, i].astype(np.int64)
                    for i, level in enumerate((0.05, 0.25, 0.50, 0.75, 0.95))
                },
                "p_surge": rounded_probability(p_surge),
                "served_by": served_by,
                "likelihood": likelihood_words(p_fatal),
            }
        )
        pieces.append(piece)
    return pd.concat(pieces, ignore_index=True)[list(OUTLOOK_COLUMNS)], served_p


def window_outlook(panel: Panel, origin: int, monthly_p_fatal: npt.ArrayLike) -> pd.DataFrame:
    """Per unit (:data:`WINDOW_COLUMNS`): P(at least one fatal incident in the 3 months after
    ``origin``), combining the served monthly ``p_fatal`` ((units, 3), horizons 1-3) as if the
    months were independent given the forecasts (:func:`~incidents.outlook.distributions.at_least_once`)."""
    return _window_frame(panel.units, panel.level, panel.months[origin], monthly_p_fatal)


def window_from_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`window_outlook` from an outlook table (:func:`build_outlook`, horizons 1-3), e.g. a
    cached one: its ``p_fatal`` are rounded to 3 decimals, so the window may differ from
    :func:`served_outlook`'s by up to 0.003."""
    if not len(table) or set(table["horizon"]) != set(HORIZONS) or table["origin"].nunique() != 1:
        raise OutlookDataError(f"the window needs an outlook of one origin with horizons 1-{len(HORIZONS)}")
    first = table[table["horizon"] == HORIZONS[0]]
    monthly = table.pivot(index="unit_code", columns="horizon", values="p_fatal")
    return _window_frame(
        first[["unit_code", "unit_name"]],
        str(first["level"].iloc[0]),
        pd.Period(str(first["origin"].iloc[0]), freq="M"),
        monthly.loc[first["unit_code"], list(HORIZONS)].to_numpy(),
    )


def _window_frame(
    units: pd.DataFrame, level: str, origin: pd.Period, monthly_p_fatal: npt.ArrayLike
) -> pd.DataFrame:
    monthly = np.asarray(monthly_p_fatal, dtype=np.float64)
    if monthly.ndim != 2 or monthly.shape != (len(units), len(HORIZONS)):
        raise OutlookDataError(
            f"the window needs the p_fatal of every unit for horizons 1-{len(HORIZONS)}; "
            f"got an array of shape {monthly.shape}"
        )
    p = at_least_once(monthly)
    return pd.DataFrame(
        {
            "unit_code": units["unit_code"].astype(str).to_numpy(),
            "unit_name": units["unit_name"].astype(str).to_numpy(),
            "level": level,
            "origin": str(origin),
            "first_month": str(origin + 1),
            "last_month": str(origin + len(HORIZONS)),
            "p_fatal_window": rounded_probability(p),
            "likelihood": likelihood_words(p),
        }
    )[list(WINDOW_COLUMNS)]


@dataclass(frozen=True)
class ServedOutlook:
    """Everything the Outlook page shows for one origin, from one gate backtest.

    ``table``: :func:`build_outlook`'s table (all three horizons); ``window``:
    :func:`window_outlook`; ``backtest``: the gate's backtest; ``hits``: per ICD 203 word,
    how often the served monthly p_fatal said with it came true in that backtest;
    ``window_hits``: the same for the served window probability (origins whose three months
    are all known).
    """

    table: pd.DataFrame
    window: pd.DataFrame
    backtest: Backtest
    hits: dict[str, WordHits]
    window_hits: dict[str, WordHits]

    def sentence(self, unit_code: str, horizon: int) -> str:
        """One unit's outlook for one month in words (:func:`month_sentence`). Plain text: escape it
        before putting it into HTML."""
        return month_sentence(self.table, self.hits, unit_code, horizon)

    def window_sentence(self, unit_code: str) -> str:
        """One unit's 3-month window in words (:func:`window_sentence`). Plain text: escape it for HTML."""
        return window_sentence(self.window, self.window_hits, unit_code)


def month_sentence(table: pd.DataFrame, hits: dict[str, WordHits], unit_code: str, horizon: int) -> str:
    """One unit's outlook for one month in words (:func:`~incidents.outlook.wording.outlook_sentence`),
    from an outlook table and the word hit rates of its backtest (:class:`ServedOutlook`'s, or a
    cached copy of them). Plain text: escape it before putting it into HTML."""
    row = _only_row(
        table[(table["unit_code"] == unit_code) & (table["horizon"] == horizon)],
        f"unit {unit_code!r} at horizon {horizon}",
    )
    when = _("in {month}").format(month=month_text(str(row["month"])))
    spread = (float(row["count_q05"]), float(row["count_q95"]))
    return _in_words(row, when, float(row["p_fatal"]), hits, spread)


def window_sentence(window: pd.DataFrame, window_hits: dict[str, WordHits], unit_code: str) -> str:
    """One unit's 3-month window in words: "Likely (70 %): at least one fatal incident in
    Douentza between January and March 2027. In the backtest, 'likely' came true ..." (the
    window's word, scored on the backtest's windows). Plain text: escape it for HTML."""
    row = _only_row(window[window["unit_code"] == unit_code], f"unit {unit_code!r}")
    when = window_text(str(row["first_month"]), str(row["last_month"]))
    return _in_words(row, when, float(row["p_fatal_window"]), window_hits, None)


def _only_row(rows: pd.DataFrame, what: str) -> pd.Series:
    if not len(rows):
        raise OutlookDataError(f"no outlook for {what}")
    return rows.iloc[0]


def _in_words(
    row: pd.Series,
    when: str,
    p_fatal: float,
    hits: dict[str, WordHits],
    count_range: tuple[float, float] | None,
) -> str:
    said = hits[str(row["likelihood"])]
    return outlook_sentence(
        str(row["unit_name"]),
        when,
        p_fatal,
        count_range=count_range,
        came_true=said.came_true,
        unit_months=said.unit_months,
    )


def served_outlook(panel: Panel, origin: int, *, gate_origins: int = DEFAULT_ORIGINS) -> ServedOutlook:
    """The outlook at ``origin`` for horizons 1-3 with its window, backtest and word hit rates.

    One gate backtest serves all of them (calling :func:`build_outlook` as well would run it
    twice). Refuses as :func:`build_outlook` does.
    """
    check_history(panel, origin)
    backtest = gate_backtest(panel, origin, gate_origins)
    table, monthly = _served_table(panel, origin, HORIZONS, backtest)
    return ServedOutlook(
        table,
        window_outlook(panel, origin, monthly),
        backtest,
        word_hits(backtest),
        word_hits(backtest, window=True),
    )


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
    check_history(panel, first, what=_("the first backtest origin"))
    return range(first, last)
