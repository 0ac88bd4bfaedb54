"""Store operations with their permission check, for the UI and the CLI to call.

The store's own methods stay unguarded (tests, migrations, the demo loader use them);
user-facing code goes through these, so a refusal happens in the domain layer whatever
the UI shows. The acting user's name is what the store records in batches and audit.
"""

from __future__ import annotations

from sqlalchemy import select

from incidents.auth.roles import Permission, User, require
from incidents.errors import BatchNotFoundError
from incidents.i18n import _
from incidents.ingest.pipeline import PreparedImport, PreparedStream, commit_import, write_stream
from incidents.ingest.report import ImportReport
from incidents.store import IncidentStore, schema


def batch_owner(store: IncidentStore, batch_id: str) -> str:
    """Who imported ``batch_id`` (``user_name`` of the batch)."""
    query = select(schema.batches.c.user_name).where(schema.batches.c.batch_id == batch_id)
    with store.engine.connect() as conn:
        owner = conn.execute(query).scalar_one_or_none()
    if owner is None:
        raise BatchNotFoundError(
            _("no batch {batch} in the store; list batches with `python -m incidents batches`").format(
                batch=repr(batch_id)
            )
        )
    return str(owner)


def require_undo(store: IncidentStore, batch_id: str, user: User) -> None:
    """Analysts may undo their own batches, admins any batch."""
    require(
        user,
        Permission.UNDO_OWN,
        owner=batch_owner(store, batch_id),
        target=_("batch {batch}").format(batch=batch_id),
    )


def undo_batch_as(store: IncidentStore, batch_id: str, user: User) -> int:
    """Undo ``batch_id`` if ``user`` may; the audit records ``user.name``."""
    require_undo(store, batch_id, user)
    return store.undo_batch(batch_id, user_name=user.name, role=str(user.role))


def require_import(user: User) -> None:
    require(user, Permission.IMPORT)


def commit_import_as(
    prepared: PreparedImport, store: IncidentStore, user: User, **options: object
) -> ImportReport:
    """Commit a prepared import as ``user`` (recorded as the batch's ``user_name``)."""
    require_import(user)
    return commit_import(prepared, store, user_name=user.name, role=str(user.role), **options)  # type: ignore[arg-type]


def write_stream_as(stream: PreparedStream, store: IncidentStore, user: User) -> ImportReport:
    """Check and write a streamed import as ``user``; refused before a row is checked."""
    require_import(user)
    return write_stream(stream, store, user_name=user.name, role=str(user.role))
