"""Hazard events and the incidents each groups, in the transfers service's database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from services.transfers.adapters.orm import hazard_event_incidents, hazard_events, incident_names, incidents
from services.transfers.domain.hazard_events import HazardEvent, Link
from shared.db import as_read

_LINK_FIELDS = ("incident_id", "hazard_event_id", "how", "linked_by", "linked_at", "note")


def _link(row: Any) -> Link:
    values = {name: row._mapping[name] for name in _LINK_FIELDS}
    return Link(**{**values, "linked_at": as_read(values["linked_at"])})


class HazardEventRepository:
    def __init__(self, session: Session):
        self.session = session

    def link_of(self, incident_id: str) -> Link | None:
        """Where the incident sits, or ``None`` if it was never linked."""
        row = self.session.execute(
            select(hazard_event_incidents).where(hazard_event_incidents.c.incident_id == incident_id)
        ).first()
        return None if row is None else _link(row)

    def incidents_with(self, incident_id: str) -> list[str]:
        """Every incident of the incident's hazard event (the incident alone when never linked)."""
        link = self.link_of(incident_id)
        return [incident_id] if link is None else self.incidents_with_event(link.hazard_event_id)

    def incidents_with_event(self, hazard_event_id: str) -> list[str]:
        h = hazard_event_incidents.c
        return sorted(self.session.scalars(select(h.incident_id).where(h.hazard_event_id == hazard_event_id)))

    def known_as(self, incident_id: str) -> set[str]:
        """Every name the incident's hazard event goes by: its incidents' ids, the CAP
        ``<incidents>`` names their messages gave, and the hazard event's own id (what an assessment
        exercise in the registry may name)."""
        link = self.link_of(incident_id)
        ids = self.incidents_with(incident_id)
        n = incident_names.c
        names = set(self.session.scalars(select(n.name).where(n.incident_id.in_(ids))))
        return names | set(ids) | ({link.hazard_event_id} if link else set())

    def sharing_names(self, incident_id: str, names: Sequence[str]) -> list[tuple[str, str]]:
        """``(hazard_event_id, incident_id)`` of other incidents whose CAP ``<incidents>`` names one of
        ``names``, oldest hazard event first."""
        if not names:
            return []
        n, h, e = incident_names.c, hazard_event_incidents.c, hazard_events.c
        rows = self.session.execute(
            select(h.hazard_event_id, n.incident_id, e.created_at)
            .distinct()
            .select_from(
                incident_names.join(hazard_event_incidents, h.incident_id == n.incident_id).join(
                    hazard_events, e.id == h.hazard_event_id
                )
            )
            .where(n.name.in_(list(names)), n.incident_id != incident_id)
            .order_by(e.created_at, h.hazard_event_id, n.incident_id)
        ).all()
        return [(r[0], r[1]) for r in rows]

    def note_names(self, incident_id: str, names: Sequence[str]) -> None:
        """Remember the CAP ``<incidents>`` names an incident's message gave (once each)."""
        known = set(
            self.session.scalars(
                select(incident_names.c.name).where(incident_names.c.incident_id == incident_id)
            )
        )
        new = [{"name": name, "incident_id": incident_id} for name in names if name not in known]
        if new:
            self.session.execute(insert(incident_names), new)

    def add(self, event: HazardEvent) -> None:
        self.session.execute(
            insert(hazard_events).values(id=event.id, name=event.name, created_at=event.created_at)
        )

    def link(self, link: Link) -> None:
        """Put an incident in a hazard event (moving it if it sat in another)."""
        values = {name: getattr(link, name) for name in _LINK_FIELDS}
        moved = self.session.execute(
            update(hazard_event_incidents)
            .where(hazard_event_incidents.c.incident_id == link.incident_id)
            .values(**values)
        ).rowcount
        if not moved:
            self.session.execute(insert(hazard_event_incidents).values(**values))

    def merge(self, source: str, target: str, how: str, by: str, at: datetime, note: str | None) -> list[str]:
        """Move every incident of ``source`` into ``target`` and drop ``source``.

        :return: the incidents moved.
        """
        h = hazard_event_incidents.c
        moved = list(self.session.scalars(select(h.incident_id).where(h.hazard_event_id == source)))
        self.session.execute(
            update(hazard_event_incidents)
            .where(h.hazard_event_id == source)
            .values(hazard_event_id=target, how=how, linked_by=by, linked_at=at, note=note)
        )
        self.session.execute(delete(hazard_events).where(hazard_events.c.id == source))
        return moved

    def drop_if_empty(self, hazard_event_id: str) -> None:
        h = hazard_event_incidents.c
        if (
            self.session.execute(select(h.incident_id).where(h.hazard_event_id == hazard_event_id)).first()
            is None
        ):
            self.session.execute(delete(hazard_events).where(hazard_events.c.id == hazard_event_id))

    def get(self, hazard_event_id: str) -> HazardEvent | None:
        row = self.session.execute(select(hazard_events).where(hazard_events.c.id == hazard_event_id)).first()
        if row is None:
            return None
        links = self.session.execute(
            select(hazard_event_incidents)
            .where(hazard_event_incidents.c.hazard_event_id == hazard_event_id)
            .order_by(hazard_event_incidents.c.linked_at, hazard_event_incidents.c.incident_id)
        ).all()
        return HazardEvent(row.id, row.name, as_read(row.created_at), tuple(_link(r) for r in links))  # type: ignore[arg-type]

    def newest(self, limit: int = 100) -> list[HazardEvent]:
        ids = self.session.scalars(
            select(hazard_events.c.id).order_by(hazard_events.c.created_at.desc()).limit(limit)
        ).all()
        return [event for event in (self.get(i) for i in ids) if event is not None]

    def summaries(self, incident_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The latest summary transfers holds of each incident."""
        rows = self.session.execute(
            select(incidents.c.incident_id, incidents.c.summary).where(
                incidents.c.incident_id.in_(list(incident_ids))
            )
        ).all()
        return {r[0]: dict(r[1] or {}) for r in rows}
