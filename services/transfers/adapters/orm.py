"""The transfers service's tables."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

from shared.messaging_schema import messaging_tables

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
)

outbox, inbox = messaging_tables(metadata)
