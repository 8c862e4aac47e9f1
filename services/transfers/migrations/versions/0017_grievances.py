"""Grievances: a household's case (left out, wrong amount, not received, wrong data, not a
duplicate), its explanation, who answers it by when, and how it was resolved.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

from services.transfers.adapters.grievance_schema import grievance_tables_v1

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata = sa.MetaData()
    grievance_tables_v1(metadata)
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
