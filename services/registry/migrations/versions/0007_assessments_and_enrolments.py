"""Post-event assessments of damage and needs, and enrolment in regular programmes.

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
    with op.batch_alter_table("households") as table:
        table.add_column(sa.Column("assessments", sa.JSON, nullable=False, server_default="[]"))
        table.add_column(sa.Column("enrolments", sa.JSON, nullable=False, server_default="[]"))
    op.create_table(
        "assessment_events",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("incidents", sa.JSON, nullable=False),
        sa.Column("hazard_event", sa.String(64)),
        sa.Column("admin_codes", sa.JSON, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(255), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "roster_imports",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("programme", sa.String(32), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("full_roster", sa.Boolean, nullable=False),
        sa.Column("roster_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("jurisdiction", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True)),
        sa.Column("rows", sa.JSON, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
