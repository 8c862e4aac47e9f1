"""Snapshots kept true over time, vulnerability weights by country and area, second-level boundaries.

Each household keeps the day its published snapshot was counted on, how many times its version's
snapshot was published again, and the next day time alone changes it. Every active household is
due on the day of this migration, so the first daily pass counts each once and sets its true day.

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
    with op.batch_alter_table("households") as table:
        table.add_column(sa.Column("snapshot_on", sa.Date))
        table.add_column(sa.Column("snapshot_revision", sa.Integer, nullable=False, server_default="0"))
        table.add_column(sa.Column("snapshot_due_on", sa.Date))
    op.create_index("ix_households_snapshot_due_on", "households", ["snapshot_due_on"])
    op.execute("UPDATE households SET snapshot_due_on = CURRENT_DATE WHERE status = 'active'")
    op.create_table(
        "vulnerability_weights",
        sa.Column("version", sa.String(32), primary_key=True),
        sa.Column("area", sa.String(64), nullable=False, index=True),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("weights", sa.JSON, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposed_by", sa.String(255), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(255)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("comment", sa.Text),
        sa.Column("applied_on", sa.Date),
    )
    op.create_table(
        "admin_boundaries",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("country", sa.String(2), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("geometry", sa.JSON, nullable=False),
        sa.Column("tolerance_m", sa.Float, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("loaded_by", sa.String(255), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
