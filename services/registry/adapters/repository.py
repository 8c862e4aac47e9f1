"""Households in and out of the registry's database."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from services.registry.adapters.orm import households
from services.registry.domain.model import Household, HouseholdStatus, Location, LocationSource


class HouseholdRepository:
    """Reads and writes :class:`Household` rows inside the caller's session."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, household: Household) -> None:
        self.session.execute(
            insert(households).values(
                id=household.id,
                admin_code=household.admin_code,
                size=household.size,
                lat=household.location.lat,
                lon=household.location.lon,
                accuracy_m=household.location.accuracy_m,
                location_source=household.location.source.value,
                status=household.status.value,
                version=household.version,
                registered_at=household.registered_at,
                registered_by=household.registered_by,
            )
        )

    def get(self, household_id: str) -> Household | None:
        row = self.session.execute(select(households).where(households.c.id == household_id)).first()
        if row is None:
            return None
        registered_at = row.registered_at
        if registered_at.tzinfo is None:  # SQLite returns naive datetimes; they were stored as UTC
            registered_at = registered_at.replace(tzinfo=UTC)
        return Household(
            id=row.id,
            admin_code=row.admin_code,
            size=row.size,
            location=Location(row.lat, row.lon, row.accuracy_m, LocationSource(row.location_source)),
            status=HouseholdStatus(row.status),
            version=row.version,
            registered_at=registered_at,
            registered_by=row.registered_by,
        )
