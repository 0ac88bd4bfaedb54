"""The outlook pieces pages share: one unit's sentence and fan chart (Outlook, Timeline), the
refusal message, the note that forecasts are estimates, and a saved view's briefing-pack section."""

from __future__ import annotations

from typing import Final

import streamlit as st

from dashboard.builders.outlook_charts import build_fan_chart, served_words
from dashboard.builders.outlook_data import (
    OutlookRun,
    OutlookSection,
    outlook_section,
    refused_section,
    wants_outlook,
)
from dashboard.builders.outlook_whatif import WHATIF_CAPTION, WhatIf
from dashboard.ui import caching
from dashboard.ui.filters import markdown_text
from incidents.errors import OutlookDataError
from incidents.i18n import N_, _
from incidents.outlook.panel import MIN_ACTIVE_UNITS, MIN_HISTORY_MONTHS
from incidents.query import IncidentFilter
from incidents.store.saved_views import SavedView

METHOD_NOTE: Final = N_(
    "These are **estimates**, not predictions of single events: statistical models fitted on the "
    "stored incidents, checked against naive guesses in a backtest. Method and limits: "
    "docs/methodology.md, section 'Outlook'."
)


def refusal(exc: Exception) -> None:
    """Why there is no outlook, and what would make one (never a traceback)."""
    st.warning(
        _("No outlook can be made from these data: {reason}.").format(reason=markdown_text(str(exc)))
        + "\n\n"
        + _(
            "An outlook needs at least {months} months of incidents up to the last complete "
            "month and at least {units} units with an incident, so that the models can be "
            "checked against naive guesses before they are shown. Import a longer history (or choose more "
            "data sources in the sidebar) to get one."
        ).format(months=MIN_HISTORY_MONTHS, units=MIN_ACTIVE_UNITS),
        icon="⏳",
    )


def unit_outlook(
    run: OutlookRun, unit_code: str, horizon: int, *, key: str, whatif: WhatIf | None = None
) -> None:
    """One unit: the engine's sentences for ``horizon`` months ahead and for the three months, and
    its fan chart for all three, with ``whatif``'s line beside the forecast when given."""
    rows = run.unit_rows(unit_code)
    if rows.empty:
        st.info(_("No outlook for this unit."), icon="ℹ️")
        return
    row = rows[rows["horizon"] == horizon].iloc[0]
    sentences = [run.sentence(unit_code, horizon)]
    if len(run.window):
        sentences.append(
            _("Over the next three months: {sentence}").format(sentence=run.window_sentence(unit_code))
        )
    st.markdown("\n".join(f"- {markdown_text(sentence)}" for sentence in sentences))
    title = _("{unit}: incidents per month, observed and estimated").format(unit=row["unit_name"])
    lines = whatif.unit_lines(unit_code) if whatif is not None else None
    line = (whatif.line_name, lines) if whatif is not None and lines is not None and len(lines) else None
    figure = build_fan_chart(run.unit_history(unit_code), rows, title, whatif=line)
    st.plotly_chart(figure, width="stretch", key=key)
    st.caption(
        _(
            "Bands: the range the incident count should fall in with 50 % and 90 % chance, per the model "
            "or baseline that serves this unit ({served}). Estimates, from the data up to {origin}."
        ).format(served=markdown_text(served_words(row["served_by"])), origin=run.origin)
    )
    if whatif is not None:
        if line is None:
            place = markdown_text(str(row["unit_name"]))
            st.caption(
                _("{what_if}: none for {place}; the chart shows the forecast only.").format(
                    what_if=markdown_text(whatif.title), place=place
                )
            )
        else:
            st.caption(
                _("Dashed orange line: {line}.").format(line=markdown_text(whatif.line_name))
                + " "
                + _(WHATIF_CAPTION)
            )


def pack_section(
    view: SavedView, db_url: str, data_version: int, chosen: IncidentFilter
) -> OutlookSection | None:
    """The briefing pack's Outlook section of ``view`` (admin-1, its countries and data sources),
    or None when the view does not include the outlook. Too little history gives the reason."""
    if not wants_outlook(view.query_params()):
        return None
    try:
        run = caching.outlook_run(db_url, data_version, "admin1", chosen.sources)
    except OutlookDataError as exc:
        return refused_section(str(exc))
    return outlook_section(run, chosen.countries)
