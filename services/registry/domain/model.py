"""Households as the registry knows them, and the rules for registering and changing one."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from services.registry.domain.areas import AreaCheck
from services.registry.domain.assessments import (
    Assessment,
    snapshot_assessments,
    superseded_by,
    with_assessment,
)
from services.registry.domain.enrolments import Enrolment, enrolled_on
from services.registry.domain.errors import InvalidHousehold, OutsideJurisdiction
from services.registry.domain.members import Member, Relationship, Sex, people_table
from services.registry.domain.vulnerability import Vulnerability, Weighting, assess, components
from shared.errors import Bilingual

#: ISO 3166-2 subdivision code, optionally followed by deeper levels: ``HN``, ``HN-CR``, ``HN-CR-0801``.
ADMIN_CODE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,6})*$")
MAX_HOUSEHOLD_SIZE = 60

WALLS = (
    "concrete_block",
    "brick",
    "wood",
    "adobe",
    "bahareque",
    "sheet_metal",
    "plastic_or_cardboard",
    "other",
)
ROOFS = ("concrete", "tile", "sheet_metal", "wood", "thatch", "plastic_or_cardboard", "other")
FLOORS = ("tile", "cement", "wood", "earth", "other")
TENURES = ("owned", "rented", "borrowed", "occupied", "other")
WATER_SOURCES = ("piped_dwelling", "piped_yard", "public_tap", "well", "truck", "river_or_rain", "other")
SANITATION = ("sewer", "septic_tank", "latrine", "none", "other")
LIVELIHOODS = (
    "agriculture",
    "fishing",
    "livestock",
    "wage_employment",
    "trade",
    "domestic_work",
    "remittances",
    "none",
    "other",
)
INCOME_SOURCES = ("formal", "informal", "transfers", "none")
CONSENT_PURPOSES = ("registry", "emergency_transfers", "data_sharing_civil_protection", "contact")


class HouseholdStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    MOVED = "moved"
    DISSOLVED = "dissolved"


class LocationSource(StrEnum):
    GPS = "gps"
    ADDRESS = "address"
    ADMIN_CENTROID = "admin_centroid"


class RegistrationSource(StrEnum):
    FIELD = "field"
    IMPORT = "import"
    KOBOTOOLBOX = "kobotoolbox"


class PaymentChannelType(StrEnum):
    BANK_ACCOUNT = "bank_account"
    MOBILE_MONEY = "mobile_money"
    CASH_PICKUP = "cash_pickup"


@dataclass(frozen=True)
class Location:
    """Where a household lives: WGS 84 latitude and longitude, how precise, and how it was found."""

    lat: float
    lon: float
    accuracy_m: float | None = None
    source: LocationSource = LocationSource.GPS

    def __post_init__(self) -> None:
        problems = {}
        if not (isinstance(self.lat, int | float) and math.isfinite(self.lat) and -90 <= self.lat <= 90):
            problems["location.lat"] = f"latitude {self.lat!r} is not between -90 and 90"
        if not (isinstance(self.lon, int | float) and math.isfinite(self.lon) and -180 <= self.lon <= 180):
            problems["location.lon"] = f"longitude {self.lon!r} is not between -180 and 180"
        if self.accuracy_m is not None and not (math.isfinite(self.accuracy_m) and self.accuracy_m >= 0):
            problems["location.accuracy_m"] = (
                f"accuracy {self.accuracy_m!r} must be a non-negative number of metres"
            )
        if problems:
            raise InvalidHousehold("the location is not usable", problems)


@dataclass(frozen=True)
class Consent:
    """What the household agreed to: when, who gave it (a member's id or a name), for what."""

    given_at: datetime
    given_by: str
    purposes: tuple[str, ...]

    def as_record(self) -> dict[str, Any]:
        """Plain values, as stored and shown."""
        return {
            "given_at": self.given_at.isoformat(),
            "given_by": self.given_by,
            "purposes": list(self.purposes),
        }


@dataclass(frozen=True)
class PaymentChannel:
    """How the household is paid; its identifiers (account, wallet number) are stored encrypted."""

    type: PaymentChannelType
    provider: str | None = None
    identifiers_encrypted: str | None = None


@dataclass(frozen=True)
class Registration:
    """Who registered the household, when, on which device, through which channel."""

    by: str
    at: datetime
    source: RegistrationSource = RegistrationSource.FIELD
    device: str | None = None


@dataclass(frozen=True)
class HouseholdFacts:
    """Everything about a household that people record and change (not ids, versions or scores)."""

    admin_code: str
    location: Location
    members: tuple[Member, ...]
    status: HouseholdStatus = HouseholdStatus.ACTIVE
    address: str | None = None
    #: The language messages to the household are written in (``None``: its country's).
    language: str | None = None
    dwelling: Mapping[str, Any] = field(default_factory=dict)
    services: Mapping[str, Any] = field(default_factory=dict)
    livelihood: Mapping[str, Any] = field(default_factory=dict)
    consent: Consent | None = None
    payment: PaymentChannel | None = None


@dataclass(frozen=True)
class Household:
    """A registered household at one version."""

    id: str
    registration_number: str
    facts: HouseholdFacts
    vulnerability: Vulnerability
    registration: Registration
    version: int
    updated_at: datetime
    updated_by: str
    #: Post-event assessments, newest first, and enrolments in regular programmes: recorded on the
    #: household, not among the facts a person edits (a change of facts never drops them).
    assessments: tuple[Assessment, ...] = ()
    enrolments: tuple[Enrolment, ...] = ()

    def assessed(self, assessment: Assessment, *, at: datetime) -> Household:
        """The next version with ``assessment`` added.

        :raise InvalidHousehold: if a later visit for the same event is already recorded.
        """
        later = superseded_by(self.assessments, assessment)
        if later is not None:
            raise InvalidHousehold(
                f"household {self.id} was assessed again later",
                {"assessment.assessed_at": f"a later visit ({later.assessed_at.isoformat()}) is recorded"},
            )
        return replace(
            self,
            assessments=with_assessment(self.assessments, assessment),
            version=self.version + 1,
            updated_at=at,
            updated_by=assessment.assessed_by,
        )

    def enrolled(self, enrolments: tuple[Enrolment, ...], *, by: str, at: datetime) -> Household:
        """The next version with its enrolments as a programme's roster leaves them."""
        return replace(self, enrolments=enrolments, version=self.version + 1, updated_at=at, updated_by=by)

    @property
    def admin_code(self) -> str:
        return self.facts.admin_code

    @property
    def status(self) -> HouseholdStatus:
        return self.facts.status

    @property
    def location(self) -> Location:
        return self.facts.location

    @property
    def size(self) -> int:
        return len(self.facts.members)

    @property
    def admin_levels(self) -> list[str]:
        """The admin codes of every level, country first: ``HN-CH-0601`` → HN, HN-CH, HN-CH-0601."""
        parts = self.facts.admin_code.split("-")
        return ["-".join(parts[: i + 1]) for i in range(len(parts))]


def registration_number(household_id: str, admin_code: str) -> str:
    """A human-quotable number: country code plus the id's first 10 hex digits (``HN-3F2A9C01D4``)."""
    return f"{admin_code[:2]}-{household_id.replace('-', '')[:10].upper()}"


def _choice(problems: dict[str, str], path: str, value: Any, allowed: Sequence[str]) -> None:
    if value is not None and value not in allowed:
        problems[path] = f"{value!r} is not one of {', '.join(allowed)}"


def check_facts(facts: HouseholdFacts, today: date, areas: AreaCheck | None = None) -> None:
    """Check the rules that span fields (and, given ``areas``, the code and place together).

    :raise InvalidHousehold: naming each faulty field.
    """
    problems: dict[str, str] = {}
    if not ADMIN_CODE.match(facts.admin_code or ""):
        problems["admin_code"] = (
            f"{facts.admin_code!r} is not an ISO 3166-2 code such as HN-CR (or HN-CR-0801)"
        )
    elif areas is not None:
        problems.update(areas.problems(facts.admin_code, facts.location.lat, facts.location.lon))
    members = facts.members
    moved_on = facts.status == HouseholdStatus.DISSOLVED  # its people may all have moved elsewhere
    if not (0 if moved_on else 1) <= len(members) <= MAX_HOUSEHOLD_SIZE:
        problems["members"] = Bilingual(
            f"a household has 1 to {MAX_HOUSEHOLD_SIZE} members, not {len(members)}",
            f"un hogar tiene de 1 a {MAX_HOUSEHOLD_SIZE} miembros, no {len(members)}",
        )
    heads = [i for i, m in enumerate(members) if m.relationship == Relationship.HEAD]
    if len(heads) > 1 or (members and not heads and not moved_on):
        problems["members"] = Bilingual(
            f"exactly one member must be the head of household, not {len(heads)}",
            f"exactamente un miembro debe ser jefe o jefa del hogar, no {len(heads)}",
        )
    ids = [m.id for m in members]
    if len(set(ids)) != len(ids):
        problems["members"] = Bilingual(
            "member ids must be unique within the household", "los ids de los miembros no pueden repetirse"
        )
    for i, member in enumerate(members):
        if member.pregnant and member.sex != Sex.FEMALE:
            problems[f"members.{i}.pregnant"] = "only a female member can be recorded as pregnant"
        if member.pregnant and not 10 <= member.age_on(today) <= 55:
            problems[f"members.{i}.pregnant"] = f"pregnancy at age {member.age_on(today)} is not plausible"
    _choice(problems, "dwelling.wall", facts.dwelling.get("wall"), WALLS)
    _choice(problems, "dwelling.roof", facts.dwelling.get("roof"), ROOFS)
    _choice(problems, "dwelling.floor", facts.dwelling.get("floor"), FLOORS)
    _choice(problems, "dwelling.tenure", facts.dwelling.get("tenure"), TENURES)
    rooms = facts.dwelling.get("rooms")
    if rooms is not None and not (isinstance(rooms, int) and 1 <= rooms <= 50):
        problems["dwelling.rooms"] = f"{rooms!r} rooms is not a whole number from 1 to 50"
    _choice(problems, "services.water_source", facts.services.get("water_source"), WATER_SOURCES)
    _choice(problems, "services.sanitation", facts.services.get("sanitation"), SANITATION)
    _choice(problems, "livelihood.main", facts.livelihood.get("main"), LIVELIHOODS)
    _choice(problems, "livelihood.income_source", facts.livelihood.get("income_source"), INCOME_SOURCES)
    if facts.consent is not None:
        for purpose in facts.consent.purposes:
            _choice(problems, "consent.purposes", purpose, CONSENT_PURPOSES)
        if facts.consent.given_at.date() > today:
            problems["consent.given_at"] = "consent cannot be given in the future"
    if problems:
        raise InvalidHousehold("the household cannot be recorded", problems)


def register_household(
    facts: HouseholdFacts,
    *,
    registration: Registration,
    index: Weighting,
    jurisdiction_covers: Callable[[str], bool],
    household_id: str | None = None,
    areas: AreaCheck | None = None,
) -> Household:
    """Validate a new household and return it at version 1 with its vulnerability score.

    :raise InvalidHousehold: naming each faulty field.
    :raise OutsideJurisdiction: if the admin area is outside the person's jurisdiction.
    """
    if registration.at.tzinfo is None:
        raise ValueError("registration time must carry a time zone")
    if household_id is not None:
        try:
            household_id = str(uuid.UUID(household_id))
        except (ValueError, AttributeError, TypeError) as exc:
            problem = {"id": f"{household_id!r} is not a UUID"}
            raise InvalidHousehold("the household cannot be recorded", problem) from exc
    check_facts(facts, registration.at.date(), areas)
    if not jurisdiction_covers(facts.admin_code):
        raise OutsideJurisdiction(f"admin area {facts.admin_code} is outside your jurisdiction")
    household_id = household_id or str(uuid.uuid4())
    return Household(
        id=household_id,
        registration_number=registration_number(household_id, facts.admin_code),
        facts=facts,
        vulnerability=score(facts, index, registration.at.date()),
        registration=registration,
        version=1,
        updated_at=registration.at,
        updated_by=registration.by,
    )


def change_household(
    household: Household,
    facts: HouseholdFacts,
    *,
    changed_by: str,
    changed_at: datetime,
    index: Weighting,
    jurisdiction_covers: Callable[[str], bool],
    areas: AreaCheck | None = None,
) -> Household:
    """Return the next version of ``household`` with new facts and a fresh score.

    Both the old and the new admin area must lie in the person's jurisdiction (moving a household
    out of one's area is a move, and needs both ends).

    :raise InvalidHousehold, OutsideJurisdiction: as for registration.
    """
    check_facts(facts, changed_at.date(), areas)
    for code in {household.admin_code, facts.admin_code}:
        if not jurisdiction_covers(code):
            raise OutsideJurisdiction(f"admin area {code} is outside your jurisdiction")
    return replace(
        household,
        facts=facts,
        vulnerability=score(facts, index, changed_at.date()),
        version=household.version + 1,
        updated_at=changed_at,
        updated_by=changed_by,
    )


def score(facts: HouseholdFacts, index: Weighting, on: date) -> Vulnerability:
    """The household's vulnerability on day ``on``, under the index ``index`` chooses for its place."""
    chosen = index.choose(facts.admin_code, on)
    return assess(chosen, components(facts.members, facts.dwelling, facts.services, facts.livelihood, on))


AGE_BANDS = (("0_4", 0, 4), ("5_17", 5, 17), ("18_64", 18, 64), ("65_plus", 65, 200))


def public_snapshot(household: Household, on: date | None = None, revision: int = 0) -> dict[str, Any]:
    """The household's public snapshot carried by every registry event, with ages counted on
    ``on`` (the day of its version by default); ``revision`` counts the times this version's
    snapshot was published again as time changed it (see :mod:`.snapshots`).

    Counts and scores only: never names, document numbers, phone numbers or account numbers.
    """
    day = on or household.updated_at.date()
    members = household.facts.members
    ages = [(m, m.age_on(day)) for m in members]
    head = next((m for m in members if m.relationship == Relationship.HEAD), None)
    return {
        "household_id": household.id,
        "version": household.version,
        "status": household.status.value,
        "admin_code": household.admin_code,
        "admin_levels": household.admin_levels,
        "size": household.size,
        "location": {
            "lat": household.location.lat,
            "lon": household.location.lon,
            "accuracy_m": household.location.accuracy_m,
            "source": household.location.source.value,
        },
        "members_by_sex": {s.value: sum(1 for m in members if m.sex == s) for s in Sex},
        "members_by_age_band": {
            band: sum(1 for _, age in ages if low <= age <= high) for band, low, high in AGE_BANDS
        },
        "persons_with_disabilities": sum(1 for m in members if m.has_disability),
        "people": people_table(ages),
        "pregnant_members": sum(1 for m in members if m.pregnant),
        "female_headed": bool(head and head.sex == Sex.FEMALE),
        "dwelling": {
            k: household.facts.dwelling.get(k) for k in ("wall", "roof", "floor", "tenure", "rooms")
        },
        "water_source": household.facts.services.get("water_source"),
        "sanitation": household.facts.services.get("sanitation"),
        "livelihood": household.facts.livelihood.get("main"),
        "income_source": household.facts.livelihood.get("income_source"),
        "vulnerability": {
            "score": household.vulnerability.score,
            "index_version": household.vulnerability.index_version,
            "components": dict(household.vulnerability.components),
        },
        "payment_channel_type": household.facts.payment.type.value if household.facts.payment else None,
        "consent_purposes": list(household.facts.consent.purposes) if household.facts.consent else [],
        "assessments": snapshot_assessments(household.assessments),
        "enrolments": enrolled_on(household.enrolments, day),
        "snapshot_on": day.isoformat(),
        "snapshot_revision": revision,
    }
