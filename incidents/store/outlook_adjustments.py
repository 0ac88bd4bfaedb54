"""Analysts' outlook adjustments in the store: versions, removal, and what is in force.

Every change writes a new row of ``outlook_adjustments`` (version = previous + 1 for that
level and unit) and never touches an old one, so the history of a unit's adjustment can be
read back in full. Every change is audited (``outlook_adjust``, ``outlook_adjust_remove``)
with the acting user and bumps the store's ``data_version`` in the same transaction.
Validation of the values (percentage range, note, known unit) is
:mod:`incidents.outlook.adjustments`' job; this module checks the permission and writes.
"""

from __future__ import annotations

from typing import Final

import pandas as pd
from sqlalchemy import select

from incidents.auth.roles import Permission, User, require
from incidents.errors import AdjustmentNotFoundError
from incidents.i18n import _, pgettext
from incidents.store import schema
from incidents.store.sql import IncidentStore
from incidents.store.versioned import append_version

ACTIVE: Final = "active"
REMOVED: Final = "removed"
ADD_ACTION: Final = "outlook_adjust"
REMOVE_ACTION: Final = "outlook_adjust_remove"
#: Columns of :func:`adjustment_versions` and :func:`adjustments_in_force`.
ADJUSTMENT_COLUMNS: Final = (
    "level",
    "unit_code",
    "version",
    "status",
    "percent",
    "note",
    "created_by",
    "created_at",
)


def adjustment_versions(
    store: IncidentStore, level: str | None = None, unit_code: str | None = None
) -> pd.DataFrame:
    """Every version (of one level, or of one unit), by level, unit and version.

    Columns :data:`ADJUSTMENT_COLUMNS`.
    """
    table = schema.outlook_adjustments
    query = select(*(table.c[name] for name in ADJUSTMENT_COLUMNS))
    if level is not None:
        query = query.where(table.c.level == level)
    if unit_code is not None:
        query = query.where(table.c.unit_code == unit_code)
    query = query.order_by(table.c.level, table.c.unit_code, table.c.version)
    with store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    frame = pd.DataFrame(rows, columns=list(ADJUSTMENT_COLUMNS))
    frame["version"] = frame["version"].astype("int64")
    frame["percent"] = frame["percent"].astype("float64")
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)  # SQLite returns naive UTC
    return frame


def adjustments_in_force(store: IncidentStore, level: str | None = None) -> pd.DataFrame:
    """The latest version of each unit's adjustment, where it is active (not removed)."""
    versions = adjustment_versions(store, level)
    latest = versions.groupby(["level", "unit_code"], sort=False).tail(1)  # rows are sorted by version
    return latest[latest["status"] == ACTIVE].reset_index(drop=True)


def write_adjustment(
    store: IncidentStore, level: str, unit_code: str, percent: float, note: str, *, by: User
) -> int:
    """Store ``percent`` as the new active version of the unit's adjustment; returns the version."""
    require(by, Permission.ADJUST_OUTLOOK, target=f"({level} {unit_code})")
    return _write_version(store, level, unit_code, ACTIVE, percent, note, by.name, ADD_ACTION)


def remove_adjustment(store: IncidentStore, level: str, unit_code: str, *, by: User, note: str = "") -> int:
    """A new version marking the unit's adjustment removed (kept in its history); returns the version."""
    require(by, Permission.ADJUST_OUTLOOK, target=f"({level} {unit_code})")
    versions = adjustment_versions(store, level, unit_code)
    if versions.empty or versions["status"].iloc[-1] != ACTIVE:
        in_force = adjustments_in_force(store, level)["unit_code"].tolist()
        raise AdjustmentNotFoundError(
            _(
                "no {level} adjustment of {unit} is in force, so none was removed; "
                "in force at {level}: {in_force}"
            ).format(
                level=level,
                unit=repr(unit_code),
                in_force=", ".join(in_force) if in_force else pgettext("adjustments in force", "none"),
            )
        )
    latest = versions.iloc[-1]
    return _write_version(
        store, level, unit_code, REMOVED, float(latest["percent"]), note or "removed", by.name, REMOVE_ACTION
    )


def _write_version(
    store: IncidentStore,
    level: str,
    unit_code: str,
    status: str,
    percent: float,
    note: str,
    user_name: str,
    action: str,
) -> int:
    return append_version(
        store,
        schema.outlook_adjustments,
        {"level": level, "unit_code": unit_code},
        {"status": status, "percent": percent, "note": note},
        user_name=user_name,
        action=action,
        details=lambda version: f"{level} {unit_code} version {version}: {status} {percent:+g} %: {note}",
        busy=_(
            "the adjustment of {level} {unit} was changed by someone else at the same time; "
            "reload and try again"
        ).format(level=level, unit=repr(unit_code)),
    )
