"""The household location projection in the alerts service's database, and its matching index."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.alerts.adapters.orm import household_locations
from services.alerts.domain.locations import HouseholdLocation
from services.alerts.domain.matching import LocationIndex
from shared.columns import columns_from_rows
from shared.contracts.household_groups import EXPOSURE_GROUPS
from shared.kafka import HOUSEHOLDS, partition_of
from shared.projection import apply_all_if_newer, apply_if_newer, versioned_changes

#: The columns the matching index reads of each active household, and their kinds.
LOCATION_COLUMNS = {
    "household_id": object,
    "lon": float,
    "lat": float,
    "accuracy_m": float,
    "admin_code": object,
    "size": int,
    **{group: int for group in EXPOSURE_GROUPS},
    "partition": object,
}

Columns = dict[str, np.ndarray]


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
        return columns, LocationIndex(columns["lon"], columns["lat"], columns["accuracy_m"])

    def households_beyond(self, partition_count: int) -> list[int]:
        """Partitions at or beyond ``partition_count`` that active households are stored on."""
        c = household_locations.c
        rows = self.session.scalars(
            select(c.partition).where(c.status == "active", c.partition >= partition_count).distinct()
        )
        return sorted(rows)


def load_locations(session: Session, partitions: frozenset[int] | None = None) -> Columns:
    """Every active household (of ``partitions`` only, if given), as columns (the matching index's
    input)."""
    query = select(*(household_locations.c[name] for name in LOCATION_COLUMNS)).where(
        household_locations.c.status == "active"
    )
    if partitions is not None:
        query = query.where(_in_partitions(partitions))
    arrays = columns_from_rows(session.execute(query).all(), LOCATION_COLUMNS)
    # A row written without its partition (before the column existed, or by hand) is where the
    # registry's producer puts its key.
    arrays["partition"] = np.array(
        [
            partition_of(household_id, HOUSEHOLDS.partitions) if p is None else p
            for household_id, p in zip(
                arrays["household_id"].tolist(), arrays["partition"].tolist(), strict=True
            )
        ],
        dtype=np.int64,
    )
    if partitions is not None:
        mine = np.isin(arrays["partition"], sorted(partitions))
        if not mine.all():
            arrays = {name: values[mine] for name, values in arrays.items()}
    return arrays


def _in_partitions(partitions: frozenset[int]) -> Any:
    """Rows of ``partitions``, and rows whose partition is not stored (sorted out after reading)."""
    c = household_locations.c
    return or_(c.partition.in_(sorted(partitions)), c.partition.is_(None))


class LocationCache:
    """The located households and their matching index, kept between alerts.

    Reading a national projection and building its index takes seconds; an alert should only pay
    for matching. The cache is used again only while the projection is exactly as it was: same
    database, same number of active households, same sum of their versions (every change raises a
    version) and of their snapshot revisions (a refresh of a version raises its revision), and same
    latest change time. Otherwise it is read again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._value: tuple[Columns, LocationIndex] | None = None

    def get(
        self, session: Session, partitions: frozenset[int] | None = None
    ) -> tuple[Columns, LocationIndex]:
        c = household_locations.c
        query = select(
            func.count(),
            func.coalesce(func.sum(c.version), 0),
            func.coalesce(func.sum(c.snapshot_revision), 0),
            func.max(c.updated_at),
        ).where(c.status == "active")
        if partitions is not None:
            query = query.where(_in_partitions(partitions))
        state = session.execute(query).one()
        bind = session.get_bind()
        key = (id(bind), str(bind.url), partitions, *state)
        with self._lock:
            if key == self._key and self._value is not None:
                return self._value
        columns = load_locations(session, partitions)
        value = (columns, LocationIndex(columns["lon"], columns["lat"], columns["accuracy_m"]))
        with self._lock:
            self._key, self._value = key, value
        return value


#: One per process: every request and worker of the alerts service shares it.
LOCATIONS = LocationCache()
