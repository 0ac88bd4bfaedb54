"""Overview page: key figures with change, top regions and actor groups, latest incidents."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard.builders import tables
from dashboard.builders.charts import build_bar_figure
from dashboard.ui import caching, components
from dashboard.ui.context import load_page_data
from geodata.errors import GeodataError
from incidents.errors import IncidentsError
from incidents.i18n import _
from incidents.i18n.formats import format_day, format_number
from incidents.model import ACTOR_GROUP_LABELS

TOP_N = 10


def _figure_metric(
    column: DeltaGenerator, label: str, now: int, before: int, help: str | None = None
) -> None:
    """A key figure with its change from the previous period (a rise shows red)."""
    column.metric(
        label,
        format_number(now),
        delta=tables.change_delta(now, before),
        delta_color="inverse",
        delta_description=_("vs {count} in the previous period").format(count=format_number(before)),
        help=help,
    )


st.title(_("Overview"))
st.caption(
    _(
        "What this shows: how many incidents, deaths and attacks on civilians the filtered data holds, "
        "how that compares with the period just before, where and by whom, and the latest reports."
    )
)

try:
    data = load_page_data()
    chosen = data.filter
    figures = data.view.key_figures()
    if not data.empty:
        regions = data.view.top_units("admin1", TOP_N)
        actors = data.view.top_actor_groups(TOP_N)
        latest_ids = data.view.latest_ids()
        details = caching.incident_details(data.db_url, data.data_version, latest_ids)
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)
    st.stop()

prev_start, prev_end = chosen.previous_period()
assert chosen.since is not None and chosen.until is not None  # load_page_data resolves the dates
st.caption(
    _(
        "Period shown: {since} to {until} (inclusive); "
        "changes compare with {previous_since} to {previous_until}."
    ).format(
        since=format_day(chosen.since),
        until=format_day(chosen.until),
        previous_since=format_day(prev_start),
        previous_until=format_day(prev_end),
    )
)
components.demo_banner(data.shown_sources, demo_hidden=data.demo_hidden)
components.since_last_visit()


cols = st.columns(3)
_figure_metric(cols[0], _("Incidents"), figures.incidents, figures.previous_incidents)
_figure_metric(cols[1], _("Fatalities"), figures.fatalities, figures.previous_fatalities)
_figure_metric(
    cols[2],
    _("Civilian-targeting events"),
    figures.civilian_events,
    figures.previous_civilian_events,
    help=_("Events in which civilians were the target (ACLED civilian_targeting; UCDP one-sided violence)."),
)

if data.empty:
    components.empty_state(chosen.countries, data.country_names, note="")
else:
    left, right = st.columns(2)
    with left:
        region_bars = regions.assign(region=tables.unit_labels(regions))
        st.plotly_chart(
            build_bar_figure(
                region_bars, x="incidents", y="region", title=_("Top regions (admin-1) by incidents")
            ),
            key="overview_regions",
        )
    with right:
        st.plotly_chart(
            build_bar_figure(
                actors.assign(actor_group=actors["actor_group"].map(lambda g: ACTOR_GROUP_LABELS.get(g, g))),
                x="incidents",
                y="actor_group",
                title=_("Top actor groups by incidents"),
            ),
            key="overview_actors",
        )

    st.subheader(_("Latest incidents"))
    date_header = _("Date")
    st.dataframe(
        tables.latest_incidents_table(details, data.country_names),
        hide_index=True,
        width="stretch",
        column_config={date_header: st.column_config.DateColumn(date_header, format="YYYY-MM-DD")},
    )
    st.caption(
        _(
            "The {shown} most recent of {total} incidents. "
            "Actor groups count the armed group involved: an army-versus-JNIM battle counts as JNIM."
        ).format(shown=len(latest_ids), total=format_number(figures.incidents))
    )

components.attribution_footer(data.shown_sources)
