"""The alerts service's unit of work: messages, incidents, exposures, footprints, reference layers
and the household location index, with the outbox and the audit log, in one transaction."""

from __future__ import annotations

from services.alerts.adapters.feeds import FeedRepository, SenderRepository
from services.alerts.adapters.locations import LocationRepository
from services.alerts.adapters.orm import audit
from services.alerts.adapters.repository import AdminAreaRepository, AlertRepository, Session, Sessions, Table
from services.alerts.service_layer.indexing import Indexing
from shared.uow import UnitOfWork


class AlertsUnitOfWork(UnitOfWork):
    alerts: AlertRepository
    admin: AdminAreaRepository
    locations: LocationRepository
    feeds: FeedRepository
    senders: SenderRepository
    audit = audit

    def __init__(
        self,
        session_factory: Sessions,
        outbox: Table,
        *,
        read_only: bool = False,
        indexing: Indexing | None = None,
    ):
        super().__init__(session_factory, outbox, read_only=read_only)
        #: Which households this instance indexes (every one, unless told otherwise).
        self.indexing = indexing or Indexing(instance="alerts")

    @classmethod
    def joining(cls, session: Session, outbox: Table) -> AlertsUnitOfWork:
        """A unit of work inside a transaction someone else began and will commit (the inbox's)."""
        joined = cls(None, outbox)  # type: ignore[arg-type]
        joined._joined = session
        return joined

    _joined: Session | None = None

    def __enter__(self) -> AlertsUnitOfWork:
        if self._joined is not None:
            self.session = self._joined
        else:
            super().__enter__()
        self.alerts = AlertRepository(self.session)
        self.admin = AdminAreaRepository(self.session)
        self.locations = LocationRepository(self.session)
        self.feeds = FeedRepository(self.session)
        self.senders = SenderRepository(self.session)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._joined is None:
            super().__exit__(*exc)  # type: ignore[arg-type]
