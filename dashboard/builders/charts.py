"""Chart builders: plotly figures for the Timeline, Risk and Overview pages, with no Streamlit calls.

Pure functions from the small frames of :mod:`incidents.analytics` to
:class:`plotly.graph_objects.Figure`, tested by inspecting the figure. Two rules:

* offline: no web fonts, no mapbox; plotly.js comes bundled with Streamlit;
* plotly renders trace names, tick labels, hover text and annotations as HTML, and unit
  names, actor names and key-development titles are analyst-editable, so every such
  string is HTML-escaped here.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Final, Literal

import pandas as pd
import plotly.graph_objects as go
from babel.numbers import get_decimal_symbol, get_group_symbol

from dashboard.builders.maps import EVENT_TYPE_COLOURS
from incidents.analytics.timeseries import rolling_mean, series_totals
from incidents.i18n import DEFAULT_LANGUAGE, N_, _, current_language
from incidents.i18n.formats import format_day, format_month
from incidents.model import ACTOR_GROUP_LABELS, ACTOR_GROUPS, EVENT_TYPE_LABELS

#: Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
QUALITATIVE_COLOURS: Final = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
ACTOR_GROUP_COLOURS: Final[dict[str, str]] = {
    group: QUALITATIVE_COLOURS[i % len(QUALITATIVE_COLOURS)] for i, group in enumerate(ACTOR_GROUPS)
}
ROLLING_COLOUR: Final = "#222222"
DEVELOPMENT_COLOUR: Final = "#555555"
#: Sequential scale readable by colour-blind users and in greyscale print.
HEATMAP_COLOURSCALE: Final = "YlOrRd"
DEVELOPMENT_LABEL_CHARS: Final = 40
MEASURE_LABELS: Final[dict[str, str]] = {
    "incidents": N_("Incidents"),
    "fatalities": N_("Fatalities"),
    "rate": N_("Incidents per 10,000 km²"),
}


#: About this many gridlines on a count axis.
COUNT_TICKS: Final = 6


def count_dtick(largest: float) -> int:
    """A whole-number tick step for a count axis from 0 to ``largest``: 1, 2, 5, 10, 20, 50, …

    The smallest such step giving at most :data:`COUNT_TICKS` intervals. Plotly's automatic
    step goes fractional (0.5, 0.2) for small counts, which reads as "half an incident".
    """
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if largest <= step * COUNT_TICKS:
                return step
        magnitude *= 10


def count_axis(largest: float) -> dict[str, object]:
    """Layout of a count axis: starts at 0, whole-number ticks with thousands separators."""
    return {"rangemode": "tozero", "tickformat": ",d", "tick0": 0, "dtick": count_dtick(largest)}


def _largest(values: pd.Series) -> float:
    return float(values.max()) if len(values) and pd.notna(values.max()) else 0.0


def _count_colorbar(matrix: pd.DataFrame) -> dict[str, object]:
    """Whole-number ticks on the colour bar of a count heatmap."""
    largest = float(matrix.to_numpy(dtype=float).max()) if matrix.size else 0.0
    return {"tickformat": ",d", "tick0": 0, "dtick": count_dtick(largest if largest == largest else 0.0)}


def _esc(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(str(value), quote=True)


def _group_label(group: str) -> str:
    """An event type's or actor group's label in the current language; other groups as they are."""
    if group in EVENT_TYPE_LABELS:
        return _esc(EVENT_TYPE_LABELS[group])
    return _esc(ACTOR_GROUP_LABELS.get(group, group))


def measure_label(measure: str) -> str:
    """The axis and colour-bar title of a measure, in the current language."""
    return _(MEASURE_LABELS[measure]) if measure in MEASURE_LABELS else measure


def _english() -> bool:
    return current_language() == DEFAULT_LANGUAGE


def _separators() -> str:
    """Plotly's ``separators`` (decimal then thousands) of the current language: ",\u202f" in French."""
    language = current_language()
    return get_decimal_symbol(language) + get_group_symbol(language)


def _days(values: object) -> list[str]:
    """Each date as people write it in the current language (hover text)."""
    return [format_day(pd.Timestamp(value)) for value in pd.DatetimeIndex(values)]


def _months(values: object) -> list[str]:
    return [format_month(pd.Timestamp(value)) for value in pd.DatetimeIndex(values)]


def _month_ticks(fig: go.Figure, first: object, last: object, every: int) -> None:
    """Month tick labels in the current language (plotly writes English month names): one tick
    every ``every`` months from ``first``'s month to ``last``. English keeps plotly's own."""
    if _english() or pd.isna(first) or pd.isna(last):
        return
    start = pd.Timestamp(first).to_period("M").to_timestamp()
    ticks = pd.date_range(start, pd.Timestamp(last), freq=f"{every}MS")
    fig.update_xaxes(tickmode="array", tickvals=list(ticks), ticktext=_months(ticks))


def _group_colours(groups: list[str]) -> Mapping[str, str]:
    """Event types and actor groups keep one colour across charts; other groups use the palette in order."""
    colours: dict[str, str] = {}
    spare = iter(QUALITATIVE_COLOURS * (len(groups) // len(QUALITATIVE_COLOURS) + 1))
    for group in groups:
        colours[group] = EVENT_TYPE_COLOURS.get(group) or ACTOR_GROUP_COLOURS.get(group) or next(spare)
    return colours


def _base_layout(fig: go.Figure, title: str) -> None:
    if not _english():  # numbers as the language writes them: "1 234,5" in French
        fig.update_layout(separators=_separators())
    fig.update_layout(
        title={"text": _esc(title)},
        template="plotly_white",
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hoverlabel={"namelength": -1},
    )


def _add_developments(
    fig: go.Figure, developments: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> None:
    """One dotted vertical line and a rotated label per development dated start..end.

    Shapes and annotations are set in one layout update: ``add_shape``/``add_annotation``
    revalidate every earlier one and cost ~12 ms each.
    """
    dates = developments["date"]
    shown = developments[((dates >= start) & (dates <= end)).to_numpy(dtype=bool, na_value=False)]
    shapes: list[dict[str, object]] = []
    annotations: list[dict[str, object]] = []
    for when, title in zip(shown["date"], shown["title"], strict=True):
        text = str(title) if pd.notna(title) else ""
        short = text if len(text) <= DEVELOPMENT_LABEL_CHARS else text[: DEVELOPMENT_LABEL_CHARS - 1] + "…"
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": when,
                "x1": when,
                "y0": 0,
                "y1": 1,
                "line": {"color": DEVELOPMENT_COLOUR, "width": 1, "dash": "dot"},
                "name": "key development",
            }
        )
        annotations.append(
            {
                "x": when,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "text": _esc(short),
                "hovertext": _("{day}: {title}").format(
                    day=_esc(format_day(pd.Timestamp(when))), title=_esc(text)
                ),
                "showarrow": False,
                "textangle": -90,
                "xanchor": "left",
                "yanchor": "top",
                "font": {"size": 10, "color": DEVELOPMENT_COLOUR},
            }
        )
    fig.update_layout(shapes=shapes, annotations=annotations)


def build_timeline_figure(
    series: pd.DataFrame,
    *,
    measure: Literal["incidents", "fatalities"],
    rolling_window: int | None,
    developments: pd.DataFrame | None,
    title: str,
) -> go.Figure:
    """Stacked bars per group of :func:`~incidents.analytics.incident_series`, a rolling mean of
    the total, key developments as vertical markers, and a range slider.
    """
    fig = go.Figure()
    axis_title = measure_label(measure)
    largest = 0.0
    if not series.empty:
        wide = series.pivot_table(
            index="period_start", columns="group", values="value", aggfunc="sum", fill_value=0, observed=True
        ).sort_index()
        groups = [str(group) for group in wide.columns]
        largest = float(wide.sum(axis=1).max())
        colours = _group_colours(groups)
        for group, column in zip(groups, wide.columns, strict=True):
            label = _group_label(group)
            fig.add_bar(
                x=wide.index,
                y=wide[column].to_numpy(),
                name=label,
                marker_color=colours[group],
                customdata=_days(wide.index),
                hovertemplate=_("{group}<br>{day}: {value}").format(
                    group=label, day="%{customdata}", value="%{y:,}"
                )
                + "<extra></extra>",
            )
        if rolling_window:
            totals = series_totals(series)
            fig.add_scatter(
                x=totals.index,
                y=rolling_mean(totals, rolling_window).to_numpy(),
                mode="lines",
                name=_esc(_("{window}-period average (all)").format(window=rolling_window)),
                line={"color": ROLLING_COLOUR, "width": 2},
                hovertemplate=_("average {value}").format(value="%{y:,.1f}") + "<extra></extra>",
            )
        if developments is not None and not developments.empty:
            _add_developments(fig, developments, wide.index.min(), wide.index.max())
        span = (wide.index.max() - wide.index.min()).days
        _month_ticks(fig, wide.index.min(), wide.index.max(), 1 if span <= 550 else 3 if span <= 1650 else 12)
    _base_layout(fig, title)
    # Room for a legend on two rows (longer labels, other languages) under a title pinned to the top.
    fig.update_layout(
        barmode="stack",
        bargap=0.1,
        yaxis_title=_esc(axis_title),
        margin={"t": 110},
        title={"y": 0.98, "yref": "container", "yanchor": "top"},
    )
    fig.update_yaxes(**count_axis(largest))
    fig.update_xaxes(rangeslider={"visible": True}, type="date")
    return fig


def build_heatmap_figure(
    matrix: pd.DataFrame,
    *,
    measure: Literal["incidents", "fatalities", "rate"],
    title: str,
) -> go.Figure:
    """Units (y) by month (x) heatmap of :func:`~incidents.analytics.region_month_matrix`."""
    value_title = measure_label(measure)
    labels = [_esc(label) for label in matrix.index]
    months = list(matrix.columns)
    fig = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(dtype=float),
            x=months,
            y=labels,
            colorscale=HEATMAP_COLOURSCALE,
            colorbar={
                "title": {"text": _esc(value_title)},
                **({} if measure == "rate" else _count_colorbar(matrix)),
            },
            hoverongaps=False,
            hovertemplate=_("{unit}<br>{month}<br>{measure}: {value}").format(
                unit="%{y}",
                month="%{customdata}",
                measure=_esc(value_title),
                value="%{z:,.2f}" if measure == "rate" else "%{z:,}",
            )
            + "<extra></extra>",
            customdata=[_months(months)] * len(labels),
            xgap=1,
            ygap=1,
        )
    )
    _base_layout(fig, title)
    fig.update_layout(height=max(320, 22 * len(labels) + 140))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="date", dtick="M3" if matrix.shape[1] > 12 else "M1", tickformat="%b %Y")
    if months:
        _month_ticks(fig, months[0], months[-1], 3 if matrix.shape[1] > 12 else 1)
    return fig


def build_bar_figure(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    title: str,
    orientation: Literal["h", "v"] = "h",
) -> go.Figure:
    """A simple bar chart of two columns; horizontal bars list the first row at the top."""
    categorical = y if orientation == "h" else x
    values = x if orientation == "h" else y
    categories = [_esc(value) for value in frame[categorical]]
    numbers = frame[values].to_numpy()
    largest = float(numbers.max()) if len(numbers) else 0.0
    fig = go.Figure(
        go.Bar(
            x=numbers if orientation == "h" else categories,
            y=categories if orientation == "h" else numbers,
            orientation=orientation,
            marker_color=QUALITATIVE_COLOURS[0],
            hovertemplate=("%{y}: %{x:,}" if orientation == "h" else "%{x}: %{y:,}") + "<extra></extra>",
        )
    )
    _base_layout(fig, title)
    if orientation == "h":
        fig.update_yaxes(autorange="reversed", type="category")
        fig.update_layout(height=max(260, 26 * len(categories) + 120))
        fig.update_xaxes(title=_esc(_value_title(values)), **count_axis(largest))
    else:
        fig.update_xaxes(type="category")
        fig.update_yaxes(title=_esc(_value_title(values)), **count_axis(largest))
    return fig


def _value_title(column: str) -> str:
    """A bar chart's value axis: the measure's words in other languages, the column name in English."""
    return column if _english() else measure_label(column)


def build_unit_trend_figure(trend: pd.DataFrame, title: str) -> go.Figure:
    """Incidents (bars) and fatalities (line, right axis) per period of one unit."""
    fig = go.Figure()
    fig.add_bar(
        x=trend["period_start"],
        y=trend["incidents"].to_numpy(),
        name=_("Incidents"),
        marker_color=QUALITATIVE_COLOURS[0],
        customdata=_months(trend["period_start"]),
        hovertemplate=_("{month}: {n} incidents").format(month="%{customdata}", n="%{y:,}")
        + "<extra></extra>",
    )
    fig.add_scatter(
        x=trend["period_start"],
        y=trend["fatalities"].to_numpy(),
        name=_("Fatalities"),
        mode="lines+markers",
        yaxis="y2",
        line={"color": QUALITATIVE_COLOURS[3], "width": 2},
        customdata=_months(trend["period_start"]),
        hovertemplate=_("{month}: {n} fatalities").format(month="%{customdata}", n="%{y:,}")
        + "<extra></extra>",
    )
    _base_layout(fig, title)
    fig.update_layout(
        yaxis={"title": _("Incidents"), **count_axis(_largest(trend["incidents"]))},
        yaxis2={
            "title": _("Fatalities"),
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            **count_axis(_largest(trend["fatalities"])),
        },
    )
    # One tick per month (per quarter beyond a year and a half): the bars are months.
    fig.update_xaxes(type="date", dtick="M1" if len(trend) <= 18 else "M3", tickformat="%b %Y")
    if len(trend):
        first, last = trend["period_start"].min(), trend["period_start"].max()
        _month_ticks(fig, first, last, 1 if len(trend) <= 18 else 3)
    return fig
