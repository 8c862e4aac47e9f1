"""The transfers service's unit of work: its repositories, the outbox and the audit log in one
transaction.

A handler receives a unit of work and uses it as ``with uow: ...``; what it changed, the audit
lines and the events are committed together or not at all. Reads that must not hold a write
lock (on SQLite) use ``with uow.reading() as reader: ...``. The consumers apply events inside the
inbox's own transaction: :meth:`TransfersUnitOfWork.joining` gives a unit of work over that
session, which the inbox commits.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType

from services.transfers.adapters.batches import BatchRepository, FileRepository, PaymentRepository
from services.transfers.adapters.decisions import EvaluationRepository
from services.transfers.adapters.exposures import ExposureRepository, IncidentRepository
from services.transfers.adapters.grievances import GrievanceRepository
from services.transfers.adapters.hazard_events import HazardEventRepository
from services.transfers.adapters.monitoring import MonitoringRepository
from services.transfers.adapters.orm import Session, Sessions, Table, audit, outbox
from services.transfers.adapters.pipeline_metrics import keep_wait
from services.transfers.adapters.programmes import ProgrammeRepository
from services.transfers.adapters.repository import AttributeRepository
from services.transfers.adapters.stages import StageRepository
from shared.db import hold_lock
from shared.uow import UnitOfWork


class TransfersUnitOfWork(UnitOfWork):
    attributes: AttributeRepository
    incidents: IncidentRepository
    hazard_events: HazardEventRepository
    stages: StageRepository
    exposures: ExposureRepository
    programmes: ProgrammeRepository
    evaluations: EvaluationRepository
    batches: BatchRepository
    payments: PaymentRepository
    files: FileRepository
    grievances: GrievanceRepository
    audit = audit

    def __init__(
        self,
        session_factory: Sessions | None,
        outbox_table: Table = outbox,
        *,
        read_only: bool = False,
        session: Session | None = None,
    ):
        super().__init__(session_factory, outbox_table, read_only=read_only)  # type: ignore[arg-type]
        self._joined = session

    @classmethod
    def joining(cls, session: Session) -> TransfersUnitOfWork:
        """A unit of work inside a transaction someone else began and will commit (the inbox's)."""
        return cls(None, session=session)

    def reading(self) -> TransfersUnitOfWork:
        """A read-only unit of work on the same database (it never takes SQLite's write lock)."""
        if self._joined is not None:
            return self
        return type(self)(self.session_factory, self.outbox, read_only=True)

    def __enter__(self) -> TransfersUnitOfWork:
        if self._joined is not None:
            self.session = self._joined
        else:
            super().__enter__()
        session = self.session
        self.attributes = AttributeRepository(session)
        self.incidents = IncidentRepository(session)
        self.hazard_events = HazardEventRepository(session)
        self.stages = StageRepository(session)
        self.exposures = ExposureRepository(session)
        self.programmes = ProgrammeRepository(session)
        self.evaluations = EvaluationRepository(session)
        self.batches = BatchRepository(session)
        self.payments = PaymentRepository(session)
        self.files = FileRepository(session)
        self.monitoring = MonitoringRepository(session)
        self.grievances = GrievanceRepository(session)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._joined is None:
            super().__exit__(exc_type, exc, tb)

    def waited(self, step: str, since: datetime | None, at: datetime) -> None:
        """Note for the pipeline's metrics that ``step`` was taken at ``at``, ``since`` the step
        before it (counted only if this transaction commits; nothing when ``since`` is unknown)."""
        if since is not None:
            keep_wait(self.session, step, (at - since).total_seconds())

    def lock(self, name: str) -> None:
        """Wait for, then hold until this transaction ends, the lock called ``name`` (see
        :func:`shared.db.hold_lock`)."""
        hold_lock(self.session, name)
