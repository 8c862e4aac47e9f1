"""Damage and needs after a hazard: assessment events that a registry officer opens for an incident
and an area, and each household's assessment, added to its record.

An assessment names what happened to the household (its dwelling's damage, where it sleeps now, what
it lost, what it needs now) and who found it so. Its categories, never the people's details, travel
in the household's public snapshot so that a response programme can reach the households damaged by
*this* hazard: each assessment carries the incidents of its event.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.registry.domain.errors import InvalidHousehold, OutsideJurisdiction

DWELLING_DAMAGE = ("none", "partial", "destroyed")
DISPLACEMENT = ("at_home", "host_family", "shelter")
LIVELIHOOD_LOSSES = ("crops", "livestock", "work", "tools")
NEEDS = (
    "water",
    "food",
    "shelter",
    "health",
    "hygiene",
    "cash",
    "clothing",
    "documents",
    "psychosocial",
    "other",
)
#: Assessments kept per household (the newest): a household is assessed once or twice per hazard.
MAX_KEPT = 20


@dataclass(frozen=True)
class AssessmentEvent:
    """An assessment exercise after a hazard: which incidents, where, from when until when."""

    id: str
    name: str
    incidents: tuple[str, ...]
    admin_codes: tuple[str, ...]
    opened_at: datetime
    opened_by: str
    closes_at: datetime | None = None
    hazard_event: str | None = None

    def open_at(self, moment: datetime) -> bool:
        return self.opened_at <= moment and (self.closes_at is None or moment < self.closes_at)

    def covers(self, admin_code: str) -> bool:
        """Whether a household in ``admin_code`` lies in the exercise's areas."""
        return any(admin_code == code or admin_code.startswith(code + "-") for code in self.admin_codes)


def open_event(
    *,
    name: str,
    incidents: Sequence[str],
    admin_codes: Sequence[str],
    opened_at: datetime,
    opened_by: str,
    closes_at: datetime | None,
    hazard_event: str | None,
    jurisdiction_covers: Callable[[str], bool],
) -> AssessmentEvent:
    """A new assessment event, checked.

    :raise InvalidHousehold: naming each faulty field.
    :raise OutsideJurisdiction: if an area lies outside the person's jurisdiction.
    """
    problems = {}
    if not name.strip():
        problems["name"] = "name the exercise (e.g. Fiona — landfall, east)"
    if not [i for i in incidents if i.strip()]:
        problems["incidents"] = "name at least one incident (the CAP <incidents> identifier)"
    if not admin_codes:
        problems["admin_codes"] = "name at least one admin area"
    if closes_at is not None and closes_at <= opened_at:
        problems["closes_at"] = "the exercise must close after it opens"
    if problems:
        raise InvalidHousehold("the assessment event cannot be opened", problems)
    outside = [code for code in admin_codes if not jurisdiction_covers(code)]
    if outside:
        raise OutsideJurisdiction(f"admin areas {', '.join(outside)} are outside your jurisdiction")
    return AssessmentEvent(
        id=str(uuid.uuid4()),
        name=name.strip(),
        incidents=tuple(dict.fromkeys(i.strip() for i in incidents if i.strip())),
        admin_codes=tuple(dict.fromkeys(admin_codes)),
        opened_at=opened_at,
        opened_by=opened_by,
        closes_at=closes_at,
        hazard_event=hazard_event,
    )


@dataclass(frozen=True)
class Assessment:
    """What one visit found: damage, displacement, losses, needs; who assessed and when."""

    id: str
    event_id: str
    incidents: tuple[str, ...]
    dwelling_damage: str
    displacement: str
    livelihood_losses: tuple[str, ...]
    needs: tuple[str, ...]
    assessed_at: datetime
    assessed_by: str
    shelter: str | None = None

    def as_record(self) -> dict[str, Any]:
        """Plain values, as stored and shown."""
        return {
            "id": self.id,
            "event_id": self.event_id,
            "incidents": list(self.incidents),
            "dwelling_damage": self.dwelling_damage,
            "displacement": self.displacement,
            "shelter": self.shelter,
            "livelihood_losses": list(self.livelihood_losses),
            "needs": list(self.needs),
            "assessed_at": self.assessed_at.isoformat(),
            "assessed_by": self.assessed_by,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Assessment:
        return cls(
            id=record["id"],
            event_id=record["event_id"],
            incidents=tuple(record["incidents"]),
            dwelling_damage=record["dwelling_damage"],
            displacement=record["displacement"],
            shelter=record.get("shelter"),
            livelihood_losses=tuple(record["livelihood_losses"]),
            needs=tuple(record["needs"]),
            assessed_at=datetime.fromisoformat(record["assessed_at"]),
            assessed_by=record["assessed_by"],
        )

    def categories(self) -> dict[str, Any]:
        """What the public snapshot carries: categories only (no shelter's name, no assessor)."""
        return {
            "event_id": self.event_id,
            "incidents": list(self.incidents),
            "dwelling_damage": self.dwelling_damage,
            "displacement": self.displacement,
            "livelihood_losses": list(self.livelihood_losses),
            "needs": list(self.needs),
            "assessed_on": self.assessed_at.date().isoformat(),
        }


def _choices(problems: dict[str, str], path: str, values: Sequence[str], allowed: Sequence[str]) -> None:
    for i, value in enumerate(values):
        if value not in allowed:
            problems[f"{path}.{i}"] = f"{value!r} is not one of {', '.join(allowed)}"


def assess(
    values: Mapping[str, Any],
    event: AssessmentEvent,
    *,
    admin_code: str,
    by: str,
    received_at: datetime,
) -> Assessment:
    """Check what a person recorded for a household in ``admin_code`` and return the assessment.

    ``values`` holds ``dwelling_damage``, ``displacement``, ``shelter``, ``livelihood_losses``,
    ``needs`` and ``assessed_at`` (a time with its zone, not after ``received_at``: a field device
    may send it days later, but never from the future).

    :raise InvalidHousehold: naming each faulty field under ``assessment``.
    """
    problems: dict[str, str] = {}
    damage, displacement = values.get("dwelling_damage"), values.get("displacement")
    if damage not in DWELLING_DAMAGE:
        problems["assessment.dwelling_damage"] = f"{damage!r} is not one of {', '.join(DWELLING_DAMAGE)}"
    if displacement not in DISPLACEMENT:
        problems["assessment.displacement"] = f"{displacement!r} is not one of {', '.join(DISPLACEMENT)}"
    shelter = (values.get("shelter") or "").strip() or None
    if displacement == "shelter" and shelter is None:
        problems["assessment.shelter"] = "say which shelter the household is in"
    if displacement != "shelter" and shelter is not None:
        problems["assessment.shelter"] = "a shelter is named only for a household displaced to one"
    losses, needs = tuple(values.get("livelihood_losses") or ()), tuple(values.get("needs") or ())
    _choices(problems, "assessment.livelihood_losses", losses, LIVELIHOOD_LOSSES)
    _choices(problems, "assessment.needs", needs, NEEDS)
    assessed_at = values.get("assessed_at")
    if not isinstance(assessed_at, datetime) or assessed_at.tzinfo is None:
        problems["assessment.assessed_at"] = "give the time of the visit with its time zone"
    elif assessed_at > received_at:
        problems["assessment.assessed_at"] = "an assessment cannot be made in the future"
    elif not event.open_at(assessed_at):
        problems["assessment.assessed_at"] = (
            f"the visit on {assessed_at:%Y-%m-%d %H:%M} lies outside the exercise "
            f"{event.name!r} (open from {event.opened_at:%Y-%m-%d %H:%M})"
        )
    if not event.covers(admin_code):
        problems["assessment.event_id"] = (
            f"the exercise {event.name!r} covers {', '.join(event.admin_codes)}, not {admin_code}"
        )
    if problems:
        raise InvalidHousehold("the assessment cannot be recorded", problems)
    assert isinstance(assessed_at, datetime)
    return Assessment(
        id=str(uuid.uuid4()),
        event_id=event.id,
        incidents=event.incidents,
        dwelling_damage=str(damage),
        displacement=str(displacement),
        shelter=shelter,
        livelihood_losses=tuple(dict.fromkeys(losses)),
        needs=tuple(dict.fromkeys(needs)),
        assessed_at=assessed_at,
        assessed_by=by,
    )


def with_assessment(kept: Sequence[Assessment], new: Assessment) -> tuple[Assessment, ...]:
    """The household's assessments once ``new`` is added, newest first: a later visit for the same
    event replaces the earlier one (the history keeps it); an earlier visit sent late changes nothing
    the later one found, and is refused by the caller as out of date."""
    others = [a for a in kept if a.event_id != new.event_id]
    return tuple(sorted([new, *others], key=lambda a: a.assessed_at, reverse=True)[:MAX_KEPT])


def superseded_by(kept: Sequence[Assessment], new: Assessment) -> Assessment | None:
    """A visit for the same event made after ``new``, if there is one (``new`` is then out of date)."""
    return next((a for a in kept if a.event_id == new.event_id and a.assessed_at >= new.assessed_at), None)


def snapshot_assessments(kept: Sequence[Assessment]) -> list[dict[str, Any]]:
    """The assessments' categories for the public snapshot, newest first."""
    return [a.categories() for a in kept]
