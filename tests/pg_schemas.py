"""A fresh, empty PostgreSQL schema to run a store in, dropped afterwards (tests and benchmarks).

The store is reached through a URL whose ``search_path`` is the new schema, so many stores
share one test database without seeing each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def empty_pg_schema(base_url: str, prefix: str = "t") -> Iterator[str]:
    """The URL of a new schema on the server of ``base_url`` (password included); dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(base_url).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield (
            make_url(base_url)
            .update_query_dict({"options": f"-csearch_path={name}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()
