"""Erasure on request: a household's personal data removed, what the law requires kept.

Removed: every member's names, document, phone and exact birth date (the age in whole years on the
day of erasure stays, with sex and disability: they identify no one alone and past figures count
them), the payment account (its kind stays), the address, who signed the consent, and, if asked,
the exact location (rounded to a tenth of a degree, some 11 km, and marked as such). Kept: the
household's id, registration number, area, its decisions and payments (in transfers), and an
erasure record saying when, by whom and on which request: never what was erased.

The household is made inactive: nobody is paid or written to without the data to reach them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from services.registry.domain.model import (
    Consent,
    Household,
    HouseholdStatus,
    Location,
    LocationSource,
    PaymentChannel,
)

ERASED = "(erased)"
#: How a location asked to be erased is kept: rounded to this many decimals of a degree.
COARSE_DECIMALS = 1
COARSE_ACCURACY_M = 15_000.0


@dataclass(frozen=True)
class Erasure:
    """That a household's personal data was erased: when, by whom, on which request."""

    household_id: str
    at: datetime
    by: str
    reference: str
    location_erased: bool


def erased(household: Household, at: datetime, by: str, location: bool) -> Household:
    """The next version of ``household`` without its personal data (see the module's words)."""
    facts = household.facts
    today = at.date()
    members = tuple(
        replace(
            m,
            given_names=ERASED,
            family_names=ERASED,
            birth_date=None,
            age_estimate=m.age_on(today),
            document=None,
            phone_encrypted=None,
        )
        for m in facts.members
    )
    consent = replace(facts.consent, given_by=ERASED) if isinstance(facts.consent, Consent) else None
    payment = PaymentChannel(facts.payment.type) if facts.payment else None
    place = facts.location
    if location:
        place = Location(
            round(place.lat, COARSE_DECIMALS),
            round(place.lon, COARSE_DECIMALS),
            COARSE_ACCURACY_M,
            LocationSource.ADMIN_CENTROID,
        )
    return replace(
        household,
        facts=replace(
            facts,
            members=members,
            address=None,
            consent=consent,
            payment=payment,
            location=place,
            status=HouseholdStatus.INACTIVE,
        ),
        version=household.version + 1,
        updated_at=at,
        updated_by=by,
    )
