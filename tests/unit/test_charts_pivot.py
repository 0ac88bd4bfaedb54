"""Forest plot and display table of the Before / after page, inspected without a browser."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dashboard.builders.charts_pivot import (
    BADGE_FALL,
    BADGE_NONE,
    BADGE_RISE,
    FALL_COLOUR,
    NEUTRAL_COLOUR,
    RISE_COLOUR,
    build_pivot_forest_figure,
    format_ratio,
    pivot_display_table,
)


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_code": ["A", "B", "C", "D"],
            "unit_name": ["<b>Gao</b>", "Mopti", "Sahel", "Kidal"],
            "country_iso3": ["MLI", "MLI", "BFA", "MLI"],
            "events_before": [2, 20, 0, 5],
            "events_after": [14, 4, 5, 6],
            "rate_ratio": [7.0, 0.2, math.inf, 1.2],
            "ci_low": [1.6, 0.05, 0.9, 0.3],
            "ci_high": [63.0, 0.6, math.inf, 4.5],
            "significant": [True, True, False, False],
        }
    )


def test_format_ratio_edge_values() -> None:
    assert format_ratio(2.345) == "2.35"
    assert format_ratio(math.inf) == "∞"
    assert format_ratio(math.nan) == "–"
    assert format_ratio(0.0) == "0.00"


def test_display_table_badges_and_text() -> None:
    shown = pivot_display_table(_table())
    assert shown["Change"].tolist() == [BADGE_RISE, BADGE_FALL, BADGE_NONE, BADGE_NONE]
    assert shown.loc[2, "Rate ratio"] == "∞"
    assert shown.loc[2, "95% interval"] == "0.90 – ∞"


def test_forest_plot_log_axis_colours_and_escaped_labels() -> None:
    fig = build_pivot_forest_figure(_table(), title="Change <after>")
    trace = fig.data[0]
    assert fig.layout.xaxis.type == "log"
    assert "&lt;after&gt;" in fig.layout.title.text
    assert "&lt;b&gt;Gao&lt;/b&gt; (MLI)" in trace.y
    assert "<b>Gao</b>" not in "".join(trace.y)
    colours = dict(zip(trace.y, trace.marker.color, strict=True))
    assert colours["&lt;b&gt;Gao&lt;/b&gt; (MLI)"] == RISE_COLOUR
    assert colours["Mopti (MLI)"] == FALL_COLOUR
    assert colours["Kidal (MLI)"] == NEUTRAL_COLOUR
    x = np.asarray(trace.x, dtype=float)
    assert np.isfinite(x).all(), "an infinite ratio is drawn at the axis edge"
    symbols = dict(zip(trace.y, trace.marker.symbol, strict=True))
    assert symbols["Sahel (BFA)"] == "circle-open"
    assert any(shape.x0 == 1.0 for shape in fig.layout.shapes), "the no-change line"


def test_forest_plot_limits_units_and_handles_empty() -> None:
    many = pd.concat([_table()] * 20, ignore_index=True)
    many["unit_code"] = [f"U{i}" for i in range(len(many))]
    many["unit_name"] = many["unit_code"]
    assert len(build_pivot_forest_figure(many, title="t", max_units=10).data[0].y) == 10
    empty = build_pivot_forest_figure(_table().iloc[0:0], title="t")
    assert len(empty.data[0].x) == 0
