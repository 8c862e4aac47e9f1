"""Vulnerable-group counts per household, for searching and listing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COUNTS = ("children_under_5", "elderly_65_plus", "persons_with_disabilities", "pregnant_members")


def upgrade() -> None:
    with op.batch_alter_table("households") as table:
        for name in COUNTS:
            table.add_column(sa.Column(name, sa.Integer, nullable=False, server_default="0"))
        table.add_column(sa.Column("female_headed", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_index("ix_households_status_admin_code", "households", ["status", "admin_code"])


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
