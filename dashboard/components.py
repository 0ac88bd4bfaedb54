"""Small reusable UI pieces: demo banner, empty state, attribution footer, domain errors.

Kept together so every page says the same thing the same way (DESIGN.md §5: the UI says
demo rows are synthetic on every view that shows them).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.attribution import DEMO_NOTICE, footer_text
from geodata.errors import GeodataError
from incidents.errors import IncidentsError

DomainError = IncidentsError | GeodataError


def has_demo_rows(incidents: pd.DataFrame) -> bool:
    """True when any shown row is synthetic (``source_dataset == "demo"``)."""
    return bool(len(incidents)) and bool((incidents["source_dataset"] == "demo").any())


#: How to get rid of the demo, the same words on every page and in the docs.
DEMO_REMOVE_HOW = (
    "Remove them with `python -m incidents demo --remove` or, as an admin, the *Remove the demo data* "
    "button on the Import incidents page."
)
DEMO_HIDDEN_CAPTION = (
    "Synthetic demo rows are hidden: this view counts real data only. To show them, add "
    "*Synthetic demo* under *Data sources* in the sidebar (More filters). " + DEMO_REMOVE_HOW
)


def demo_banner(incidents: pd.DataFrame, *, demo_hidden: bool = False) -> bool:
    """The page's one word on the demo; return whether the synthetic-data warning was shown.

    A warning when any shown row is synthetic (what they are, how to remove them); else,
    when the data-source selection hides stored demo rows (``demo_hidden``), a short caption
    saying so and how to show or remove them. Call it once per page.
    """
    if has_demo_rows(incidents):
        st.warning(
            f"**{DEMO_NOTICE}.** The incidents marked *demo* were generated to show how the dashboard "
            "works; they are not real events. Import real data (ACLED, UCDP or your own): once it is "
            f"stored, demo rows are left out by default. {DEMO_REMOVE_HOW}",
            icon="⚠️",
        )
        return True
    if demo_hidden:
        st.caption(DEMO_HIDDEN_CAPTION)
    return False


MAP_EMPTY_NOTE = "the map shows the boundaries only."


def empty_state(
    countries: tuple[str, ...], country_names: dict[str, str], *, note: str = MAP_EMPTY_NOTE
) -> None:
    """Explain why nothing is shown and what to change, instead of an empty or broken view.

    ``note`` ends the message with what the page still shows (pages without a map pass "").
    """
    if not countries:
        st.info("Choose at least one country in the sidebar to show incidents.", icon="ℹ️")
        return
    names = ", ".join(country_names.get(c, c) for c in countries)
    ending = f"; {note}" if note else "."
    st.info(
        f"No incidents match these filters ({names}, in the chosen dates). "
        f"Widen the date range or pick other countries in the sidebar{ending}",
        icon="ℹ️",
    )


def attribution_footer() -> None:
    """Sources and licences under every map (the licences ask for it)."""
    st.divider()
    st.caption(footer_text())


def domain_error(exc: DomainError) -> None:
    """One clear sentence for a data or store problem; never a traceback."""
    st.error(f"{exc}", icon="🚫")
