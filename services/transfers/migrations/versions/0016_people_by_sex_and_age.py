"""Each household's members by sex and reporting band, with disability per band: what monitoring
reports of the people exposed, decided and paid.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("household_attributes") as table:
        table.add_column(sa.Column("people", sa.String(160)))


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
