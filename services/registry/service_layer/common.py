"""What every registry handler works with: who acts, a household as a person entered it, what the
handlers need, who may see a household, and the event each new version of a household announces."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.registry.domain import model
from services.registry.domain.areas import AdminReference, AreaCheck
from services.registry.domain.errors import HouseholdNotFound, OutsideJurisdiction
from services.registry.domain.ports import PersonalDataProtector
from services.registry.domain.vulnerability import Weighting
from shared.contracts import households as contract
from shared.events import CloudEvent

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Actor:
    """Who acts: their id and the jurisdiction test of their token."""

    subject: str
    covers: Callable[[str], bool]


@dataclass(frozen=True)
class HouseholdInput:
    """A household as a person entered it (validated for types by the API, not yet for rules)."""

    admin_code: str
    location: model.Location
    members: Sequence[Mapping[str, Any]]
    status: str = "active"
    address: str | None = None
    #: The language the household is written to in (``es``, ``en``; ``None``: its country's).
    language: str | None = None
    dwelling: Mapping[str, Any] = field(default_factory=dict)
    services: Mapping[str, Any] = field(default_factory=dict)
    livelihood: Mapping[str, Any] = field(default_factory=dict)
    consent: Mapping[str, Any] | None = None
    payment: Mapping[str, Any] | None = None


@dataclass
class Dependencies:
    """What the registry's handlers need besides a unit of work."""

    protector: PersonalDataProtector
    #: Picks the weights a household is scored with (one index, or the stored sets by place).
    index: Weighting
    areas: AreaCheck | None = None
    now: Clock = utc_now
    #: Called after weights or boundaries change here, so that what is kept of them is read again.
    reference_changed: Callable[[], None] = lambda: None
    #: The first-level areas the registry serves (weight sets and boundary layers must lie in them).
    served: AdminReference | None = None


def check_visible(
    household: model.Household | None, household_id: str, covers: Callable[[str], bool]
) -> model.Household:
    """The household, if there is one and it lies inside the caller's jurisdiction.

    :raise HouseholdNotFound, OutsideJurisdiction: otherwise.
    """
    if household is None:
        raise HouseholdNotFound(f"no household {household_id}")
    if not covers(household.admin_code):
        raise OutsideJurisdiction(
            f"household {household_id} lies in {household.admin_code}, outside your jurisdiction"
        )
    return household


def household_event(household: model.Household, previous: model.Household | None) -> CloudEvent:
    """The event for a household's new version: registered, updated or deactivated."""
    if previous is None:
        kind = contract.HOUSEHOLD_REGISTERED
    elif household.status != model.HouseholdStatus.ACTIVE and previous.status == model.HouseholdStatus.ACTIVE:
        kind = contract.HOUSEHOLD_DEACTIVATED
    else:
        kind = contract.HOUSEHOLD_UPDATED
    return CloudEvent(
        type=kind,
        source=contract.SOURCE,
        subject=household.id,
        data=model.public_snapshot(household),
        time=household.updated_at,
    )
