"""Registry commands and their handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from services.registry.domain import model
from services.registry.domain.errors import HouseholdIdTaken, HouseholdNotFound
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.contracts import households as contract
from shared.events import CloudEvent
from shared.kafka import HOUSEHOLDS


@dataclass(frozen=True)
class RegisterHousehold:
    """Field staff register a household (``household_id`` lets an offline device retry safely)."""

    admin_code: str
    size: int
    location: model.Location
    registered_by: str
    jurisdiction_covers: Callable[[str], bool]
    household_id: str | None = None


def register_household(
    command: RegisterHousehold,
    uow: RegistryUnitOfWork,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> tuple[model.Household, bool]:
    """Register a household and queue its ``registered`` event in the same transaction.

    :return: the household and whether it was created now (``False`` for a retried request
        carrying an id already registered with the same facts).
    :raise InvalidHousehold, OutsideJurisdiction: from the domain rules.
    :raise HouseholdIdTaken: if the id belongs to a household with different facts.
    """
    household = model.register_household(
        admin_code=command.admin_code,
        size=command.size,
        location=command.location,
        registered_by=command.registered_by,
        registered_at=now(),
        jurisdiction_covers=command.jurisdiction_covers,
        household_id=command.household_id,
    )
    with uow:
        existing = uow.households.get(household.id)
        if existing is not None:
            if existing.same_registration(household):
                return existing, False
            raise HouseholdIdTaken(f"household {household.id} is already registered with other data")
        uow.households.add(household)
        uow.publish(HOUSEHOLDS.name, household_registered(household))
    return household, True


def get_household(
    household_id: str, uow: RegistryUnitOfWork, jurisdiction_covers: Callable[[str], bool]
) -> model.Household:
    """Return one household the caller may see.

    :raise HouseholdNotFound: if no household has that id, or it lies outside the caller's
        jurisdiction (so ids outside it cannot be probed).
    """
    with uow:
        household = uow.households.get(household_id)
    if household is None or not jurisdiction_covers(household.admin_code):
        raise HouseholdNotFound(f"no household {household_id} in your jurisdiction")
    return household


def household_registered(household: model.Household) -> CloudEvent:
    """The event announcing a newly registered household, with its public snapshot."""
    return CloudEvent(
        type=contract.HOUSEHOLD_REGISTERED,
        source=contract.SOURCE,
        subject=household.id,
        data=model.public_snapshot(household),
        time=household.registered_at,
    )
