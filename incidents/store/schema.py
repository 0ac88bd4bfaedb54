"""Table definitions of the incident store (SQLAlchemy Core, portable SQLite/PostgreSQL).

Tables are only ever created or changed by :mod:`incidents.store.migrations`; these
objects describe the latest version and are used for queries (migrations freeze their own DDL).
A table no migration has changed since it was made is a copy of that migration's frozen
definition (``Table.to_metadata``); when a migration changes it, it gets its own definition here.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Text

from incidents.store.migration_v5 import V5_INCIDENT_ROWS, V5_LABELS
from incidents.store.migration_v8 import V8_OUTLOOK_ADJUSTMENTS
from incidents.store.migration_v9 import (
    V9_ALERT_BATCHES,
    V9_ALERT_MATCHES,
    V9_ALERT_OUTBOX,
    V9_WATCH_VERSIONS,
)
from incidents.store.migrations import (
    SCHEMA_VERSION_TABLE,
    V1_AUDIT,
    V1_BATCHES,
    V1_STORE_META,
    V2_CORRIDOR_VERSIONS,
    V2_KEY_DEVELOPMENTS,
    V2_SITES,
    V3_SAVED_VIEWS,
    V4_SIGNIN_ATTEMPTS,
    V4_USERS,
)

metadata = MetaData()

schema_version = SCHEMA_VERSION_TABLE.to_metadata(metadata)
store_meta = V1_STORE_META.to_metadata(metadata)

#: ``store_meta`` key of the counter that changes whenever stored incidents do.
INCIDENTS_VERSION_KEY = "incidents_version"

batches = V1_BATCHES.to_metadata(metadata)  # status: committed | undone
# Schema version 5: the small key incident rows carry instead of batch_id + imported_at.
# Unique; NULL only for non-incident batches on SQLite (sites).
batches.append_column(Column("batch_key", Integer))
Index("ux_batches_batch_key", batches.c.batch_key, unique=True)

#: The columns of ``batches`` that :meth:`IncidentStore.list_batches` shows (not the key).
BATCH_COLUMNS = tuple(column.name for column in batches.columns if column.name != "batch_key")

audit = V1_AUDIT.to_metadata(metadata)

#: Label dictionary (schema version 5): every distinct text of every label column of
#: ``incident_rows`` once. Ids are never reused or deleted (an undone batch keeps its labels).
labels = V5_LABELS.to_metadata(metadata)

#: Compact incidents (schema version 5; version 6 dropped its secondary indexes). The label
#: columns hold ``labels.label_id`` (NULL stays NULL), ``event_day`` is days since 1970-01-01
#: and ``batch_key`` is ``batches.batch_key``. The readable view ``incidents`` (made by
#: migration 5) joins them back. No secondary indexes since version 6: full scans serve every
#: query well enough.
incident_rows = V5_INCIDENT_ROWS.to_metadata(metadata)
# Schema version 7: the source's own event type label (a label id) and the radius in km
# of the area the point stands for; NULL when unknown (rows stored before version 7).
incident_rows.append_column(Column("event_type_reported", Integer))
incident_rows.append_column(Column("uncertainty_km", Float))

# ---- schema version 2: reference tables analysts maintain ----------------------------

key_developments = V2_KEY_DEVELOPMENTS.to_metadata(metadata)  # scope: ISO3 or SAHEL
#: Every version of every corridor is kept: a past analysis names the version it used.
corridor_versions = V2_CORRIDOR_VERSIONS.to_metadata(metadata)
#: Organisations' own sites and routes (kind: site | route), imported per batch like incidents.
sites = V2_SITES.to_metadata(metadata)

# ---- schema version 3: saved views for briefings ------------------------------------

#: Briefing views: ``position`` orders the sequence, ``notes`` are speaker notes, ``query`` holds
#: the filters and page options as a URL query string, ``layers`` the visible map layers (JSON).
saved_views = V3_SAVED_VIEWS.to_metadata(metadata)

# ---- schema version 4: accounts and sign-in rate limiting ----------------------------

#: Accounts (incidents.auth.accounts). Names are stored lower-case; only argon2 hashes are kept.
#: Names are stored lower-case (role: viewer | analyst | admin); only argon2 hashes are kept.
users = V4_USERS.to_metadata(metadata)
# Schema version 9: the account's own e-mail address (a viewer's watches may mail only it).
users.append_column(Column("email", Text))
# Schema version 10: the interface language the account chose (en, fr); NULL until chosen.
users.append_column(Column("language", String(8)))

#: Recent sign-in attempts, for rate limiting only (pruned; the audit table keeps the history).
#: ``user_name`` as typed (lower-cased), account or not; ``client_key`` "" when unknown.
signin_attempts = V4_SIGNIN_ATTEMPTS.to_metadata(metadata)

# ---- schema version 8: analysts' outlook adjustments -----------------------------------

#: Every version of every what-if adjustment (incidents.store.outlook_adjustments). Copied from
#: the frozen definition of migration 8 while it is the latest one: when this table changes, a
#: new migration changes it and this module gets its own definition.
outlook_adjustments = V8_OUTLOOK_ADJUSTMENTS.to_metadata(metadata)

# ---- schema version 9: watches and alerts ---------------------------------------------

#: Copied from the frozen definitions of migration 9 while they are the latest ones
#: (incidents.alerts reads and writes them).
watch_versions = V9_WATCH_VERSIONS.to_metadata(metadata)
alert_matches = V9_ALERT_MATCHES.to_metadata(metadata)
alert_batches = V9_ALERT_BATCHES.to_metadata(metadata)
alert_outbox = V9_ALERT_OUTBOX.to_metadata(metadata)
