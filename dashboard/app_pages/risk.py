"""Risk page: conflict index and risk level per unit, trend and surge flags, indicator breakdown.

The index is computed on the whole store (never the country-filtered incidents), so a unit's
level does not change when other countries are filtered out; the sidebar's countries only
choose which units are listed and drawn. Method: docs/methodology.md.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from babel.numbers import format_decimal
from streamlit_folium import st_folium

from dashboard.builders import tables
from dashboard.builders.risk_map import risk_map_on
from dashboard.builders.watches import PREFILL_ADMIN1, PREFILL_ADMIN2
from dashboard.ui import caching, components
from dashboard.ui.context import load_analysis_page_data
from dashboard.ui.incident_map import unit_map_base
from geodata.errors import GeodataError
from incidents.errors import IncidentsError
from incidents.i18n import N_, Labels, _, current_language, ngettext
from incidents.i18n.formats import format_day, format_number, format_percent
from incidents.risk.index import RISK_LEVEL_LABELS, RiskConfig
from incidents.risk.trends import TREND_LABELS
from incidents.settings import CORRIDOR_KM

MAP_HEIGHT = 560

# Widget keys (part of the test contract).
KEY_LEVEL = "risk_unit_level"
KEY_AS_OF = "risk_as_of"
KEY_WINDOW = "risk_window_days"
KEY_UNIT = "risk_unit"
MAP_KEY = "risk_map"

LEVEL_OPTIONS = Labels(
    {"admin1": N_("Regions (admin-1)"), "admin2": N_("Districts (admin-2)"), "corridor": N_("Corridors")}
)
TREND_TEXT = tables.TREND_TEXT
TREND_COLOURS = {
    "large_increase": "red",
    "moderate_increase": "orange",
    "limited_change": "gray",
    "large_decrease": "green",
}
LEVEL_BADGE_COLOURS = {1: "green", 2: "blue", 3: "orange", 4: "red", 5: "violet"}
TABLE_COLUMNS = Labels(
    {
        "unit_name": N_("Unit"),
        "unit_code": N_("Code"),
        "country_iso3": N_("Country"),
        "risk": N_("Risk level"),
        "index": N_("Index (0–1)"),
        "events": N_("Events"),
        "fatalities": N_("Fatalities"),
        "civilian_events": N_("Civilian targeting"),
        "armed_groups": N_("Armed groups"),
        "diffusion": N_("Diffusion"),
        "trend_4w_text": N_("Week vs 4 weeks"),
        "trend_52w_text": N_("Week vs 52 weeks"),
        "surge_text": N_("Surge"),
    }
)


def _in_view(table: pd.DataFrame, countries: tuple[str, ...]) -> pd.DataFrame:
    """Units of the chosen countries (a corridor when any country it crosses is chosen)."""
    wanted = set(countries)
    keep = table["country_iso3"].astype(str).map(lambda text: bool(wanted & set(text.split(";"))))
    return table[keep.to_numpy(dtype=bool)]


def _display_table(view: pd.DataFrame) -> pd.DataFrame:
    shown = view.assign(
        risk=[f"{level} {RISK_LEVEL_LABELS[int(level)]}" for level in view["risk_level"]],
        trend_4w_text=view["trend_4w"].map(TREND_TEXT),
        trend_52w_text=view["trend_52w"].map(TREND_TEXT),
        surge_text=view["surge"].map({True: _("⚡ surge"), False: ""}),
    )
    return shown[list(TABLE_COLUMNS)].rename(columns=dict(TABLE_COLUMNS))


def _breakdown(row: pd.Series, config: RiskConfig) -> pd.DataFrame:
    """The four indicators of one unit: raw value, how it is scaled, score, weight, contribution."""
    indicators = (
        (
            _("Deadliness"),
            ngettext("{count} fatality", "{count} fatalities", int(row["fatalities"])).format(
                count=format_number(int(row["fatalities"]))
            ),
            f"log10(1+x)/log10(1+{config.deadliness_cap:g})",
            "deadliness_score",
        ),
        (
            _("Danger"),
            ngettext(
                "{count} civilian-targeting event",
                "{count} civilian-targeting events",
                int(row["civilian_events"]),
            ).format(count=format_number(int(row["civilian_events"]))),
            f"log10(1+x)/log10(1+{config.danger_cap:g})",
            "danger_score",
        ),
        (
            _("Diffusion"),
            _("{share} of populated 10 km cells with ≥ {events} events").format(
                share=format_percent(float(row["diffusion"]), digits=1), events=config.diffusion_min_events
            ),
            f"x/{config.diffusion_cap:g}",
            "diffusion_score",
        ),
        (
            _("Fragmentation"),
            ngettext(
                "{count} non-state armed group", "{count} non-state armed groups", int(row["armed_groups"])
            ).format(count=int(row["armed_groups"])),
            f"x/{config.fragmentation_cap:g}",
            "fragmentation_score",
        ),
    )
    rows = []
    for (name, raw, scaling, column), weight in zip(indicators, config.weights, strict=True):
        score = float(row[column])
        rows.append(
            {
                _("Indicator"): name,
                _("Value"): raw,
                _("Scaling (capped at 1)"): scaling,
                _("Score"): round(score, 3),
                _("Weight"): weight,
                _("Contribution"): round(weight * score, 3),
            }
        )
    return pd.DataFrame(rows)


def _badges(row: pd.Series) -> None:
    level = int(row["risk_level"])
    cols = st.columns(4)
    with cols[0]:
        st.badge(
            _("Level {level}: {name}").format(level=level, name=RISK_LEVEL_LABELS[level]),
            color=LEVEL_BADGE_COLOURS[level],  # type: ignore[arg-type]
        )
    with cols[1]:
        st.badge(
            _("4 weeks: {trend}").format(trend=TREND_TEXT[row["trend_4w"]]),
            color=TREND_COLOURS[row["trend_4w"]],  # type: ignore[arg-type]
        )
    with cols[2]:
        st.badge(
            _("52 weeks: {trend}").format(trend=TREND_TEXT[row["trend_52w"]]),
            color=TREND_COLOURS[row["trend_52w"]],  # type: ignore[arg-type]
        )
    with cols[3]:
        if bool(row["surge"]):
            st.badge(_("⚡ Surge"), color="red")
        else:
            st.badge(_("No surge"), color="gray")


st.title(_("Conflict risk index"))
st.caption(
    _(
        "What this shows: a 0–1 conflict index and a risk level (1 {lowest} … 5 {highest}) per unit over "
        "a trailing window, from deadliness, danger to civilians, diffusion and fragmentation (adapted "
        "from ACLED's Conflict Index), with this week's trend and surge flags. Levels are computed on "
        "every stored incident of the chosen data sources: the sidebar's countries choose which units "
        "are listed, never their level."
    ).format(lowest=RISK_LEVEL_LABELS[1], highest=RISK_LEVEL_LABELS[5])
)

data = load_analysis_page_data()
frame = data.analysis  # every country, the selected data sources (real only by default)

assert data.data_range is not None  # load_analysis_page_data stops the page otherwise
first_day, last_day = data.data_range
controls = st.columns([2, 1, 1])
level = controls[0].radio(
    _("Units"),
    options=list(LEVEL_OPTIONS),
    format_func=LEVEL_OPTIONS.__getitem__,
    key=KEY_LEVEL,
    horizontal=True,
)
as_of: date = controls[1].date_input(
    _("As of"),
    value=last_day,
    min_value=first_day,
    max_value=max(last_day, date.today()),
    key=KEY_AS_OF,
    help=_("Last day of the window and of 'this week'. Default: the last event date in the store."),
)
window_days = int(
    controls[2].number_input(
        _("Window (days)"),
        min_value=7,
        max_value=3650,
        value=RiskConfig().window_days,
        step=1,
        key=KEY_WINDOW,
    )
)
config = RiskConfig(window_days=window_days)

try:
    table = caching.risk_table_cached(
        data.db_url,
        data.data_version,
        str(level),
        as_of,
        window_days,
        CORRIDOR_KM,
        data.filter.sources,
    )
except (IncidentsError, GeodataError) as exc:
    components.domain_error(exc)
    st.stop()

components.demo_banner(frame, demo_hidden=data.demo_hidden)
view = _in_view(table, data.filter.countries)
if view.empty:
    components.empty_state(data.filter.countries, data.country_names, note="")
    st.stop()

st.caption(
    _("Window: {days} days ending {day}; 'this week' is the 7 days ending {day}.").format(
        days=window_days, day=format_day(as_of)
    )
)
metrics = st.columns(4)
metrics[0].metric(_("Units listed"), format_number(len(view)))
metrics[1].metric(
    _("{name} (level {level})").format(name=RISK_LEVEL_LABELS[5], level=5),
    format_number(int((view["risk_level"] == 5).sum())),
)
metrics[2].metric(
    _("{name} (level {level})").format(name=RISK_LEVEL_LABELS[4], level=4),
    format_number(int((view["risk_level"] == 4).sum())),
)
metrics[3].metric(_("Surging this week"), format_number(int(view["surge"].sum())))

build = risk_map_on(
    view,
    str(level),
    unit_map_base(data, frame, str(level)),  # the index is computed from every stored incident
    caching.map_corridor_lines(data.db_url, data.data_version),
)
st_folium(build.map, key=MAP_KEY, height=MAP_HEIGHT, use_container_width=True, returned_objects=[])

st.subheader(_("Index by unit"))
st.dataframe(
    _display_table(view),
    hide_index=True,
    width="stretch",
    column_config={
        TABLE_COLUMNS["index"]: st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f")
    },
)
st.caption(
    _(
        "Trends compare the 7 days ending at the as-of date with the weekly average of the previous 4 "
        "(and 52) weeks: {trends}. A surge is a week at least twice the 4-week average, where that average "
        "is at least 1 event a week."
    ).format(trends=", ".join(TREND_TEXT[label] for label in TREND_LABELS))
)

st.subheader(_("Indicator breakdown"))
options = view["unit_code"].astype(str).tolist()
names = dict(zip(options, view["unit_name"].astype(str), strict=True))
chosen_unit = st.selectbox(
    _("Unit"), options=options, format_func=lambda code: f"{names[code]} ({code})", key=KEY_UNIT
)
if chosen_unit is not None:
    row = view[view["unit_code"].astype(str) == chosen_unit].iloc[0]
    _badges(row)
    # "Watch this region": the Watches page opens with this unit chosen (it checks the code again).
    prefill = {"admin1": PREFILL_ADMIN1, "admin2": PREFILL_ADMIN2}.get(str(level))
    if prefill is not None:
        st.page_link(
            "app_pages/watches.py",
            label=_("Watch this region") if level == "admin1" else _("Watch this district"),
            icon=":material/notifications_active:",
            query_params={prefill: chosen_unit},
        )
    st.dataframe(_breakdown(row, config), hide_index=True, width="stretch")
    starts = ", ".join(
        _("{threshold} (level {level})").format(
            threshold=format_decimal(t, locale=current_language()), level=i + 2
        )
        for i, t in enumerate(config.level_thresholds)
    )
    st.caption(
        _(
            "Index {index} = sum of contributions; levels start at {starts}. This week {events} events; "
            "4-week average {avg_4w}, 52-week average {avg_52w} a week."
        ).format(
            index=format_number(float(row["index"]), digits=3),
            starts=starts,
            events=int(row["this_week"]),
            avg_4w=format_number(float(row["avg_4w"]), digits=2),
            avg_52w=format_number(float(row["avg_52w"]), digits=2),
        )
    )

with st.expander(_("How the index is computed")):
    st.markdown(
        _(
            "Four indicators over the window, each scaled to 0–1 against a **fixed** cap (not against the "
            "units in view): deadliness (fatalities, log-scaled, cap {deadliness_cap}), danger "
            "(civilian-targeting events, log-scaled, cap {danger_cap}), diffusion (share of the unit's "
            "populated 10 km cells — cells holding a gazetteer populated place — with at least {min_events} "
            "events, cap {diffusion_cap}) and fragmentation (distinct non-state armed actors, cap "
            "{fragmentation_cap}). Equal weights. Full method, caveats and a worked example: "
            "`docs/methodology.md`."
        ).format(
            deadliness_cap=f"{config.deadliness_cap:g}",
            danger_cap=f"{config.danger_cap:g}",
            min_events=config.diffusion_min_events,
            diffusion_cap=f"{config.diffusion_cap:g}",
            fragmentation_cap=f"{config.fragmentation_cap:g}",
        )
    )
components.attribution_footer(frame)
