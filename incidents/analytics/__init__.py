"""Pure, vectorised analytics over the dashboard's analysis frame.

Pages filter the frame with :meth:`incidents.query.IncidentFilter.mask` and pass the
result here. Functions take frames of :data:`incidents.store.sql.ANALYSIS_COLUMNS`
(category columns or plain strings) and return small frames ready to chart; none of
them loops over rows in Python, so a million incidents aggregate in tens of
milliseconds.
"""

from incidents.analytics._common import INCIDENT_COUNT, incident_total, incidents_by, row_counts
from incidents.analytics.matrix import region_month_matrix
from incidents.analytics.overview import (
    LATEST_COUNT,
    KeyFigures,
    key_figures,
    latest_incident_ids,
    top_actor_groups,
    top_units,
)
from incidents.analytics.regions import unit_summary, unit_trend
from incidents.analytics.timeseries import developments_in_range, incident_series, rolling_mean, series_totals

__all__ = [
    "INCIDENT_COUNT",
    "LATEST_COUNT",
    "KeyFigures",
    "developments_in_range",
    "incident_series",
    "incident_total",
    "incidents_by",
    "key_figures",
    "latest_incident_ids",
    "region_month_matrix",
    "rolling_mean",
    "row_counts",
    "series_totals",
    "top_actor_groups",
    "top_units",
    "unit_summary",
    "unit_trend",
]
