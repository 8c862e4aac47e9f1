"""Households as the registry knows them, and the rules for registering one."""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from services.registry.domain.errors import InvalidHousehold, OutsideJurisdiction

#: ISO 3166-2 subdivision code, optionally followed by deeper levels: ``HN``, ``HN-CR``, ``HN-CR-0801``.
ADMIN_CODE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,6})*$")
MAX_HOUSEHOLD_SIZE = 60


class HouseholdStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    MOVED = "moved"
    DISSOLVED = "dissolved"


class LocationSource(StrEnum):
    GPS = "gps"
    ADDRESS = "address"
    ADMIN_CENTROID = "admin_centroid"


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
class Household:
    """A registered household (minimal for now: where, how many people, which admin area)."""

    id: str
    admin_code: str
    size: int
    location: Location
    status: HouseholdStatus
    version: int
    registered_at: datetime
    registered_by: str

    def same_registration(self, other: Household) -> bool:
        """Whether ``other`` registers the same facts (a retried request, not a new one)."""
        keys = ("admin_code", "size", "location", "status")
        return all(getattr(self, k) == getattr(other, k) for k in keys)


def register_household(
    *,
    admin_code: str,
    size: int,
    location: Location,
    registered_by: str,
    registered_at: datetime,
    jurisdiction_covers: Any,
    household_id: str | None = None,
) -> Household:
    """Validate a new household and return it at version 1.

    Parameters
    ----------
    jurisdiction_covers
        ``callable(admin_code) -> bool``: whether the registering person may act there.

    :raise InvalidHousehold: naming each faulty field.
    :raise OutsideJurisdiction: if the admin area is outside the person's jurisdiction.
    """
    problems = {}
    if not ADMIN_CODE.match(admin_code or ""):
        problems["admin_code"] = f"{admin_code!r} is not an ISO 3166-2 code such as HN-CR (or HN-CR-0801)"
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_HOUSEHOLD_SIZE:
        problems["size"] = f"household size {size!r} must be a whole number from 1 to {MAX_HOUSEHOLD_SIZE}"
    if household_id is not None:
        try:
            household_id = str(uuid.UUID(household_id))
        except (ValueError, AttributeError, TypeError):
            problems["id"] = f"{household_id!r} is not a UUID"
    if registered_at.tzinfo is None:
        raise ValueError("registered_at must carry a time zone")
    if problems:
        raise InvalidHousehold("the household cannot be registered", problems)
    if not jurisdiction_covers(admin_code):
        raise OutsideJurisdiction(f"admin area {admin_code} is outside your jurisdiction")
    return Household(
        id=household_id or str(uuid.uuid4()),
        admin_code=admin_code,
        size=size,
        location=location,
        status=HouseholdStatus.ACTIVE,
        version=1,
        registered_at=registered_at,
        registered_by=registered_by,
    )


def public_snapshot(household: Household) -> dict[str, Any]:
    """The household's public snapshot carried by every registry event.

    Never contains names, document numbers, phone numbers or account numbers.
    """
    return {
        "household_id": household.id,
        "version": household.version,
        "status": household.status.value,
        "admin_code": household.admin_code,
        "size": household.size,
        "location": {
            "lat": household.location.lat,
            "lon": household.location.lon,
            "accuracy_m": household.location.accuracy_m,
            "source": household.location.source.value,
        },
    }


def next_version(household: Household, **changes: Any) -> Household:
    """Return ``household`` with ``changes`` applied and its version incremented."""
    return replace(household, **changes, version=household.version + 1)
