"""Assessments in an import file: a household's visit after a hazard, read from the columns of its
first row that has one, and added to the household the file creates or updates.

The exercise is named by its id or its exact name. A visit already recorded (same exercise, same
time and findings) changes nothing; one older than the visit recorded for the same exercise is
refused, as from a field device; a visit that the exercise does not cover (its areas, its dates)
refuses the household with the cell at fault.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

from services.registry.domain import assessments
from services.registry.domain.errors import InvalidHousehold
from services.registry.domain.imports import HouseholdRows
from services.registry.domain.imports.columns import ASSESSMENT_FIELDS
from services.registry.domain.imports.outcomes import Outcome
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork


def visit_of(group: HouseholdRows) -> dict[str, Any] | None:
    """The assessment columns of the household's first row that fills any of them."""
    for _, values in group.rows:
        if any(values.get(name) not in (None, "", []) for name in ASSESSMENT_FIELDS):
            return {name: values.get(name) for name in ASSESSMENT_FIELDS}
    return None


def _on_the_day(when: Any, opened_at: datetime, now: datetime) -> Any:
    """A visit known by its day alone, at a moment of that day within the exercise (its opening, or
    midnight UTC) and not after ``now``; a day outside them stays outside, and is refused."""
    if not isinstance(when, date) or isinstance(when, datetime):
        return when
    start = datetime.combine(when, time(0), UTC)
    if not opened_at.date() <= when <= now.date():
        return start
    return min(max(start, opened_at), now)


def with_visit(plan: Any, planner: Any, uow: RegistryUnitOfWork) -> Any:
    """``plan`` with the visit its rows carry (a plan of the import's planner), or refused."""
    values = visit_of(plan.group)
    if values is None or plan.outcome == Outcome.REFUSED or plan.household is None:
        return plan
    named = str(values.pop("assessment_event") or "")
    event = uow.assessment_events.get(named) or uow.assessment_events.named(named)
    if event is None:
        return planner.invalid(plan.group, {"assessment_event": f"no assessment exercise {named!r}"})
    now = planner.deps.now()
    values["assessed_at"] = _on_the_day(values.get("assessed_at"), event.opened_at, now)
    household = plan.household
    try:
        visit = assessments.assess(
            values, event, admin_code=household.admin_code, by=planner.actor.subject, received_at=now
        )
        later = assessments.superseded_by(household.assessments, visit)
    except InvalidHousehold as exc:
        return planner.invalid(plan.group, exc.problems)
    if later is not None:
        if later.categories() | {"assessed_on": None} == visit.categories() | {"assessed_on": None}:
            return plan  # the same visit, imported again
        problem = f"a later visit ({later.assessed_at.isoformat()}) is recorded for {event.name!r}"
        return planner.invalid(plan.group, {"assessment.assessed_at": problem})
    if plan.outcome == Outcome.UNCHANGED:
        return replace(
            plan,
            outcome=Outcome.UPDATE,
            household=household.assessed(visit, at=now),
            current=household,
            changed=("assessments",),
        )
    kept = assessments.with_assessment(household.assessments, visit)
    return replace(
        plan, household=replace(household, assessments=kept), changed=(*plan.changed, "assessments")
    )
