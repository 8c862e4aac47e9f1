"""The tables behind hazard events (migration 0008), holds (0011) and trigger stages (0012), shared
by the ORM and the migrations, like :mod:`.payment_schema`."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, MetaData, String, Table, Text


def hazard_event_tables_v1(metadata: MetaData) -> dict[str, Table]:
    """Hazard events, which incidents each groups and how they were linked, and the names CAP
    ``<incidents>`` gives each incident."""
    hazard_events = Table(
        "hazard_events",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("name", String(255), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    hazard_event_incidents = Table(
        "hazard_event_incidents",
        metadata,
        Column("incident_id", String(36), primary_key=True),
        Column("hazard_event_id", String(36), nullable=False, index=True),
        Column("how", String(24), nullable=False),
        Column("linked_by", String(255), nullable=False),
        Column("linked_at", DateTime(timezone=True), nullable=False),
        Column("note", Text),
    )
    incident_names = Table(
        "incident_names",
        metadata,
        Column("name", String(255), primary_key=True),
        Column("incident_id", String(36), primary_key=True),
    )
    return {
        "hazard_events": hazard_events,
        "hazard_event_incidents": hazard_event_incidents,
        "incident_names": incident_names,
    }


def household_reviews_v1(metadata: MetaData) -> Table:
    """Households the registry holds under review, as migration 0011 created the table."""
    return Table(
        "household_reviews",
        metadata,
        Column("household_id", String(36), primary_key=True),
        Column("under_review", Boolean, nullable=False),
        Column("reason", Text),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )


def programme_stages_v1(metadata: MetaData) -> Table:
    """The stages programmes reached over exposures, as migration 0012 created the table."""
    return Table(
        "programme_stages",
        metadata,
        Column("exposure_key", String(80), primary_key=True),
        Column("programme_id", String(36), primary_key=True),
        Column("stage", String(16), primary_key=True),
        Column("incident_id", String(36), nullable=False, index=True),
        Column("programme_version", Integer, nullable=False),
        Column("statements", JSON, nullable=False),
        Column("reasons", JSON, nullable=False),
        Column("reached_at", DateTime(timezone=True), nullable=False),
    )
