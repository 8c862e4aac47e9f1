"""Assessing damage and needs after a hazard: opening an exercise, and adding a visit's findings
to a household's record (a new version, its history and its event in one transaction)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.registry.domain import assessments, model
from services.registry.domain.assessments import Assessment, AssessmentEvent
from services.registry.domain.errors import InvalidHousehold
from services.registry.service_layer.common import Actor, Dependencies, check_visible
from services.registry.service_layer.registration import store_change
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.admin_codes import lies_within
from shared.audit import AuditEntry
from shared.auth import EVERYWHERE


@dataclass(frozen=True)
class OpenAssessmentEvent:
    """Open an exercise: a name, the incidents it follows, its areas, when it closes."""

    name: str
    incidents: tuple[str, ...]
    admin_codes: tuple[str, ...]
    actor: Actor
    closes_at: datetime | None = None
    hazard_event: str | None = None
    opens_at: datetime | None = None


@dataclass(frozen=True)
class AssessHousehold:
    """Add a visit's findings (``values``: damage, displacement, shelter, losses, needs, time)."""

    household_id: str
    event_id: str
    values: Mapping[str, Any]
    actor: Actor


def open_assessment_event(
    command: OpenAssessmentEvent, uow: RegistryUnitOfWork, deps: Dependencies
) -> AssessmentEvent:
    """Open an assessment exercise (audited).

    :raise InvalidHousehold: naming each faulty field.
    :raise OutsideJurisdiction: if an area lies outside the person's jurisdiction.
    """
    now = deps.now()
    event = assessments.open_event(
        name=command.name,
        incidents=command.incidents,
        admin_codes=command.admin_codes,
        opened_at=command.opens_at or now,
        opened_by=command.actor.subject,
        closes_at=command.closes_at,
        hazard_event=command.hazard_event,
        jurisdiction_covers=command.actor.covers,
    )
    with uow:
        uow.assessment_events.add(event)
        uow.record(
            AuditEntry(
                by=command.actor.subject,
                action="assessment_event_opened",
                subject_type="assessment_event",
                subject_id=event.id,
                to_state="open",
                comment=f"{event.name}: {', '.join(event.incidents)} in {', '.join(event.admin_codes)}",
            )
        )
    return event


def open_events(
    jurisdiction: Sequence[str], uow: RegistryUnitOfWork, deps: Dependencies
) -> list[AssessmentEvent]:
    """The exercises open now whose areas overlap the person's jurisdiction (a municipal worker
    sees a national exercise; a national officer sees a municipal one)."""
    with uow:
        events = uow.assessment_events.open_at(deps.now())
    return [
        e
        for e in events
        if any(
            area == EVERYWHERE or lies_within(code, area) or lies_within(area, code)
            for code in e.admin_codes
            for area in jurisdiction
        )
    ]


def assess_household(
    command: AssessHousehold, uow: RegistryUnitOfWork, deps: Dependencies
) -> tuple[Assessment, model.Household]:
    """Add a visit's findings to a registered household: a new version, published.

    :raise HouseholdNotFound, OutsideJurisdiction: the household is unknown or not the person's.
    :raise InvalidHousehold: naming each faulty field under ``assessment``.
    """
    with uow:
        return assess_in(uow, command, deps)


def assess_in(
    uow: RegistryUnitOfWork, command: AssessHousehold, deps: Dependencies
) -> tuple[Assessment, model.Household]:
    """:func:`assess_household` inside a unit of work the caller has open (a synced visit that also
    registers or changes the household)."""
    now = deps.now()
    current = uow.households.get(command.household_id, for_update=True)
    current = check_visible(current, command.household_id, command.actor.covers)
    event = uow.assessment_events.get(command.event_id)
    if event is None:
        raise InvalidHousehold(
            f"household {command.household_id} cannot be assessed",
            {"assessment.event_id": f"no assessment event {command.event_id!r}"},
        )
    assessment = assessments.assess(
        command.values, event, admin_code=current.admin_code, by=command.actor.subject, received_at=now
    )
    changed = current.assessed(assessment, at=now)
    if not store_change(uow, changed, current, screen=False):
        raise InvalidHousehold(
            f"household {current.id} changed while it was being assessed", {"assessment": "send it again"}
        )
    return assessment, changed
