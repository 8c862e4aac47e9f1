"""The registry's tables."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Session  # noqa: F401 - what a unit of work joins

from services.registry.adapters.message_schema import (
    erasure_table_v1,
    message_incident_v1,
    message_tables_v1,
    reply_table_v1,
)
from shared.audit import audit_tables_v1
from shared.messaging_schema import Position, messaging_tables

metadata = MetaData()

households = Table(
    "households",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("admin_code", String(64), nullable=False, index=True),
    Column("size", Integer, nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("accuracy_m", Float),
    Column("location_source", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("registered_by", String(255), nullable=False),
    # 0002
    Column("registration_number", String(32), unique=True),
    Column("registration_source", String(16), nullable=False, server_default="field"),
    Column("registration_device", String(128)),
    Column("address", Text),
    # 0011: the language messages to the household are written in
    Column("language", String(8)),
    Column("dwelling", JSON, nullable=False, server_default="{}"),
    Column("services", JSON, nullable=False, server_default="{}"),
    Column("livelihood", JSON, nullable=False, server_default="{}"),
    Column("consent", JSON),
    Column("payment_channel_type", String(16)),
    Column("payment_provider", String(128)),
    Column("payment_identifiers_encrypted", Text),
    Column("vulnerability_score", Float, index=True),
    Column("vulnerability_components", JSON),
    Column("vulnerability_index_version", String(32)),
    Column("updated_at", DateTime(timezone=True)),
    Column("updated_by", String(255)),
    # 0003
    Column("children_under_5", Integer, nullable=False, server_default="0"),
    Column("elderly_65_plus", Integer, nullable=False, server_default="0"),
    Column("persons_with_disabilities", Integer, nullable=False, server_default="0"),
    Column("pregnant_members", Integer, nullable=False, server_default="0"),
    Column("female_headed", Boolean, nullable=False, server_default="0"),
    # 0007
    Column("assessments", JSON, nullable=False, server_default="[]"),
    Column("enrolments", JSON, nullable=False, server_default="[]"),
    # 0009: the published snapshot, kept true as time passes (see domain/snapshots.py)
    Column("snapshot_on", Date),
    Column("snapshot_revision", Integer, nullable=False, server_default="0"),
    Column("snapshot_due_on", Date),
)
Index("ix_households_status_admin_code", households.c.status, households.c.admin_code)
Index("ix_households_snapshot_due_on", households.c.snapshot_due_on)

members = Table(
    "members",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("household_id", String(36), ForeignKey("households.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("given_names", String(200), nullable=False),
    Column("family_names", String(200), nullable=False),
    Column("sex", String(8), nullable=False),
    Column("relationship", String(32), nullable=False),
    Column("birth_date", Date),
    Column("age_estimate", Integer),
    Column("document_type", String(32)),
    Column("document_hash", String(64), index=True),
    Column("document_encrypted", Text),
    Column("phone_encrypted", Text),
    Column("disability", JSON, nullable=False),
    Column("pregnant", Boolean, nullable=False),
    Column("chronic_illness", Boolean, nullable=False),
    Column("attends_school", Boolean),
    # 0005: blocking keys for duplicate detection
    Column("name_key", String(420)),
    Column("birth_year", Integer),
    Column("block_initial", String(1)),
    # 0010: and the household's first-level area
    Column("block_area", String(64)),
)
Index("ix_members_block", members.c.block_initial, members.c.birth_year, members.c.block_area)

duplicate_candidates = Table(
    "duplicate_candidates",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("household_a", String(36), nullable=False),
    Column("member_a", String(36), nullable=False),
    Column("household_b", String(36), nullable=False),
    Column("member_b", String(36), nullable=False),
    Column("score", Float, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(255)),
    Column("decided_at", DateTime(timezone=True)),
    Column("comment", Text),
    UniqueConstraint("member_a", "member_b", name="uq_duplicate_pair"),
)

#: 0008: officers' judgements on pairs of households, never proposed again: not duplicates at all
#: (``member_id`` empty), or one person removed from one of them (``member_id``: their remaining record).
duplicate_judgements = Table(
    "duplicate_judgements",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("household_a", String(36), nullable=False, index=True),
    Column("household_b", String(36), nullable=False, index=True),
    Column("member_id", String(36)),
    Column("judgement", String(24), nullable=False),
    Column("candidate_id", String(36), nullable=False),
    Column("decided_by", String(255), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("comment", Text),
)

household_history = Table(
    "household_history",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("household_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(255), nullable=False),
    Column("changes", JSON, nullable=False),
)
Index("ix_household_history_household", household_history.c.household_id, household_history.c.version)

#: Offline devices' batches already applied (the same batch sent twice changes nothing).
sync_records = Table(
    "sync_records",
    metadata,
    Column("client_id", String(36), primary_key=True),
    Column("household_id", String(36), nullable=False),
    Column("device", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("synced_at", DateTime(timezone=True), nullable=False),
)

imports = Table(
    "imports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("file_name", String(255), nullable=False),
    Column("format", String(8), nullable=False),
    Column("mapping", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("jurisdiction", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("rows_read", Integer, nullable=False, server_default="0"),
    Column("households_total", Integer, nullable=False, server_default="0"),
    Column("households_valid", Integer, nullable=False, server_default="0"),
    Column("households_invalid", Integer, nullable=False, server_default="0"),
    Column("households_written", Integer, nullable=False, server_default="0"),
    Column("problems_count", Integer, nullable=False, server_default="0"),
    Column("error", Text),
    # 0008
    Column("max_duplicate_share", Float),
    Column("outcomes", JSON),
    Column("households_with_duplicates", Integer, nullable=False, server_default="0"),
    Column("duplicates_count", Integer, nullable=False, server_default="0"),
)

import_problems = Table(
    "import_problems",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("import_id", String(36), nullable=False, index=True),
    Column("row", Integer, nullable=False),
    Column("column", String(255), nullable=False),
    Column("problem", Text, nullable=False),
)

#: 0007: post-event assessment exercises, and programme rosters read (rows without personal data).
assessment_events = Table(
    "assessment_events",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("incidents", JSON, nullable=False),
    Column("hazard_event", String(64)),
    Column("admin_codes", JSON, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("opened_by", String(255), nullable=False),
    Column("closes_at", DateTime(timezone=True)),
)

roster_imports = Table(
    "roster_imports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("programme", String(32), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("full_roster", Boolean, nullable=False),
    Column("roster_date", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("jurisdiction", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("committed_at", DateTime(timezone=True)),
    Column("rows", JSON, nullable=False),
    Column("counts", JSON, nullable=False),
)

#: 0009: vulnerability weight sets of countries and areas, proposed by one person, approved by another.
vulnerability_weights = Table(
    "vulnerability_weights",
    metadata,
    Column("version", String(32), primary_key=True),
    Column("area", String(64), nullable=False, index=True),
    Column("effective_from", Date, nullable=False),
    Column("weights", JSON, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("status", String(16), nullable=False),
    Column("proposed_by", String(255), nullable=False),
    Column("proposed_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(255)),
    Column("decided_at", DateTime(timezone=True)),
    Column("comment", Text),
    Column("applied_on", Date),
)

#: 0009: second-level areas (municipalities) an operator loaded, one country's layer at a time.
admin_boundaries = Table(
    "admin_boundaries",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("country", String(2), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("geometry", JSON, nullable=False),
    Column("tolerance_m", Float, nullable=False),
    Column("source", Text, nullable=False),
    Column("loaded_by", String(255), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

#: 0008: what the dry run found for each household of a file (create, update, unchanged or refused,
#: and why), and what the commit did (``result``).
import_households = Table(
    "import_households",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("import_id", String(36), nullable=False),
    Column("first_row", Integer, nullable=False),
    Column("rows", JSON, nullable=False),
    Column("reference", String(255), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("household_id", String(36)),
    Column("registration_number", String(32)),
    Column("changed", JSON),
    Column("pointer", Text),
    Column("reason", Text),
    Column("reason_es", Text),
    Column("result", String(16)),
    UniqueConstraint("import_id", "first_row", name="uq_import_household_row"),
)

#: 0008: probable duplicates a dry run found, within the file and against the registry.
import_duplicates = Table(
    "import_duplicates",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("import_id", String(36), nullable=False, index=True),
    Column("row", Integer, nullable=False),
    Column("first_row", Integer, nullable=False),
    Column("reference", String(255), nullable=False),
    Column("other_household", String(36), nullable=False),
    Column("other_registration_number", String(32)),
    Column("other_row", Integer),
    Column("other_reference", String(255)),
    Column("score", Float, nullable=False),
    Column("reasons", JSON, nullable=False),
)

outbox, inbox = messaging_tables(metadata)
audit = audit_tables_v1(metadata)
#: 0011: messages to households, and the households that asked for no more.
household_messages, message_opt_outs = message_tables_v1(metadata)
#: 0012: erasures on request.
erasures = erasure_table_v1(metadata)
#: 0013: households' replies asking for help.
household_replies = reply_table_v1(metadata)
#: 0014: the alert each message answers.
household_messages.append_column(message_incident_v1())
