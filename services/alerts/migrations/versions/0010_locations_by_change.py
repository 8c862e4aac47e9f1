"""Household locations found by when they changed: the kept index catches up with the rows
changed since it was read instead of reading every household again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_household_locations_updated_at", "household_locations", ["updated_at"])


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
