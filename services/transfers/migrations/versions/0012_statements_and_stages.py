"""Triggers per statement, in stages: each exposed household keeps the statement (``<info>``) that
exposes it, so a programme's trigger decides for the households of the statements that reach its
action stage; the stages a programme reached over an exposure, and why, are kept.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("staged_households", sa.Column("statement", sa.Integer))
    op.add_column("exposed_households", sa.Column("statement", sa.Integer))
    op.create_table(
        "programme_stages",
        sa.Column("exposure_key", sa.String(80), primary_key=True),
        sa.Column("programme_id", sa.String(36), primary_key=True),
        sa.Column("stage", sa.String(16), primary_key=True),
        sa.Column("incident_id", sa.String(36), nullable=False, index=True),
        sa.Column("programme_version", sa.Integer, nullable=False),
        sa.Column("statements", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
