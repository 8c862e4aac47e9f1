"""Four eyes on programmes: a version is a draft until an approver other than its author approves
it, and only approved versions trigger. Versions stored before were in force already: they are
recorded as approved by this migration.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("programmes", sa.Column("state", sa.String(16), nullable=False, server_default="approved"))
    op.add_column("programmes", sa.Column("decided_by", sa.String(255)))
    op.add_column("programmes", sa.Column("decided_at", sa.DateTime(timezone=True)))
    op.add_column("programmes", sa.Column("decision_comment", sa.Text))
    programmes = sa.table(
        "programmes", sa.column("decided_by", sa.String), sa.column("created_at", sa.DateTime)
    )
    op.execute(programmes.update().values(decided_by="migration 0009 (in force before approval existed)"))


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
