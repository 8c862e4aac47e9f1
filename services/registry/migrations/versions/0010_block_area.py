"""Duplicate blocks by first-level area too: a member's block is its name's initial, its birth
year and its household's first-level area (``HN-CH`` for ``HN-CH-0601``), so screening a batch
of households reads the people of their own areas, not of the whole country.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: A code's first two parts (``HN-CH-0601`` → ``HN-CH``; ``HN`` stays ``HN``), as
#: ``shared.admin_codes.first_level`` writes it.
FIRST_LEVEL = {
    "postgresql": (
        "split_part(households.admin_code, '-', 1)"
        " || coalesce('-' || nullif(split_part(households.admin_code, '-', 2), ''), '')"
    ),
    "sqlite": (
        "CASE WHEN instr(substr(households.admin_code, instr(households.admin_code, '-') + 1), '-') > 0"
        " THEN substr(households.admin_code, 1, instr(households.admin_code, '-')"
        " + instr(substr(households.admin_code, instr(households.admin_code, '-') + 1), '-') - 1)"
        " ELSE households.admin_code END"
    ),
}


def upgrade() -> None:
    with op.batch_alter_table("members") as table:
        table.add_column(sa.Column("block_area", sa.String(64)))
    first_level = FIRST_LEVEL[op.get_bind().dialect.name]
    op.execute(
        f"UPDATE members SET block_area = (SELECT {first_level} FROM households"
        " WHERE households.id = members.household_id)"
    )
    op.drop_index("ix_members_block", table_name="members")
    op.create_index("ix_members_block", "members", ["block_initial", "birth_year", "block_area"])


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
