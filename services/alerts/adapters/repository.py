"""The alerts service's records: CAP messages, incidents, exposures, footprints, reference layers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely.geometry
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

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
from services.alerts.domain.errors import PartAlreadyMatched
from shared.columns import columns_from_rows
from shared.db import as_read, as_stored, hold_lock

#: What a unit of work opens its sessions with (and ``Table``, what its outbox is).
Sessions = sessionmaker[Session]
__all__ = ["AdminAreaRepository", "AlertRepository", "Sessions", "Table"]

#: The times stored in UTC (SQLite would drop the offset and keep the local clock time).
TIMES = ("expires", "sent")


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    return {k: as_stored(v) if k in TIMES else v for k, v in values.items()}


def _message(row: Any) -> dict[str, Any] | None:
    """A message as read back: its ``sent`` in UTC, with its zone."""
    return None if row is None else {**row._mapping, "sent": as_read(row.sent)}


class AlertRepository:
    """CAP messages, incidents and exposures."""

    def __init__(self, session: Session):
        self.session = session

    def hold_incident(self, root_key: str) -> None:
        """Take one incident's messages in turn, whichever instances receive them (until the
        transaction ends)."""
        hold_lock(self.session, f"alerts incident {root_key}")

    def hold_partition(self, partition: int) -> None:
        """Match, or follow a household into, one registry.households partition at a time (until the
        transaction ends): a family saved while its partition is being matched is either read by
        the matching or followed after it, never missed by both."""
        hold_lock(self.session, f"alerts partition {partition}")

    def message_by_key(self, key: str) -> dict[str, Any] | None:
        row = self.session.execute(select(alert_messages).where(alert_messages.c.message_key == key)).first()
        return _message(row)

    def add_message(self, values: dict[str, Any]) -> None:
        self.session.execute(insert(alert_messages).values(**_stored(values)))

    def incident_by_root(self, key: str) -> dict[str, Any] | None:
        row = self.session.execute(select(incidents).where(incidents.c.root_key == key)).first()
        return dict(row._mapping) if row else None

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        row = self.session.execute(select(incidents).where(incidents.c.id == incident_id)).first()
        return dict(row._mapping) if row else None

    def add_incident(self, values: dict[str, Any]) -> None:
        self.session.execute(insert(incidents).values(**_stored(values)))

    def update_incident(self, incident_id: str, **values: Any) -> None:
        self.session.execute(update(incidents).where(incidents.c.id == incident_id).values(**_stored(values)))

    def message(self, message_id: str) -> dict[str, Any] | None:
        row = self.session.execute(select(alert_messages).where(alert_messages.c.id == message_id)).first()
        return _message(row)

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
        return [_message(r) or {} for r in rows]

    def latest_summary_with_areas(self, incident_id: str) -> dict[str, Any] | None:
        """The summary of the incident's latest message that had areas (a cancellation or an
        update without ``<info>`` has none: the alert stands where the one before drew it)."""
        rows = self.session.execute(
            select(alert_messages.c.summary)
            .where(alert_messages.c.incident_id == incident_id)
            .order_by(alert_messages.c.sent.desc())
        )
        for (summary,) in rows:
            if summary and (summary.get("areas") or {}).get("features"):
                return dict(summary)
        return None

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
        points = columns_from_rows(rows, {"lon": float, "lat": float, "people": float})
        return points["lon"], points["lat"], points["people"]

    def exposure_states(
        self, incident_id: str, version: int, household_ids: Sequence[str]
    ) -> dict[str, datetime | None]:
        """Of ``household_ids``, those the incident version exposes, each with when it moved out
        of the areas (``None``: still inside)."""
        e = exposures.c
        rows = self.session.execute(
            select(e.household_id, e.moved_out_at).where(
                e.incident_id == incident_id, e.version == version, e.household_id.in_(list(household_ids))
            )
        )
        return {household_id: moved for household_id, moved in rows.all()}

    def mark_moved(
        self, incident_id: str, version: int, household_ids: Sequence[str], at: datetime | None
    ) -> None:
        """Households that left the areas (``at``), or came back into them (``None``)."""
        if household_ids:
            e = exposures.c
            self.session.execute(
                update(exposures)
                .where(
                    e.incident_id == incident_id,
                    e.version == version,
                    e.household_id.in_(list(household_ids)),
                )
                .values(moved_out_at=at)
            )

    def after_alert(self, incident_id: str, version: int) -> dict[str, int]:
        """How many households arrived in the areas after the alert was matched, and how many of
        those it exposed have left them since."""
        e = exposures.c
        arrived, moved_out = self.session.execute(
            select(
                func.count().filter(e.arrived_after.is_(True)),
                func.count().filter(e.moved_out_at.is_not(None)),
            ).where(e.incident_id == incident_id, e.version == version)
        ).one()
        return {"arrived": int(arrived), "moved_out": int(moved_out)}

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

    def add_exposure_parts(self, rows: list[dict[str, Any]]) -> None:
        """Claim partitions of an exposure.

        :raise PartAlreadyMatched: another instance claimed one of them first (the transaction
            cannot go on: nothing of it is kept).
        """
        try:
            self.session.execute(insert(exposure_parts), rows)
        except IntegrityError as exc:
            if "exposure_parts" not in str(exc.orig):
                raise
            raise PartAlreadyMatched(
                f"partitions of {rows[0]['exposure_key']} were matched first elsewhere"
            ) from exc

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

    def active_incidents(self, limit: int | None = 200) -> list[dict[str, Any]]:
        """Active incidents, the latest change first (every one with ``limit=None``)."""
        query = select(incidents).where(incidents.c.state == "active").order_by(incidents.c.updated_at.desc())
        rows = self.session.execute(query if limit is None else query.limit(limit))
        return [dict(r._mapping) for r in rows]


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
