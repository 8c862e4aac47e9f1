"""Where households live, as the alerts service needs it for matching."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shared.contracts.household_groups import EXPOSURE_GROUPS, vulnerable_groups


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
    #: The registry's publications of this version so far (a refresh as time changed its counts).
    snapshot_revision: int = 0

    @property
    def indexed(self) -> bool:
        """Whether the household takes part in matching (only active households do)."""
        return self.status == "active"


def location_from_snapshot(snapshot: dict[str, Any]) -> HouseholdLocation:
    """Build the index entry from a validated public snapshot."""
    location = snapshot.get("location") or {}
    groups = vulnerable_groups(snapshot)
    return HouseholdLocation(
        household_id=snapshot["household_id"],
        version=snapshot["version"],
        status=snapshot["status"],
        admin_code=snapshot["admin_code"],
        lat=location.get("lat"),
        lon=location.get("lon"),
        accuracy_m=location.get("accuracy_m"),
        size=snapshot["size"],
        **{group: groups[group] for group in EXPOSURE_GROUPS},
        snapshot_revision=snapshot.get("snapshot_revision") or 0,
    )


def columns_of(households: Sequence[HouseholdLocation]) -> dict[str, np.ndarray]:
    """The households as the matching reads them (only active ones can be matched)."""
    active = [h for h in households if h.indexed]
    return {
        "household_id": np.array([h.household_id for h in active], dtype=object),
        "lon": np.array([np.nan if h.lon is None else h.lon for h in active], dtype=np.float64),
        "lat": np.array([np.nan if h.lat is None else h.lat for h in active], dtype=np.float64),
        "accuracy_m": np.array([np.nan if h.accuracy_m is None else h.accuracy_m for h in active]),
        "admin_code": np.array([h.admin_code for h in active], dtype=object),
        "size": np.array([h.size for h in active], dtype=np.int64),
        **{g: np.array([getattr(h, g) for h in active], dtype=np.int64) for g in EXPOSURE_GROUPS},
    }
