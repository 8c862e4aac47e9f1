"""Triggers per statement, in stages: each exposed household keeps the statement (``<info>``) that
exposes it, so a programme's trigger decides for the households of the statements that reach its
action stage; the stages a programme reached over an exposure, and why, are kept.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from services.transfers.adapters.hazard_event_schema import programme_stages_v1

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("staged_households", sa.Column("statement", sa.Integer))
    op.add_column("exposed_households", sa.Column("statement", sa.Integer))
    programme_stages_v1(sa.MetaData()).create(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
