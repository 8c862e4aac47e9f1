"""Imports of CSV, XLSX and KoboToolbox files, with their validation problems.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    counters = (
        "rows_read",
        "households_total",
        "households_valid",
        "households_invalid",
        "households_written",
        "problems_count",
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("mapping", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("jurisdiction", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        *[sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in counters],
        sa.Column("error", sa.Text),
    )
    op.create_table(
        "import_problems",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("import_id", sa.String(36), nullable=False),
        sa.Column("row", sa.Integer, nullable=False),
        sa.Column("column", sa.String(255), nullable=False),
        sa.Column("problem", sa.Text, nullable=False),
    )
    op.create_index("ix_import_problems_import_id", "import_problems", ["import_id"])


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
