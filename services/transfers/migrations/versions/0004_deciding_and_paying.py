"""Deciding and paying: incidents, exposures, evaluations, decisions, batches, payments, files,
audit log and idempotency keys.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from services.transfers.adapters.payment_schema import payment_tables_v1

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata = sa.MetaData()
    payment_tables_v1(metadata)
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
