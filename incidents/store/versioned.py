"""Append-only versioned rows (corridors, outlook adjustments): the one way a new version is written.

A row is never edited: a change inserts the next version of the thing ``key`` names
(version = previous + 1, or 1), audits it and bumps the store's ``data_version``, all in
one transaction. Two writers racing for the same version meet the table's unique index; the
loser gets a :class:`~incidents.errors.StoreError` saying ``busy``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError

from incidents.errors import StoreError
from incidents.store.sql import IncidentStore


def append_version(
    store: IncidentStore,
    table: Table,
    key: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    user_name: str,
    action: str,
    details: Callable[[int], str],
    busy: str,
) -> int:
    """Insert the next version of ``key``'s row with ``values``; returns its version number.

    The row gets ``version``, ``created_by`` (``user_name``) and ``created_at`` (now, UTC);
    the audit row gets ``action`` and ``details(version)`` (cut to 2,000 characters).
    """
    try:
        with store.engine.begin() as conn:
            current = conn.execute(
                select(table.c.version)
                .where(*(table.c[name] == value for name, value in key.items()))
                .order_by(table.c.version.desc())
            ).first()
            version = 1 if current is None else int(current[0]) + 1
            conn.execute(
                table.insert().values(
                    **key, **values, version=version, created_by=user_name, created_at=datetime.now(UTC)
                )
            )
            store._log(conn, user_name, action, None, details(version)[:2000])
            store._bump_version(conn)
    except IntegrityError as exc:
        raise StoreError(busy) from exc
    return version
