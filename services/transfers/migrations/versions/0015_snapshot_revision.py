"""The registry's snapshot revision of each household's attributes: a snapshot published again at
the same version, as time changed its score or counts, replaces the one held.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("household_attributes") as table:
        table.add_column(sa.Column("snapshot_revision", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
