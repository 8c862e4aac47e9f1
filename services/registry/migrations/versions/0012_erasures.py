"""Erasure on request: a record of each (when, by whom, on which request; never what was erased).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from services.registry.adapters.message_schema import erasure_table_v1

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata = sa.MetaData()
    erasure_table_v1(metadata)
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
