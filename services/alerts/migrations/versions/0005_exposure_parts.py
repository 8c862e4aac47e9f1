"""Exposures matched by partition: each instance indexes only its partitions' households.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from shared.kafka import HOUSEHOLDS, partition_of

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("household_locations") as table:
        table.add_column(sa.Column("partition", sa.Integer))
        table.create_index("ix_household_locations_partition", ["partition"])
    # Where the registry's producer put each household (by its key), as a consumer would have seen.
    connection = op.get_bind()
    ids = [row[0] for row in connection.execute(sa.text("SELECT household_id FROM household_locations"))]
    by_partition: dict[int, list[str]] = {}
    for household_id in ids:
        by_partition.setdefault(partition_of(household_id, HOUSEHOLDS.partitions), []).append(household_id)
    locations = sa.table("household_locations", sa.column("household_id"), sa.column("partition"))
    for partition, members in by_partition.items():
        for start in range(0, len(members), 1000):
            connection.execute(
                sa.update(locations)
                .where(locations.c.household_id.in_(members[start : start + 1000]))
                .values(partition=partition)
            )
    with op.batch_alter_table("footprints") as table:
        table.add_column(sa.Column("raster", sa.LargeBinary))
        table.add_column(sa.Column("raster_type", sa.String(64)))
        table.add_column(sa.Column("raster_crs", sa.String(255)))
    op.create_table(
        "exposure_requests",
        sa.Column("exposure_key", sa.String(80), primary_key=True),
        sa.Column("incident_id", sa.String(36)),
        sa.Column("version", sa.Integer),
        sa.Column("message_id", sa.String(36)),
        sa.Column("footprint_id", sa.String(36)),
        sa.Column("partition_count", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_exposure_requests_completed_at", "exposure_requests", ["completed_at"])
    op.create_table(
        "exposure_parts",
        sa.Column("exposure_key", sa.String(80), primary_key=True),
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("matched_by", sa.String(255), nullable=False),
        sa.Column("households", sa.Integer, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
