"""The records past their retention period, and what the daily pass does to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from services.registry.adapters.orm import (
    erasures,
    household_messages,
    household_replies,
    households,
    import_duplicates,
    import_households,
    import_problems,
    imports,
    sync_records,
)
from services.registry.domain.erasure import ERASED
from services.registry.domain.messages import FAILED, QUEUED

#: An import whose file and rows are gone.
EXPIRED = "expired"


class RetentionRepository:
    def __init__(self, session: Session):
        self.session = session

    def blank_messages_before(self, cutoff: datetime) -> int:
        """Messages past their period lose their text and number; one still waiting to be sent
        that long is given up first (a household must never receive a blanked message). Replies
        asking for help lose their words after the same period (their case is filed by then)."""
        m = household_messages.c
        moment = func.coalesce(m.sent_at, m.requested_at)
        self.session.execute(
            update(household_messages)
            .where(moment < cutoff, m.status == QUEUED)
            .values(status=FAILED, reason="not sent within its retention period")
        )
        blanked = self.session.execute(
            update(household_messages)
            .where(moment < cutoff, or_(m.text != ERASED, m.to_hash.is_not(None)))
            .values(text=ERASED, to_masked=None, to_hash=None)
        ).rowcount
        r = household_replies.c
        blanked += self.session.execute(
            update(household_replies).where(r.received_at < cutoff, r.text != ERASED).values(text=ERASED)
        ).rowcount
        return int(blanked)

    def imports_before(self, cutoff: datetime) -> list[str]:
        i = imports.c
        query = select(i.id).where(i.created_at < cutoff, i.status != EXPIRED).order_by(i.created_at)
        return list(self.session.scalars(query))

    def empty_import(self, import_id: str) -> None:
        """The rows, problems and duplicates an import found, emptied; its counts stay."""
        self.session.execute(delete(import_problems).where(import_problems.c.import_id == import_id))
        self.session.execute(delete(import_duplicates).where(import_duplicates.c.import_id == import_id))
        self.session.execute(
            update(import_households)
            .where(import_households.c.import_id == import_id)
            .values(rows=[], changed=None, reference=ERASED)
        )
        self.session.execute(update(imports).where(imports.c.id == import_id).values(status=EXPIRED))

    def delete_syncs_before(self, cutoff: datetime) -> int:
        return int(
            self.session.execute(delete(sync_records).where(sync_records.c.synced_at < cutoff)).rowcount
        )

    def inactive_before(self, cutoff: datetime, limit: int = 500) -> list[str]:
        """Households not active since before ``cutoff`` and not erased yet."""
        h = households.c
        erased = select(erasures.c.household_id)
        query = (
            select(h.id)
            .where(h.status != "active", h.updated_at < cutoff, h.id.not_in(erased))
            .order_by(h.updated_at)
            .limit(limit)
        )
        return list(self.session.scalars(query))
