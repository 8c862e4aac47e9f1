"""Enrolment in the country's regular programmes (a conditional cash transfer, a pension), as
recorded from each programme's roster: what lets an emergency programme top up the enrolled
(*vertical expansion*) and reach the others (*horizontal expansion*).

A roster row names a household by its registration number or id, or by a member's identity
document, and the date the household entered the programme. The rules of one roster:

* a household on the roster and not yet enrolled is enrolled from the row's date;
* a household already enrolled with the same date and reference is unchanged;
* a *full* roster (the programme's whole list for the areas it covers) also ends, on the roster's
  date, the enrolment of every household of those areas that is no longer on it;
* a row that names no household, or a document found in two households, or a household outside
  the officer's jurisdiction, or a household already named by an earlier row, is refused with the
  reason, and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from services.registry.domain.errors import InvalidHousehold

PROGRAMME_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")

#: What a roster row became.
ENROL, UPDATE, UNCHANGED, END = "enrol", "update", "unchanged", "end"
NOT_FOUND, AMBIGUOUS, OUTSIDE, REPEATED, INVALID = (
    "not_found",
    "ambiguous",
    "outside_jurisdiction",
    "repeated",
    "invalid",
)
REFUSED = (NOT_FOUND, AMBIGUOUS, OUTSIDE, REPEATED, INVALID)


@dataclass(frozen=True)
class Enrolment:
    """A household's place in a regular programme: since when, until when, under which reference."""

    programme: str
    since: date
    until: date | None = None
    reference: str | None = None
    source: str | None = None

    def active_on(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day < self.until)

    def as_record(self) -> dict[str, Any]:
        return {
            "programme": self.programme,
            "since": self.since.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "reference": self.reference,
            "source": self.source,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Enrolment:
        until = record.get("until")
        return cls(
            programme=record["programme"],
            since=date.fromisoformat(record["since"]),
            until=date.fromisoformat(until) if until else None,
            reference=record.get("reference"),
            source=record.get("source"),
        )


def check_programme_code(code: str) -> str:
    """The programme's code, upper case. :raise InvalidHousehold: naming ``programme``."""
    code = (code or "").strip().upper()
    if not PROGRAMME_CODE.match(code):
        raise InvalidHousehold(
            "the roster cannot be read",
            {"programme": f"{code!r} is not a programme code (2 to 32 letters, digits, _ or -)"},
        )
    return code


def enrolled_on(enrolments: Sequence[Enrolment], day: date) -> list[str]:
    """The programmes a household is enrolled in on ``day``, sorted (what the snapshot carries)."""
    return sorted({e.programme for e in enrolments if e.active_on(day)})


def current(enrolments: Sequence[Enrolment], programme: str) -> Enrolment | None:
    """The household's open enrolment in ``programme``, if any."""
    return next((e for e in enrolments if e.programme == programme and e.until is None), None)


def on_roster(
    enrolments: Sequence[Enrolment], programme: str, since: date, reference: str | None, source: str
) -> tuple[str, tuple[Enrolment, ...]]:
    """What a roster row does to a household's enrolments: (outcome, the enrolments after it)."""
    open_one = current(enrolments, programme)
    if open_one is not None and open_one.since == since and open_one.reference == reference:
        return UNCHANGED, tuple(enrolments)
    new = Enrolment(programme, since, None, reference, source)
    if open_one is None:
        return ENROL, (*enrolments, new)
    return UPDATE, tuple(new if e is open_one else e for e in enrolments)


def off_roster(enrolments: Sequence[Enrolment], programme: str, on: date) -> tuple[Enrolment, ...]:
    """The household's enrolments once a full roster of ``on`` no longer lists it."""
    return tuple(
        replace(e, until=max(on, e.since)) if e.programme == programme and e.until is None else e
        for e in enrolments
    )
