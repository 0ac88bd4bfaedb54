"""The incident store: one interface, SQL kept behind it (SQLite default, PostgreSQL)."""

from incidents.store.location import ENV_VAR, resolve_db_url
from incidents.store.sql import BatchMeta, BatchRecord, IncidentStore, open_store

__all__ = ["ENV_VAR", "BatchMeta", "BatchRecord", "IncidentStore", "open_store", "resolve_db_url"]
