"""The household attributes eligibility rules will read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HouseholdAttributes:
    """What the transfers service knows of a household: no names, documents or accounts."""

    household_id: str
    version: int
    status: str
    admin_code: str
    size: int

    @property
    def may_receive_transfers(self) -> bool:
        """Only active households are considered by programmes."""
        return self.status == "active"


def attributes_from_snapshot(snapshot: dict[str, Any]) -> HouseholdAttributes:
    """Build the attribute row from a validated public snapshot."""
    return HouseholdAttributes(
        household_id=snapshot["household_id"],
        version=snapshot["version"],
        status=snapshot["status"],
        admin_code=snapshot["admin_code"],
        size=snapshot["size"],
    )
