"""Attributes eligibility rules read: vulnerability score, vulnerable-group counts, payment channel type.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("household_attributes") as table:
        table.add_column(sa.Column("vulnerability_score", sa.Float))
        for name in ("children_under_5", "elderly_65_plus", "persons_with_disabilities", "pregnant_members"):
            table.add_column(sa.Column(name, sa.Integer, nullable=False, server_default="0"))
        table.add_column(sa.Column("female_headed", sa.Boolean, nullable=False, server_default=sa.false()))
        table.add_column(sa.Column("payment_channel_type", sa.String(16)))


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
