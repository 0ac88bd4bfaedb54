"""Table definitions of the incident store (SQLAlchemy Core, portable SQLite/PostgreSQL).

Tables are only ever created or changed by :mod:`incidents.store.migrations`; these
objects describe the latest version and are used for queries (migrations freeze their own DDL).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

from incidents.store.migration_v8 import V8_OUTLOOK_ADJUSTMENTS
from incidents.store.migration_v9 import (
    V9_ALERT_BATCHES,
    V9_ALERT_MATCHES,
    V9_ALERT_OUTBOX,
    V9_WATCH_VERSIONS,
)

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
    Column("description", Text, nullable=False),
)

store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)

#: ``store_meta`` key of the counter that changes whenever stored incidents do.
INCIDENTS_VERSION_KEY = "incidents_version"

batches = Table(
    "batches",
    metadata,
    Column("batch_id", String(64), primary_key=True),
    Column("file_name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("format", String(32), nullable=False),
    Column("user_name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("rows_accepted", Integer, nullable=False),
    Column("rows_rejected", Integer, nullable=False),
    Column("rows_duplicate", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # committed | undone
    # Schema version 5: the small key incident rows carry instead of batch_id + imported_at.
    # Unique; NULL only for non-incident batches on SQLite (sites).
    Column("batch_key", Integer),
    Index("ux_batches_batch_key", "batch_key", unique=True),
)

#: The columns of ``batches`` that :meth:`IncidentStore.list_batches` shows (not the key).
BATCH_COLUMNS = tuple(column.name for column in batches.columns if column.name != "batch_key")

audit = Table(
    "audit",
    metadata,
    Column("audit_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_name", Text, nullable=False),
    Column("action", String(32), nullable=False),
    Column("batch_id", String(64)),
    Column("details", Text),
)

#: Label dictionary (schema version 5): every distinct text of every label column of
#: ``incident_rows`` once. Ids are never reused or deleted (an undone batch keeps its labels).
labels = Table(
    "labels",
    metadata,
    Column("label_id", Integer, primary_key=True, autoincrement=True),
    Column("text", Text, nullable=False, unique=True),
)

#: Compact incidents (schema version 5; version 6 dropped its secondary indexes). The label
#: columns hold ``labels.label_id`` (NULL stays NULL), ``event_day`` is days since 1970-01-01
#: and ``batch_key`` is ``batches.batch_key``. The readable view ``incidents`` (made by
#: migration 5) joins them back.
incident_rows = Table(
    "incident_rows",
    metadata,
    Column("incident_id", String(200), primary_key=True),
    Column("source_dataset", Integer, nullable=False),
    Column("source_event_id", String(180), nullable=False),
    Column("event_day", Integer, nullable=False),
    Column("date_precision", Integer, nullable=False),
    Column("country_iso3", Integer),
    Column("country", Integer),
    Column("admin1_code", Integer),
    Column("admin1_name", Integer),
    Column("admin2_code", Integer),
    Column("admin2_name", Integer),
    Column("reported_country", Integer),
    Column("reported_admin1", Integer),
    Column("reported_admin2", Integer),
    Column("location", Integer),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("geo_precision", SmallInteger, nullable=False),
    Column("event_type", Integer, nullable=False),
    Column("sub_event_type", Integer),
    Column("actor1", Integer),
    Column("actor2", Integer),
    Column("actor_group", Integer, nullable=False),
    Column("fatalities", Integer, nullable=False),
    Column("civilian_targeting", Boolean, nullable=False),
    Column("notes", Text),
    Column("source", Integer),
    Column("batch_key", Integer, ForeignKey("batches.batch_key"), nullable=False),
    # Schema version 7: the source's own event type label (a label id) and the radius in km
    # of the area the point stands for; NULL when unknown (rows stored before version 7).
    Column("event_type_reported", Integer),
    Column("uncertainty_km", Float),
    # No secondary indexes since schema version 6: full scans serve every query well enough.
)

# ---- schema version 2: reference tables analysts maintain ----------------------------

key_developments = Table(
    "key_developments",
    metadata,
    Column("development_id", Integer, primary_key=True, autoincrement=True),
    Column("date", Date, nullable=False),
    Column("date_precision", String(8), nullable=False),
    Column("scope", String(8), nullable=False),  # ISO3 or SAHEL
    Column("title", Text, nullable=False),
    Column("category", String(32), nullable=False),
    Column("source", Text, nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: Every version of every corridor is kept: a past analysis names the version it used.
corridor_versions = Table(
    "corridor_versions",
    metadata,
    Column("version_id", Integer, primary_key=True, autoincrement=True),
    Column("corridor_id", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("armed_groups", Text, nullable=False),
    Column("sources", Text, nullable=False),
    Column("source_refs", Text, nullable=False),
    Column("confidence", String(16), nullable=False),  # low | medium | high
    Column("status", String(16), nullable=False),  # active | retired
    Column("segments_geojson", Text, nullable=False),  # FeatureCollection of segments
    Column("note", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ux_corridor_versions", "corridor_id", "version", unique=True),
)

#: Organisations' own sites and routes, imported per batch like incidents.
sites = Table(
    "sites",
    metadata,
    Column("site_id", String(200), primary_key=True),
    Column("batch_id", String(64), ForeignKey("batches.batch_id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("site_type", Text, nullable=False),
    Column("kind", String(8), nullable=False),  # site | route
    Column("latitude", Float),
    Column("longitude", Float),
    Column("geometry_wkt", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_sites_batch", "batch_id"),
)

# ---- schema version 3: saved views for briefings ------------------------------------

saved_views = Table(
    "saved_views",
    metadata,
    Column("view_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("position", Integer, nullable=False),  # order in the briefing sequence
    Column("title", Text, nullable=False),
    Column("notes", Text, nullable=False),  # speaker notes
    Column("query", Text, nullable=False),  # filters and page options as a URL query string
    Column("center_lat", Float),
    Column("center_lon", Float),
    Column("zoom", Integer),
    Column("layers", Text, nullable=False),  # JSON list of visible map layers
    Column("created_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# ---- schema version 4: accounts and sign-in rate limiting ----------------------------

#: Accounts (incidents.auth.accounts). Names are stored lower-case; only argon2 hashes are kept.
users = Table(
    "users",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),  # viewer | analyst | admin
    Column("password_hash", Text, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Schema version 9: the account's own e-mail address (a viewer's watches may mail only it).
    Column("email", Text),
    # Schema version 10: the interface language the account chose (en, fr); NULL until chosen.
    Column("language", String(8)),
)

#: Recent sign-in attempts, for rate limiting only (pruned; the audit table keeps the history).
signin_attempts = Table(
    "signin_attempts",
    metadata,
    Column("attempt_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_name", String(64), nullable=False),  # as typed (lower-cased), account or not
    Column("client_key", String(128), nullable=False),  # "" when the client is unknown
    Column("succeeded", Boolean, nullable=False),
    Index("ix_signin_attempts_user_at", "user_name", "at"),
    Index("ix_signin_attempts_client_at", "client_key", "at"),
)

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
