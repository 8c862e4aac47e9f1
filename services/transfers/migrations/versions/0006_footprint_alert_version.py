"""A footprint's exposure remembers the alert version it was matched under, so it is never decided
against an older one (the alert's update and the footprint travel on different topics).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("exposures", sa.Column("alert_version", sa.Integer))


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
