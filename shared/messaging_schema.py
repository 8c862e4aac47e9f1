"""The outbox and inbox tables, as every service's database holds them.

The table shapes are versioned here so each service's migrations can create them; a later
change adds a new function (``…_v2``) and leaves this one as it was, because migrations that
already ran must keep meaning what they meant.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

#: An auto-incrementing 64-bit key that SQLite also accepts as its rowid alias.
Position = BigInteger().with_variant(Integer(), "sqlite")


def _outbox_columns() -> list[Any]:
    return [
        Column("position", Position, primary_key=True, autoincrement=True),
        Column("event_id", String(128), nullable=False, unique=True),
        Column("event_type", String(255), nullable=False),
        Column("topic", String(255), nullable=False),
        Column("key", String(255), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("correlation_id", String(128)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True)),
        Column("kafka_partition", Integer),
        Column("kafka_offset", BigInteger),
    ]


def _inbox_columns() -> list[Any]:
    return [
        Column("event_id", String(128), primary_key=True),
        Column("event_type", String(255), nullable=False),
        Column("topic", String(255), nullable=False),
        Column("kafka_partition", Integer, nullable=False),
        Column("kafka_offset", BigInteger, nullable=False),
        Column("outcome", String(32), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    ]


def messaging_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Declare the ``outbox`` and ``inbox`` tables on a service's ``metadata``."""
    outbox = Table("outbox", metadata, *_outbox_columns())
    Index("ix_outbox_pending", outbox.c.published_at, outbox.c.position)
    Index("ix_outbox_created_at", outbox.c.created_at)
    inbox = Table("inbox", metadata, *_inbox_columns())
    return outbox, inbox


def create_messaging_tables_v1(op: Any) -> None:
    """Create the outbox and inbox tables from inside an Alembic migration."""
    op.create_table("outbox", *_outbox_columns())
    op.create_index("ix_outbox_pending", "outbox", ["published_at", "position"])
    op.create_index("ix_outbox_created_at", "outbox", ["created_at"])
    op.create_table("inbox", *_inbox_columns())
