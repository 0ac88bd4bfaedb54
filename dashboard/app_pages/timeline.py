"""Timeline page: incidents or fatalities per week or month, stacked, with key developments."""

from __future__ import annotations

from typing import Final, Literal

import streamlit as st

from dashboard.builders import tables
from dashboard.builders.charts import build_timeline_figure
from dashboard.ui import caching, components
from dashboard.ui.context import load_page_data_and_developments
from dashboard.ui.outlook import METHOD_NOTE, refusal, unit_outlook
from geodata.errors import GeodataError
from incidents.analytics import developments_in_range
from incidents.errors import IncidentsError, OutlookDataError
from incidents.i18n import N_, _
from incidents.i18n.formats import format_day

KEY_FREQ: Final = "timeline_freq"
KEY_MEASURE: Final = "timeline_measure"
KEY_STACK: Final = "timeline_stack"
KEY_ROLLING: Final = "timeline_rolling"
KEY_DEVELOPMENTS: Final = "timeline_developments"
KEY_DOWNLOAD: Final = "timeline_download"
KEY_FAN: Final = "timeline_fan"

# The option keys are the analytics' literal arguments, so the widgets return values of these types.
Freq = Literal["W", "M"]
Measure = Literal["incidents", "fatalities"]
StackBy = Literal["event_type", "actor_group", "country_iso3"]

FREQ_LABELS: Final[dict[Freq, str]] = {"W": N_("Week"), "M": N_("Month")}
MEASURE_LABELS: Final[dict[Measure, str]] = {"incidents": N_("Incidents"), "fatalities": N_("Fatalities")}
STACK_LABELS: Final[dict[StackBy, str]] = {
    "event_type": N_("Event type"),
    "actor_group": N_("Actor group"),
    "country_iso3": N_("Country"),
}
#: The chart's title for each measure and period (whole sentences, so a translator can order them).
CHART_TITLES: Final[dict[tuple[Measure, Freq], str]] = {
    ("incidents", "W"): N_("Incidents per week by {stack}"),
    ("incidents", "M"): N_("Incidents per month by {stack}"),
    ("fatalities", "W"): N_("Fatalities per week by {stack}"),
    ("fatalities", "M"): N_("Fatalities per month by {stack}"),
}
#: How the chart's title names the stacking, after "by".
STACK_IN_TITLE: Final[dict[StackBy, str]] = {
    "event_type": N_("event type"),
    "actor_group": N_("actor group"),
    "country_iso3": N_("country"),
}
DEFAULT_ROLLING: Final = 4
MAX_ROLLING: Final = 12

st.title(_("Timeline"))
st.caption(
    _(
        "What this shows: incidents or fatalities per week or month for the filtered data, stacked by "
        "event type, actor group or country, with a rolling average and dated key developments."
    )
)

data, developments = load_page_data_and_developments()

chosen = data.filter
assert chosen.since is not None and chosen.until is not None  # load_page_data resolves the dates
controls = st.columns([1, 1, 1, 1.4, 1.2])
freq = controls[0].selectbox(
    _("Per"), list(FREQ_LABELS), format_func=lambda code: _(FREQ_LABELS[code]), key=KEY_FREQ
)
measure = controls[1].selectbox(
    _("Measure"), list(MEASURE_LABELS), format_func=lambda code: _(MEASURE_LABELS[code]), key=KEY_MEASURE
)
stack = controls[2].selectbox(
    _("Stack by"), list(STACK_LABELS), format_func=lambda code: _(STACK_LABELS[code]), key=KEY_STACK
)
rolling = controls[3].slider(
    _("Rolling average (periods)"),
    min_value=0,
    max_value=MAX_ROLLING,
    value=DEFAULT_ROLLING,
    key=KEY_ROLLING,
    help=_("Trailing mean of the total over this many weeks or months; 0 hides the line."),
)
show_developments = controls[4].toggle(
    _("Key developments"),
    value=True,
    key=KEY_DEVELOPMENTS,
    help=_("Political and security milestones (listed on the About page) for these countries and the Sahel."),
)

st.caption(
    _("Period shown: {since} to {until} (inclusive).").format(
        since=format_day(chosen.since), until=format_day(chosen.until)
    )
)
components.demo_banner(data.shown_sources, demo_hidden=data.demo_hidden)

if data.empty:
    components.empty_state(chosen.countries, data.country_names, note="")
else:
    series = data.view.series(freq=freq, by=stack, measure=measure)
    shown = (
        developments_in_range(developments, chosen.since, chosen.until, chosen.countries)
        if show_developments
        else None
    )
    period = FREQ_LABELS[freq].lower()  # the CSV's file name: English words, as before
    figure = build_timeline_figure(
        series,
        measure=measure,
        rolling_window=int(rolling) or None,
        developments=shown,
        title=_(CHART_TITLES[measure, freq]).format(stack=_(STACK_IN_TITLE[stack])),
    )
    st.plotly_chart(figure, key="timeline_chart")
    st.caption(
        _(
            "Drag the slider under the chart to zoom in on a stretch of time. Dotted lines mark key "
            "developments; hover a label for its full title. Weeks start on Monday."
        )
    )
    components.csv_download(
        _("Download this series (CSV)"),
        tables.series_table(series, stack, measure),
        file_name=f"timeline_{measure}_{period}_{stack}.csv",
        key=KEY_DOWNLOAD,
    )
    if shown is not None and not shown.empty:
        with st.expander(_("Key developments in this period ({count})").format(count=len(shown))):
            st.dataframe(
                tables.display_columns(
                    shown.assign(date=shown["date"].dt.date)[["date", "scope", "title", "category"]]
                ),
                hide_index=True,
                width="stretch",
            )

st.subheader(_("Outlook for the next three months"))
if len(chosen.admin1_codes) == 1:
    region = chosen.admin1_codes[0]
    try:
        run = caching.outlook_run(data.db_url, data.data_version, "admin1", chosen.sources)
    except OutlookDataError as exc:
        refusal(exc)
    except (IncidentsError, GeodataError) as exc:
        components.domain_error(exc)
    else:
        unit_outlook(run, region, 1, key=KEY_FAN)
        st.caption(
            _(
                "The outlook counts every incident of the region in the chosen data sources, whatever the "
                "other filters (period, event types, actors). {method} All regions: the Outlook page."
            ).format(method=_(METHOD_NOTE))
        )
else:
    st.caption(
        _(
            "Choose a single region under *Regions (admin-1)* in the sidebar's *More filters* to see its "
            "outlook here: observed incidents per month and the estimated range for the next three months."
        )
    )

components.attribution_footer(data.shown_sources)
