"""The registry's tables."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, Integer, MetaData, String, Table

from shared.messaging_schema import messaging_tables

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
)

outbox, inbox = messaging_tables(metadata)
