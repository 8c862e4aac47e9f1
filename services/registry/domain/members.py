"""Household members: who they are (protected), and what makes them vulnerable (shared).

Names, document numbers and phone numbers are personal data: they stay in the registry, document
numbers only as a keyed hash (for matching) plus ciphertext (for authorised display). What leaves
the registry is counts: by sex, age band, disability.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum, StrEnum

from shared.ids import random_uuid

MAX_AGE = 120


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class Relationship(StrEnum):
    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    GRANDCHILD = "grandchild"
    PARENT = "parent"
    SIBLING = "sibling"
    OTHER_RELATIVE = "other_relative"
    NOT_RELATED = "not_related"


class DocumentType(StrEnum):
    NATIONAL_ID = "national_id"
    BIRTH_CERTIFICATE = "birth_certificate"
    PASSPORT = "passport"
    RESIDENCE_PERMIT = "residence_permit"
    OTHER = "other"


class Difficulty(IntEnum):
    """Washington Group short set answer for one functional domain."""

    NONE = 1
    SOME = 2
    A_LOT = 3
    CANNOT = 4


#: A member's plain attributes, as people enter them (no ids, documents or ciphertexts).
PLAIN_ATTRIBUTES = (
    "given_names",
    "family_names",
    "sex",
    "relationship",
    "birth_date",
    "age_estimate",
    "pregnant",
    "chronic_illness",
    "attends_school",
)

#: The six Washington Group short-set domains.
WG_DOMAINS = ("seeing", "hearing", "walking", "cognition", "self_care", "communication")


@dataclass(frozen=True)
class Document:
    """An identity document as the registry keeps it: type, keyed hash, ciphertext."""

    type: DocumentType
    number_hash: str
    number_encrypted: str


@dataclass(frozen=True)
class Member:
    """One person in a household.

    ``birth_date`` or ``age_estimate`` (years) must be given; ``disability`` maps each
    Washington Group domain to a :class:`Difficulty`.
    """

    id: str
    given_names: str
    family_names: str
    sex: Sex
    relationship: Relationship
    birth_date: date | None = None
    age_estimate: int | None = None
    document: Document | None = None
    phone_encrypted: str | None = None
    disability: dict[str, Difficulty] = field(default_factory=dict)
    pregnant: bool = False
    chronic_illness: bool = False
    attends_school: bool | None = None

    def age_on(self, day: date) -> int:
        """Age in whole years on ``day`` (from the birth date, else the estimate)."""
        if self.birth_date is not None:
            before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
            return day.year - self.birth_date.year - int(before_birthday)
        assert self.age_estimate is not None
        return self.age_estimate

    def birth_year_on(self, day: date) -> int:
        """The birth year, or the one the age estimate implies on ``day`` (for matching blocks)."""
        return day.year - self.age_on(day)

    @property
    def has_disability(self) -> bool:
        """Washington Group cut-off: 'a lot of difficulty' or 'cannot do at all' in any domain."""
        return any(level >= Difficulty.A_LOT for level in self.disability.values())


def member_problems(index: int, raw: dict, today: date) -> dict[str, str]:
    """Check one member's plain fields; return ``{"members.<i>.<field>": problem}``."""
    problems: dict[str, str] = {}
    prefix = f"members.{index}."
    for name in ("given_names", "family_names"):
        value = raw.get(name) or ""
        if not value.strip():
            problems[prefix + name] = "is required"
        elif len(value) > 200 or re.search(r"[\x00-\x1f]", value):
            problems[prefix + name] = "must be at most 200 printable characters"
    birth_date, age_estimate = raw.get("birth_date"), raw.get("age_estimate")
    if birth_date is None and age_estimate is None:
        problems[prefix + "birth_date"] = "give a birth date or an age estimate"
    if birth_date is not None:
        if birth_date > today:
            problems[prefix + "birth_date"] = f"{birth_date.isoformat()} is in the future"
        elif today.year - birth_date.year > MAX_AGE:
            problems[prefix + "birth_date"] = f"{birth_date.isoformat()} makes an age over {MAX_AGE}"
    if age_estimate is not None and not 0 <= age_estimate <= MAX_AGE:
        problems[prefix + "age_estimate"] = f"age {age_estimate} is not between 0 and {MAX_AGE}"
    for domain in raw.get("disability") or {}:
        if domain not in WG_DOMAINS:
            problems[prefix + "disability." + domain] = (
                f"not a Washington Group domain ({', '.join(WG_DOMAINS)})"
            )
    if raw.get("pregnant") and raw.get("sex") != Sex.FEMALE:
        problems[prefix + "pregnant"] = "only a female member can be recorded as pregnant"
    return problems


def new_member_id() -> str:
    return random_uuid()


MASK = "•"


def mask(value: str | None) -> str | None:
    """What a person who may not see a protected value is shown: ``0801199012345`` →
    ``•••••••••2345``. Sent back unchanged, it keeps the stored value (see ``is_masked``)."""
    if not value:
        return value
    return MASK * max(0, len(value) - 4) + value[-4:]


def is_masked(value: str | None) -> bool:
    """Whether ``value`` is a masked value as :func:`mask` shows it, not a value itself."""
    return bool(value) and MASK in str(value)


#: The age bands humanitarian reports count people in (0–5, 6–11, 12–17, 18–59, 60+), by sex and
#: with disability per band: the snapshot's ``people`` cross-table.
REPORTING_BANDS = (("0_5", 0, 5), ("6_11", 6, 11), ("12_17", 12, 17), ("18_59", 18, 59), ("60_plus", 60, 200))


def people_table(ages: Sequence[tuple[Member, int]]) -> dict[str, dict[str, list[int]]]:
    """Members counted by sex and reporting band: ``{sex: {band: [people, with a disability]}}``,
    every cell present (zeros included) so consumers add tables without asking what is missing."""
    table = {s.value: {band: [0, 0] for band, _, _ in REPORTING_BANDS} for s in Sex}
    for member, age in ages:
        band = next(b for b, low, high in REPORTING_BANDS if low <= age <= high)
        cell = table[member.sex.value][band]
        cell[0] += 1
        cell[1] += 1 if member.has_disability else 0
    return table
