"""The hash-chained audit log and its chain head.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from alembic import op

from shared.audit import create_audit_tables_v1

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_tables_v1(op)


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
