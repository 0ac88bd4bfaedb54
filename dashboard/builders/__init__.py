"""Pure builders: maps, charts, tables, exports and the briefing pack, with no Streamlit.

Each takes data and options and returns an object (a folium map, a plotly figure, bytes of a
PDF or CSV), so it is unit-tested without running the app and shared by the pages and the
``python -m dashboard`` command line. Ruff refuses ``import streamlit`` here.
"""
