"""Before / after page: how each unit's incident rate changed after a key development.

Also where analysts maintain the key developments themselves (add, edit, delete), in the
"Edit key developments" expander. The statistics are in :mod:`incidents.risk.pivot` and
docs/methodology.md ("Before/after").
"""

from __future__ import annotations

from datetime import date
from typing import Final, cast

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.builders.charts_pivot import build_pivot_forest_figure, pivot_display_table
from dashboard.ui import caching, components
from dashboard.ui.auth import current_user, may
from dashboard.ui.context import load_page_data_and_developments
from incidents.auth import Permission, User
from incidents.errors import PivotError
from incidents.i18n import N_, Labels, _, ngettext
from incidents.i18n.formats import format_day
from incidents.model import DATE_PRECISIONS
from incidents.risk.pivot import DEFAULT_PIVOT, DEFAULT_WINDOW_DAYS, before_after
from incidents.risk.units import UnitLevel
from incidents.settings import CORRIDOR_KM
from incidents.store.developments import add_development, delete_development, update_development

KEY_DEVELOPMENT: Final = "pivot_development"
KEY_WINDOW: Final = "pivot_window"
KEY_LEVEL: Final = "pivot_level"
KEY_CORRIDOR_KM: Final = "pivot_corridor_km"
KEY_DOWNLOAD: Final = "pivot_download"
KEY_FLASH: Final = "pivot_dev_flash"
KEY_ADD_DATE: Final = "pivot_add_date"
KEY_ADD_PRECISION: Final = "pivot_add_precision"
KEY_ADD_SCOPE: Final = "pivot_add_scope"
KEY_ADD_TITLE: Final = "pivot_add_title"
KEY_ADD_CATEGORY: Final = "pivot_add_category"
KEY_ADD_SOURCE: Final = "pivot_add_source"
KEY_ADD_SUBMIT: Final = "pivot_add_submit"
KEY_EDIT_PICK: Final = "pivot_edit_pick"
KEY_EDIT_SUBMIT: Final = "pivot_edit_submit"
KEY_DELETE_CONFIRM: Final = "pivot_delete_confirm"
KEY_DELETE: Final = "pivot_delete"

MIN_WINDOW_DAYS: Final = 7
MAX_WINDOW_DAYS: Final = 730
LEVEL_LABELS: Final = Labels(
    {
        "admin1": N_("Regions (admin-1)"),
        "admin2": N_("Cercles / départements (admin-2)"),
        "corridor": N_("Corridors"),
    }
)


#: How a development's date precision reads in a sentence ("dated to the month only").
PRECISION_WORDS: Final = Labels({"day": N_("day"), "week": N_("week"), "month": N_("month")})


def _precision_word(code: str) -> str:
    return PRECISION_WORDS.get(code, code)


def _development_label(row: pd.Series) -> str:
    return f"{row['date']:%Y-%m-%d} · {row['scope']} · {row['title']}"


def _default_index(developments: pd.DataFrame) -> int:
    """The 2025-09-20 development (France suspends cooperation) if present, else the latest."""
    hits = np.flatnonzero((developments["date"] == pd.Timestamp(DEFAULT_PIVOT)).to_numpy())
    return int(hits[0]) if len(hits) else len(developments) - 1


def _render_editor(developments: pd.DataFrame, user: User) -> None:
    """Add, edit and delete key developments; every change is audited under the user's name."""
    store = caching.get_store()
    if message := st.session_state.pop(KEY_FLASH, None):
        st.success(message, icon="✅")
    st.caption(
        _(
            "Changes are saved in the incident store at once, for every user, and recorded in the "
            "audit log under the name “{name}”. Scope is a country ISO3 code (MLI, BFA, NER, ...) "
            "or SAHEL for the whole region."
        ).format(name=user.name)
    )
    add_tab, edit_tab = st.tabs([_("Add"), _("Edit or delete")])
    with add_tab, st.form("pivot_add_form", clear_on_submit=False):
        cols = st.columns([1, 1, 1])
        new_date = cols[0].date_input(_("Date"), value=date.today(), key=KEY_ADD_DATE, format="YYYY-MM-DD")
        precision = cols[1].selectbox(
            _("Date precision"), list(DATE_PRECISIONS), format_func=_precision_word, key=KEY_ADD_PRECISION
        )
        scope = cols[2].text_input(_("Scope (ISO3 or SAHEL)"), value="MLI", key=KEY_ADD_SCOPE)
        title = st.text_input(_("Title"), key=KEY_ADD_TITLE)
        halves = st.columns(2)
        category = halves[0].text_input(_("Category"), value="political", key=KEY_ADD_CATEGORY)
        source = halves[1].text_input(_("Source"), key=KEY_ADD_SOURCE)
        if st.form_submit_button(_("Add development"), key=KEY_ADD_SUBMIT):
            components.write_then_rerun(
                lambda: add_development(
                    store,
                    date=new_date,
                    date_precision=precision,
                    scope=scope,
                    title=title,
                    category=category,
                    source=source,
                    by=user,
                ),
                lambda new_id: _("Added key development #{id}.").format(id=new_id),
                flash_key=KEY_FLASH,
            )

    with edit_tab:
        if developments.empty:
            st.info(_("There are no key developments to edit."), icon="ℹ️")
            return
        labels = {
            int(row["development_id"]): _development_label(row) for _index, row in developments.iterrows()
        }
        picked = st.selectbox(
            _("Development"), list(labels), format_func=labels.__getitem__, key=KEY_EDIT_PICK
        )
        row = developments.set_index("development_id").loc[picked]
        st.caption(
            _("Last changed by {name} on {when} UTC.").format(
                name=row["updated_by"], when=f"{row['updated_at']:%Y-%m-%d %H:%M}"
            )
        )
        with st.form(f"pivot_edit_form_{picked}"):
            cols = st.columns([1, 1, 1])
            edit_date = cols[0].date_input(
                _("Date"), value=row["date"].date(), format="YYYY-MM-DD", key=f"pivot_edit_date_{picked}"
            )
            precision_options = list(DATE_PRECISIONS)
            edit_precision = cols[1].selectbox(
                _("Date precision"),
                precision_options,
                index=precision_options.index(row["date_precision"])
                if row["date_precision"] in precision_options
                else 0,
                format_func=_precision_word,
                key=f"pivot_edit_precision_{picked}",
            )
            edit_scope = cols[2].text_input(
                _("Scope (ISO3 or SAHEL)"), value=str(row["scope"]), key=f"pivot_edit_scope_{picked}"
            )
            edit_title = st.text_input(_("Title"), value=str(row["title"]), key=f"pivot_edit_title_{picked}")
            halves = st.columns(2)
            edit_category = halves[0].text_input(
                _("Category"), value=str(row["category"]), key=f"pivot_edit_category_{picked}"
            )
            edit_source = halves[1].text_input(
                _("Source"), value=str(row["source"]), key=f"pivot_edit_source_{picked}"
            )
            if st.form_submit_button(_("Save changes"), key=KEY_EDIT_SUBMIT):
                components.write_then_rerun(
                    lambda: update_development(
                        store,
                        picked,
                        date=edit_date,
                        date_precision=edit_precision,
                        scope=edit_scope,
                        title=edit_title,
                        category=edit_category,
                        source=edit_source,
                        by=user,
                    ),
                    lambda _result: _("Saved key development #{id}.").format(id=picked),
                    flash_key=KEY_FLASH,
                )
        confirmed = st.checkbox(
            _("Yes, delete this development for every user"), key=f"{KEY_DELETE_CONFIRM}_{picked}"
        )
        if st.button(_("Delete development"), key=KEY_DELETE, disabled=not confirmed, type="primary"):
            components.write_then_rerun(
                lambda: delete_development(store, picked, by=user),
                lambda _result: _("Deleted key development #{id}: {title}").format(
                    id=picked, title=row["title"]
                ),
                flash_key=KEY_FLASH,
            )


st.title(_("Before / after"))
st.caption(
    _(
        "What this shows: for each unit, the incident rate in a window after a key development "
        "compared with an equal window before it. A significant change is a change *after* the "
        "date, not evidence that the development *caused* it: other events, the season, or "
        "changes in reporting may explain it."
    )
)

data, developments = load_page_data_and_developments()

chosen = data.filter
if developments.empty:
    st.info(_("There are no key developments yet. Add one under “Edit key developments” below."), icon="ℹ️")
    pivot_row = None
else:
    dev_labels = {
        int(row["development_id"]): _development_label(row) for _index, row in developments.iterrows()
    }
    controls = st.columns([2.4, 1, 1.2])
    picked_id = controls[0].selectbox(
        _("Key development"),
        list(dev_labels),
        index=_default_index(developments),
        format_func=dev_labels.__getitem__,
        key=KEY_DEVELOPMENT,
    )
    window = controls[1].number_input(
        _("Window (days each side)"),
        min_value=MIN_WINDOW_DAYS,
        max_value=MAX_WINDOW_DAYS,
        value=DEFAULT_WINDOW_DAYS,
        step=1,
        key=KEY_WINDOW,
        help=_("Days compared before the date and from the date on."),
    )
    level = cast(
        UnitLevel,
        controls[2].selectbox(
            _("Units"), list(LEVEL_LABELS), format_func=LEVEL_LABELS.__getitem__, key=KEY_LEVEL
        ),
    )
    corridor_km = CORRIDOR_KM
    if level == "corridor":
        corridor_km = float(
            st.number_input(
                _("Corridor half-width (km)"),
                min_value=1.0,
                max_value=200.0,
                value=CORRIDOR_KM,
                step=5.0,
                key=KEY_CORRIDOR_KM,
            )
        )
    pivot_row = developments.set_index("development_id").loc[picked_id]

if pivot_row is not None:
    pivot = pivot_row["date"].date()
    frame = data.analysis  # the selected data sources (the filter's mask applies them too)
    corridors = caching.active_corridors(data.db_url, data.data_version)  # filter and corridor units
    selected = frame[chosen.mask(frame, ignore_dates=True, corridors=corridors)]
    data_until = data.data_range[1] if data.data_range is not None else None
    try:
        table = before_after(
            selected,
            pivot=pivot,
            window_days=int(window),
            level=level,
            corridor_km=corridor_km,
            data_until=data_until,
            corridors=corridors,
        )
    except PivotError as exc:
        components.demo_banner(selected.iloc[0:0], demo_hidden=data.demo_hidden)  # the caption only
        st.info(
            _("{problem}. Pick an earlier development or import more recent incidents.").format(problem=exc),
            icon="ℹ️",
        )
    else:
        windows = table.attrs["windows"]
        st.caption(
            _(
                "Before: {before_start} to {before_end} ({days_before} days). After: {after_start} to "
                "{after_end} ({days_after} days; the development's own day counts as after). The sidebar's "
                "dates are not used here; its other filters are."
            ).format(
                before_start=format_day(windows.before_start),
                before_end=format_day(windows.before_end),
                days_before=windows.days_before,
                after_start=format_day(windows.after_start),
                after_end=format_day(windows.after_end),
                days_after=windows.days_after,
            )
        )
        if windows.truncated:
            st.warning(
                _(
                    "The data end on {day}, so the after window is only {days} days. Rates are compared per "
                    "day, but a short window gives wide intervals."
                ).format(day=format_day(windows.after_end), days=windows.days_after),
                icon="⏳",
            )
        if pivot_row["date_precision"] != "day":
            st.caption(
                _(
                    "This development is dated to the {precision} only; the split on its first day is "
                    "approximate."
                ).format(
                    precision=PRECISION_WORDS.get(
                        str(pivot_row["date_precision"]), pivot_row["date_precision"]
                    )
                )
            )
        dates = selected["event_date"]
        in_windows = selected[
            (
                (dates >= pd.Timestamp(windows.before_start)) & (dates <= pd.Timestamp(windows.after_end))
            ).to_numpy()
        ]
        components.demo_banner(in_windows, demo_hidden=data.demo_hidden)
        if table.empty:
            if chosen.countries:
                st.info(
                    _(
                        "No incidents in either window for these filters. Pick another development, a "
                        "longer window, or other countries and event types in the sidebar."
                    ),
                    icon="ℹ️",
                )
            else:
                components.empty_state(chosen.countries, data.country_names, note="")
        else:
            rises = int(((table["significant"]) & (table["ci_low"] > 1)).sum())
            falls = int(((table["significant"]) & (table["ci_high"] < 1)).sum())
            st.markdown(
                ngettext(
                    "**{rises}** units show a significant rise and **{falls}** a significant fall after this "
                    "date, out of {count} with incidents (95% exact interval excludes 1).",
                    "**{rises}** units show a significant rise and **{falls}** a significant fall after this "
                    "date, out of {count} with incidents (95% exact interval excludes 1).",
                    len(table),
                ).format(rises=rises, falls=falls, count=len(table))
                + " "
                + _("With many units, about 1 in 20 can be flagged by chance alone.")
            )
            figure = build_pivot_forest_figure(
                table,
                title=_("Change in incident rate after {day} ({units})").format(
                    day=format_day(pivot), units=LEVEL_LABELS[level].lower()
                ),
            )
            st.plotly_chart(figure, key="pivot_chart")
            st.dataframe(pivot_display_table(table), hide_index=True, width="stretch")
            components.csv_download(
                _("Download this table (CSV)"),
                table,
                file_name=f"before_after_{pivot:%Y%m%d}_{int(window)}d_{level}.csv",
                key=KEY_DOWNLOAD,
            )

with st.expander(_("Edit key developments")):
    editor = current_user()
    if editor is not None and may(editor, Permission.EDIT_REFERENCE, _("Editing key developments")):
        _render_editor(developments, editor)

components.attribution_footer(selected if pivot_row is not None else data.shown_sources)
