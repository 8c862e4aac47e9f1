"""Grievances in the transfers service's database: each case with its steps in order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.transfers.adapters.orm import grievance_steps, grievances
from services.transfers.domain.grievances import OPEN, Grievance, OpenAlready, Step
from shared.db import as_read

_TIMES = ("filed_at", "due_at", "resolved_at")


def _key(household_id: str, kind: str, incident_id: str | None) -> str:
    """What makes two cases the same (one of them may be open at a time)."""
    return f"{household_id}:{kind}:{incident_id or ''}"


def _open_key(case: Grievance) -> str | None:
    return _key(case.household_id, case.kind, case.incident_id) if case.state == OPEN else None


def _at(moment: datetime) -> datetime:
    read = as_read(moment)
    assert read is not None
    return read


@dataclass(frozen=True)
class Filter:
    """Which cases a list shows (``None``: any)."""

    state: str | None = None
    assigned_role: str | None = None
    kind: str | None = None
    household_id: str | None = None
    incident_ids: Sequence[str] | None = None
    #: At most this many (``None``: every one, for counting).
    limit: int | None = 200


class GrievanceRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, case: Grievance) -> None:
        """:raise OpenAlready: the same household, kind and alert has an open case (filed meanwhile)."""
        values = asdict(case)
        steps = values.pop("steps")
        try:
            with self.session.begin_nested():
                self.session.execute(insert(grievances).values(**values, open_key=_open_key(case)))
        except IntegrityError as exc:
            raise OpenAlready(f"grievance of this household and kind is already open ({case.kind})") from exc
        self._add_steps(case.id, 0, [Step(**s) for s in steps])

    def save(self, case: Grievance) -> None:
        """Store what changed; steps are only ever appended."""
        values = asdict(case)
        values.pop("steps")
        self.session.execute(
            update(grievances).where(grievances.c.id == case.id).values(**values, open_key=_open_key(case))
        )
        known = self.session.scalar(
            select(func.count()).select_from(grievance_steps).where(grievance_steps.c.grievance_id == case.id)
        )
        self._add_steps(case.id, known or 0, list(case.steps[known or 0 :]))

    def _add_steps(self, grievance_id: str, start: int, steps: list[Step]) -> None:
        if steps:
            self.session.execute(
                insert(grievance_steps),
                [
                    {"grievance_id": grievance_id, "position": start + i, **asdict(s)}
                    for i, s in enumerate(steps)
                ],
            )

    def get(self, grievance_id: str, lock: bool = False) -> Grievance | None:
        query = select(grievances).where(grievances.c.id == grievance_id)
        row = self.session.execute(query.with_for_update() if lock else query).first()
        return None if row is None else self._case(row, self._steps([grievance_id])[grievance_id])

    def with_source(self, source_id: str) -> Grievance | None:
        found = self.session.scalar(select(grievances.c.id).where(grievances.c.source_id == source_id))
        return None if found is None else self.get(found)

    def open_like(self, household_id: str, kind: str, incident_id: str | None) -> str | None:
        """The id of an open case of the same household, kind and alert, if there is one."""
        key = _key(household_id, kind, incident_id)
        return self.session.scalar(select(grievances.c.id).where(grievances.c.open_key == key))

    def listed(self, which: Filter, covers: Callable[[str], bool]) -> list[Grievance]:
        """Cases, most urgent first (open before resolved, earliest deadline first), in the caller's
        jurisdiction."""
        g = grievances.c
        query = select(grievances)
        for column, value in (
            (g.state, which.state),
            (g.assigned_role, which.assigned_role),
            (g.kind, which.kind),
            (g.household_id, which.household_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if which.incident_ids is not None:
            query = query.where(g.incident_id.in_(list(which.incident_ids)))
        rows = [
            r for r in self.session.execute(query.order_by(g.state, g.due_at, g.id)) if covers(r.admin_code)
        ]
        rows = rows if which.limit is None else rows[: which.limit]
        steps = self._steps([r.id for r in rows])
        return [self._case(r, steps.get(r.id, ())) for r in rows]

    def blank_step_notes(self, household_id: str) -> None:
        """The words of every step of the household's cases, blanked (an erasure)."""
        ids = select(grievances.c.id).where(grievances.c.household_id == household_id)
        self.session.execute(
            update(grievance_steps).where(grievance_steps.c.grievance_id.in_(ids)).values(note=None)
        )

    def _steps(self, ids: Sequence[str]) -> dict[str, tuple[Step, ...]]:
        s = grievance_steps.c
        found: dict[str, list[Step]] = {i: [] for i in ids}
        for start in range(0, len(ids), 500):
            for row in self.session.execute(
                select(grievance_steps)
                .where(s.grievance_id.in_(list(ids[start : start + 500])))
                .order_by(s.grievance_id, s.position)
            ):
                found[row.grievance_id].append(
                    Step(at=_at(row.at), by=row.by, role=row.role, action=row.action, note=row.note)
                )
        return {k: tuple(v) for k, v in found.items()}

    @staticmethod
    def _case(row: Any, steps: Sequence[Step]) -> Grievance:
        values = {k: v for k, v in row._mapping.items() if k != "open_key"}
        for name in _TIMES:
            values[name] = as_read(values[name]) if values[name] is not None else None
        return Grievance(**values, steps=tuple(steps))
