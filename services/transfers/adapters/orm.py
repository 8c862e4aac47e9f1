"""The transfers service's tables."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Session, sessionmaker

from services.transfers.adapters.grievance_schema import grievance_tables_v1
from services.transfers.adapters.hazard_event_schema import (
    hazard_event_tables_v1,
    household_reviews_v1,
    programme_stages_v1,
)
from services.transfers.adapters.payment_schema import (
    LIVE_CONDITION,
    exposure_part_tables_v1,
    payment_tables_v1,
)
from shared.audit import audit_tables_v1
from shared.messaging_schema import messaging_tables

#: What a unit of work opens its transactions from, and what it holds them in.
Sessions = sessionmaker[Session]

metadata = MetaData()

household_attributes = Table(
    "household_attributes",
    metadata,
    Column("household_id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("admin_code", String(64), nullable=False, index=True),
    Column("size", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # 0002: what eligibility rules read
    Column("vulnerability_score", Float),
    Column("children_under_5", Integer, nullable=False, server_default="0"),
    Column("elderly_65_plus", Integer, nullable=False, server_default="0"),
    Column("persons_with_disabilities", Integer, nullable=False, server_default="0"),
    Column("pregnant_members", Integer, nullable=False, server_default="0"),
    Column("female_headed", Boolean, nullable=False, server_default="0"),
    Column("payment_channel_type", String(16)),
    # 0011: recorded consent for emergency transfers (None: none recorded)
    Column("consent_emergency", Boolean),
    # 0014: enrolments in regular programmes (",CODE,CODE,"), post-event assessments (JSON text),
    # and when a change of assessments last reached transfers
    Column("enrolments", String(400)),
    Column("assessments", Text),
    Column("assessed_at", DateTime(timezone=True), index=True),
    # 0014: the registry's publications of this version (a snapshot refreshed as time passed)
    Column("snapshot_revision", Integer, nullable=False, server_default="0"),
    # 0016: members by sex and reporting band, with disability (shared.contracts.household_groups)
    Column("people", String(160)),
)

#: 0011: households the registry holds under review (a probable duplicate awaiting an officer).
#: Apart from the attributes: review events travel under their own key, in no order with snapshots.
household_reviews = household_reviews_v1(metadata)

#: Every version of every programme; a decision always names the version it used.
programmes = Table(
    "programmes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("document", JSON, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # 0009: four eyes on programmes
    Column("state", String(16), nullable=False, server_default="approved"),
    Column("decided_by", String(255)),
    Column("decided_at", DateTime(timezone=True)),
    Column("decision_comment", Text),
)

outbox, inbox = messaging_tables(metadata)

_payment_tables = payment_tables_v1(metadata)
incidents = _payment_tables["incidents"]
exposures = _payment_tables["exposures"]
# 0006: a footprint's alert version (it is decided against that version of the alert or a later one)
exposures.append_column(Column("alert_version", Integer))
# 0007: an exposure arrives in parts, each covering some partitions of registry.households
exposures.append_column(Column("partition_count", Integer))
metadata.remove(_payment_tables["exposure_chunks"])
_part_tables = exposure_part_tables_v1(metadata)
exposure_parts = _part_tables["exposure_parts"]
exposure_part_chunks = _part_tables["exposure_part_chunks"]
staged_households = _part_tables["staged_households"]
exposed_households = _payment_tables["exposed_households"]
# 0012: the statement (<info>) that exposes each household
exposed_households.append_column(Column("statement", Integer))
staged_households.append_column(Column("statement", Integer))
#: 0012: the stages (readiness, action) a programme version reached over an exposure, and why.
programme_stages = programme_stages_v1(metadata)
evaluations = _payment_tables["evaluations"]
decisions = _payment_tables["decisions"]
# 0008: the payment that already held the household's entitlement (for one hazard event)
decisions.append_column(Column("held_by", String(36)))
# 0014: the enrolments whose top-up the benefit counted (",CODE,"), when it has any
decisions.append_column(Column("enrolled", String(400)))
_hazard_tables = hazard_event_tables_v1(metadata)
hazard_events = _hazard_tables["hazard_events"]
hazard_event_incidents = _hazard_tables["hazard_event_incidents"]
incident_names = _hazard_tables["incident_names"]
batches = _payment_tables["batches"]
# 0013: the first of two approvers of a batch above its programme's threshold
batches.append_column(Column("first_approved_by", String(255)))
payments = _payment_tables["payments"]
# 0010: a household's entitlement may be paid in parts (the first payment, then top-ups); one live
# payment per part
payments.append_column(Column("entitlement_part", Integer, nullable=False, server_default="0"))
payments.indexes.discard(next(i for i in payments.indexes if i.name == "one_live_payment"))
Index(
    "one_live_payment",
    payments.c.programme_id,
    payments.c.incident_id,
    payments.c.household_id,
    payments.c.entitlement_part,
    unique=True,
    sqlite_where=text(LIVE_CONDITION),
    postgresql_where=text(LIVE_CONDITION),
)
decisions.append_column(Column("held", Numeric(14, 2)))
instruction_files = _payment_tables["instruction_files"]
# The audit log as migration 0005 left it: chained, with outcomes (the shape shared by every service).
metadata.remove(_payment_tables["audit_log"])
audit = audit_tables_v1(metadata)
audit_log = audit.entries
idempotency_keys = _payment_tables["idempotency_keys"]
_grievance_tables = grievance_tables_v1(metadata)
grievances = _grievance_tables["grievances"]
grievance_steps = _grievance_tables["grievance_steps"]
