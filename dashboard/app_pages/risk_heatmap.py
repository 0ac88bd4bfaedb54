"""Risk heatmap page: which regions are heating up, month by month."""

from __future__ import annotations

from typing import Final, Literal

import pandas as pd
import streamlit as st

from dashboard.builders import tables
from dashboard.builders.charts import build_heatmap_figure
from dashboard.ui import caching, components
from dashboard.ui.context import load_page_data
from geodata.errors import GeodataError
from incidents.errors import IncidentsError
from incidents.i18n import N_, _
from incidents.i18n.formats import format_day

KEY_LEVEL: Final = "heatmap_level"
KEY_MEASURE: Final = "heatmap_measure"
KEY_SORT: Final = "heatmap_sort"
KEY_DOWNLOAD: Final = "heatmap_download"

# The option keys are the analytics' literal arguments, so the widgets return values of these types.
Level = Literal["admin1", "admin2"]
Measure = Literal["incidents", "fatalities", "rate"]
Sort = Literal["total", "name", "recent"]

LEVEL_LABELS: Final[dict[Level, str]] = {
    "admin1": N_("Regions (admin-1)"),
    "admin2": N_("Cercles / départements (admin-2)"),
}
MEASURE_LABELS: Final[dict[Measure, str]] = {
    "incidents": N_("Incidents"),
    "fatalities": N_("Fatalities"),
    "rate": N_("Incidents per 10,000 km²"),
}
SORT_LABELS: Final[dict[Sort, str]] = {
    "total": N_("Highest total"),
    "name": N_("Name"),
    "recent": N_("Highest in the last 3 months"),
}
#: The chart's title per measure and unit level (whole sentences for the translator).
CHART_TITLES: Final[dict[tuple[Measure, Level], str]] = {
    ("incidents", "admin1"): N_("Incidents per month — regions (admin-1)"),
    ("incidents", "admin2"): N_("Incidents per month — cercles / départements (admin-2)"),
    ("fatalities", "admin1"): N_("Fatalities per month — regions (admin-1)"),
    ("fatalities", "admin2"): N_("Fatalities per month — cercles / départements (admin-2)"),
    ("rate", "admin1"): N_("Incidents per 10,000 km² per month — regions (admin-1)"),
    ("rate", "admin2"): N_("Incidents per 10,000 km² per month — cercles / départements (admin-2)"),
}

st.title(_("Risk heatmap"))
st.caption(
    _(
        "What this shows: for each region, incidents, fatalities or incidents per 10,000 km² in every "
        "month of the period, so you can see where violence is rising, spreading or easing."
    )
)

try:
    data = load_page_data()
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)
    st.stop()

chosen = data.filter
assert chosen.since is not None and chosen.until is not None  # load_page_data resolves the dates
controls = st.columns(3)
level = controls[0].selectbox(
    _("Units"), list(LEVEL_LABELS), format_func=lambda code: _(LEVEL_LABELS[code]), key=KEY_LEVEL
)
measure = controls[1].selectbox(
    _("Measure"),
    list(MEASURE_LABELS),
    format_func=lambda code: _(MEASURE_LABELS[code]),
    key=KEY_MEASURE,
    help=_("The rate compares a vast desert region fairly with a small, crowded one."),
)
sort = controls[2].selectbox(
    _("Order rows by"), list(SORT_LABELS), format_func=lambda code: _(SORT_LABELS[code]), key=KEY_SORT
)

st.caption(
    _("Period shown: {since} to {until} (inclusive).").format(
        since=format_day(chosen.since), until=format_day(chosen.until)
    )
)
if level == "admin2":
    st.caption(
        _(
            "Admin-2 units (cercles, départements) exist only for Mali, Burkina Faso and Niger; "
            "incidents in other countries are left out at this level."
        )
    )
components.demo_banner(data.shown_sources, demo_hidden=data.demo_hidden)

try:
    areas = caching.unit_areas(level)
except GeodataError as exc:
    components.domain_error(exc)
    st.stop()

months = pd.period_range(chosen.since, chosen.until, freq="M")
matrix = (
    pd.DataFrame()
    if data.empty
    else data.view.region_month_matrix(level=level, measure=measure, areas=areas, sort=sort, months=months)
)
if matrix.empty or matrix.shape[0] == 0:
    if data.empty:
        components.empty_state(chosen.countries, data.country_names, note="")
    else:
        st.info(
            _(
                "None of the matching incidents falls in an admin-2 unit. Switch to regions (admin-1) "
                "or choose Mali, Burkina Faso or Niger."
            ),
            icon="ℹ️",
        )
else:
    figure = build_heatmap_figure(matrix, measure=measure, title=_(CHART_TITLES[measure, level]))
    st.plotly_chart(figure, key="heatmap_chart")
    table = tables.matrix_table(matrix)
    with st.expander(
        _("Table ({units} units × {months} months)").format(units=matrix.shape[0], months=matrix.shape[1])
    ):
        st.dataframe(tables.display_columns(table), hide_index=True, width="stretch")
    components.csv_download(
        _("Download the matrix (CSV)"),
        table,
        file_name=f"risk_matrix_{level}_{measure}.csv",
        key=KEY_DOWNLOAD,
    )
    if measure == "rate":
        st.caption(
            _("Areas are measured in an equal-area projection (EPSG:6933) from the shipped boundaries.")
        )

st.page_link(
    "app_pages/map.py",
    label=_("For where incidents cluster on the ground, open the heat layer on the Map page."),
    icon="🗺️",
)
components.attribution_footer(data.shown_sources)
