"""An exposure arrives in parts, one per alerts instance, each covering some partitions of
``registry.households``: the parts, their chunks, and their households held apart until the part
is complete. An exposure received before becomes one part, partition 0 of 1, with its chunks.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from services.transfers.adapters.payment_schema import exposure_part_tables_v1
from services.transfers.domain.exposure_parts import WHOLE, part_id

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("exposures", sa.Column("partition_count", sa.Integer))
    tables = exposure_part_tables_v1(sa.MetaData())
    for table in tables.values():
        table.create(op.get_bind())
    exposures = sa.table(
        "exposures",
        sa.column("exposure_key", sa.String),
        sa.column("chunks", sa.Integer),
        sa.column("households", sa.Integer),
        sa.column("received_at", sa.DateTime(timezone=True)),
        sa.column("partition_count", sa.Integer),
    )
    chunks = sa.table("exposure_chunks", sa.column("exposure_key", sa.String), sa.column("chunk", sa.Integer))
    whole = part_id(WHOLE)
    received = (
        sa.select(sa.func.count())
        .select_from(chunks)
        .where(chunks.c.exposure_key == exposures.c.exposure_key)
        .scalar_subquery()
    )
    status = sa.case(
        (exposures.c.chunks.is_not(None) & (received >= exposures.c.chunks), "accepted"), else_="collecting"
    )
    op.execute(exposures.update().values(partition_count=1))
    op.execute(
        tables["exposure_parts"]
        .insert()
        .from_select(
            [
                "exposure_key",
                "part",
                "partitions",
                "partition_count",
                "chunks",
                "households",
                "status",
                "received_at",
            ],
            sa.select(
                exposures.c.exposure_key,
                sa.literal(whole),
                sa.literal("0"),
                sa.literal(1),
                exposures.c.chunks,
                exposures.c.households,
                status,
                exposures.c.received_at,
            ),
        )
    )
    op.execute(
        tables["exposure_part_chunks"]
        .insert()
        .from_select(
            ["exposure_key", "part", "chunk"],
            sa.select(chunks.c.exposure_key, sa.literal(whole), chunks.c.chunk),
        )
    )
    op.drop_table("exposure_chunks")


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
