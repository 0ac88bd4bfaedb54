"""Streamlit UI of the Sahel Security Dashboard.

This package only composes: it reads widgets, calls :mod:`incidents` and :mod:`geodata`,
and renders. Map builders (:mod:`dashboard.builders.maps`) hold no ``st.`` calls so they can be
unit-tested; all Streamlit caching lives in :mod:`dashboard.ui.caching`.
"""
