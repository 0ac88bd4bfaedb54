"""Briefing page: a placeholder that says what is coming, so nobody looks for it elsewhere."""

from __future__ import annotations

import streamlit as st

st.title("Briefing")
st.info("Briefing mode is not built yet. This page describes what it will do.", icon="🚧")
st.markdown(
    """
Briefing mode is for presenting the dashboard in a meeting and handing out a record afterwards.

* **Saved views** — store a combination of filters, map layers and zoom under a name, then step
  through several of them like slides.
* **Live refresh** — figures, charts and the map reload on a timer while they are on screen, so a
  wall display or an open meeting stays current as new incidents are imported.
* **PDF pack** — export the chosen views (map, timeline, risk heatmap, key figures, with the period,
  filters and data sources printed on each page) as a PDF or PNG set to circulate afterwards.

Until then: choose the filters in the sidebar on any page and copy the address from the browser's
address bar. It holds the countries, dates and other filters, so opening it again shows the same view.
"""
)
