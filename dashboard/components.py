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


def demo_banner(incidents: pd.DataFrame) -> bool:
    """Show the synthetic-data warning when demo rows are shown; return whether it was shown."""
    if not has_demo_rows(incidents):
        return False
    st.warning(
        f"**{DEMO_NOTICE}.** The incidents marked *demo* were generated to show how the dashboard "
        "works. Import real data (ACLED, UCDP or your own) to replace them.",
        icon="⚠️",
    )
    return True


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
