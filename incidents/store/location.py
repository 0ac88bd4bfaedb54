"""Where the store lives: ``SAHEL_DB_URL`` or the embedded default under ``var/``."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from incidents.errors import StoreURLError
from incidents.i18n import _
from incidents.settings import DB_URL_ENV, db_url

ENV_VAR: Final = DB_URL_ENV  # the old name, still exported by incidents.store
REPO_ROOT: Final = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH: Final = REPO_ROOT / "var" / "sahel.db"
SUPPORTED_BACKENDS: Final = ("sqlite", "postgresql")


def default_url() -> str:
    """The embedded store: a SQLite file under ``var/`` (git-ignored), no server needed."""
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def resolve_db_url(url: str | None = None) -> URL:
    """The store URL from the argument, else ``SAHEL_DB_URL``, else the embedded default.

    ``postgresql://`` URLs use the psycopg (v3) driver. Raises :class:`StoreURLError`
    with the allowed forms when the URL cannot be used.
    """
    raw = url or db_url() or default_url()
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise StoreURLError(
            _(
                "{variable}={value} is not a database URL; use e.g. "
                "'sqlite:///var/sahel.db' or 'postgresql://user:password@host:5432/sahel'"
            ).format(variable=ENV_VAR, value=repr(raw))
        ) from exc
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise StoreURLError(
            _("{variable} selects the {backend} backend; supported: {supported}").format(
                variable=ENV_VAR, backend=repr(backend), supported=list(SUPPORTED_BACKENDS)
            )
        )
    if backend == "postgresql" and parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if not path.is_absolute():
            path = REPO_ROOT / path
        parsed = parsed.set(database=str(path))
    return parsed


def describe_url(url: URL) -> str:
    """The URL with any password hidden, for logs and the About page."""
    return url.render_as_string(hide_password=True)
