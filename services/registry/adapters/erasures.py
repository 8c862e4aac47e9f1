"""Erasures on request, and the personal data kept beside a household scrubbed with it."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from services.registry.adapters.orm import (
    erasures,
    household_history,
    household_messages,
    household_replies,
    import_households,
    message_opt_outs,
    outbox,
)
from services.registry.domain.erasure import ERASED, Erasure
from shared.contracts.households import HOUSEHOLD_ERASED
from shared.db import as_read
from shared.kafka import HOUSEHOLDS
from shared.outbox import TOMBSTONE


class ErasureRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, erasure: Erasure) -> None:
        self.session.execute(
            insert(erasures).values(
                household_id=erasure.household_id,
                at=erasure.at,
                by=erasure.by,
                reference=erasure.reference,
                location_erased=int(erasure.location_erased),
            )
        )

    def get(self, household_id: str) -> Erasure | None:
        row = self.session.execute(select(erasures).where(erasures.c.household_id == household_id)).first()
        if row is None:
            return None
        return Erasure(row.household_id, as_read(row.at), row.by, row.reference, bool(row.location_erased))  # type: ignore[arg-type]

    def scrub_beside(self, household_id: str) -> None:
        """What else holds the household's personal data: its history keeps which fields changed
        and when, not their values; its messages keep their kind and status, not their text or
        number; its replies asking for help keep when and what about, not their words; the rows of
        import files it came in are emptied; its earlier snapshots leave the outbox, published or
        not (published, they would be published again if the broker lost its topics; unpublished,
        they would follow the erasure)."""
        h = household_history.c
        for row in self.session.execute(select(h.id, h.changes).where(h.household_id == household_id)).all():
            paths = [{"path": c.get("path"), "old": None, "new": None} for c in row.changes or []]
            self.session.execute(update(household_history).where(h.id == row.id).values(changes=paths))
        self.session.execute(
            update(household_messages)
            .where(household_messages.c.household_id == household_id)
            .values(text=ERASED, to_masked=None, to_hash=None)
        )
        self.session.execute(
            update(household_replies)
            .where(household_replies.c.household_id == household_id)
            .values(text=ERASED)
        )
        self.session.execute(
            update(message_opt_outs)
            .where(message_opt_outs.c.household_id == household_id)
            .values(reply=ERASED)
        )
        self.session.execute(
            delete(outbox).where(
                outbox.c.topic == HOUSEHOLDS.name,
                outbox.c.key == household_id,
                outbox.c.event_type.not_in((HOUSEHOLD_ERASED, TOMBSTONE)),
            )
        )
        self.session.execute(
            update(import_households)
            .where(import_households.c.household_id == household_id)
            .values(rows=[], changed=None)
        )
