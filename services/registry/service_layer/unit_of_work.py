"""The registry's unit of work: households, the outbox and the audit log in one transaction."""

from __future__ import annotations

from services.registry.adapters.duplicates import DuplicateRepository
from services.registry.adapters.households import HouseholdRepository
from services.registry.adapters.import_jobs import ImportRepository
from services.registry.adapters.orm import audit
from services.registry.adapters.resolutions import ResolutionRepository
from services.registry.adapters.search import HouseholdSearch
from shared.uow import UnitOfWork


class RegistryUnitOfWork(UnitOfWork):
    households: HouseholdRepository
    search: HouseholdSearch
    imports: ImportRepository
    duplicates: DuplicateRepository
    resolutions: ResolutionRepository
    audit = audit

    def __enter__(self) -> RegistryUnitOfWork:
        super().__enter__()
        self.households = HouseholdRepository(self.session)
        self.search = HouseholdSearch(self.session)
        self.imports = ImportRepository(self.session)
        self.duplicates = DuplicateRepository(self.session)
        self.resolutions = ResolutionRepository(self.session)
        return self

    def reading(self) -> RegistryUnitOfWork:
        """A read-only unit of work on the same database: it never holds the write lock (SQLite),
        so long reads such as an import's planning never keep a field worker's change waiting."""
        return RegistryUnitOfWork(self.session_factory, self.outbox, read_only=True)
