"""Chart builders inspected as figures, without a browser."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.builders.charts import (
    COUNT_TICKS,
    build_bar_figure,
    build_heatmap_figure,
    build_timeline_figure,
    build_unit_trend_figure,
    count_dtick,
)
from dashboard.builders.maps import EVENT_TYPE_COLOURS

XSS = "<script>alert(1)</script>"


def weekly_series() -> pd.DataFrame:
    starts = pd.date_range("2024-01-01", periods=6, freq="W-MON")
    rows = [
        (start, group, i + j)
        for i, start in enumerate(starts)
        for j, group in enumerate(["battle", "abduction"])
    ]
    frame = pd.DataFrame(rows, columns=["period_start", "group", "value"])
    frame["group"] = frame["group"].astype("string")
    return frame


def developments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.to_datetime(["2023-06-01", "2024-01-10", "2024-02-01", "2024-06-01"]),
            "date_precision": "day",
            "scope": "MLI",
            "title": ["before", XSS, "Kidal & Gao", "after"],
            "category": "political",
            "source": "public record",
        }
    )


def test_timeline_traces_markers_and_slider() -> None:
    fig = build_timeline_figure(
        weekly_series(), measure="incidents", rolling_window=3, developments=developments(), title="Weekly"
    )
    bars = [trace for trace in fig.data if isinstance(trace, go.Bar)]
    lines = [trace for trace in fig.data if isinstance(trace, go.Scatter)]
    assert len(bars) == 2  # one per group
    assert {bar.name for bar in bars} == {"Battle", "Abduction"}
    assert {bar.marker.color for bar in bars} == {
        EVENT_TYPE_COLOURS["battle"],
        EVENT_TYPE_COLOURS["abduction"],
    }
    assert fig.layout.barmode == "stack"
    assert len(lines) == 1
    assert list(lines[0].y) == [1.0, 2.0, 3.0, 5.0, 7.0, 9.0]  # totals 1,3,5,7,9,11
    # Only the two developments inside Jan 1 - Feb 5 are drawn.
    assert len(fig.layout.shapes) == 2
    assert len(fig.layout.annotations) == 2
    assert all(shape.x0 == shape.x1 for shape in fig.layout.shapes)
    assert fig.layout.xaxis.rangeslider.visible is True


def test_timeline_escapes_development_titles() -> None:
    fig = build_timeline_figure(
        weekly_series(), measure="incidents", rolling_window=None, developments=developments(), title=XSS
    )
    texts = [annotation.text for annotation in fig.layout.annotations]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in texts
    assert "Kidal &amp; Gao" in texts
    payload = fig.to_json()
    assert "<script>" not in payload
    assert "&lt;script&gt;" in payload
    assert not [trace for trace in fig.data if isinstance(trace, go.Scatter)]


def test_timeline_empty_series() -> None:
    empty = pd.DataFrame({"period_start": pd.Series(dtype="datetime64[ns]"), "group": [], "value": []})
    fig = build_timeline_figure(
        empty, measure="fatalities", rolling_window=4, developments=developments(), title="x"
    )
    assert len(fig.data) == 0


def test_heatmap_matches_matrix_and_escapes_labels() -> None:
    months = pd.date_range("2024-01-01", periods=3, freq="MS")
    matrix = pd.DataFrame([[1, 0, 2], [0, 5, 0]], index=["Kayes (MLI)", f"{XSS} (BFA)"], columns=months)
    fig = build_heatmap_figure(matrix, measure="incidents", title="Risk")
    heatmap = fig.data[0]
    assert isinstance(heatmap, go.Heatmap)
    assert len(heatmap.z) == 2
    assert len(heatmap.z[0]) == 3
    assert len(heatmap.x) == 3
    assert heatmap.y[1] == "&lt;script&gt;alert(1)&lt;/script&gt; (BFA)"
    assert "<script>" not in fig.to_json()
    assert "%{z" in heatmap.hovertemplate


def test_heatmap_empty_matrix() -> None:
    fig = build_heatmap_figure(pd.DataFrame(), measure="rate", title="Risk")
    assert len(fig.data) == 1


def test_bar_figure_escapes_categories() -> None:
    frame = pd.DataFrame({"unit_name": ["Mopti", XSS], "incidents": [10, 3]})
    fig = build_bar_figure(frame, x="incidents", y="unit_name", title="Top")
    assert fig.data[0].orientation == "h"
    assert list(fig.data[0].x) == [10, 3]
    assert "<script>" not in fig.to_json()


def test_unit_trend_figure() -> None:
    trend = pd.DataFrame(
        {
            "period_start": pd.date_range("2024-01-01", periods=3, freq="MS"),
            "incidents": [2, 0, 1],
            "fatalities": [5, 0, 1],
        }
    )
    fig = build_unit_trend_figure(trend, title="Kayes <b>")
    assert [type(trace) for trace in fig.data] == [go.Bar, go.Scatter]
    assert fig.data[1].yaxis == "y2"
    assert fig.layout.title.text == "Kayes &lt;b&gt;"


# ---- count axes: whole-number ticks ---------------------------------------------------------------


def _assert_count_axis(axis: go.layout.YAxis | go.layout.XAxis, largest: float) -> None:
    """Ticks at 0, dtick, 2·dtick, … with dtick a whole number; the axis reaches ``largest``."""
    assert axis.tickformat == ",d"
    assert axis.rangemode == "tozero"
    assert axis.tick0 == 0
    assert isinstance(axis.dtick, int) and axis.dtick >= 1
    assert largest <= axis.dtick * COUNT_TICKS, "at most COUNT_TICKS gridlines"


def test_count_steps_are_whole_numbers_and_never_fractional_for_small_counts() -> None:
    assert [count_dtick(n) for n in (0, 1, 3, 6, 7, 13, 31, 61, 1234)] == [1, 1, 1, 1, 2, 5, 10, 20, 500]


def test_a_timeline_with_three_incidents_has_whole_number_ticks() -> None:
    series = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-08"]),
            "group": ["battle", "battle", "abduction"],
            "value": [1, 2, 1],
        }
    )
    figure = build_timeline_figure(
        series, measure="incidents", rolling_window=2, developments=None, title="t"
    )
    _assert_count_axis(figure.layout.yaxis, 3)
    assert figure.layout.yaxis.dtick == 1


def test_bar_and_unit_trend_figures_have_whole_number_count_axes() -> None:
    bars = build_bar_figure(pd.DataFrame({"group": ["a", "b"], "n": [2, 1]}), x="n", y="group", title="t")
    _assert_count_axis(bars.layout.xaxis, 2)
    columns = build_bar_figure(
        pd.DataFrame({"group": ["a", "b"], "n": [250, 40]}), x="group", y="n", title="t", orientation="v"
    )
    _assert_count_axis(columns.layout.yaxis, 250)
    assert columns.layout.yaxis.dtick == 50
    trend = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-01-01", "2024-02-01"]),
            "incidents": [2, 4],
            "fatalities": [0, 9],
        }
    )
    figure = build_unit_trend_figure(trend, "t")
    _assert_count_axis(figure.layout.yaxis, 4)
    _assert_count_axis(figure.layout.yaxis2, 9)


def test_a_count_heatmap_colour_bar_has_whole_number_ticks() -> None:
    matrix = pd.DataFrame(
        [[0, 1], [3, 2]], index=["A", "B"], columns=pd.to_datetime(["2024-01-01", "2024-02-01"])
    )
    bar = build_heatmap_figure(matrix, measure="incidents", title="t").data[0].colorbar
    assert bar.tickformat == ",d" and bar.dtick == 1
    rate = build_heatmap_figure(matrix.astype(float) / 7, measure="rate", title="t").data[0].colorbar
    assert rate.dtick is None, "rates keep their decimals"
