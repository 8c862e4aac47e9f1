"""The tables of messages to households, as migration 0011 created them (shared by the ORM and the
migration, like the outbox's)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text


def message_tables_v1(metadata: MetaData) -> tuple[Table, Table]:
    """Each message with where it stands, and the households that asked for no more."""
    messages = Table(
        "household_messages",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("household_id", String(36), nullable=False, index=True),
        Column("payment_id", String(36), nullable=False),
        Column("programme_id", String(36), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("language", String(8), nullable=False),
        Column("text", Text, nullable=False),
        #: The number's last four digits, and its keyed hash (to find whose reply a reply is).
        Column("to_masked", String(16)),
        Column("to_hash", String(64), index=True),
        Column("status", String(16), nullable=False),
        Column("reason", Text),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("next_attempt_at", DateTime(timezone=True)),
        Column("provider_id", String(64)),
        Column("requested_at", DateTime(timezone=True), nullable=False),
        Column("decided_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True)),
        Column("delivered_at", DateTime(timezone=True)),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    Index("ix_household_messages_due", messages.c.status, messages.c.next_attempt_at)
    opt_outs = Table(
        "message_opt_outs",
        metadata,
        Column("household_id", String(36), primary_key=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("reply", String(160), nullable=False),
    )
    return messages, opt_outs


def erasure_table_v1(metadata: MetaData) -> Table:
    """Migration 0012: each erasure on request (when, by whom, on which request; never what)."""
    return Table(
        "erasures",
        metadata,
        Column("household_id", String(36), primary_key=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("by", String(255), nullable=False),
        Column("reference", String(255), nullable=False),
        Column("location_erased", Integer, nullable=False),
    )


def message_incident_v1() -> Column[str]:
    """Migration 0014: the alert each message's payment (or readiness notice) answers."""
    return Column("incident_id", String(36))


def reply_table_v1(metadata: MetaData) -> Table:
    """Migration 0013: households' replies asking for help, each filed as a grievance in transfers
    (the words stay here; transfers hears the reply's id and what it seems to be about)."""
    return Table(
        "household_replies",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("household_id", String(36), nullable=False, index=True),
        Column("received_at", DateTime(timezone=True), nullable=False),
        Column("text", String(480), nullable=False),
        Column("kind", String(24)),
        #: The payment the last message written to the household was about, if any.
        Column("payment_id", String(36)),
        Column("programme_id", String(36)),
    )
