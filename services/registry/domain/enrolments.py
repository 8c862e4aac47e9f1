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
from datetime import date, datetime
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


#: A roster's columns, by the names programmes use for them (English or Spanish, any case).
ROSTER_COLUMNS = {
    "household_reference": ("household_reference", "referencia_hogar", "registration_number", "household_id"),
    "document_type": ("document_type", "tipo_documento"),
    "document_number": ("document_number", "numero_documento", "número_documento", "cedula", "cédula"),
    "enrolled_since": ("enrolled_since", "fecha_ingreso", "since", "desde"),
    "beneficiary_reference": ("beneficiary_reference", "referencia_beneficiario", "beneficiary_id"),
}
DOCUMENT_TYPES = ("national_id", "birth_certificate", "passport", "residence_permit", "other")


@dataclass(frozen=True)
class RosterRow:
    """One roster row as read: how it names the household, since when, under which reference."""

    row: int
    household_reference: str | None
    document: tuple[str, str] | None  # (type, number), number as written
    since: date
    beneficiary_reference: str | None


def roster_columns(headers: Sequence[str]) -> dict[str, str]:
    """``{column: header}`` for the headers a roster file has.

    :raise InvalidHousehold: if the file names households neither by reference nor by document.
    """
    by_name = {h.strip().lower(): h for h in headers}
    found = {
        column: next(by_name[a] for a in aliases if a in by_name)
        for column, aliases in ROSTER_COLUMNS.items()
        if any(a in by_name for a in aliases)
    }
    if "household_reference" not in found and not {"document_type", "document_number"} <= set(found):
        raise InvalidHousehold(
            "the roster cannot be read",
            {"file": "name each household by household_reference, or by document_type and document_number"},
        )
    return found


def _day(text: str) -> date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def read_roster_row(
    number: int, raw: Mapping[str, Any], columns: Mapping[str, str], roster_date: date
) -> tuple[RosterRow | None, dict[str, str]]:
    """A roster row, or the problems that make it unusable (keyed by column).

    A missing ``enrolled_since`` means the roster's date; a date after it is refused.
    """

    def cell(column: str) -> str:
        value = raw.get(columns[column]) if column in columns else None
        return "" if value is None else str(value).strip()

    problems: dict[str, str] = {}
    reference = cell("household_reference") or None
    kind, document_number = cell("document_type").lower(), cell("document_number")
    document = (kind, document_number) if document_number else None
    if document and kind not in DOCUMENT_TYPES:
        problems["document_type"] = f"{kind!r} is not one of {', '.join(DOCUMENT_TYPES)}"
    if reference is None and document is None:
        problems["household_reference"] = "the row names no household (reference or document)"
    since_text = cell("enrolled_since")
    since = _day(since_text) if since_text else roster_date
    if since is None:
        problems["enrolled_since"] = f"{since_text!r} is not a date (2024-03-01 or 01/03/2024)"
    elif since > roster_date:
        problems["enrolled_since"] = f"{since} is after the roster's date {roster_date}"
    if problems:
        return None, problems
    assert since is not None
    return RosterRow(number, reference, document, since, cell("beneficiary_reference") or None), {}
