"""Approval chains by amount: a batch above its programme's threshold needs two approvers; the first
is kept until the second decides.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("batches", sa.Column("first_approved_by", sa.String(255)))


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
