"""Where households live, as the alerts service needs it for matching."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HouseholdLocation:
    """One household's place in the location index (coordinates may be missing: then only its
    admin code can match it, and such a match is flagged)."""

    household_id: str
    version: int
    status: str
    admin_code: str
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    size: int = 0
    children_under_5: int = 0
    elderly_65_plus: int = 0
    persons_with_disabilities: int = 0
    female_headed: bool = False

    @property
    def indexed(self) -> bool:
        """Whether the household takes part in matching (only active households do)."""
        return self.status == "active"


def location_from_snapshot(snapshot: dict[str, Any]) -> HouseholdLocation:
    """Build the index entry from a validated public snapshot."""
    location = snapshot.get("location") or {}
    return HouseholdLocation(
        household_id=snapshot["household_id"],
        version=snapshot["version"],
        status=snapshot["status"],
        admin_code=snapshot["admin_code"],
        lat=location.get("lat"),
        lon=location.get("lon"),
        accuracy_m=location.get("accuracy_m"),
        size=snapshot["size"],
        children_under_5=(snapshot.get("members_by_age_band") or {}).get("0_4", 0),
        elderly_65_plus=(snapshot.get("members_by_age_band") or {}).get("65_plus", 0),
        persons_with_disabilities=snapshot.get("persons_with_disabilities", 0),
        female_headed=bool(snapshot.get("female_headed")),
    )
