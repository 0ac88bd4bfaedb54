"""Sites and routes in the store: one batch (format ``"sites"``) per upload, like incidents.

A batch of sites is written in one transaction with its ``batches`` row and an audit
entry, and bumps ``data_version`` so cached exposure tables are rebuilt. Sites are removed
by :meth:`IncidentStore.undo_batch`, which deletes a batch's incidents and sites alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from incidents.auth.roles import Permission, User, require
from incidents.errors import StoreError
from incidents.i18n import _
from incidents.sites import KINDS, SITE_COLUMNS, empty_sites
from incidents.store import schema
from incidents.store.sql import IncidentStore, actor_details, new_batch_id

SITES_FORMAT: Final = "sites"
#: Columns of :func:`list_sites`: a sites frame plus its provenance.
LISTED_COLUMNS: Final = (*SITE_COLUMNS, "batch_id", "created_at")


def add_sites_batch(
    store: IncidentStore,
    sites_frame: pd.DataFrame,
    *,
    file_name: str,
    sha256: str,
    by: User,
    rows_read: int | None = None,
    rows_rejected: int = 0,
) -> str:
    """Store ``sites_frame`` (:data:`~incidents.sites.SITE_COLUMNS`) as one new batch; return its id.

    Site ids are made unique in the store as ``"{batch_id}:{n}"``, so the same file can be
    stored twice (two batches) and each undone on its own.
    """
    require(by, Permission.EDIT_REFERENCE, target="sites")
    user_name = by.name
    _check_frame(sites_frame)
    now = datetime.now(UTC)
    batch_id = new_batch_id(now)
    rows = [
        {
            "site_id": f"{batch_id}:{n}",
            "batch_id": batch_id,
            "name": str(row.name),
            "site_type": str(row.site_type),
            "kind": str(row.kind),
            "latitude": None if pd.isna(row.latitude) else float(row.latitude),
            "longitude": None if pd.isna(row.longitude) else float(row.longitude),
            "geometry_wkt": str(row.geometry_wkt),
            "created_at": now,
        }
        for n, row in enumerate(sites_frame.itertuples(index=False), start=1)
    ]
    try:
        with store.engine.begin() as conn:
            conn.execute(
                schema.batches.insert().values(
                    batch_id=batch_id,
                    file_name=file_name,
                    sha256=sha256,
                    format=SITES_FORMAT,
                    user_name=user_name,
                    created_at=now,
                    rows_read=len(rows) if rows_read is None else int(rows_read),
                    rows_accepted=len(rows),
                    rows_rejected=int(rows_rejected),
                    rows_duplicate=0,
                    status="committed",
                )
            )
            if rows:
                conn.execute(schema.sites.insert(), rows)
            details = f"{len(rows)} sites from {file_name}" + actor_details(user_name, str(by.role))
            IncidentStore._log(conn, user_name, "import_sites", batch_id, details)
            IncidentStore._bump_version(conn)
    except IntegrityError as exc:
        raise StoreError(
            _("the sites of {file} could not be stored: {error}").format(file=file_name, error=exc.orig)
        ) from exc
    except OperationalError as exc:
        raise StoreError(
            _("could not write to the store {store}: {error}").format(store=store.describe(), error=exc.orig)
        ) from exc
    return batch_id


def list_sites(store: IncidentStore) -> pd.DataFrame:
    """Every stored site and route (:data:`LISTED_COLUMNS`), oldest batch first."""
    table = schema.sites
    query = select(*[table.c[name] for name in LISTED_COLUMNS]).order_by(table.c.created_at, table.c.site_id)
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    if not rows:
        frame = empty_sites()
        frame["batch_id"] = pd.Series([], dtype="string")
        frame["created_at"] = pd.Series([], dtype="datetime64[ns, UTC]")
        return frame
    frame = pd.DataFrame(rows, columns=list(LISTED_COLUMNS))
    for column in ("site_id", "name", "site_type", "kind", "geometry_wkt", "batch_id"):
        frame[column] = frame[column].astype("string")
    for column in ("latitude", "longitude"):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    # Natural order within a batch: "b:2" before "b:10".
    order = frame["site_id"].str.rsplit(":", n=1).str[-1].astype("int64")
    frame = frame.assign(_n=order.to_numpy()).sort_values(["created_at", "batch_id", "_n"], kind="stable")
    return frame.drop(columns="_n").reset_index(drop=True)


def _check_frame(frame: pd.DataFrame) -> None:
    missing = [column for column in SITE_COLUMNS if column != "site_id" and column not in frame.columns]
    if missing:
        raise StoreError(
            _("the sites frame lacks columns {missing}; expected {expected}").format(
                missing=missing, expected=list(SITE_COLUMNS)
            )
        )
    bad_kind = sorted(set(frame["kind"].astype(str)) - set(KINDS))
    if bad_kind:
        raise StoreError(
            _("site kind {kind} is not one of {kinds}").format(kind=repr(bad_kind[0]), kinds=list(KINDS))
        )
    if frame["name"].isna().any() or frame["geometry_wkt"].isna().any():
        raise StoreError(_("every site needs a name and a geometry"))
