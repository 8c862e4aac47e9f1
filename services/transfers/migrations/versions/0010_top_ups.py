"""Top-ups: a household's entitlement for one hazard event may be paid in parts (the first payment,
then the difference when a later alert raises it). The database keeps refusing a second live
payment of the same part; each decision keeps what the household already held.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from services.transfers.adapters.payment_schema import LIVE_CONDITION

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payments", sa.Column("entitlement_part", sa.Integer, nullable=False, server_default="0"))
    op.add_column("decisions", sa.Column("held", sa.Numeric(14, 2)))
    op.drop_index("one_live_payment", table_name="payments")
    op.create_index(
        "one_live_payment",
        "payments",
        ["programme_id", "incident_id", "household_id", "entitlement_part"],
        unique=True,
        sqlite_where=sa.text(LIVE_CONDITION),
        postgresql_where=sa.text(LIVE_CONDITION),
    )


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
