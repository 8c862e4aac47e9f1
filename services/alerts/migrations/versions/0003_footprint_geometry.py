"""Vector footprints keep their GeoJSON, so maps can draw them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("footprints") as table:
        table.add_column(sa.Column("geometry", sa.JSON))


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
