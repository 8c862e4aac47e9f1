"""The transfers service's tables."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Integer, MetaData, String, Table

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
    # 0002: what eligibility rules read
    Column("vulnerability_score", Float),
    Column("children_under_5", Integer, nullable=False, server_default="0"),
    Column("elderly_65_plus", Integer, nullable=False, server_default="0"),
    Column("persons_with_disabilities", Integer, nullable=False, server_default="0"),
    Column("pregnant_members", Integer, nullable=False, server_default="0"),
    Column("female_headed", Boolean, nullable=False, server_default="0"),
    Column("payment_channel_type", String(16)),
)

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
)

outbox, inbox = messaging_tables(metadata)
