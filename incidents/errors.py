"""Typed errors raised by the incidents domain.

The CLI turns them into one clear sentence and an exit code; the dashboard shows them
with ``st.error``.
"""

from __future__ import annotations


class IncidentsError(Exception):
    """Base class for every error raised by :mod:`incidents`."""


class SchemaError(IncidentsError):
    """A frame does not match the canonical incident schema."""


class StoreError(IncidentsError):
    """The store cannot be opened, read or written."""


class StoreURLError(StoreError):
    """``SAHEL_DB_URL`` is not a URL this product can use."""


class BatchNotFoundError(StoreError):
    """An operation named a batch id the store does not hold."""


class FileLevelError(IncidentsError):
    """A whole input file cannot be imported; nothing was written."""


class SiteFileError(FileLevelError):
    """A whole sites or routes file cannot be read; nothing was taken from it (:mod:`incidents.sites`)."""


class SiteValueError(IncidentsError, ValueError):
    """A site entered by hand has an unusable name or coordinate (``incidents.sites.site_from_values``)."""
