"""The registry's unit of work: households, the outbox and the audit log in one transaction."""

from __future__ import annotations

from services.registry.adapters.assessments import AssessmentEventRepository, RosterRepository
from services.registry.adapters.boundaries import BoundaryRepository
from services.registry.adapters.duplicates import DuplicateRepository
from services.registry.adapters.households import HouseholdRepository
from services.registry.adapters.import_jobs import ImportRepository
from services.registry.adapters.orm import audit
from services.registry.adapters.resolutions import ResolutionRepository
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
    audit = audit

    def __enter__(self) -> RegistryUnitOfWork:
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
        return self

    def lock(self, name: str) -> None:
        """Wait for, then hold until this transaction ends, the lock called ``name`` (see
        :func:`shared.db.hold_lock`)."""
        hold_lock(self.session, name)

    def reading(self) -> RegistryUnitOfWork:
        """A read-only unit of work on the same database: it never holds the write lock (SQLite),
        so long reads such as an import's planning never keep a field worker's change waiting."""
        return RegistryUnitOfWork(self.session_factory, self.outbox, read_only=True)
