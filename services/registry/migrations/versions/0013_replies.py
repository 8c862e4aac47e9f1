"""Households' replies asking for help: kept here with their words, each filed as a grievance in
transfers.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

from services.registry.adapters.message_schema import reply_table_v1

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata = sa.MetaData()
    reply_table_v1(metadata)
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
