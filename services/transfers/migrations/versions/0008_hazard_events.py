"""Hazard events: the incidents that concern one hazard, so that a household is entitled once per
programme per hazard event whatever the number of senders; each decision names the payment that
already held a household's entitlement. Every incident already stored becomes a hazard event of
its own.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from services.transfers.adapters.hazard_event_schema import hazard_event_tables_v1

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tables = hazard_event_tables_v1(sa.MetaData())
    for table in tables.values():
        table.create(op.get_bind())
    op.add_column("decisions", sa.Column("held_by", sa.String(36)))
    incidents = sa.table("incidents", sa.column("incident_id", sa.String), sa.column("summary", sa.JSON))
    now = datetime.now(UTC)
    stored = op.get_bind().execute(sa.select(incidents.c.incident_id, incidents.c.summary)).all()
    for incident_id, summary in stored:
        name = str((summary or {}).get("event") or (summary or {}).get("headline") or incident_id)[:255]
        op.execute(tables["hazard_events"].insert().values(id=incident_id, name=name, created_at=now))
        op.execute(
            tables["hazard_event_incidents"]
            .insert()
            .values(
                incident_id=incident_id,
                hazard_event_id=incident_id,
                how="first_heard",
                linked_by="migration 0008",
                linked_at=now,
            )
        )


def downgrade() -> None:
    raise NotImplementedError("Amparo migrates forwards only")
