"""The registry's unit of work: households and the outbox in one transaction."""

from __future__ import annotations

from services.registry.adapters.repository import HouseholdRepository, HouseholdSearch
from shared.uow import UnitOfWork


class RegistryUnitOfWork(UnitOfWork):
    households: HouseholdRepository
    search: HouseholdSearch

    def __enter__(self) -> RegistryUnitOfWork:
        super().__enter__()
        self.households = HouseholdRepository(self.session)
        self.search = HouseholdSearch(self.session)
        return self
