"""The alerts service's tables."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
)

from shared.audit import audit_tables_v1
from shared.messaging_schema import messaging_tables

metadata = MetaData()

household_locations = Table(
    "household_locations",
    metadata,
    Column("household_id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("admin_code", String(64), nullable=False, index=True),
    Column("lat", Float),
    Column("lon", Float),
    Column("accuracy_m", Float),
    Column("updated_at", DateTime(timezone=True), nullable=False, index=True),  # 0010: the index
    # 0002: what exposure summaries count
    Column("size", Integer, nullable=False, server_default="0"),
    Column("children_under_5", Integer, nullable=False, server_default="0"),
    Column("elderly_65_plus", Integer, nullable=False, server_default="0"),
    Column("persons_with_disabilities", Integer, nullable=False, server_default="0"),
    Column("female_headed", Boolean, nullable=False, server_default="0"),
    # 0005: the registry.households partition the household's events come on
    Column("partition", Integer, index=True),
    # 0009: the registry's publications of this version (a snapshot refreshed as time passed)
    Column("snapshot_revision", Integer, nullable=False, server_default="0"),
)

#: Every CAP message received, kept byte for byte, with what was read from it.
alert_messages = Table(
    "alert_messages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("incident_id", String(36), nullable=False, index=True),
    Column("message_key", String(512), nullable=False, unique=True),
    Column("sent", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("msg_type", String(16), nullable=False),
    Column("summary", JSON, nullable=False),
    Column("warnings", JSON, nullable=False),
    Column("original", LargeBinary, nullable=False),
    Column("content_type", String(64), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("received_by", String(255), nullable=False),
)

#: One row per incident: its current state is the latest valid message.
incidents = Table(
    "incidents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("root_key", String(512), nullable=False, unique=True),
    Column("current_message_id", String(36), nullable=False),
    Column("state", String(16), nullable=False),  # active, cancelled, expired
    Column("version", Integer, nullable=False),
    Column("expires", DateTime(timezone=True)),
    Column("exposure_summary", JSON),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # 0005: the version whose exposure the summary shows (an expiry keeps it)
    Column("exposure_version", Integer),
)

exposures = Table(
    "exposures",
    metadata,
    Column("incident_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("household_id", String(36), primary_key=True),
    Column("area", String(255), nullable=False),
    Column("near_edge", Boolean, nullable=False),
    # 0006: matched after its alert (registered, moved or changed inside an active area), and
    # when it left the areas again
    Column("arrived_after", Boolean, nullable=False, server_default=false()),
    Column("moved_out_at", DateTime(timezone=True)),
)
Index("ix_exposures_incident", exposures.c.incident_id, exposures.c.version)

footprints = Table(
    "footprints",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("incident_id", String(36), index=True),
    Column("kind", String(32), nullable=False),
    Column("units", String(16), nullable=False),
    Column("thresholds", JSON, nullable=False),
    Column("source_format", String(16), nullable=False),
    Column("crs", String(255)),
    Column("summary", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(255), nullable=False),
    #: A vector footprint's features (WGS 84 GeoJSON) for maps; a raster keeps none.
    Column("geometry", JSON),
    # 0005: a raster as uploaded, and how to read it, so every instance can match it
    Column("raster", LargeBinary),
    Column("raster_type", String(64)),
    Column("raster_crs", String(255)),
)

#: An exposure to be matched: an alert version's areas or a footprint, against every partition
#: of ``registry.households``. Each instance matches the partitions it indexes; the exposure is
#: complete when every partition has its part.
exposure_requests = Table(
    "exposure_requests",
    metadata,
    Column("exposure_key", String(80), primary_key=True),
    Column("incident_id", String(36)),
    Column("version", Integer),
    Column("footprint_id", String(36)),
    #: An alert's areas as they were resolved when it came (GeoJSON, label, admin codes), its
    #: severity band and whether it may trigger transfers: every part is matched against the same.
    Column("areas", JSON),
    Column("band", String(64)),
    Column("may_trigger_transfers", Boolean),
    Column("partition_count", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), index=True),
)

#: One partition's part of an exposure: who matched it and what it found (aggregates only).
exposure_parts = Table(
    "exposure_parts",
    metadata,
    Column("exposure_key", String(80), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("matched_by", String(255), nullable=False),
    Column("households", Integer, nullable=False),
    Column("summary", JSON, nullable=False),
    Column("matched_at", DateTime(timezone=True), nullable=False),
)

#: The admin-boundary reference layers operators load, one row per area.
admin_areas = Table(
    "admin_areas",
    metadata,
    Column("scheme", String(64), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("geometry", JSON, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

#: 0007: CAP feeds followed
feeds = Table(
    "feeds",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("sender", String(255), nullable=False),
    Column("jurisdiction", JSON, nullable=False),
    Column("interval_seconds", Integer, nullable=False),
    Column("allowed_hosts", JSON, nullable=False),
    Column("added_by", String(255), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("etag", String(255)),
    Column("last_modified", String(255)),
    Column("next_fetch_at", DateTime(timezone=True), index=True),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("last_fetch_at", DateTime(timezone=True)),
    Column("last_change_at", DateTime(timezone=True)),
    Column("taken", Integer, nullable=False, server_default="0"),
    Column("refused", JSON, nullable=False),
    Column("last_error", Text),
    Column("entries_taken", JSON, nullable=False),
)

#: 0008: senders whose messages must obey CAP 1.2 as written
senders = Table(
    "senders",
    metadata,
    Column("sender", String(255), primary_key=True),
    Column("strict", Boolean, nullable=False),
    Column("set_by", String(255), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

outbox, inbox = messaging_tables(metadata)
audit = audit_tables_v1(metadata)
