"""The audit log becomes hash-chained: outcome and chain columns, wider subjects and roles, a chain
head, and the entries already there chained in their order.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from shared.audit import (
    ACTION_LENGTH,
    DONE,
    SUBJECT_ID_LENGTH,
    audit_tables_v1,
    chain_entries,
    create_chain_head_v1,
)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as table:
        table.alter_column("subject_type", type_=sa.String(32), existing_nullable=False)
        table.alter_column("subject_id", type_=sa.String(SUBJECT_ID_LENGTH), existing_nullable=False)
        table.alter_column("action", type_=sa.String(ACTION_LENGTH), existing_nullable=False)
        table.alter_column("from_state", type_=sa.String(32))
        table.alter_column("to_state", type_=sa.String(32))
        table.alter_column("role", type_=sa.String(255))
        table.add_column(sa.Column("outcome", sa.String(16), nullable=False, server_default=DONE))
        table.add_column(sa.Column("prev_hash", sa.String(64)))
        table.add_column(sa.Column("hash", sa.String(64)))
    op.create_index("audit_by_outcome", "audit_log", ["outcome", "position"])
    create_chain_head_v1(op)
    chain_entries(op.get_bind(), audit_tables_v1(sa.MetaData()))
    with op.batch_alter_table("audit_log") as table:
        table.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        table.alter_column("hash", existing_type=sa.String(64), nullable=False)


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
