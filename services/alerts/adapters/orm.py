"""The alerts service's tables."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, Integer, MetaData, String, Table

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
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

outbox, inbox = messaging_tables(metadata)
