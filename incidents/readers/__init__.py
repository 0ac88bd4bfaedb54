"""Readers: turn a source's own table into canonical incidents (docs/architecture.md, 'Canonical incident').

One module per source format. Each offers ``read_<format>(path)`` (file -> canonical
frame, file-level problems raised as :class:`~incidents.errors.FileLevelError`) and
``<format>_to_canonical(raw)`` (already-loaded table -> canonical frame).
"""

from incidents.readers.ucdp import UCDP_REQUIRED_COLUMNS, read_ucdp_ged, ucdp_to_canonical

__all__ = ["UCDP_REQUIRED_COLUMNS", "read_ucdp_ged", "ucdp_to_canonical"]
