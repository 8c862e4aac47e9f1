"""Duplicates resolved properly: pairs judged distinct are remembered, merges move members;
imports say what each household of a file would become and which look like duplicates.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "duplicate_judgements",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("household_a", sa.String(36), nullable=False),
        sa.Column("household_b", sa.String(36), nullable=False),
        sa.Column("member_id", sa.String(36)),
        sa.Column("judgement", sa.String(24), nullable=False),
        sa.Column("candidate_id", sa.String(36), nullable=False),
        sa.Column("decided_by", sa.String(255), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text),
    )
    op.create_index("ix_duplicate_judgements_household_a", "duplicate_judgements", ["household_a"])
    op.create_index("ix_duplicate_judgements_household_b", "duplicate_judgements", ["household_b"])
    with op.batch_alter_table("imports") as table:
        table.add_column(sa.Column("max_duplicate_share", sa.Float))
        table.add_column(sa.Column("outcomes", sa.JSON))
        table.add_column(
            sa.Column("households_with_duplicates", sa.Integer, nullable=False, server_default="0")
        )
        table.add_column(sa.Column("duplicates_count", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "import_households",
        sa.Column("id", POSITION, primary_key=True, autoincrement=True),
        sa.Column("import_id", sa.String(36), nullable=False),
        sa.Column("first_row", sa.Integer, nullable=False),
        sa.Column("rows", sa.JSON, nullable=False),
        sa.Column("reference", sa.String(255), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("household_id", sa.String(36)),
        sa.Column("registration_number", sa.String(32)),
        sa.Column("changed", sa.JSON),
        sa.Column("pointer", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("reason_es", sa.Text),
        sa.Column("result", sa.String(16)),
        sa.UniqueConstraint("import_id", "first_row", name="uq_import_household_row"),
    )
    op.create_table(
        "import_duplicates",
        sa.Column("id", POSITION, primary_key=True, autoincrement=True),
        sa.Column("import_id", sa.String(36), nullable=False),
        sa.Column("row", sa.Integer, nullable=False),
        sa.Column("first_row", sa.Integer, nullable=False),
        sa.Column("reference", sa.String(255), nullable=False),
        sa.Column("other_household", sa.String(36), nullable=False),
        sa.Column("other_registration_number", sa.String(32)),
        sa.Column("other_row", sa.Integer),
        sa.Column("other_reference", sa.String(255)),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
    )
    op.create_index("ix_import_duplicates_import_id", "import_duplicates", ["import_id"])


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
