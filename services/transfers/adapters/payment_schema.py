"""The tables behind deciding and paying, as migration 0004 created them.

Kept as a versioned function (like the outbox and inbox tables) so the ORM and the migration share
one definition; a later change adds ``…_v2`` and leaves this one as it was.
"""

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

from services.transfers.domain.payments import LIVE_PAYMENT_STATES
from shared.messaging_schema import Position

#: While one of a household's payments for a programme and an incident is in one of these states,
#: no other payment for it may exist (the partial unique index below).
_LIVE = "state IN ({})".format(", ".join(f"'{s}'" for s in LIVE_PAYMENT_STATES))
#: The condition of the partial unique index on live payments (migrations that rebuild it use it).
LIVE_CONDITION = _LIVE

Money = Numeric(14, 2)


def payment_tables_v1(metadata: MetaData) -> dict[str, Table]:
    """Incidents, exposures, evaluations and decisions, batches, payments, files, audit, idempotency."""
    incidents = Table(
        "incidents",
        metadata,
        Column("incident_id", String(36), primary_key=True),
        Column("version", Integer, nullable=False),
        #: The latest version that carried areas (Alert or Update); an expiry does not change it.
        Column("exposed_version", Integer),
        Column("state", String(16), nullable=False),
        Column("summary", JSON, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    exposures = Table(
        "exposures",
        metadata,
        Column("exposure_key", String(80), primary_key=True),
        Column("incident_id", String(36), index=True),
        Column("version", Integer),
        Column("footprint_id", String(36)),
        Column("kind", String(32)),
        Column("chunks", Integer),
        Column("households", Integer),
        Column("status", String(24), nullable=False),
        Column("note", Text),
        Column("received_at", DateTime(timezone=True), nullable=False),
        Column("decided_at", DateTime(timezone=True)),
    )
    exposure_chunks = Table(
        "exposure_chunks",
        metadata,
        Column("exposure_key", String(80), primary_key=True),
        Column("chunk", Integer, primary_key=True),
    )
    exposed_households = Table(
        "exposed_households",
        metadata,
        Column("exposure_key", String(80), primary_key=True),
        Column("household_id", String(36), primary_key=True),
        Column("band", String(64), nullable=False),
        Column("intensity", Float),
        Column("area", String(255)),
    )
    evaluations = Table(
        "evaluations",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("exposure_key", String(80), nullable=False, index=True),
        Column("incident_id", String(36), nullable=False, index=True),
        Column("programme_id", String(36), nullable=False),
        Column("programme_version", Integer, nullable=False),
        Column("conditions", JSON, nullable=False),
        Column("summary", JSON, nullable=False),
        Column("batch_id", String(36)),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    decisions = Table(
        "decisions",
        metadata,
        Column("evaluation_id", String(36), primary_key=True),
        Column("household_id", String(36), primary_key=True, index=True),
        Column("eligible", Boolean, nullable=False),
        Column("outcomes", String(64), nullable=False),  # one 0/1 per condition, in order
        Column("status", String(24), nullable=False),
        Column("band", String(64)),
        Column("intensity", Float),
        Column("requested", Money, nullable=False),
        Column("amount", Money, nullable=False),
        Column("size", Integer),
        Column("vulnerable_members", Integer),
        Column("vulnerability_score", Float),
    )
    batches = Table(
        "batches",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("programme_id", String(36), nullable=False, index=True),
        Column("programme_version", Integer, nullable=False),
        Column("incident_id", String(36), nullable=False, index=True),
        Column("evaluation_id", String(36)),
        Column("kind", String(16), nullable=False),
        Column("state", String(16), nullable=False),
        #: The smallest admin area holding all its households: who may see and act on the batch.
        Column("admin_scope", String(64), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("households", Integer, nullable=False),
        Column("total", Money, nullable=False),
        Column("requested", Money, nullable=False),
        Column("budget", Money),
        Column("coverage", Float, nullable=False),
        Column("cut_off_score", Float),
        Column("below_cut_off", Integer, nullable=False),
        Column("proposed_by", String(255), nullable=False),
        Column("proposed_at", DateTime(timezone=True), nullable=False),
        Column("decided_by", String(255)),
        Column("decided_at", DateTime(timezone=True)),
        Column("review_reason", Text),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    payments = Table(
        "payments",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("end_to_end_id", String(35), nullable=False, unique=True),
        Column("batch_id", String(36), nullable=False, index=True),
        Column("programme_id", String(36), nullable=False),
        Column("incident_id", String(36), nullable=False),
        Column("household_id", String(36), nullable=False, index=True),
        Column("amount", Money, nullable=False),
        Column("currency", String(3), nullable=False),
        Column("channel_type", String(16), nullable=False),
        Column("state", String(24), nullable=False),
        Column("reason", Text),
        Column("replaces", String(36)),
        Column("instruction_file_id", String(36), index=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        # The database itself refuses a second live payment for one household, programme, incident.
        Index(
            "one_live_payment",
            "programme_id",
            "incident_id",
            "household_id",
            unique=True,
            sqlite_where=text(_LIVE),
            postgresql_where=text(_LIVE),
        ),
    )
    instruction_files = Table(
        "instruction_files",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("message_id", String(35), nullable=False, unique=True),
        Column("batch_id", String(36), nullable=False, index=True),
        Column("channel_type", String(16), nullable=False),
        Column("format", String(16), nullable=False),
        Column("transactions", Integer, nullable=False),
        Column("control_sum", Money, nullable=False),
        Column("created_by", String(255), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    audit_log = Table(
        "audit_log",
        metadata,
        Column("position", Position, primary_key=True, autoincrement=True),
        Column("subject_type", String(16), nullable=False),
        Column("subject_id", String(36), nullable=False),
        Column("action", String(32), nullable=False),
        Column("from_state", String(16)),
        Column("to_state", String(16)),
        Column("by", String(255), nullable=False),
        Column("role", String(32)),
        Column("comment", Text),
        Column("at", DateTime(timezone=True), nullable=False),
        Index("audit_by_subject", "subject_type", "subject_id"),
    )
    idempotency_keys = Table(
        "idempotency_keys",
        metadata,
        Column("key", String(255), primary_key=True),
        Column("principal", String(255), primary_key=True),
        Column("request", String(64), nullable=False),  # hash of method, path and body
        Column("state", String(16), nullable=False),
        Column("status_code", Integer),
        Column("response", JSON),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    return {
        t.name: t
        for t in (
            incidents,
            exposures,
            exposure_chunks,
            exposed_households,
            evaluations,
            decisions,
            batches,
            payments,
            instruction_files,
            audit_log,
            idempotency_keys,
        )
    }


def exposure_part_tables_v1(metadata: MetaData) -> dict[str, Table]:
    """An exposure's parts (migration 0007): each part, its chunks, and its households held apart
    until the part is complete and accepted."""
    parts = Table(
        "exposure_parts",
        metadata,
        Column("exposure_key", String(80), primary_key=True),
        #: A digest of ``partitions`` (see :func:`services.transfers.domain.exposure_parts.part_id`).
        Column("part", String(32), primary_key=True),
        Column("partitions", Text, nullable=False),  # "0,3"
        Column("partition_count", Integer, nullable=False),
        Column("chunks", Integer),
        Column("households", Integer),
        #: collecting, accepted (its households are the exposure's) or overlapping (never counted).
        Column("status", String(16), nullable=False),
        Column("note", Text),
        Column("received_at", DateTime(timezone=True), nullable=False),
    )
    part_chunks = Table(
        "exposure_part_chunks",
        metadata,
        Column("exposure_key", String(80), primary_key=True),
        Column("part", String(32), primary_key=True),
        Column("chunk", Integer, primary_key=True),
    )
    staged = Table(
        "staged_households",
        metadata,
        Column("exposure_key", String(80), primary_key=True),
        Column("part", String(32), primary_key=True),
        Column("household_id", String(36), primary_key=True),
        Column("band", String(64), nullable=False),
        Column("intensity", Float),
        Column("area", String(255)),
    )
    return {t.name: t for t in (parts, part_chunks, staged)}
