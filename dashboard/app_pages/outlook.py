"""Outlook page: how likely fatal violence is in each unit over the next 1-3 months, in ICD 203
words, with each unit's fan chart and the backtest that says whether the models beat naive guesses.
A scenario switch adds a what-if (trend continues, back to the 12-month mean, analysts'
adjustments) beside the forecast, never instead of it; analysts adjust units from the page.

Like the Risk page, the outlook is computed on every stored incident of the chosen data sources
(real ones only, by default, once real data is stored); the sidebar's countries only choose which
units are listed and drawn. Engine: incidents/outlook/; method: docs/methodology.md, 'Outlook'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit_folium import st_folium

from dashboard.builders.outlook_charts import (
    TIER_LABELS,
    WINDOW_COLUMN,
    build_reliability_figure,
    display_outlook,
    gate_sentences,
    header,
    skill_table,
    translated_headers,
)
from dashboard.builders.outlook_data import OUTLOOK_LEVELS, OutlookRun
from dashboard.builders.outlook_map import build_outlook_map
from dashboard.builders.outlook_whatif import (
    ADJUSTED,
    FORECAST_ONLY,
    WHATIF_CAPTION,
    adjustments_table,
    scenario_choices,
    whatif_of,
    with_whatif,
)
from dashboard.ui import caching, components
from dashboard.ui.auth import current_user, may
from dashboard.ui.context import load_analysis_page_data
from dashboard.ui.filters import markdown_text
from dashboard.ui.incident_map import unit_map_base
from dashboard.ui.outlook import METHOD_NOTE, refusal, unit_outlook
from geodata.errors import GeodataError
from incidents.auth import Permission, User
from incidents.errors import IncidentsError, OutlookDataError
from incidents.i18n import _, ngettext
from incidents.i18n.formats import format_number, format_percent
from incidents.outlook.adjustments import MAX_PERCENT, MIN_PERCENT, adjust_unit, remove_unit_adjustment
from incidents.outlook.wording import ICD203_SCALE, likelihood_label, month_text
from incidents.store.sql import IncidentStore

MAP_HEIGHT: Final = 540

# Widget keys (part of the test contract).
KEY_LEVEL: Final = "outlook_level"
KEY_HORIZON: Final = "outlook_horizon"
KEY_UNIT: Final = "outlook_unit"
KEY_SCENARIO: Final = "outlook_scenario"
KEY_ADJUST_PERCENT: Final = "outlook_adjust_percent"
KEY_ADJUST_NOTE: Final = "outlook_adjust_note"
KEY_ADJUST_SAVE: Final = "outlook_adjust_save"
KEY_ADJUST_REMOVE: Final = "outlook_adjust_remove"
KEY_MESSAGE: Final = "outlook_message"
KEY_ERROR: Final = "outlook_adjust_error"
KEY_DOWNLOAD: Final = "outlook_download"
MAP_KEY: Final = "outlook_map"
FAN_KEY: Final = "outlook_fan"
RELIABILITY_KEY: Final = "outlook_reliability"
HORIZONS: Final = (1, 2, 3)
#: Where the ICD 203 word "likely" starts.
LIKELY_FROM: Final = dict((word, edge) for edge, word in ICD203_SCALE)["likely"]


def _window_months(months: Mapping[int, str]) -> str:
    """'January to March 2027' ('janvier à mars 2027'): the three months ahead."""
    first, last = months[min(months)], months[max(months)]
    return _("{first} to {last}").format(
        first=month_text(first).rsplit(" ", 1)[0] if first[:4] == last[:4] else month_text(first),
        last=month_text(last),
    )


def _in_view(table: pd.DataFrame, countries: tuple[str, ...]) -> pd.DataFrame:
    return table[table["country_iso3"].isin(countries)]


def _choice(where: DeltaGenerator, label: str, choices: Mapping[str, str], key: str, help: str) -> str:
    """A horizontal radio of ``choices`` (key -> label) in ``where``; the chosen key."""
    return str(
        where.radio(
            label, options=list(choices), format_func=choices.__getitem__, key=key, horizontal=True, help=help
        )
    )


def _adjustments(store: IncidentStore, run: OutlookRun, unit: str | None, adjustments: pd.DataFrame) -> None:
    """The adjustments in force (who, when, why) and, for analysts and admins, the selected unit's form."""
    names = dict(zip(run.table["unit_code"], run.table["unit_name"], strict=False))
    st.markdown(_("**Analysts' adjustments in force** at this level"))
    if message := st.session_state.pop(KEY_MESSAGE, None):
        st.success(message)
    if adjustments.empty:
        st.caption(_("None yet."))
    else:
        st.dataframe(
            translated_headers(adjustments_table(adjustments, names)), hide_index=True, width="stretch"
        )
    user = current_user()
    if unit is None or user is None or not may(user, Permission.ADJUST_OUTLOOK, _("Adjusting the outlook")):
        return
    current = adjustments[adjustments["unit_code"] == unit]
    who = markdown_text(f"{names.get(unit, unit)} ({unit})")
    st.markdown(_("**Adjust {unit}**: a what-if beside the forecast, kept with its history").format(unit=who))
    if problem := st.session_state.pop(KEY_ERROR, None):
        st.error(problem, icon="🚫")
    cols = st.columns([1, 3])
    cols[0].number_input(
        _("Change in incidents (%)"),
        min_value=MIN_PERCENT,
        max_value=MAX_PERCENT,
        value=float(current["percent"].iloc[0]) if len(current) else 0.0,
        step=5.0,
        format="%.0f",
        key=KEY_ADJUST_PERCENT,
        help=_(
            "-90 leaves a tenth of the forecast count, +300 quadruples it. Only the counts are scaled; "
            "the chance of fatal violence stays the forecast's."
        ),
    )
    cols[1].text_input(
        _("Note (why; required)"),
        key=KEY_ADJUST_NOTE,
        placeholder=_("e.g. convoy season starts; reports of a new armed group in the area"),
    )
    buttons = st.columns([1, 1, 4])
    args = (store, run.level, unit, user)
    buttons[0].button(
        _("Save adjustment"), key=KEY_ADJUST_SAVE, type="primary", on_click=_write, args=(*args, True)
    )
    if len(current):
        buttons[1].button(_("Remove adjustment"), key=KEY_ADJUST_REMOVE, on_click=_write, args=(*args, False))


def _write(store: IncidentStore, level: str, unit: str, user: User, save: bool) -> None:
    """Save (or remove) the unit's adjustment from the form's values, before the page runs again: the
    store's data_version moves, so the adjustments are read again (no refit); the note is cleared."""
    note = str(st.session_state.get(KEY_ADJUST_NOTE, ""))
    try:
        if save:
            percent = float(st.session_state[KEY_ADJUST_PERCENT])
            saved = adjust_unit(store, unit, percent, note, level=level, by=user)
            message = _("Saved the adjustment of {unit}: {percent} % (version {version}).").format(
                unit=unit, percent=f"{percent:+g}", version=saved.version
            )
        else:
            removed = remove_unit_adjustment(store, unit, level=level, by=user, note=note)
            message = _("Removed the adjustment of {unit} (version {version}; its history is kept).").format(
                unit=unit, version=removed.version
            )
    except IncidentsError as exc:
        st.session_state[KEY_ERROR] = str(exc)
        return
    st.session_state[KEY_ADJUST_NOTE] = ""
    st.session_state[KEY_MESSAGE] = message


st.title(_("Outlook"))
st.caption(
    _(
        "What this shows: for each region or district, the estimated chance of at least one incident with "
        "fatalities in each of the next three months, in the words of the ICD 203 scale (almost no chance … "
        "almost certain), and how many incidents to expect."
    )
    + " "
    + _(METHOD_NOTE)
)

data = load_analysis_page_data()
frame = data.analysis  # every country, the selected data sources (real only by default)

components.demo_banner(frame, demo_hidden=data.demo_hidden)
controls = st.columns([2, 3])
level = _choice(
    controls[0],
    _("Units"),
    OUTLOOK_LEVELS,
    KEY_LEVEL,
    _(
        "Districts (admin-2) are shipped for Mali, Burkina Faso and Niger. Each level is fitted and "
        "backtested on its own, the first time it is shown (up to a minute)."
    ),
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
        _("Month"),
        options=[h for h in HORIZONS if h in months],
        format_func=lambda h: month_text(months[h]),
        key=KEY_HORIZON,
        horizontal=True,
        help=_(
            "The outlook starts after {origin}, the last complete month of the data (a month still "
            "being filled would read as a fall in violence). Each option is one calendar month."
        ).format(origin=run.origin),
    )
)

choices = scenario_choices(run)
scenario = _choice(
    st.container(),
    _("Scenario"),
    choices,
    KEY_SCENARIO,
    _(
        "A what-if shows what the incident count would be if its assumption held, beside the "
        "forecast (a dashed line in the unit's chart, extra columns in the table), never instead of it. "
        "Trend: the last three months' trend extended (capped at ×1.5 a month). Mean: the unit's average "
        "of the last 12 months. Analysts' adjustments: the forecast counts scaled by an analyst's "
        "percentage, with their note."
    ),
)
adjustments = (
    caching.outlook_adjustments(data.db_url, data.data_version, level) if scenario == ADJUSTED else None
)
whatif = whatif_of(run, scenario, adjustments)

table = _in_view(run.table, data.filter.countries)
rows = table[table["horizon"] == horizon]
if rows.empty:
    components.empty_state(data.filter.countries, data.country_names, note="")
    st.stop()

likely = int((rows["p_fatal"] >= LIKELY_FROM).sum())
metrics = st.columns(4)
metrics[0].metric(_("Units listed"), format_number(len(rows)))
metrics[1].metric(
    _("{likelihood} or more").format(likelihood=likelihood_label("likely").capitalize()),
    format_number(likely),
    help=_("Chance of an incident with fatalities of {percent} or more.").format(
        percent=format_percent(LIKELY_FROM)
    ),
)
metrics[2].metric(_("Month"), month_text(months[horizon]))
metrics[3].metric(_("Data up to"), month_text(run.origin), help=_("The last complete month."))

build = build_outlook_map(rows, level, unit_map_base(data, frame, level))
st_folium(build.map, key=MAP_KEY, height=MAP_HEIGHT, use_container_width=True, returned_objects=[])
st.caption(
    _(
        "Colours: the chance of at least one incident with fatalities in the month, in the seven ICD 203 "
        "classes (legend on the map). Grey units have no outlook."
    )
)

st.subheader(_("Outlook by unit"))
shown = display_outlook(rows, data.country_names, run.window)
if whatif is not None:
    shown = with_whatif(shown, whatif, horizon)
    st.caption(_("Columns headed 'What if …' are what-ifs beside the forecast.") + " " + _(WHATIF_CAPTION))
window_months = _window_months(months)
whatif_columns = [
    column
    for column in shown.columns
    if whatif is not None and column.startswith(whatif.title) and pd.api.types.is_numeric_dtype(shown[column])
]
shown_table = translated_headers(shown)
st.dataframe(
    shown_table,
    hide_index=True,
    width="stretch",
    column_order=[
        column for column in shown_table.columns if column != header("Month")
    ],  # the month is above
    column_config={
        header("Probability"): st.column_config.ProgressColumn(
            min_value=0.0, max_value=1.0, format="percent"
        ),
        header(WINDOW_COLUMN): st.column_config.NumberColumn(
            format="percent",
            help=_(
                "Chance of at least one incident with fatalities in any of the three months ahead "
                "({months}); the same whichever month is chosen."
            ).format(months=window_months),
        ),
        **(
            {
                column: st.column_config.NumberColumn(
                    format="%.1f",
                    help=_("What-if, not a forecast: incidents in the month if the assumption held."),
                )
                for column in whatif_columns
            }
        ),
        header("Chance of a surge"): st.column_config.NumberColumn(
            format="percent",
            help=_(
                "Chance the month's incidents reach twice the unit's average of the last 4 months "
                "(only where that average is at least 1)."
            ),
        ),
        header("Served by"): st.column_config.TextColumn(
            help=_(
                "The model or naive baseline whose numbers this unit gets: the one that scored best in the "
                "backtest for its tier (active or quiet) and month ahead."
            )
        ),
    },
)
components.csv_download(
    _("Download this outlook (CSV)"),
    shown_table,
    file_name=f"outlook_{level}_{months[horizon]}.csv",
    key=KEY_DOWNLOAD,
)

st.subheader(_("One unit"))
codes = shown["Code"].tolist()
names = dict(zip(codes, shown["Unit"], strict=True))
unit = st.selectbox(
    _("Unit"),
    options=codes,
    format_func=lambda code: f"{names[code]} ({code})",
    key=KEY_UNIT,
    help=_("Listed most likely first. The chart shows all three months ahead."),
)
if unit is not None:
    unit_outlook(run, str(unit), horizon, key=FAN_KEY, whatif=whatif)
if scenario == ADJUSTED and adjustments is not None:
    _adjustments(data.store, run, None if unit is None else str(unit), adjustments)
elif scenario == FORECAST_ONLY:
    st.caption(_("Choose a scenario above to see a what-if beside the forecast."))

st.subheader(_("Does the outlook beat naive guesses? (backtest)"))
backtest = run.backtest
origins = backtest["origins"]
st.caption(
    ngettext(
        "Each month from {first} to {last} ({count} month) every model and naive baseline "
        "was fitted on the data up to that month only and scored on the months that followed. A model is "
        "served only where it beat the best baseline clearly; elsewhere the baseline serves.",
        "Each month from {first} to {last} ({count} months) every model and naive baseline "
        "was fitted on the data up to that month only and scored on the months that followed. A model is "
        "served only where it beat the best baseline clearly; elsewhere the baseline serves.",
        len(origins),
    ).format(first=origins[0], last=origins[-1], count=len(origins))
    if origins
    else _("No month before the origin could be scored: baselines serve everywhere.")
)
st.markdown("\n".join(f"- {sentence}" for sentence in gate_sentences(backtest["gate"])))
skills = skill_table(backtest["scores"])
if len(skills):
    st.dataframe(
        translated_headers(skills),
        hide_index=True,
        width="stretch",
        column_config={
            header("CRPS"): st.column_config.NumberColumn(
                format="%.3f",
                help=_("Continuous ranked probability score of the incident count: lower is better."),
            ),
            header("Brier"): st.column_config.NumberColumn(
                format="%.3f", help=_("Brier score of the chance of fatal violence: lower is better.")
            ),
            **{
                header(column): st.column_config.NumberColumn(
                    format="%.2f",
                    help=_("1 − score ÷ the baseline's score: above 0 the model beats that baseline."),
                )
                for column in skills.columns
                if "skill" in column
            },
            **{
                header(column): st.column_config.NumberColumn(
                    format="percent",
                    help=_("Share of outcomes inside the range: close to its nominal share is good."),
                )
                for column in skills.columns
                if "coverage" in column
            },
        },
    )
    st.caption(" · ".join(f"{label}" for label in TIER_LABELS.values()))
st.plotly_chart(build_reliability_figure(backtest["reliability"]), width="stretch", key=RELIABILITY_KEY)
st.caption(
    _(
        "Reliability: forecasts grouped by tenths of probability; a reliable forecast lies on the diagonal "
        "(of the months forecast at {percent}, about {percent} had an incident with fatalities)."
    ).format(percent=format_percent(0.3))
)
if words := backtest["likelihood_words"]:
    st.markdown(_("**Did the words come true?** In the backtest, for what the outlook serves:"))
    happened = _("How often it happened")
    st.dataframe(
        pd.DataFrame(
            {
                _("Chance of fatal violence"): [likelihood_label(w["likelihood"]) for w in words],
                _("Unit-months forecast"): [w["unit_months"] for w in words],
                happened: [w["came_true"] for w in words],
            }
        ),
        hide_index=True,
        column_config={happened: st.column_config.NumberColumn(format="percent")},
    )
components.attribution_footer(frame)
