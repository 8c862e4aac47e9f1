"""The registry's unit of work: households, the outbox and the audit log in one transaction."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from services.registry.adapters.assessments import AssessmentEventRepository, RosterRepository
from services.registry.adapters.boundaries import BoundaryRepository
from services.registry.adapters.duplicates import DuplicateRepository
from services.registry.adapters.erasures import ErasureRepository
from services.registry.adapters.households import HouseholdRepository
from services.registry.adapters.import_jobs import ImportRepository
from services.registry.adapters.messages import MessageRepository
from services.registry.adapters.orm import Session, audit, outbox
from services.registry.adapters.resolutions import ResolutionRepository
from services.registry.adapters.retention import RetentionRepository
from services.registry.adapters.search import HouseholdSearch
from services.registry.adapters.snapshots import SnapshotRepository
from services.registry.adapters.weights import WeightSetRepository
from shared.db import hold_lock
from shared.uow import UnitOfWork


class RegistryUnitOfWork(UnitOfWork):
    households: HouseholdRepository
    search: HouseholdSearch
    imports: ImportRepository
    duplicates: DuplicateRepository
    assessment_events: AssessmentEventRepository
    rosters: RosterRepository
    snapshots: SnapshotRepository
    weights: WeightSetRepository
    boundaries: BoundaryRepository
    resolutions: ResolutionRepository
    messages: MessageRepository
    erasures: ErasureRepository
    retention: RetentionRepository
    audit = audit

    def __init__(
        self,
        session_factory: Any,
        outbox_table: Any = outbox,
        *,
        read_only: bool = False,
        session: Session | None = None,
    ):
        super().__init__(session_factory, outbox_table, read_only=read_only)
        self._joined = session

    @classmethod
    def joining(cls, session: Session) -> RegistryUnitOfWork:
        """A unit of work inside a transaction someone else began and will commit (the inbox's)."""
        return cls(None, session=session)

    def __enter__(self) -> RegistryUnitOfWork:
        if self._joined is not None:
            self.session = self._joined
        else:
            super().__enter__()
        self.households = HouseholdRepository(self.session)
        self.search = HouseholdSearch(self.session)
        self.imports = ImportRepository(self.session)
        self.duplicates = DuplicateRepository(self.session)
        self.assessment_events = AssessmentEventRepository(self.session)
        self.rosters = RosterRepository(self.session)
        self.snapshots = SnapshotRepository(self.session)
        self.weights = WeightSetRepository(self.session)
        self.boundaries = BoundaryRepository(self.session)
        self.resolutions = ResolutionRepository(self.session)
        self.messages = MessageRepository(self.session)
        self.erasures = ErasureRepository(self.session)
        self.retention = RetentionRepository(self.session)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._joined is None:
            super().__exit__(exc_type, exc, tb)

    def lock(self, name: str) -> None:
        """Wait for, then hold until this transaction ends, the lock called ``name`` (see
        :func:`shared.db.hold_lock`)."""
        hold_lock(self.session, name)

    def reading(self) -> RegistryUnitOfWork:
        """A read-only unit of work on the same database: it never holds the write lock (SQLite),
        so long reads such as an import's planning never keep a field worker's change waiting."""
        if self._joined is not None:
            return self
        return RegistryUnitOfWork(self.session_factory, self.outbox, read_only=True)
