"""Households' post-event assessments and enrolments in regular programmes, as eligibility and the
benefit read them; which enrolment top-ups a decision counted.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("household_attributes") as table:
        table.add_column(sa.Column("enrolments", sa.String(400)))
        table.add_column(sa.Column("assessments", sa.Text))
        table.add_column(sa.Column("assessed_at", sa.DateTime(timezone=True)))
    op.create_index("ix_household_attributes_assessed_at", "household_attributes", ["assessed_at"])
    with op.batch_alter_table("decisions") as table:
        table.add_column(sa.Column("enrolled", sa.String(400)))


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
