"""Messages to households: each household's language, each message with where it stands, and the
households that asked for no more.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from services.registry.adapters.message_schema import message_tables_v1

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("households") as table:
        table.add_column(sa.Column("language", sa.String(8)))
    metadata = sa.MetaData()
    message_tables_v1(metadata)
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
