"""Messages to households and opt-outs, in the registry's database."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from services.registry.adapters.orm import (
    household_history,
    household_messages,
    household_replies,
    households,
    message_opt_outs,
)
from services.registry.domain.messages import QUEUED, Message
from services.registry.domain.replies import Reply
from shared.db import as_read, bulk_insert

_FIELDS = tuple(f.name for f in fields(Message))
_MOMENTS = ("requested_at", "decided_at", "next_attempt_at", "sent_at", "delivered_at", "updated_at")


def _message(row: Any) -> Message:
    values = {name: row._mapping[name] for name in _FIELDS}
    return Message(**{**values, **{name: as_read(values[name]) for name in _MOMENTS}})


class MessageRepository:
    def __init__(self, session: Session):
        self.session = session

    def known(self, message_ids: list[str]) -> set[str]:
        """Which of these messages were already requested (a request made again changes nothing)."""
        m = household_messages.c
        return set(self.session.scalars(select(m.id).where(m.id.in_(message_ids))))

    def add_all(self, many: list[Message]) -> None:
        if many:
            bulk_insert(self.session, household_messages, [asdict(m) for m in many])

    def get_many(self, message_ids: list[str], lock: bool = False) -> list[Message]:
        query = (
            select(household_messages)
            .where(household_messages.c.id.in_(message_ids))
            .order_by(household_messages.c.id)  # every writer locks in this order: no deadlock
        )
        return [_message(r) for r in self.session.execute(query.with_for_update() if lock else query).all()]

    def save_all(self, many: list[Message]) -> None:
        for message in many:
            self.save(message)

    def save(self, message: Message) -> None:
        values = asdict(message)
        values.pop("id")
        self.session.execute(
            update(household_messages).where(household_messages.c.id == message.id).values(**values)
        )

    def due(self, now: datetime, limit: int) -> list[Message]:
        """Queued messages whose time has come, oldest first."""
        m = household_messages.c
        query = (
            select(household_messages)
            .where(m.status == QUEUED, or_(m.next_attempt_at.is_(None), m.next_attempt_at <= now))
            .order_by(m.requested_at, m.id)
            .limit(limit)
        )
        return [_message(r) for r in self.session.execute(query).all()]

    def of_household(self, household_id: str) -> list[Message]:
        m = household_messages.c
        query = select(household_messages).where(m.household_id == household_id)
        return [_message(r) for r in self.session.execute(query.order_by(m.requested_at, m.id)).all()]

    def households_written_at(self, to_hash: str) -> list[str]:
        """The households messages went to this number for (whose reply a reply is)."""
        m = household_messages.c
        return sorted(set(self.session.scalars(select(m.household_id).where(m.to_hash == to_hash))))

    def last_written(self, household_id: str) -> Message | None:
        """The newest message written to the household (what a reply most likely answers)."""
        m = household_messages.c
        row = self.session.execute(
            select(household_messages)
            .where(m.household_id == household_id, m.sent_at.is_not(None))
            .order_by(m.sent_at.desc(), m.id)
            .limit(1)
        ).first()
        return None if row is None else _message(row)

    # -- replies asking for help -------------------------------------------------------------

    def reply_known(self, reply_id: str) -> bool:
        return (
            self.session.scalar(select(household_replies.c.id).where(household_replies.c.id == reply_id))
            is not None
        )

    def add_reply(self, reply: Reply) -> None:
        self.session.execute(insert(household_replies).values(**asdict(reply)))

    def replies_of(self, household_id: str) -> list[Reply]:
        r = household_replies.c
        rows = self.session.execute(
            select(household_replies).where(r.household_id == household_id).order_by(r.received_at, r.id)
        )
        return [Reply(**{**row._mapping, "received_at": as_read(row.received_at)}) for row in rows]

    # -- opting out -----------------------------------------------------------------------------

    def opted_out(self, household_id: str) -> bool:
        return household_id in self.opted_out_among([household_id])

    def opted_out_among(self, household_ids: list[str]) -> set[str]:
        o = message_opt_outs.c
        return set(self.session.scalars(select(o.household_id).where(o.household_id.in_(household_ids))))

    def opt_out(self, household_id: str, reply: str, at: datetime) -> None:
        if not self.opted_out(household_id):
            self.session.execute(
                insert(message_opt_outs).values(household_id=household_id, reply=reply[:160], at=at)
            )

    def phones_changed_at(self, household_ids: list[str]) -> dict[str, datetime]:
        """When a phone was last changed or added after each household was registered (households
        whose phones never changed are left out)."""
        h = household_history.c
        rows = self.session.execute(
            select(h.household_id, h.changed_at, h.changes)
            .where(h.household_id.in_(household_ids), h.version > 1)
            .order_by(h.household_id, h.version)
        ).all()
        changed: dict[str, datetime] = {}
        for row in rows:
            for change in row.changes or []:
                path = str(change.get("path", ""))
                # A number changed, added, or another member made head (whose number is used).
                if path.startswith("members.") and path.endswith((".phone", ".relationship")):
                    changed[row.household_id] = as_read(row.changed_at)  # type: ignore[assignment]
        return changed

    def counts(self) -> list[tuple[str, str, str, int]]:
        """Messages by the household's area, kind and status."""
        m = household_messages.c
        query = (
            select(households.c.admin_code, m.kind, m.status, func.count())
            .join(households, households.c.id == m.household_id)
            .group_by(households.c.admin_code, m.kind, m.status)
        )
        return [(r[0], r[1], r[2], r[3]) for r in self.session.execute(query).all()]
