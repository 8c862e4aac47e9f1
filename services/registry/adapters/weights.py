"""Vulnerability weight sets of countries and areas, as proposed and decided."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from services.registry.adapters.orm import vulnerability_weights
from services.registry.domain.vulnerability import VulnerabilityIndex
from services.registry.domain.weights import WeightSet, WeightSetStatus
from shared.db import as_read


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _weight_set(row: Any) -> WeightSet:
    index = VulnerabilityIndex(
        row.version, dict(row.weights), row.area, _day(row.effective_from), row.description or ""
    )
    proposed_at = as_read(row.proposed_at)
    assert proposed_at is not None
    return WeightSet(
        index,
        proposed_by=row.proposed_by,
        proposed_at=proposed_at,
        status=WeightSetStatus(row.status),
        decided_by=row.decided_by,
        decided_at=as_read(row.decided_at),
        comment=row.comment,
        applied_on=_day(row.applied_on),
    )


class WeightSetRepository:
    """Weight sets inside the caller's session."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, weight_set: WeightSet) -> None:
        index = weight_set.index
        self.session.execute(
            insert(vulnerability_weights).values(
                version=index.version,
                area=index.area,
                effective_from=index.effective_from,
                weights=dict(index.weights),
                description=index.description,
                status=weight_set.status.value,
                proposed_by=weight_set.proposed_by,
                proposed_at=weight_set.proposed_at,
            )
        )

    def exists(self, version: str) -> bool:
        c = vulnerability_weights.c
        return self.session.scalar(select(func.count()).where(c.version == version)) > 0

    def get(self, version: str, *, for_update: bool = False) -> WeightSet | None:
        query = select(vulnerability_weights).where(vulnerability_weights.c.version == version)
        row = self.session.execute(query.with_for_update() if for_update else query).first()
        return None if row is None else _weight_set(row)

    def decide(self, weight_set: WeightSet) -> None:
        self.session.execute(
            update(vulnerability_weights)
            .where(vulnerability_weights.c.version == weight_set.version)
            .values(
                status=weight_set.status.value,
                decided_by=weight_set.decided_by,
                decided_at=weight_set.decided_at,
                comment=weight_set.comment,
            )
        )

    def listed(self) -> list[WeightSet]:
        """Every set, the latest to take effect first."""
        c = vulnerability_weights.c
        rows = self.session.execute(
            select(vulnerability_weights).order_by(c.effective_from.desc(), c.version)
        )
        return [_weight_set(row) for row in rows]

    def approved(self) -> list[VulnerabilityIndex]:
        return [s.index for s in self.listed() if s.status == WeightSetStatus.APPROVED]

    def to_apply(self, day: date) -> list[WeightSet]:
        """Approved sets in effect on ``day`` whose households were not yet made due."""
        c = vulnerability_weights.c
        rows = self.session.execute(
            select(vulnerability_weights)
            .where(
                c.status == WeightSetStatus.APPROVED.value,
                c.effective_from <= day,
                c.applied_on.is_(None),
            )
            .order_by(c.effective_from, c.version)
        )
        return [_weight_set(row) for row in rows]

    def applied(self, version: str, day: date) -> None:
        self.session.execute(
            update(vulnerability_weights)
            .where(vulnerability_weights.c.version == version)
            .values(applied_on=day)
        )

    def fingerprint(self) -> tuple[Any, ...]:
        """Changes whenever a set is added or decided (to know when a kept copy is stale)."""
        c = vulnerability_weights.c
        return tuple(
            self.session.execute(select(func.count(), func.max(c.decided_at), func.max(c.proposed_at))).one()
        )
