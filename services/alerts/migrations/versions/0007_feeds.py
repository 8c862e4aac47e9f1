"""CAP feeds followed by the alerts service.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("sender", sa.String(255), nullable=False),
        sa.Column("jurisdiction", sa.JSON, nullable=False),
        sa.Column("interval_seconds", sa.Integer, nullable=False),
        sa.Column("allowed_hosts", sa.JSON, nullable=False),
        sa.Column("added_by", sa.String(255), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("etag", sa.String(255)),
        sa.Column("last_modified", sa.String(255)),
        sa.Column("next_fetch_at", sa.DateTime(timezone=True), index=True),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_fetch_at", sa.DateTime(timezone=True)),
        sa.Column("last_change_at", sa.DateTime(timezone=True)),
        sa.Column("taken", sa.Integer, nullable=False, server_default="0"),
        sa.Column("refused", sa.JSON, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("entries_taken", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("migrations go forwards only; restore a backup to go back")
