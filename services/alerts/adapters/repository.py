"""The household location projection in the alerts service's database."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.alerts.adapters.orm import household_locations
from services.alerts.domain.locations import HouseholdLocation
from shared.projection import apply_if_newer


class LocationRepository:
    def __init__(self, session: Session):
        self.session = session

    def save_if_newer(self, location: HouseholdLocation) -> bool:
        values = asdict(location)
        values.pop("household_id")
        values.pop("version")
        values["updated_at"] = datetime.now(UTC)
        return apply_if_newer(
            self.session, household_locations, "household_id", location.household_id, location.version, values
        )

    def get(self, household_id: str) -> HouseholdLocation | None:
        row = self.session.execute(
            select(household_locations).where(household_locations.c.household_id == household_id)
        ).first()
        if row is None:
            return None
        return HouseholdLocation(
            household_id=row.household_id,
            version=row.version,
            status=row.status,
            admin_code=row.admin_code,
            lat=row.lat,
            lon=row.lon,
            accuracy_m=row.accuracy_m,
        )

    def count_by_admin_code(self) -> dict[str, int]:
        """Active households per admin code."""
        rows = self.session.execute(
            select(household_locations.c.admin_code, func.count())
            .where(household_locations.c.status == "active")
            .group_by(household_locations.c.admin_code)
        )
        return {code: count for code, count in rows}
