"""The unit of work: one database transaction that holds a state change and its events."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from shared.audit import AuditEntry, AuditTables, append
from shared.db import READ_ONLY
from shared.events import CloudEvent
from shared.outbox import add_events, add_tombstone


class UnitOfWork:
    """Open a transaction on enter; commit on a clean exit, roll back on an error.

    Services subclass it to hang their repositories on ``self.session``. Events added with
    :meth:`publish` are written to the outbox in the same transaction, so they exist if and
    only if the change does.
    """

    session: Session
    #: The service's audit log; each service's unit of work names its own.
    audit: AuditTables | None = None

    def __init__(self, session_factory: sessionmaker[Session], outbox: Table, *, read_only: bool = False):
        self.session_factory = session_factory
        self.outbox = outbox
        self.read_only = read_only

    def __enter__(self) -> UnitOfWork:
        self.session = self.session_factory()
        self.session.begin()
        if self.read_only:
            self.session.connection(execution_options={READ_ONLY: True})
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()

    def record(self, entry: AuditEntry) -> None:
        """Append ``entry`` to the service's audit log in this transaction, so it is kept if and
        only if the change it records is."""
        if self.read_only or self.audit is None:
            raise RuntimeError("this unit of work cannot write to an audit log")
        append(self.session, self.audit, entry)

    def publish(self, topic: str, event: CloudEvent) -> None:
        """Queue ``event`` on ``topic`` in this transaction's outbox."""
        self.publish_all(topic, [event])

    def publish_tombstone(self, topic: str, key: str) -> None:
        """Queue a tombstone for ``key`` on a compacted ``topic`` in this transaction's outbox."""
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot publish events")
        add_tombstone(self.session, self.outbox, topic, key)

    def publish_all(self, topic: str, events: Sequence[CloudEvent]) -> None:
        """:meth:`publish` for many events, in order, written with one statement."""
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot publish events")
        add_events(self.session, self.outbox, topic, events)


def clashed(error: BaseException) -> bool:
    """Whether a transaction failed in the database rather than in the rules: a deadlock with
    another writer, a row another request wrote meanwhile, the database busy (the work may succeed
    when tried again, alone)."""
    return isinstance(error, DBAPIError)
