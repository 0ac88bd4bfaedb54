"""Typed errors raised by the incidents domain.

The CLI turns them into one clear sentence and an exit code; the dashboard shows them
with ``st.error``.
"""

from __future__ import annotations

from datetime import datetime


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


# ---- Sign-in, accounts and permissions (incidents/auth/) ---------------------------------------------


class AuthError(IncidentsError):
    """Base class of sign-in, account and permission errors."""


class PermissionDenied(AuthError):
    """The user's role does not allow the operation; nothing was changed."""


class AccountError(AuthError):
    """An account operation is not possible (duplicate name, unknown account, weak password...)."""


class AuthenticationFailed(AuthError):
    """Wrong name or password (deliberately not saying which)."""


class AccountLocked(AuthError):
    """Too many failed sign-ins; try again when the window has passed."""

    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until


class SignInBusy(AccountLocked):
    """Too many password checks at once on this server; try again in a few seconds."""


# ---- Settings (incidents/settings.py) ----------------------------------------------------------------


class SettingError(IncidentsError):
    """An environment variable holds a value the product cannot use."""


# ---- Exports (incidents/export.py) -------------------------------------------------------------------


class ExportError(IncidentsError):
    """The incidents cannot be written to the requested file."""


# ---- Before/after comparison (incidents/risk/pivot.py) -----------------------------------------------


class PivotError(IncidentsError):
    """A before/after comparison cannot be made with these dates or settings."""


# ---- Command line (incidents/cli/) -------------------------------------------------------------------


class EmptyStoreError(IncidentsError):
    """The store holds no incidents, so there is nothing to rate."""


# ---- Reference data in the store: key developments, saved views, corridors ---------------------------


class DevelopmentError(IncidentsError):
    """A key development is not valid (bad date, precision, scope or empty title)."""


class DevelopmentNotFoundError(StoreError):
    """An edit or delete named a development id the store does not hold."""


class ViewError(IncidentsError):
    """A saved view is not valid (empty or too long name, bad query, position or map centre)."""


class ViewExistsError(ViewError):
    """A rename would give a view the name another view already has."""


class ViewNotFoundError(StoreError):
    """An operation named a saved view the store does not hold."""


class CorridorNotFoundError(StoreError):
    """An operation named a corridor id the store does not hold."""


# ---- Short-term outlook (incidents/outlook/) ---------------------------------------------------------


class OutlookError(IncidentsError):
    """An outlook or its backtest cannot be made with these settings."""


class OutlookDataError(OutlookError):
    """Too little data for an outlook: too short a history or too few units with incidents."""


class AdjustmentError(OutlookError):
    """An analyst's outlook adjustment is not valid (percentage, note, level or unit code)."""


class AdjustmentNotFoundError(StoreError):
    """A removal named a unit with no adjustment in force."""


class WatchError(IncidentsError):
    """A watch that cannot be made as asked (bad area, address, URL, schedule...)."""


class WatchNotFoundError(StoreError):
    """No watch of that name in the store."""


class DeliveryError(IncidentsError):
    """A message could not be delivered this time (the outbox retries it)."""
