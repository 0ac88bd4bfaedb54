"""Builders for the Before / after page: a forest plot of rate ratios and the display table.

No Streamlit calls: pure functions from :func:`incidents.risk.pivot.before_after` frames to
plotly figures and small frames, tested by inspecting them. Unit names are analyst data,
so every label is HTML-escaped (plotly renders labels as HTML).
"""

from __future__ import annotations

import html
import math
from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from incidents.i18n import N_, _
from incidents.i18n.formats import format_number

RISE_COLOUR: Final = "#D55E00"  # Okabe-Ito vermillion
FALL_COLOUR: Final = "#0072B2"  # Okabe-Ito blue
NEUTRAL_COLOUR: Final = "#7F7F7F"
MAX_FOREST_UNITS: Final = 40
BADGE_RISE: Final = N_("▲ significant rise")
BADGE_FALL: Final = N_("▼ significant fall")
BADGE_NONE: Final = N_("no clear change")
BADGE_NO_DATA: Final = N_("no events")


def format_ratio(value: float) -> str:
    """``2.35``, ``∞`` (no events before), ``0`` (none after) or ``–`` (no events at all)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return "∞"
    return format_number(round(value, 2), digits=2)  # round as f"{:.2f}" does, then the language's separators


def change_badge(row: pd.Series) -> str:
    """Plain-words significance badge for one unit, in the reader's language."""
    if row["events_before"] + row["events_after"] == 0:
        return _(BADGE_NO_DATA)
    if not row["significant"]:
        return _(BADGE_NONE)
    return _(BADGE_RISE) if row["ci_low"] > 1 else _(BADGE_FALL)


def pivot_display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The before/after table with readable ratios, the interval as text and a change badge."""
    return pd.DataFrame(
        {
            _("Unit"): table["unit_name"].astype("string"),
            _("Country"): table["country_iso3"].astype("string"),
            _("Change"): [change_badge(row) for _index, row in table.iterrows()],
            _("Before"): table["events_before"].astype("int64"),
            _("After"): table["events_after"].astype("int64"),
            _("Rate ratio"): [format_ratio(v) for v in table["rate_ratio"]],
            _("95% interval"): [
                f"{format_ratio(low)} – {format_ratio(high)}"
                for low, high in zip(table["ci_low"], table["ci_high"], strict=True)
            ],
            _("Code"): table["unit_code"].astype("string"),
        }
    )


def _display_limits(table: pd.DataFrame) -> tuple[float, float]:
    """Log-axis range covering every finite positive value and 1, with some margin."""
    values = table[["rate_ratio", "ci_low", "ci_high"]].to_numpy(dtype=np.float64).ravel()
    finite = values[np.isfinite(values) & (values > 0)]
    low = min(float(finite.min()), 1.0) if finite.size else 0.1
    high = max(float(finite.max()), 1.0) if finite.size else 10.0
    return low / 1.5, high * 1.5


def _colour(row: pd.Series) -> str:
    if not row["significant"]:
        return NEUTRAL_COLOUR
    return RISE_COLOUR if row["ci_low"] > 1 else FALL_COLOUR


def build_pivot_forest_figure(
    table: pd.DataFrame, *, title: str, max_units: int = MAX_FOREST_UNITS
) -> go.Figure:
    """Rate ratio and interval per unit on a log axis, with the no-change line at 1.

    Units with no events in either window are left out; when more than ``max_units``
    remain, those with the most events are shown. Infinite ratios and bounds (no events
    before) and zeros (none after) are drawn at the axis edge as open markers, so every
    shown unit stays visible; the hover text gives the exact values.
    """
    shown = table[(table["events_before"] + table["events_after"]) > 0]
    if len(shown) > max_units:
        totals = shown["events_before"] + shown["events_after"]
        shown = shown.loc[totals.sort_values(ascending=False, kind="stable").index[:max_units]]
    shown = shown.sort_values("rate_ratio", ascending=True, kind="stable")  # largest at the top
    fig = go.Figure()
    lo, hi = _display_limits(shown) if len(shown) else (0.1, 10.0)
    ratio = shown["rate_ratio"].to_numpy(dtype=np.float64)
    x = np.clip(ratio, lo, hi)
    upper = np.clip(shown["ci_high"].to_numpy(dtype=np.float64), lo, hi)
    lower = np.clip(shown["ci_low"].to_numpy(dtype=np.float64), lo, hi)
    edge = ~np.isfinite(ratio) | (ratio <= 0)
    labels = [
        f"{html.escape(str(name))} ({html.escape(str(iso3))})"
        for name, iso3 in zip(shown["unit_name"], shown["country_iso3"].fillna(""), strict=True)
    ]
    hover = [
        f"<b>{label}</b><br>"
        + html.escape(_("before: {before} events, after: {after}").format(before=int(b), after=int(a)))
        + "<br>"
        + html.escape(
            _("rate ratio {ratio} (95% interval {low} – {high})").format(
                ratio=format_ratio(r), low=format_ratio(cl), high=format_ratio(ch)
            )
        )
        for label, b, a, r, cl, ch in zip(
            labels,
            shown["events_before"],
            shown["events_after"],
            shown["rate_ratio"],
            shown["ci_low"],
            shown["ci_high"],
            strict=True,
        )
    ]
    fig.add_trace(
        go.Scatter(
            x=x,
            y=labels,
            mode="markers",
            marker={
                "color": [_colour(row) for _index, row in shown.iterrows()],
                "size": 10,
                "symbol": ["circle-open" if flag else "circle" for flag in edge],
                "line": {"width": 2},
            },
            error_x={
                "type": "data",
                "symmetric": False,
                "array": upper - x,
                "arrayminus": x - lower,
                "thickness": 1.5,
                "width": 4,
            },
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
            name=_("rate ratio"),
        )
    )
    fig.add_vline(x=1.0, line_dash="dash", line_color="#222222")
    fig.update_xaxes(
        type="log",
        range=[math.log10(lo), math.log10(hi)],
        title_text=_("Incident rate after ÷ before (log scale; 1 = no change)"),
    )
    fig.update_yaxes(title_text="", automargin=True)
    fig.update_layout(
        title={"text": html.escape(title)},
        template="plotly_white",
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        height=max(300, 28 * len(shown) + 140),
    )
    return fig
