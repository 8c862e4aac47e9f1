"""The rows monitoring counts from: exposures, decisions and payments of a set of alerts, each with
the household's area and members as transfers knows them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from services.transfers.adapters.orm import (
    batches,
    decisions,
    evaluations,
    exposed_households,
    exposures,
    hazard_event_incidents,
    household_attributes,
    incidents,
    instruction_files,
    payments,
)
from services.transfers.domain.monitoring import AlertTimes, Decided, Exposed, Household, Paid, Rows
from services.transfers.domain.payments import SETTLED
from shared.db import as_read

_A = household_attributes.c
#: Alerts read per query: IN lists stay short whatever the hazard event's size.
_ALERTS_PER_QUERY = 200


def _household(row: Any, decided_size: int | None = None) -> Household:
    """The household as transfers knows it now (its size when decided, for one it no longer knows)."""
    return Household(
        row.household_id, row.admin_code, row.size if row.size is not None else decided_size, row.people
    )


def _onset(summary: dict[str, Any] | None) -> datetime | None:
    """The alert's expected onset: its own, else its statements' earliest (``None`` when none says)."""
    summary = summary or {}
    found = [summary.get("onset")] + [s.get("onset") for s in summary.get("statements") or []]
    moments = []
    for value in found:
        if not isinstance(value, str):
            continue
        try:
            moments.append(as_read(datetime.fromisoformat(value)))
        except ValueError:
            continue
    return min(moments, default=None)


class MonitoringRepository:
    def __init__(self, session: Session):
        self.session = session

    def incidents_of_hazard_event(self, hazard_event_id: str) -> list[str]:
        h = hazard_event_incidents.c
        query = select(h.incident_id).where(h.hazard_event_id == hazard_event_id)
        return sorted(self.session.scalars(query))

    def incidents_of_programme(self, programme_id: str) -> list[str]:
        e = evaluations.c
        query = select(e.incident_id).where(e.programme_id == programme_id).distinct()
        return sorted(self.session.scalars(query))

    def rows(self, incident_ids: Sequence[str], programme_id: str | None) -> Rows:
        """Everything a report over these alerts (and one programme's part of them) counts."""
        found = Rows()
        for start in range(0, len(incident_ids), _ALERTS_PER_QUERY):
            part = list(incident_ids[start : start + _ALERTS_PER_QUERY])
            found.exposed += self._exposed(part)
            found.decided += self._decided(part, programme_id)
            found.paid += self._paid(part, programme_id)
            found.alerts |= self._alerts(part)
        return found

    def _exposed(self, incident_ids: list[str]) -> list[Exposed]:
        x = exposed_households.c
        query = (
            select(x.household_id, x.band, _A.admin_code, _A.size, _A.people)
            .join(exposures, exposures.c.exposure_key == x.exposure_key)
            .outerjoin(household_attributes, _A.household_id == x.household_id)
            .where(exposures.c.incident_id.in_(incident_ids))
            .order_by(exposures.c.received_at)
        )
        return [Exposed(_household(r), r.band) for r in self._read(query)]

    def _decided(self, incident_ids: list[str], programme_id: str | None) -> list[Decided]:
        d, e = decisions.c, evaluations.c
        query = (
            select(
                d.household_id,
                d.eligible,
                d.status,
                d.size.label("decided_size"),
                e.created_at,
                _A.admin_code,
                _A.size,
                _A.people,
            )
            .join(evaluations, e.id == d.evaluation_id)
            .outerjoin(household_attributes, _A.household_id == d.household_id)
            .where(e.incident_id.in_(incident_ids))
        )
        if programme_id is not None:
            query = query.where(e.programme_id == programme_id)
        return [
            Decided(_household(r, r.decided_size), r.eligible, r.status, as_read(r.created_at))
            for r in self._read(query)
        ]

    def _paid(self, incident_ids: list[str], programme_id: str | None) -> list[Paid]:
        p, b = payments.c, batches.c
        query = (
            select(
                p.household_id,
                p.incident_id,
                p.state,
                p.amount,
                p.currency,
                p.updated_at,
                b.proposed_at,
                b.decided_at,
                instruction_files.c.created_at.label("instructed_at"),
                _A.admin_code,
                _A.size,
                _A.people,
            )
            .join(batches, b.id == p.batch_id)
            .outerjoin(instruction_files, instruction_files.c.id == p.instruction_file_id)
            .outerjoin(household_attributes, _A.household_id == p.household_id)
            .where(p.incident_id.in_(incident_ids))
        )
        if programme_id is not None:
            query = query.where(p.programme_id == programme_id)
        return [
            Paid(
                _household(r),
                r.incident_id,
                r.state,
                r.amount,
                r.currency,
                as_read(r.proposed_at),
                as_read(r.decided_at),
                as_read(r.instructed_at),
                as_read(r.updated_at) if r.state == SETTLED else None,
            )
            for r in self._read(query)
        ]

    def _alerts(self, incident_ids: list[str]) -> dict[str, AlertTimes]:
        e = exposures.c
        first = dict(
            self.session.execute(
                select(e.incident_id, func.min(e.received_at))
                .where(e.incident_id.in_(incident_ids))
                .group_by(e.incident_id)
            ).all()
        )
        summaries = dict(
            self.session.execute(
                select(incidents.c.incident_id, incidents.c.summary).where(
                    incidents.c.incident_id.in_(incident_ids)
                )
            ).all()
        )
        return {
            incident_id: AlertTimes(as_read(first.get(incident_id)), _onset(summaries.get(incident_id)))
            for incident_id in incident_ids
        }

    def _read(self, query: Select[Any]) -> list[Any]:
        return list(self.session.execute(query).all())
