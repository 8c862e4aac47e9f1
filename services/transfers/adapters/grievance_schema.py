"""The tables behind grievances (migration 0017), shared by the ORM and the migration like
:mod:`.hazard_event_schema`."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, Text


def grievance_tables_v1(metadata: MetaData) -> dict[str, Table]:
    """Each case, and each step it took (filed, assigned, resolved) in order."""
    grievances = Table(
        "grievances",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("household_id", String(36), nullable=False, index=True),
        Column("admin_code", String(32), nullable=False),
        Column("kind", String(24), nullable=False),
        Column("channel", String(16), nullable=False),
        Column("filed_by", String(255), nullable=False),
        Column("filed_at", DateTime(timezone=True), nullable=False),
        Column("assigned_role", String(32), nullable=False),
        Column("due_at", DateTime(timezone=True), nullable=False),
        Column("household_version", Integer),
        Column("incident_id", String(36), index=True),
        Column("programme_id", String(36)),
        Column("note", Text),
        Column("explanation", JSON, nullable=False),
        Column("state", String(16), nullable=False, index=True),
        Column("outcome", String(24)),
        Column("outcome_note", Text),
        Column("outcome_detail", JSON),
        Column("resolved_by", String(255)),
        Column("resolved_at", DateTime(timezone=True)),
        Column("source_id", String(80), unique=True),
        #: ``household:kind:alert`` while the case is open, so two filings at once cannot both open
        #: one (``NULL`` once resolved).
        Column("open_key", String(120), unique=True),
    )
    grievance_steps = Table(
        "grievance_steps",
        metadata,
        Column("grievance_id", String(36), primary_key=True),
        Column("position", Integer, primary_key=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("by", String(255), nullable=False),
        Column("role", String(32)),
        Column("action", String(48), nullable=False),
        Column("note", Text),
    )
    return {"grievances": grievances, "grievance_steps": grievance_steps}
