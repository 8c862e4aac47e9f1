"""The household location projection in the alerts service's database."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely.geometry
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from services.alerts.adapters.orm import (
    admin_areas,
    alert_messages,
    exposure_parts,
    exposure_requests,
    exposures,
    footprints,
    household_locations,
    incidents,
)
from services.alerts.domain.admin_layer import AdminLayer
from services.alerts.domain.locations import HouseholdLocation
from services.alerts.domain.matching import LocationIndex
from shared.kafka import HOUSEHOLDS, partition_of
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
            children_under_5=row.children_under_5,
            elderly_65_plus=row.elderly_65_plus,
            persons_with_disabilities=row.persons_with_disabilities,
            female_headed=row.female_headed,
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


class AlertRepository:
    """CAP messages, incidents and exposures."""

    def __init__(self, session: Session):
        self.session = session

    def message_by_key(self, key: str) -> dict[str, Any] | None:
        row = self.session.execute(select(alert_messages).where(alert_messages.c.message_key == key)).first()
        return dict(row._mapping) if row else None

    def add_message(self, values: dict[str, Any]) -> None:
        self.session.execute(insert(alert_messages).values(**values))

    def incident_by_root(self, key: str) -> dict[str, Any] | None:
        row = self.session.execute(select(incidents).where(incidents.c.root_key == key)).first()
        return dict(row._mapping) if row else None

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        row = self.session.execute(select(incidents).where(incidents.c.id == incident_id)).first()
        return dict(row._mapping) if row else None

    def add_incident(self, values: dict[str, Any]) -> None:
        self.session.execute(insert(incidents).values(**values))

    def update_incident(self, incident_id: str, **values: Any) -> None:
        self.session.execute(update(incidents).where(incidents.c.id == incident_id).values(**values))

    def message(self, message_id: str) -> dict[str, Any] | None:
        row = self.session.execute(select(alert_messages).where(alert_messages.c.id == message_id)).first()
        return dict(row._mapping) if row else None

    def messages_of(self, incident_id: str) -> list[dict[str, Any]]:
        rows = self.session.execute(
            select(
                alert_messages.c.id,
                alert_messages.c.message_key,
                alert_messages.c.sent,
                alert_messages.c.msg_type,
                alert_messages.c.status,
                alert_messages.c.warnings,
            )
            .where(alert_messages.c.incident_id == incident_id)
            .order_by(alert_messages.c.sent)
        )
        return [dict(r._mapping) for r in rows]

    def add_exposures(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(exposures), rows)

    def exposed_points(self, incident_id: str, version: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lon, lat, people) of the households an incident version exposed."""
        rows = self.session.execute(
            select(household_locations.c.lon, household_locations.c.lat, household_locations.c.size)
            .join(exposures, exposures.c.household_id == household_locations.c.household_id)
            .where(
                exposures.c.incident_id == incident_id,
                exposures.c.version == version,
                household_locations.c.lon.is_not(None),
            )
        ).all()
        if not rows:
            return np.empty(0), np.empty(0), np.empty(0)
        lon, lat, size = (np.array(v, dtype=np.float64) for v in zip(*rows, strict=True))
        return lon, lat, size

    def add_exposure_request(self, values: dict[str, Any]) -> None:
        self.session.execute(insert(exposure_requests).values(**values))

    def exposure_request(self, key: str) -> dict[str, Any] | None:
        row = self.session.execute(
            select(exposure_requests).where(exposure_requests.c.exposure_key == key)
        ).first()
        return dict(row._mapping) if row else None

    def unfinished_exposures(self) -> list[tuple[dict[str, Any], frozenset[int]]]:
        """Exposures still missing parts, oldest first, with the partitions already matched."""
        r = exposure_requests.c
        rows = self.session.execute(
            select(r.exposure_key, r.partition_count).where(r.completed_at.is_(None)).order_by(r.created_at)
        ).all()
        matched: dict[str, set[int]] = {}
        if rows:
            for key, partition in self.session.execute(
                select(exposure_parts.c.exposure_key, exposure_parts.c.partition).where(
                    exposure_parts.c.exposure_key.in_([r.exposure_key for r in rows])
                )
            ):
                matched.setdefault(key, set()).add(partition)
        return [(dict(r._mapping), frozenset(matched.get(r.exposure_key, ()))) for r in rows]

    def households_beyond(self, partition_count: int) -> list[int]:
        """Partitions at or beyond ``partition_count`` that active households are stored on."""
        c = household_locations.c
        rows = self.session.scalars(
            select(c.partition).where(c.status == "active", c.partition >= partition_count).distinct()
        )
        return sorted(rows)

    def add_exposure_parts(self, rows: list[dict[str, Any]]) -> None:
        """Claim partitions of an exposure (fails on the key if another instance claimed one)."""
        self.session.execute(insert(exposure_parts), rows)

    def exposure_part_summaries(self, key: str) -> list[tuple[int, dict[str, Any]]]:
        """(partition, summary) of every part of an exposure matched so far."""
        rows = self.session.execute(
            select(exposure_parts.c.partition, exposure_parts.c.summary)
            .where(exposure_parts.c.exposure_key == key)
            .order_by(exposure_parts.c.partition)
        )
        return [(partition, summary) for partition, summary in rows]

    def footprint_summary(self, footprint_id: str) -> dict[str, Any]:
        return self.session.scalar(select(footprints.c.summary).where(footprints.c.id == footprint_id)) or {}

    def footprint(self, footprint_id: str) -> dict[str, Any] | None:
        row = self.session.execute(select(footprints).where(footprints.c.id == footprint_id)).first()
        return dict(row._mapping) if row else None

    def finish_exposure(self, key: str, at: datetime) -> None:
        self.session.execute(
            update(exposure_requests).where(exposure_requests.c.exposure_key == key).values(completed_at=at)
        )

    def lock_incident(self, incident_id: str) -> dict[str, Any] | None:
        """The incident, locked until the transaction ends (parts matched at once add up in turn)."""
        row = self.session.execute(
            select(incidents).where(incidents.c.id == incident_id).with_for_update()
        ).first()
        return dict(row._mapping) if row else None

    def lock_footprint(self, footprint_id: str) -> None:
        self.session.execute(
            select(footprints.c.id).where(footprints.c.id == footprint_id).with_for_update()
        ).all()

    def update_footprint(self, footprint_id: str, **values: Any) -> None:
        self.session.execute(update(footprints).where(footprints.c.id == footprint_id).values(**values))

    def add_footprint(self, values: dict[str, Any]) -> None:
        self.session.execute(insert(footprints).values(**values))

    def due_to_expire(self, now: datetime) -> list[dict[str, Any]]:
        """Active incidents past their expiry, locked (instances expiring at once do it once)."""
        rows = self.session.execute(
            select(incidents)
            .where(
                incidents.c.state == "active",
                incidents.c.expires.is_not(None),
                incidents.c.expires <= now.astimezone(UTC),
            )
            .order_by(incidents.c.id)
            .with_for_update()
        )
        return [dict(r._mapping) for r in rows]

    def footprints_of(self, incident_id: str) -> list[dict[str, Any]]:
        """An incident's footprints, oldest first, without their geometry."""
        columns = [c for c in footprints.c if c.name not in ("geometry", "raster")]
        rows = self.session.execute(
            select(*columns).where(footprints.c.incident_id == incident_id).order_by(footprints.c.created_at)
        )
        return [dict(r._mapping) for r in rows]

    def footprint_geometry(self, footprint_id: str) -> tuple[bool, dict[str, Any] | None]:
        """Whether the footprint exists, and its GeoJSON (``None`` for a raster)."""
        row = self.session.execute(
            select(footprints.c.geometry).where(footprints.c.id == footprint_id)
        ).one_or_none()
        return (False, None) if row is None else (True, row.geometry)

    def recent_incidents(self, limit: int) -> list[dict[str, Any]]:
        """Incidents in any state, the latest change first."""
        rows = self.session.execute(select(incidents).order_by(incidents.c.updated_at.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]

    def active_incidents(self, limit: int = 200) -> list[dict[str, Any]]:
        rows = self.session.execute(
            select(incidents)
            .where(incidents.c.state == "active")
            .order_by(incidents.c.updated_at.desc())
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]


def load_locations(session: Session, partitions: frozenset[int] | None = None) -> dict[str, np.ndarray]:
    """Every active household (of ``partitions`` only, if given), as columns (the matching index's
    input)."""
    query = select(
        household_locations.c.household_id,
        household_locations.c.lon,
        household_locations.c.lat,
        household_locations.c.accuracy_m,
        household_locations.c.admin_code,
        household_locations.c.size,
        household_locations.c.children_under_5,
        household_locations.c.elderly_65_plus,
        household_locations.c.persons_with_disabilities,
        household_locations.c.female_headed,
        household_locations.c.partition,
    ).where(household_locations.c.status == "active")
    if partitions is not None:
        query = query.where(_in_partitions(partitions))
    rows = session.execute(query).all()
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in range(11)]
    names = (
        "household_id",
        "lon",
        "lat",
        "accuracy_m",
        "admin_code",
        "size",
        "children_under_5",
        "elderly_65_plus",
        "persons_with_disabilities",
        "female_headed",
        "partition",
    )
    arrays = {name: np.array(values, dtype=object) for name, values in zip(names, columns, strict=True)}
    for name in ("lon", "lat", "accuracy_m"):
        arrays[name] = np.array(
            [np.nan if v is None else v for v in columns[names.index(name)]], dtype=np.float64
        )
    # A row written without its partition (before the column existed, or by hand) is where the
    # registry's producer puts its key.
    arrays["partition"] = np.array(
        [
            partition_of(household_id, HOUSEHOLDS.partitions) if p is None else p
            for household_id, p in zip(columns[0], columns[-1], strict=True)
        ],
        dtype=np.int64,
    )
    for name in ("size", "children_under_5", "elderly_65_plus", "persons_with_disabilities", "female_headed"):
        arrays[name] = np.array(columns[names.index(name)], dtype=np.int64)
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
    version) and same latest change time. Otherwise it is read again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._value: tuple[dict[str, np.ndarray], LocationIndex] | None = None

    def get(
        self, session: Session, partitions: frozenset[int] | None = None
    ) -> tuple[dict[str, np.ndarray], LocationIndex]:
        c = household_locations.c
        query = select(func.count(), func.coalesce(func.sum(c.version), 0), func.max(c.updated_at)).where(
            c.status == "active"
        )
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


class AdminAreaRepository:
    """Reference layers, stored as GeoJSON geometries per (scheme, code)."""

    def __init__(self, session: Session):
        self.session = session

    def replace_layer(self, layer: AdminLayer) -> None:
        self.session.execute(delete(admin_areas).where(admin_areas.c.scheme == layer.scheme))
        now = datetime.now(UTC)
        self.session.execute(
            insert(admin_areas),
            [
                {
                    "scheme": layer.scheme,
                    "code": code,
                    "geometry": shapely.geometry.mapping(shape),
                    "loaded_at": now,
                }
                for code, shape in layer.areas.items()
            ],
        )

    def layers(self) -> dict[str, AdminLayer]:
        found: dict[str, dict[str, Any]] = {}
        for scheme, code, geometry in self.session.execute(
            select(admin_areas.c.scheme, admin_areas.c.code, admin_areas.c.geometry)
        ):
            found.setdefault(scheme, {})[code] = shapely.geometry.shape(geometry)
        return {scheme: AdminLayer(scheme, areas) for scheme, areas in found.items()}

    def features(self, scheme: str) -> list[dict[str, Any]]:
        """One scheme's areas as GeoJSON features (``code`` in their properties), by code."""
        rows = self.session.execute(
            select(admin_areas.c.code, admin_areas.c.geometry)
            .where(admin_areas.c.scheme == scheme)
            .order_by(admin_areas.c.code)
        )
        return [{"type": "Feature", "properties": {"code": c}, "geometry": g} for c, g in rows]

    def schemes(self) -> dict[str, int]:
        rows = self.session.execute(select(admin_areas.c.scheme, func.count()).group_by(admin_areas.c.scheme))
        return {scheme: count for scheme, count in rows}
