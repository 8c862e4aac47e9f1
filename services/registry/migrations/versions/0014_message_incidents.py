"""The alert each message to a household answers, so a household's reply asking for help is filed
under it (a readiness notice has no payment to find it by).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

from alembic import op

from services.registry.adapters.message_schema import message_incident_v1

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("household_messages") as table:
        table.add_column(message_incident_v1())


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
