"""Duplicate detection: blocking keys on members and the queue of candidate pairs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members") as table:
        table.add_column(sa.Column("name_key", sa.String(420)))
        table.add_column(sa.Column("birth_year", sa.Integer))
        table.add_column(sa.Column("block_initial", sa.String(1)))
    op.create_index("ix_members_block", "members", ["block_initial", "birth_year"])
    op.create_table(
        "duplicate_candidates",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("household_a", sa.String(36), nullable=False),
        sa.Column("member_a", sa.String(36), nullable=False),
        sa.Column("household_b", sa.String(36), nullable=False),
        sa.Column("member_b", sa.String(36), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(255)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("comment", sa.Text),
        sa.UniqueConstraint("member_a", "member_b", name="uq_duplicate_pair"),
    )
    op.create_index("ix_duplicate_candidates_status", "duplicate_candidates", ["status"])


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
