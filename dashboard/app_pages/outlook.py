"""Outlook page: how likely fatal violence is in each unit over the next 1-3 months, in ICD 203
words, with each unit's fan chart and the backtest that says whether the models beat naive guesses.

Like the Risk page, the outlook is computed on every stored incident of the chosen data sources
(real ones only, by default, once real data is stored); the sidebar's countries only choose which
units are listed and drawn. Engine: incidents/outlook/; method: docs/methodology.md, 'Outlook'.
"""

from __future__ import annotations

from typing import Final

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.builders.outlook_charts import (
    TIER_LABELS,
    build_reliability_figure,
    display_outlook,
    gate_sentences,
    skill_table,
)
from dashboard.builders.outlook_data import OUTLOOK_LEVELS
from dashboard.builders.outlook_map import build_outlook_map
from dashboard.ui import caching, components
from dashboard.ui.context import load_analysis_page_data
from dashboard.ui.incident_map import unit_map_base
from dashboard.ui.outlook import METHOD_NOTE, refusal, unit_outlook
from geodata.errors import GeodataError
from incidents.errors import IncidentsError, OutlookDataError
from incidents.outlook.wording import ICD203_SCALE

MAP_HEIGHT: Final = 540

# Widget keys (part of the test contract).
KEY_LEVEL: Final = "outlook_level"
KEY_HORIZON: Final = "outlook_horizon"
KEY_UNIT: Final = "outlook_unit"
KEY_DOWNLOAD: Final = "outlook_download"
MAP_KEY: Final = "outlook_map"
FAN_KEY: Final = "outlook_fan"
RELIABILITY_KEY: Final = "outlook_reliability"
HORIZONS: Final = (1, 2, 3)
#: Where the ICD 203 word "likely" starts.
LIKELY_FROM: Final = dict((word, edge) for edge, word in ICD203_SCALE)["likely"]


def _in_view(table: pd.DataFrame, countries: tuple[str, ...]) -> pd.DataFrame:
    return table[table["country_iso3"].isin(countries)]


st.title("Outlook")
st.caption(
    "What this shows: for each region or district, the estimated chance of at least one incident with "
    "fatalities in each of the next three months, in the words of the ICD 203 scale (almost no chance … "
    "almost certain), and how many incidents to expect. " + METHOD_NOTE
)

data = load_analysis_page_data()
frame = data.analysis  # every country, the selected data sources (real only by default)

components.demo_banner(frame, demo_hidden=data.demo_hidden)
controls = st.columns([2, 3])
level = str(
    controls[0].radio(
        "Units",
        options=list(OUTLOOK_LEVELS),
        format_func=OUTLOOK_LEVELS.__getitem__,
        key=KEY_LEVEL,
        horizontal=True,
        help="Districts (admin-2) are shipped for Mali, Burkina Faso and Niger. Each level is fitted and "
        "backtested on its own, the first time it is shown (up to a minute).",
    )
)
try:
    run = caching.outlook_run(data.db_url, data.data_version, level, data.filter.sources)
except OutlookDataError as exc:
    refusal(exc)
    components.attribution_footer(frame)
    st.stop()
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)
    st.stop()

months = {int(h): str(m) for h, m in run.table[["horizon", "month"]].drop_duplicates().to_numpy()}
horizon = int(
    controls[1].radio(
        "Month",
        options=[h for h in HORIZONS if h in months],
        format_func=lambda h: f"{pd.Period(months[h], freq='M'):%B %Y}",
        key=KEY_HORIZON,
        horizontal=True,
        help=f"The outlook starts after {run.origin}, the last complete month of the data (a month still "
        "being filled would read as a fall in violence). Each option is one calendar month.",
    )
)

table = _in_view(run.table, data.filter.countries)
rows = table[table["horizon"] == horizon]
if rows.empty:
    components.empty_state(data.filter.countries, data.country_names, note="")
    st.stop()

likely = int((rows["p_fatal"] >= LIKELY_FROM).sum())
metrics = st.columns(4)
metrics[0].metric("Units listed", f"{len(rows):,}")
metrics[1].metric(
    "Likely or more",
    f"{likely:,}",
    help=f"Chance of an incident with fatalities of {LIKELY_FROM:.0%} or more.",
)
metrics[2].metric("Month", f"{pd.Period(months[horizon], freq='M'):%B %Y}")
metrics[3].metric("Data up to", f"{pd.Period(run.origin, freq='M'):%B %Y}", help="The last complete month.")

build = build_outlook_map(rows, level, unit_map_base(data, frame, level))
st_folium(build.map, key=MAP_KEY, height=MAP_HEIGHT, use_container_width=True, returned_objects=[])
st.caption(
    "Colours: the chance of at least one incident with fatalities in the month, in the seven ICD 203 "
    "classes (legend on the map). Grey units have no outlook."
)

st.subheader("Outlook by unit")
shown = display_outlook(rows, data.country_names)
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    column_order=[column for column in shown.columns if column != "Month"],  # the month is above
    column_config={
        "Probability": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="percent"),
        "Chance of a surge": st.column_config.NumberColumn(
            format="percent",
            help="Chance the month's incidents reach twice the unit's average of the last 4 months "
            "(only where that average is at least 1).",
        ),
        "Served by": st.column_config.TextColumn(
            help="The model or naive baseline whose numbers this unit gets: the one that scored best in the "
            "backtest for its tier (active or quiet) and month ahead."
        ),
    },
)
components.csv_download(
    "Download this outlook (CSV)",
    shown,
    file_name=f"outlook_{level}_{months[horizon]}.csv",
    key=KEY_DOWNLOAD,
)

st.subheader("One unit")
codes = shown["Code"].tolist()
names = dict(zip(codes, shown["Unit"], strict=True))
unit = st.selectbox(
    "Unit",
    options=codes,
    format_func=lambda code: f"{names[code]} ({code})",
    key=KEY_UNIT,
    help="Listed most likely first. The chart shows all three months ahead.",
)
if unit is not None:
    unit_outlook(run, str(unit), horizon, key=FAN_KEY)

# Seam: scenarios (what if violence rises or falls; incidents/outlook, in progress) go here.

st.subheader("Does the outlook beat naive guesses? (backtest)")
backtest = run.backtest
origins = backtest["origins"]
st.caption(
    f"Each month from {origins[0]} to {origins[-1]} ({len(origins)} months) every model and naive baseline "
    "was fitted on the data up to that month only and scored on the months that followed. A model is "
    "served only where it beat the best baseline clearly; elsewhere the baseline serves."
    if origins
    else "No month before the origin could be scored: baselines serve everywhere."
)
st.markdown("\n".join(f"- {sentence}" for sentence in gate_sentences(backtest["gate"])))
skills = skill_table(backtest["scores"])
if len(skills):
    st.dataframe(
        skills,
        hide_index=True,
        width="stretch",
        column_config={
            "CRPS": st.column_config.NumberColumn(
                format="%.3f",
                help="Continuous ranked probability score of the incident count: lower is better.",
            ),
            "Brier": st.column_config.NumberColumn(
                format="%.3f", help="Brier score of the chance of fatal violence: lower is better."
            ),
            **{
                column: st.column_config.NumberColumn(
                    format="%.2f",
                    help="1 − score ÷ the baseline's score: above 0 the model beats that baseline.",
                )
                for column in skills.columns
                if "skill" in column
            },
            **{
                column: st.column_config.NumberColumn(
                    format="percent",
                    help="Share of outcomes inside the range: close to its nominal share is good.",
                )
                for column in skills.columns
                if "coverage" in column
            },
        },
    )
    st.caption(" · ".join(f"{label}" for label in TIER_LABELS.values()))
st.plotly_chart(build_reliability_figure(backtest["reliability"]), width="stretch", key=RELIABILITY_KEY)
st.caption(
    "Reliability: forecasts grouped by tenths of probability; a reliable forecast lies on the diagonal "
    "(of the months forecast at 30 %, about 30 % had an incident with fatalities)."
)
if words := backtest["likelihood_words"]:
    st.markdown("**Did the words come true?** In the backtest, for what the outlook serves:")
    st.dataframe(
        pd.DataFrame(
            {
                "Chance of fatal violence": [w["likelihood"] for w in words],
                "Unit-months forecast": [w["unit_months"] for w in words],
                "How often it happened": [w["came_true"] for w in words],
            }
        ),
        hide_index=True,
        column_config={"How often it happened": st.column_config.NumberColumn(format="percent")},
    )
components.attribution_footer(frame)
