"""The tables behind hazard events and programme approval, as migration 0008 created them (shared
by the ORM and the migration, like :mod:`.payment_schema`)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text


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
