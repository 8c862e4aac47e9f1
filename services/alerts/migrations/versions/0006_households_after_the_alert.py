"""Households that arrive in an active alert's areas after it was matched, and those that leave.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exposures") as table:
        table.add_column(sa.Column("arrived_after", sa.Boolean, nullable=False, server_default=sa.false()))
        table.add_column(sa.Column("moved_out_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    raise NotImplementedError("migrations go forwards only; restore a backup to go back")
