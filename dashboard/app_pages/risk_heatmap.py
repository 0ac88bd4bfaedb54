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
from incidents.analytics import region_month_matrix
from incidents.errors import IncidentsError

KEY_LEVEL: Final = "heatmap_level"
KEY_MEASURE: Final = "heatmap_measure"
KEY_SORT: Final = "heatmap_sort"
KEY_DOWNLOAD: Final = "heatmap_download"

# The option keys are the analytics' literal arguments, so the widgets return values of these types.
Level = Literal["admin1", "admin2"]
Measure = Literal["incidents", "fatalities", "rate"]
Sort = Literal["total", "name", "recent"]

LEVEL_LABELS: Final[dict[Level, str]] = {
    "admin1": "Regions (admin-1)",
    "admin2": "Cercles / départements (admin-2)",
}
MEASURE_LABELS: Final[dict[Measure, str]] = {
    "incidents": "Incidents",
    "fatalities": "Fatalities",
    "rate": "Incidents per 10,000 km²",
}
SORT_LABELS: Final[dict[Sort, str]] = {
    "total": "Highest total",
    "name": "Name",
    "recent": "Highest in the last 3 months",
}

st.title("Risk heatmap")
st.caption(
    "What this shows: for each region, incidents, fatalities or incidents per 10,000 km² in every "
    "month of the period, so you can see where violence is rising, spreading or easing."
)

try:
    data = load_page_data()
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)
    st.stop()

chosen = data.filter
controls = st.columns(3)
level = controls[0].selectbox(
    "Units", list(LEVEL_LABELS), format_func=LEVEL_LABELS.__getitem__, key=KEY_LEVEL
)
measure = controls[1].selectbox(
    "Measure",
    list(MEASURE_LABELS),
    format_func=MEASURE_LABELS.__getitem__,
    key=KEY_MEASURE,
    help="The rate compares a vast desert region fairly with a small, crowded one.",
)
sort = controls[2].selectbox(
    "Order rows by", list(SORT_LABELS), format_func=SORT_LABELS.__getitem__, key=KEY_SORT
)

st.caption(f"Period shown: {chosen.since:%d %b %Y} to {chosen.until:%d %b %Y} (inclusive).")
if level == "admin2":
    st.caption(
        "Admin-2 units (cercles, départements) exist only for Mali, Burkina Faso and Niger; "
        "incidents in other countries are left out at this level."
    )
components.demo_banner(data.incidents, demo_hidden=data.demo_hidden)

try:
    areas = caching.unit_areas(level)
except GeodataError as exc:
    components.domain_error(exc)
    st.stop()

months = pd.period_range(chosen.since, chosen.until, freq="M")
matrix = (
    pd.DataFrame()
    if data.empty
    else region_month_matrix(
        data.incidents, level=level, measure=measure, areas=areas, sort=sort, months=months
    )
)
if matrix.empty or matrix.shape[0] == 0:
    if data.empty:
        components.empty_state(chosen.countries, data.country_names, note="")
    else:
        st.info(
            "None of the matching incidents falls in an admin-2 unit. Switch to regions (admin-1) "
            "or choose Mali, Burkina Faso or Niger.",
            icon="ℹ️",
        )
else:
    figure = build_heatmap_figure(
        matrix, measure=measure, title=f"{MEASURE_LABELS[measure]} per month — {LEVEL_LABELS[level].lower()}"
    )
    st.plotly_chart(figure, key="heatmap_chart")
    table = tables.matrix_table(matrix)
    with st.expander(f"Table ({matrix.shape[0]} units × {matrix.shape[1]} months)"):
        st.dataframe(tables.display_columns(table), hide_index=True, width="stretch")
    components.csv_download(
        "Download the matrix (CSV)",
        table,
        file_name=f"risk_matrix_{level}_{measure}.csv",
        key=KEY_DOWNLOAD,
    )
    if measure == "rate":
        st.caption("Areas are measured in an equal-area projection (EPSG:6933) from the shipped boundaries.")

st.page_link(
    "app_pages/map.py",
    label="For where incidents cluster on the ground, open the heat layer on the Map page.",
    icon="🗺️",
)
components.attribution_footer(data.incidents)
