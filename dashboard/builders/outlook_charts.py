"""Outlook figures and words: the fan chart of one unit, the backtest's reliability diagram and
skill table, which model or baseline serves each tier and horizon, and the outlook as a table.

Pure functions of the outlook table (:data:`incidents.outlook.forecast.OUTLOOK_COLUMNS`) and
the backtest summary (:func:`incidents.outlook.backtest.summary`); no Streamlit. Unit names
reach plotly (which renders HTML) escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go

from dashboard.builders.charts import QUALITATIVE_COLOURS, _base_layout, count_axis
from incidents.i18n import N_, Labels, _, ngettext
from incidents.outlook.wording import likelihood_label

#: What each forecaster of the backtest is, in words (models first, then the naive baselines).
FORECASTER_LABELS: Final = Labels(
    {
        "M1": N_("M1 (per-unit negative binomial)"),
        "M2": N_("M2 (pooled gradient boosting)"),
        "M3": N_("M3 (average of M1 and M2)"),
        "zero": N_("the zero baseline (nothing happens)"),
        "last": N_("the last-month baseline"),
        "climatology": N_("the climatology baseline (the unit's last 12 months)"),
        "base_rate": N_("the base-rate baseline (share of months with a fatal incident)"),
        "served": N_("what the outlook serves"),
    }
)
MODELS: Final = ("M1", "M2", "M3")
TIER_LABELS: Final[Mapping[str, str]] = Labels(
    {
        "active": N_("Active units (an incident in the last 12 months)"),
        "quiet": N_("Quiet units (none in the last 12 months)"),
    }
)
#: A tier in a sentence ("Active units, 1 month ahead: ...") and in the skill table's cells.
TIER_SHORT: Final[Mapping[str, str]] = Labels({"active": N_("Active units"), "quiet": N_("Quiet units")})
TIER_CELLS: Final[Mapping[str, str]] = Labels({"active": N_("Active"), "quiet": N_("Quiet")})
#: The baselines as the skill table's headers name them ("CRPS skill vs base rate").
BASELINE_NAMES: Final = Labels(
    {"zero": N_("zero"), "last": N_("last"), "climatology": N_("climatology"), "base_rate": N_("base rate")}
)
BAND_90_COLOUR: Final = "rgba(0, 114, 178, 0.15)"
BAND_50_COLOUR: Final = "rgba(0, 114, 178, 0.35)"
#: The what-if line: orange and dashed, apart from the blue forecast and the grey observed line.
WHATIF_COLOUR: Final = QUALITATIVE_COLOURS[1]
HISTORY_MONTHS: Final = 24
QUANTILES: Final = ("count_q05", "count_q25", "count_q50", "count_q75", "count_q95")


#: Short names of the baselines for a table cell or a sentence's end ("base-rate baseline").
SHORT_LABELS: Final[Mapping[str, str]] = Labels(
    {
        "zero": N_("zero baseline"),
        "last": N_("last-month baseline"),
        "climatology": N_("climatology baseline"),
        "base_rate": N_("base-rate baseline"),
    }
)


#: A forecaster's name in the reader's language (an unknown name as it is).
forecaster_label = FORECASTER_LABELS.label


def served_words(served_by: str) -> str:
    """``served_by`` of the outlook table in words: "M3 (p_fatal: M2)" -> "M3; chance of fatal
    violence: M2", "zero" -> "zero baseline"."""
    counts, _sep, rest = str(served_by).partition(" (p_fatal: ")
    short = SHORT_LABELS.get(counts, counts)
    if not rest:
        return short
    fatal = rest.removesuffix(")")
    return _("{counts}; chance of fatal violence: {p_fatal}").format(
        counts=short, p_fatal=SHORT_LABELS.get(fatal, fatal)
    )


def _month_start(months: Sequence[object]) -> list[pd.Timestamp]:
    return [pd.Period(str(month), freq="M").to_timestamp() for month in months]


def build_fan_chart(
    history: pd.Series,
    forecast: pd.DataFrame,
    title: str,
    *,
    history_months: int = HISTORY_MONTHS,
    whatif: tuple[str, pd.DataFrame] | None = None,
) -> go.Figure:
    """Incidents per month of one unit, observed, then the outlook's median and 50 % / 90 % ranges.

    ``history``: incidents per month (index: ``YYYY-MM`` months or periods, up to the origin);
    ``forecast``: the unit's outlook rows (``month``, ``count_q05`` .. ``count_q95``), any horizons.
    The bands start at the last observed month so they fan out from what is known.
    ``whatif``: (line name, rows with ``month`` and ``expected``) of a what-if, drawn beside the
    forecast as a dashed line from the last observed month; the name should say "What if".
    """
    shown = history.iloc[-history_months:] if history_months else history
    observed_x = _month_start(list(shown.index))
    ahead = forecast.sort_values("month")
    ahead_x = _month_start(list(ahead["month"]))
    last_x = observed_x[-1:] if len(observed_x) else []
    last_y = [float(shown.iloc[-1])] if len(shown) else []

    def band(low: str, high: str) -> tuple[list[pd.Timestamp], list[float]]:
        xs = last_x + ahead_x
        upper = last_y + [float(v) for v in ahead[high]]
        lower = last_y + [float(v) for v in ahead[low]]
        return xs + xs[::-1], upper + lower[::-1]

    fig = go.Figure()
    for (low, high), name, colour in (
        (("count_q05", "count_q95"), _("90 % range (estimate)"), BAND_90_COLOUR),
        (("count_q25", "count_q75"), _("50 % range (estimate)"), BAND_50_COLOUR),
    ):
        xs, ys = band(low, high)
        fig.add_scatter(
            x=xs,
            y=ys,
            fill="toself",
            fillcolor=colour,
            line={"width": 0},
            mode="lines",
            name=name,
            hoverinfo="skip",
        )
    fig.add_scatter(
        x=last_x + ahead_x,
        y=last_y + [float(v) for v in ahead["count_q50"]],
        mode="lines+markers",
        name=_("Median (estimate)"),
        line={"color": QUALITATIVE_COLOURS[0], "dash": "dash", "width": 2},
        customdata=[[None, None]] * len(last_x)
        + [[int(a), int(b)] for a, b in zip(ahead["count_q05"], ahead["count_q95"], strict=True)],
        hovertemplate=_("%{x|%b %Y}: median %{y:,} incidents (90 %: %{customdata[0]}–%{customdata[1]})")
        + "<extra>"
        + _("estimate")
        + "</extra>",
    )
    whatif_top = 0.0
    if whatif is not None and len(whatif[1]):
        name, lines = whatif[0], whatif[1].sort_values("month")
        values = [float(v) for v in lines["expected"]]
        whatif_top = max(values)
        fig.add_scatter(
            x=last_x + _month_start(list(lines["month"])),
            y=last_y + values,
            mode="lines+markers",
            name=html.escape(name, quote=False),
            line={"color": WHATIF_COLOUR, "dash": "dash", "width": 2},
            marker={"symbol": "diamond-open", "size": 9},
            hovertemplate=_("%{x|%b %Y}: %{y:,.1f} incidents")
            + "<extra>"
            + _("what-if, not a forecast")
            + "</extra>",
        )
    fig.add_scatter(
        x=observed_x,
        y=[float(v) for v in shown],
        mode="lines+markers",
        name=_("Observed incidents"),
        line={"color": QUALITATIVE_COLOURS[7], "width": 2},
        hovertemplate=_("%{x|%b %Y}: %{y:,} incidents") + "<extra>" + _("observed") + "</extra>",
    )
    if last_x:
        fig.add_vline(x=last_x[0], line={"color": "#888888", "dash": "dot", "width": 1})
        fig.add_annotation(
            x=last_x[0], y=1, yref="paper", text=_("last complete month"), showarrow=False, xanchor="right"
        )
    _base_layout(fig, title)
    fig.update_layout(margin={"t": 90})
    largest = max([whatif_top, *[float(v) for v in shown], *[float(v) for v in ahead["count_q95"]]])
    fig.update_yaxes(title=_("Incidents per month"), **count_axis(largest))
    fig.update_xaxes(type="date", tickformat="%b %Y")
    return fig


def build_reliability_figure(
    reliability: Sequence[Mapping[str, Any]], forecaster: str = "served", title: str | None = None
) -> go.Figure:
    """Reliability diagram of ``p_fatal``: per tenth of forecast probability, how often a fatal
    incident followed, one line per horizon; the diagonal is a perfectly reliable forecast.

    ``reliability``: the ``reliability`` records of the backtest summary.
    """
    frame = pd.DataFrame(list(reliability))
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        name=_("Perfectly reliable"),
        line={"color": "#888888", "dash": "dot"},
        hoverinfo="skip",
    )
    if len(frame):
        frame = frame[(frame["forecaster"] == forecaster) & frame["observed"].notna()]
        for i, (horizon, part) in enumerate(frame.groupby("horizon", sort=True)):
            fig.add_scatter(
                x=part["mean_p"],
                y=part["observed"],
                mode="lines+markers",
                name=ngettext("{n} month ahead", "{n} months ahead", int(horizon)).format(n=int(horizon)),
                marker={"color": QUALITATIVE_COLOURS[i], "size": 8},
                line={"color": QUALITATIVE_COLOURS[i]},
                customdata=part[["unit_months", "p_from", "p_to"]].to_numpy(),
                hovertemplate=_(
                    "forecast %{x:.0%} → happened %{y:.0%}<br>%{customdata[0]:,} unit-months "
                    "forecast %{customdata[1]:.0%}–%{customdata[2]:.0%}"
                )
                + "<extra></extra>",
            )
    _base_layout(
        fig,
        title
        or _("Reliability of the chance of fatal violence: {forecaster}").format(
            forecaster=forecaster_label(forecaster)
        ),
    )
    fig.update_xaxes(title=_("Forecast probability"), range=[0, 1], tickformat=".0%")
    fig.update_yaxes(title=_("How often it happened"), range=[0, 1], tickformat=".0%")
    return fig


def skill_table(scores: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The backtest's scores of the models (and of what is served) by horizon and tier, with each
    skill against each baseline (1 − score / baseline score: above 0 beats the baseline)."""
    rows = []
    for record in scores:
        if record["forecaster"] not in (*MODELS, "served"):
            continue
        row: dict[str, Any] = {
            "Months ahead": record["horizon"],
            "Units": TIER_CELLS.get(str(record["tier"]), str(record["tier"]).capitalize()),
            "Forecaster": _("Served") if record["forecaster"] == "served" else record["forecaster"],
            "Unit-months": record["unit_months"],
            "CRPS": record["crps"],
        }
        for base, skill in record["crps_skill"].items():
            row[f"CRPS skill vs {base.replace('_', ' ')}"] = skill
        row["Brier"] = record["brier"]
        for base, skill in record["brier_skill"].items():
            row[f"Brier skill vs {base.replace('_', ' ')}"] = skill
        row["50 % range coverage"] = record["coverage_50"]
        row["90 % range coverage"] = record["coverage_90"]
        rows.append(row)
    return pd.DataFrame(rows)


def gate_sentences(gate: Sequence[Mapping[str, Any]]) -> list[str]:
    """One plain sentence per tier and run of horizons served alike: what serves the counts and the
    chance of fatal violence, and, where a baseline serves, that no model beat it in the backtest."""

    def why(name: str) -> str:
        if name in MODELS:
            return _("{forecaster}, which beat every baseline in the backtest").format(
                forecaster=forecaster_label(name)
            )
        return _("{forecaster}, because no model beat it in the backtest").format(
            forecaster=forecaster_label(name)
        )

    groups: dict[tuple[str, str, str], list[int]] = {}
    for decision in sorted(gate, key=lambda d: (d["tier"] != "active", d["horizon"])):
        key = (str(decision["tier"]), str(decision["counts"]), str(decision["p_fatal"]))
        groups.setdefault(key, []).append(int(decision["horizon"]))
    out = []
    for (tier, counts, p_fatal), horizons in groups.items():
        if len(horizons) == 1:
            ahead = ngettext("{n} month ahead", "{n} months ahead", horizons[0]).format(n=horizons[0])
        else:
            ahead = _("{months} and {last} months ahead").format(
                months=", ".join(str(h) for h in horizons[:-1]), last=horizons[-1]
            )
        if counts == p_fatal:
            served = _("both incident counts and the chance of fatal violence come from {source}").format(
                source=why(counts)
            )
        else:
            served = _(
                "incident counts come from {counts}; the chance of fatal violence comes from {p_fatal}"
            ).format(counts=why(counts), p_fatal=why(p_fatal))
        out.append(
            _("{tier}, {ahead}: {served}.").format(
                tier=TIER_SHORT.get(tier, tier), ahead=ahead, served=served
            )
        )
    return out


#: The table's column of the 3-month window probability (a unit-level value, the same every month).
WINDOW_COLUMN: Final = N_("Next 3 months")
#: The English headers of the outlook's tables (:func:`display_outlook`, :func:`skill_table`,
#: the adjustments) as a page shows them: :func:`translated_headers`.
HEADERS: Final = {
    name: name
    for name in (
        N_("Unit"),
        N_("Code"),
        N_("Country"),
        N_("Month"),
        N_("Chance of fatal violence"),
        N_("Probability"),
        N_("Next 3 months"),
        N_("Incidents, median"),
        N_("Incidents, 50 % range"),
        N_("Incidents, 90 % range"),
        N_("Chance of a surge"),
        N_("Served by"),
        N_("Months ahead"),
        N_("Units"),
        N_("Forecaster"),
        N_("Unit-months"),
        N_("CRPS"),
        N_("Brier"),
        N_("50 % range coverage"),
        N_("90 % range coverage"),
        N_("Adjustment"),
        N_("Note"),
        N_("By"),
        N_("When (UTC)"),
        N_("Version"),
    )
}
SKILL_PREFIXES: Final = {
    "CRPS skill vs ": N_("CRPS skill vs {baseline}"),
    "Brier skill vs ": N_("Brier skill vs {baseline}"),
}


def header(name: str) -> str:
    """One English header of the outlook's tables in the reader's language (others unchanged)."""
    if name in HEADERS:
        return _(HEADERS[name])
    for prefix, message in SKILL_PREFIXES.items():
        if name.startswith(prefix):
            english = name.removeprefix(prefix)
            code = next((c for c in BASELINE_NAMES if BASELINE_NAMES.english(c) == english), None)
            return _(message).format(baseline=BASELINE_NAMES[code] if code else english)
    return name


def translated_headers(table: pd.DataFrame) -> pd.DataFrame:
    """A display copy of one of the outlook's tables with its headers in the reader's language."""
    return table.rename(columns={column: header(str(column)) for column in table.columns})


def display_outlook(
    rows: pd.DataFrame, country_names: Mapping[str, str] | None = None, window: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The outlook rows of one horizon as the page's (and CSV download's) table, in human labels,
    most likely first. ``window`` (:data:`incidents.outlook.forecast.WINDOW_COLUMNS`): adds
    :data:`WINDOW_COLUMN`, each unit's chance of fatal violence over the three months ahead."""
    names = country_names or {}
    shown = rows.sort_values(["p_fatal", "count_q50"], ascending=False)
    table = pd.DataFrame(
        {
            "Unit": shown["unit_name"].astype(str),
            "Code": shown["unit_code"].astype(str),
            "Country": shown["country_iso3"].map(lambda iso3: names.get(iso3, iso3))
            if "country_iso3" in shown
            else "",
            "Month": shown["month"].astype(str),
            "Chance of fatal violence": shown["likelihood"].astype(str).map(likelihood_label),
            "Probability": shown["p_fatal"].astype(float),
            "Incidents, median": shown["count_q50"].astype(int),
            "Incidents, 50 % range": [
                f"{a}–{b}" for a, b in zip(shown["count_q25"], shown["count_q75"], strict=True)
            ],
            "Incidents, 90 % range": [
                f"{a}–{b}" for a, b in zip(shown["count_q05"], shown["count_q95"], strict=True)
            ],
            "Chance of a surge": shown["p_surge"].astype(float),
            "Served by": shown["served_by"].map(served_words),
        }
    )
    if window is not None and len(window):
        by_unit = window.set_index("unit_code")["p_fatal_window"]
        table.insert(
            table.columns.get_loc("Probability") + 1,
            WINDOW_COLUMN,
            table["Code"].map(by_unit).astype(float),
        )
    return table.reset_index(drop=True)
