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
    _place_households()
    with op.batch_alter_table("incidents") as table:
        table.add_column(sa.Column("exposure_version", sa.Integer))
    # The version whose exposure the summary shows: the current one, or the one before an expiry.
    # (No summary is stored as JSON null, not SQL NULL.)
    shown = "exposure_summary IS NOT NULL AND CAST(exposure_summary AS TEXT) <> 'null'"
    op.execute(f"UPDATE incidents SET exposure_version = version WHERE state = 'active' AND {shown}")
    op.execute(f"UPDATE incidents SET exposure_version = version - 1 WHERE state = 'expired' AND {shown}")
    with op.batch_alter_table("footprints") as table:
        table.add_column(sa.Column("raster", sa.LargeBinary))
        table.add_column(sa.Column("raster_type", sa.String(64)))
        table.add_column(sa.Column("raster_crs", sa.String(255)))
    op.create_table(
        "exposure_requests",
        sa.Column("exposure_key", sa.String(80), primary_key=True),
        sa.Column("incident_id", sa.String(36)),
        sa.Column("version", sa.Integer),
        sa.Column("footprint_id", sa.String(36)),
        sa.Column("areas", sa.JSON),
        sa.Column("band", sa.String(64)),
        sa.Column("may_trigger_transfers", sa.Boolean),
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


def _place_households(page: int = 10_000) -> None:
    """Each stored household's partition, where the registry's producer put it (by its key), a page
    at a time so a national projection never sits in memory at once."""
    connection = op.get_bind()
    locations = sa.table("household_locations", sa.column("household_id"), sa.column("partition"))
    after = ""
    while True:
        ids = (
            connection.execute(
                sa.select(locations.c.household_id)
                .where(locations.c.household_id > after)
                .order_by(locations.c.household_id)
                .limit(page)
            )
            .scalars()
            .all()
        )
        if not ids:
            return
        connection.execute(
            sa.update(locations)
            .where(locations.c.household_id == sa.bindparam("id"))
            .values(partition=sa.bindparam("placed")),
            [{"id": h, "placed": partition_of(h, HOUSEHOLDS.partitions)} for h in ids],
        )
        after = ids[-1]


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
