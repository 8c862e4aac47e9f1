"""Assessment events (post-event exercises) and the programme rosters read into the registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, insert, or_, select, update
from sqlalchemy.orm import Session

from services.registry.adapters.orm import assessment_events, households, members, roster_imports
from services.registry.domain.assessments import AssessmentEvent
from services.registry.domain.enrolments import Enrolment
from shared.db import as_read


def _event(row: Any) -> AssessmentEvent:
    opened_at = as_read(row.opened_at)
    assert opened_at is not None
    return AssessmentEvent(
        id=row.id,
        name=row.name,
        incidents=tuple(row.incidents),
        admin_codes=tuple(row.admin_codes),
        opened_at=opened_at,
        opened_by=row.opened_by,
        closes_at=as_read(row.closes_at),
        hazard_event=row.hazard_event,
    )


class AssessmentEventRepository:
    """The assessment events a registry officer opened."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, event: AssessmentEvent) -> None:
        self.session.execute(
            insert(assessment_events).values(
                id=event.id,
                name=event.name,
                incidents=list(event.incidents),
                hazard_event=event.hazard_event,
                admin_codes=list(event.admin_codes),
                opened_at=event.opened_at,
                opened_by=event.opened_by,
                closes_at=event.closes_at,
            )
        )

    def get(self, event_id: str) -> AssessmentEvent | None:
        row = self.session.execute(
            select(assessment_events).where(assessment_events.c.id == event_id)
        ).first()
        return _event(row) if row else None

    def named(self, name: str) -> AssessmentEvent | None:
        """The newest event of that exact name (an import names exercises as officers see them)."""
        e = assessment_events.c
        row = self.session.execute(
            select(assessment_events).where(e.name == name.strip()).order_by(e.opened_at.desc()).limit(1)
        ).first()
        return _event(row) if row else None

    def open_at(self, moment: datetime) -> list[AssessmentEvent]:
        """Events open at ``moment``, newest first."""
        e = assessment_events.c
        rows = self.session.execute(
            select(assessment_events)
            .where(e.opened_at <= moment, or_(e.closes_at.is_(None), e.closes_at > moment))
            .order_by(e.opened_at.desc())
        ).all()
        return [_event(r) for r in rows]

    def close(self, event_id: str, at: datetime) -> None:
        self.session.execute(
            update(assessment_events).where(assessment_events.c.id == event_id).values(closes_at=at)
        )


class RosterRepository:
    """Programme rosters read: their rows as matched (no names or document numbers) and counts."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, values: dict[str, Any]) -> None:
        self.session.execute(insert(roster_imports).values(**values))

    def get(self, roster_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(roster_imports).where(roster_imports.c.id == roster_id)
        if for_update:
            query = query.with_for_update()
        row = self.session.execute(query).first()
        if row is None:
            return None
        return dict(row._mapping, created_at=as_read(row.created_at), committed_at=as_read(row.committed_at))

    def update(self, roster_id: str, **values: Any) -> None:
        self.session.execute(update(roster_imports).where(roster_imports.c.id == roster_id).values(**values))

    # -- matching a roster's rows to households ------------------------------------------------

    def by_reference(self, references: list[str]) -> dict[str, tuple[str, str]]:
        """``{reference: (household id, admin code)}`` for references that are a household's id or
        registration number (one query per 500)."""
        h = households.c
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(references), 500):
            page = references[start : start + 500]
            rows = self.session.execute(
                select(h.id, h.registration_number, h.admin_code).where(
                    or_(h.id.in_(page), h.registration_number.in_(page))
                )
            ).all()
            for row in rows:
                for key in (row.id, row.registration_number):
                    if key in page:
                        found[key] = (row.id, row.admin_code)
        return found

    def by_document(self, hashes: list[str]) -> dict[str, set[tuple[str, str]]]:
        """``{document hash: {(household id, admin code)}}`` over active households' members."""
        h, m = households.c, members.c
        found: dict[str, set[tuple[str, str]]] = {}
        for start in range(0, len(hashes), 500):
            page = hashes[start : start + 500]
            rows = self.session.execute(
                select(m.document_hash, h.id, h.admin_code)
                .select_from(members.join(households, h.id == m.household_id))
                .where(m.document_hash.in_(page), h.status == "active")
            ).all()
            for row in rows:
                found.setdefault(row.document_hash, set()).add((row.id, row.admin_code))
        return found

    def enrolled_in(self, programme: str) -> list[tuple[str, str]]:
        """(household id, admin code) of households whose record mentions ``programme`` (the caller
        checks each one's enrolments: this is a coarse filter on the stored text)."""
        h = households.c
        pattern = f'%"programme": "{programme}"%'
        rows = self.session.execute(
            select(h.id, h.admin_code).where(cast(h.enrolments, Text).like(pattern))
        ).all()
        return [(r.id, r.admin_code) for r in rows]

    def enrolments_of(self, household_ids: list[str]) -> dict[str, tuple[Enrolment, ...]]:
        """Each household's enrolments as stored (one query per 500 ids)."""
        h = households.c
        found: dict[str, tuple[Enrolment, ...]] = {}
        for start in range(0, len(household_ids), 500):
            page = household_ids[start : start + 500]
            for row in self.session.execute(select(h.id, h.enrolments).where(h.id.in_(page))):
                found[row.id] = tuple(Enrolment.from_record(e) for e in row.enrolments or ())
        return found
