"""Key developments kept in the store, so analysts can add, correct and remove them.

Migration 2 seeds the table from the shipped CSV (:mod:`incidents.developments`); from then
on the store is the reference. Every change is validated first (a typed error quoting the
bad value and the allowed set), written in one transaction with its audit row, and bumps
``data_version`` so cached timelines and before/after tables refresh.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

import pandas as pd
from sqlalchemy import delete, select, update

from incidents.auth.roles import Permission, User, require
from incidents.errors import DevelopmentError, DevelopmentNotFoundError, StoreError
from incidents.i18n import _
from incidents.model import DATE_PRECISIONS
from incidents.store import schema
from incidents.store.sql import IncidentStore

SAHEL_SCOPE: Final = "SAHEL"
DEFAULT_CATEGORY: Final = "other"
MAX_CATEGORY_CHARS: Final = 32  # the column's width (schema.key_developments.category)
DEVELOPMENT_FIELDS: Final = (
    "development_id",
    "date",
    "date_precision",
    "scope",
    "title",
    "category",
    "source",
    "updated_by",
    "updated_at",
)
_ISO3: Final = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class _Fields:
    date: date
    date_precision: str
    scope: str
    title: str
    category: str
    source: str


def _check_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, pd.Timestamp):  # pragma: no cover - Timestamp is a datetime
        return value.date()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise DevelopmentError(_("date {value} is not a YYYY-MM-DD date").format(value=repr(value)))


def _check_precision(value: object) -> str:
    text = str(value).strip().lower() if value is not None else ""
    if text not in DATE_PRECISIONS:
        raise DevelopmentError(
            _("date_precision {value} is not one of {allowed}").format(
                value=repr(value), allowed=list(DATE_PRECISIONS)
            )
        )
    return text


def _check_scope(value: object) -> str:
    text = str(value).strip().upper() if value is not None else ""
    if text != SAHEL_SCOPE and not _ISO3.fullmatch(text):
        raise DevelopmentError(
            _("scope {value} must be a three-letter ISO3 country code (e.g. 'MLI') or {sahel}").format(
                value=repr(value), sahel=repr(SAHEL_SCOPE)
            )
        )
    return text


def _check_title(value: object) -> str:
    text = str(value).strip() if value is not None else ""
    if not text:
        raise DevelopmentError(_("title is empty; describe the development in a few words"))
    return text


def _check_category(value: object) -> str:
    text = str(value).strip().lower() if value is not None else ""
    text = text or DEFAULT_CATEGORY
    if len(text) > MAX_CATEGORY_CHARS:
        raise DevelopmentError(
            _("category {value} is longer than {limit} characters").format(
                value=repr(value), limit=MAX_CATEGORY_CHARS
            )
        )
    return text


def _validate(
    *, date: object, date_precision: object, scope: object, title: object, category: object, source: object
) -> _Fields:
    return _Fields(
        date=_check_date(date),
        date_precision=_check_precision(date_precision),
        scope=_check_scope(scope),
        title=_check_title(title),
        category=_check_category(category),
        source=str(source).strip() if source is not None else "",
    )


def _describe(development_id: int, fields: _Fields) -> str:
    return f"#{development_id} {fields.date.isoformat()} {fields.scope}: {fields.title}"[:500]


def list_developments(store: IncidentStore) -> pd.DataFrame:
    """Every key development, oldest first; ``date`` as datetime64 like the shipped CSV loader."""
    table = schema.key_developments
    query = select(*[table.c[name] for name in DEVELOPMENT_FIELDS]).order_by(
        table.c.date, table.c.development_id
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=list(DEVELOPMENT_FIELDS))
    frame["development_id"] = frame["development_id"].astype("int64")
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    for column in ("date_precision", "scope", "title", "category", "source", "updated_by"):
        frame[column] = frame[column].astype("string")
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], utc=True)
    return frame


def add_development(
    store: IncidentStore,
    *,
    date: object,
    date_precision: str,
    scope: str,
    title: str,
    category: str,
    source: str,
    by: User,
) -> int:
    """Validate and store one development; return its new id. Audited as ``development_add``."""
    require(by, Permission.EDIT_REFERENCE, target="key developments")
    user_name = by.name
    fields = _validate(
        date=date, date_precision=date_precision, scope=scope, title=title, category=category, source=source
    )
    with store.engine.begin() as conn:
        result = conn.execute(
            schema.key_developments.insert().values(
                **vars(fields), updated_by=user_name, updated_at=datetime.now(UTC)
            )
        )
        key = result.inserted_primary_key
        if key is None:  # pragma: no cover - every supported backend returns the new key
            raise StoreError(_("the store did not return the new development's id"))
        development_id = int(key[0])
        store._log(conn, user_name, "development_add", None, _describe(development_id, fields))
        store._bump_version(conn)
    return development_id


def _current(conn: Any, development_id: int) -> _Fields:
    table = schema.key_developments
    row = conn.execute(select(table).where(table.c.development_id == int(development_id))).mappings().first()
    if row is None:
        raise DevelopmentNotFoundError(
            _("no key development with id {development} in the store").format(
                development=repr(development_id)
            )
        )
    return _Fields(
        date=pd.Timestamp(row["date"]).date(),
        date_precision=row["date_precision"],
        scope=row["scope"],
        title=row["title"],
        category=row["category"],
        source=row["source"],
    )


def update_development(
    store: IncidentStore,
    development_id: int,
    *,
    date: object = None,
    date_precision: str | None = None,
    scope: str | None = None,
    title: str | None = None,
    category: str | None = None,
    source: str | None = None,
    by: User,
) -> None:
    """Change the given fields (``None`` keeps a field); audited as ``development_edit``.

    Raises :class:`DevelopmentNotFoundError` for an unknown id and :class:`DevelopmentError`
    for an invalid value; nothing is written then.
    """
    require(by, Permission.EDIT_REFERENCE, target="key developments")
    user_name = by.name
    table = schema.key_developments
    with store.engine.begin() as conn:
        old = _current(conn, development_id)
        fields = _validate(
            date=old.date if date is None else date,
            date_precision=old.date_precision if date_precision is None else date_precision,
            scope=old.scope if scope is None else scope,
            title=old.title if title is None else title,
            category=old.category if category is None else category,
            source=old.source if source is None else source,
        )
        if fields == old:
            return  # nothing changed: no audit row, no cache invalidation
        conn.execute(
            update(table)
            .where(table.c.development_id == int(development_id))
            .values(**vars(fields), updated_by=user_name, updated_at=datetime.now(UTC))
        )
        changed = [name for name in vars(fields) if getattr(fields, name) != getattr(old, name)]
        details = f"{_describe(int(development_id), fields)} (changed: {', '.join(changed)})"
        store._log(conn, user_name, "development_edit", None, details[:500])
        store._bump_version(conn)


def delete_development(store: IncidentStore, development_id: int, *, by: User) -> None:
    """Remove one development; audited as ``development_delete`` with what it said."""
    require(by, Permission.EDIT_REFERENCE, target="key developments")
    user_name = by.name
    table = schema.key_developments
    with store.engine.begin() as conn:
        old = _current(conn, development_id)
        conn.execute(delete(table).where(table.c.development_id == int(development_id)))
        store._log(conn, user_name, "development_delete", None, _describe(int(development_id), old))
        store._bump_version(conn)
