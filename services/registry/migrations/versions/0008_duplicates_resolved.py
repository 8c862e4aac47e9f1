"""Duplicates resolved properly: pairs judged distinct are remembered, merges move members.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
