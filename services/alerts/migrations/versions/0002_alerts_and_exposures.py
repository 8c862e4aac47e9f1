"""CAP messages, incidents and their exposures; group counts on the location projection.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("household_locations") as table:
        for name in ("size", "children_under_5", "elderly_65_plus", "persons_with_disabilities"):
            table.add_column(sa.Column(name, sa.Integer, nullable=False, server_default="0"))
        table.add_column(sa.Column("female_headed", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "alert_messages",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("message_key", sa.String(512), nullable=False, unique=True),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("msg_type", sa.String(16), nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("warnings", sa.JSON, nullable=False),
        sa.Column("original", sa.LargeBinary, nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by", sa.String(255), nullable=False),
    )
    op.create_index("ix_alert_messages_incident_id", "alert_messages", ["incident_id"])
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("root_key", sa.String(512), nullable=False, unique=True),
        sa.Column("current_message_id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True)),
        sa.Column("exposure_summary", sa.JSON),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "exposures",
        sa.Column("incident_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("area", sa.String(255), nullable=False),
        sa.Column("near_edge", sa.Boolean, nullable=False),
    )
    op.create_index("ix_exposures_incident", "exposures", ["incident_id", "version"])
    op.create_table(
        "footprints",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("incident_id", sa.String(36)),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("units", sa.String(16), nullable=False),
        sa.Column("thresholds", sa.JSON, nullable=False),
        sa.Column("source_format", sa.String(16), nullable=False),
        sa.Column("crs", sa.String(255)),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
    )
    op.create_index("ix_footprints_incident_id", "footprints", ["incident_id"])
    op.create_table(
        "admin_areas",
        sa.Column("scheme", sa.String(64), primary_key=True),
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("geometry", sa.JSON, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
