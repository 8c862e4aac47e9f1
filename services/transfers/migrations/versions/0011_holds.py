"""Holds: transfers keeps whether a household's recorded consent covers emergency transfers, and
which households the registry holds under review (a probable duplicate awaiting an officer's
decision), apart from the attributes since review events travel under their own key. A held
household is never proposed; it is decided again once released.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from services.transfers.adapters.hazard_event_schema import household_reviews_v1

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("household_attributes", sa.Column("consent_emergency", sa.Boolean))
    household_reviews_v1(sa.MetaData()).create(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
