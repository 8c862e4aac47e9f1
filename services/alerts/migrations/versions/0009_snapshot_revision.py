"""The registry's snapshot revision of each household's location: a snapshot published again at
the same version, as time changed its counts, replaces the one held.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("household_locations") as table:
        table.add_column(sa.Column("snapshot_revision", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
