"""Reference geography for the Sahel Security Dashboard.

Boundaries, corridors, gazetteer and the spatial operations on them. This package
never imports streamlit: it is used by the CLI, the store and the dashboard alike.
"""
