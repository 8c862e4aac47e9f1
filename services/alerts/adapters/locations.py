"""The household location projection in the alerts service's database, and its matching index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.alerts.adapters.location_cache import LOCATIONS, Columns, index_of, load_locations
from services.alerts.adapters.orm import household_locations
from services.alerts.domain.locations import HouseholdLocation
from services.alerts.domain.matching import LocationIndex
from shared.contracts.household_groups import EXPOSURE_GROUPS
from shared.projection import apply_all_if_newer, apply_if_newer, versioned_changes


class LocationRepository:
    def __init__(self, session: Session):
        self.session = session

    def save_if_newer(self, location: HouseholdLocation, partition: int) -> bool:
        """Keep ``location`` (from ``partition`` of registry.households) unless a newer one is kept."""
        values = asdict(location)
        values.pop("household_id")
        values.pop("version")
        values["updated_at"] = datetime.now(UTC)
        values["partition"] = partition
        return apply_if_newer(
            self.session, household_locations, "household_id", location.household_id, location.version, values
        )

    def save_all_if_newer(self, locations: Sequence[HouseholdLocation], partition: int) -> list[bool]:
        """:meth:`save_if_newer` for many locations in order; one flag each."""
        changes = versioned_changes(
            locations, "household_id", updated_at=datetime.now(UTC), partition=partition
        )
        return apply_all_if_newer(self.session, household_locations, "household_id", changes)

    def get(self, household_id: str) -> HouseholdLocation | None:
        row = self.session.execute(
            select(household_locations).where(household_locations.c.household_id == household_id)
        ).first()
        if row is None:
            return None
        return HouseholdLocation(
            size=row.size,
            **{group: row._mapping[group] for group in EXPOSURE_GROUPS},
            household_id=row.household_id,
            version=row.version,
            status=row.status,
            admin_code=row.admin_code,
            lat=row.lat,
            lon=row.lon,
            accuracy_m=row.accuracy_m,
            snapshot_revision=row.snapshot_revision,
        )

    def count_by_admin_code(self) -> dict[str, int]:
        """Active households per admin code."""
        rows = self.session.execute(
            select(household_locations.c.admin_code, func.count())
            .where(household_locations.c.status == "active")
            .group_by(household_locations.c.admin_code)
        )
        return {code: count for code, count in rows}

    def indexed(self, partitions: frozenset[int] | None = None) -> tuple[Columns, LocationIndex]:
        """The active households (of ``partitions`` only, if given) and their index, kept between
        exposures while the projection does not change."""
        return LOCATIONS.get(self.session, partitions)

    def read_every(self) -> tuple[Columns, LocationIndex]:
        """Every active household and its index, read now (not kept)."""
        columns = load_locations(self.session)
        return columns, index_of(columns)

    def households_beyond(self, partition_count: int) -> list[int]:
        """Partitions at or beyond ``partition_count`` that active households are stored on."""
        c = household_locations.c
        rows = self.session.scalars(
            select(c.partition).where(c.status == "active", c.partition >= partition_count).distinct()
        )
        return sorted(rows)
