"""Household details, members, change history.

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
    with op.batch_alter_table("households") as table:
        table.add_column(sa.Column("registration_number", sa.String(32)))
        table.add_column(
            sa.Column("registration_source", sa.String(16), nullable=False, server_default="field")
        )
        table.add_column(sa.Column("registration_device", sa.String(128)))
        table.add_column(sa.Column("address", sa.Text))
        table.add_column(sa.Column("dwelling", sa.JSON, nullable=False, server_default="{}"))
        table.add_column(sa.Column("services", sa.JSON, nullable=False, server_default="{}"))
        table.add_column(sa.Column("livelihood", sa.JSON, nullable=False, server_default="{}"))
        table.add_column(sa.Column("consent", sa.JSON))
        table.add_column(sa.Column("payment_channel_type", sa.String(16)))
        table.add_column(sa.Column("payment_provider", sa.String(128)))
        table.add_column(sa.Column("payment_identifiers_encrypted", sa.Text))
        table.add_column(sa.Column("vulnerability_score", sa.Float))
        table.add_column(sa.Column("vulnerability_components", sa.JSON))
        table.add_column(sa.Column("vulnerability_index_version", sa.String(32)))
        table.add_column(sa.Column("updated_at", sa.DateTime(timezone=True)))
        table.add_column(sa.Column("updated_by", sa.String(255)))
        table.create_unique_constraint("uq_households_registration_number", ["registration_number"])
    op.create_index("ix_households_vulnerability_score", "households", ["vulnerability_score"])
    op.create_table(
        "members",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("household_id", sa.String(36), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("given_names", sa.String(200), nullable=False),
        sa.Column("family_names", sa.String(200), nullable=False),
        sa.Column("sex", sa.String(8), nullable=False),
        sa.Column("relationship", sa.String(32), nullable=False),
        sa.Column("birth_date", sa.Date),
        sa.Column("age_estimate", sa.Integer),
        sa.Column("document_type", sa.String(32)),
        sa.Column("document_hash", sa.String(64)),
        sa.Column("document_encrypted", sa.Text),
        sa.Column("phone_encrypted", sa.Text),
        sa.Column("disability", sa.JSON, nullable=False),
        sa.Column("pregnant", sa.Boolean, nullable=False),
        sa.Column("chronic_illness", sa.Boolean, nullable=False),
        sa.Column("attends_school", sa.Boolean),
    )
    op.create_index("ix_members_household_id", "members", ["household_id"])
    op.create_index("ix_members_document_hash", "members", ["document_hash"])
    op.create_table(
        "household_history",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("household_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(255), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
    )
    op.create_index("ix_household_history_household", "household_history", ["household_id", "version"])
    op.create_table(
        "sync_records",
        sa.Column("client_id", sa.String(36), primary_key=True),
        sa.Column("household_id", sa.String(36), nullable=False),
        sa.Column("device", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
