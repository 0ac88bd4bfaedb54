"""Incidents: the canonical incident model, readers, validation, store, analytics and CLI.

This package never imports streamlit.
"""
