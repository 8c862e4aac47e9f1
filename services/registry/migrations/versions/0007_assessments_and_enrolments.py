"""Post-event assessments of damage and needs, and enrolment in regular programmes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
