"""Followed CAP feeds, and senders in strict mode, in the alerts service's database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from services.alerts.adapters.orm import feeds, senders
from services.alerts.domain.feeds import Feed, Refusal
from shared.db import as_read

_TIMES = ("added_at", "next_fetch_at", "last_fetch_at", "last_change_at")


def _feed(row: Any) -> Feed:
    values = dict(row._mapping)
    for name in _TIMES:
        values[name] = as_read(values[name])
    values["jurisdiction"] = tuple(values["jurisdiction"])
    values["allowed_hosts"] = tuple(values["allowed_hosts"])
    values["entries_taken"] = tuple(values["entries_taken"])
    values["refused"] = tuple(
        Refusal(r["entry"], r["reason"], as_read(datetime.fromisoformat(r["at"])))  # type: ignore[arg-type]
        for r in values["refused"]
    )
    return Feed(**values)


def _row(feed: Feed) -> dict[str, Any]:
    values = {column.name: getattr(feed, column.name) for column in feeds.columns}
    values["jurisdiction"] = list(feed.jurisdiction)
    values["allowed_hosts"] = list(feed.allowed_hosts)
    values["entries_taken"] = list(feed.entries_taken)
    values["refused"] = [{"entry": r.entry, "reason": r.reason, "at": r.at.isoformat()} for r in feed.refused]
    return values


class FeedRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, feed: Feed) -> None:
        self.session.execute(insert(feeds).values(**_row(feed)))

    def save(self, feed: Feed) -> None:
        values = _row(feed)
        values.pop("id")
        self.session.execute(update(feeds).where(feeds.c.id == feed.id).values(**values))

    def get(self, feed_id: str, lock: bool = False) -> Feed | None:
        """The feed; with ``lock``, held until the transaction ends (a read kept meanwhile waits)."""
        query = select(feeds).where(feeds.c.id == feed_id)
        row = self.session.execute(query.with_for_update() if lock else query).first()
        return None if row is None else _feed(row)

    def remove(self, feed_id: str) -> None:
        self.session.execute(delete(feeds).where(feeds.c.id == feed_id))

    def every(self) -> list[Feed]:
        return [_feed(r) for r in self.session.execute(select(feeds).order_by(feeds.c.added_at)).all()]

    def due(self, now: datetime) -> list[Feed]:
        """Feeds to read now, the longest waiting first."""
        query = select(feeds).where(or_(feeds.c.next_fetch_at.is_(None), feeds.c.next_fetch_at <= now))
        return [_feed(r) for r in self.session.execute(query.order_by(feeds.c.next_fetch_at)).all()]


class SenderRepository:
    """Senders whose messages must obey CAP 1.2 as written."""

    def __init__(self, session: Session):
        self.session = session

    def strict(self, sender: str) -> bool:
        return bool(self.session.scalar(select(senders.c.strict).where(senders.c.sender == sender)))

    def set_strict(self, sender: str, strict: bool, by: str, at: datetime) -> None:
        self.session.execute(delete(senders).where(senders.c.sender == sender))
        self.session.execute(insert(senders).values(sender=sender, strict=strict, set_by=by, set_at=at))

    def every(self) -> list[dict[str, Any]]:
        rows = self.session.execute(select(senders).order_by(senders.c.sender)).all()
        return [{**r._mapping, "set_at": as_read(r.set_at)} for r in rows]
