"""The stages (readiness, action) programmes reached over exposures, in the transfers service's
database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from services.transfers.adapters.orm import programme_stages
from services.transfers.domain.triggers import StageReached
from shared.db import as_read


class StageRepository:
    def __init__(self, session: Session):
        self.session = session

    def record(
        self,
        exposure_key: str,
        incident_id: str,
        programme_id: str,
        programme_version: int,
        reached: StageReached,
        at: datetime,
    ) -> None:
        """Keep that the programme reached a stage over the exposure (when first, and the latest why)."""
        s = programme_stages.c
        values = {
            "programme_version": programme_version,
            "statements": list(reached.statements),
            "reasons": list(reached.reasons),
        }
        mine = (
            (s.exposure_key == exposure_key) & (s.programme_id == programme_id) & (s.stage == reached.stage)
        )
        if not self.session.execute(update(programme_stages).where(mine).values(**values)).rowcount:
            self.session.execute(
                insert(programme_stages).values(
                    exposure_key=exposure_key,
                    programme_id=programme_id,
                    stage=reached.stage,
                    incident_id=incident_id,
                    reached_at=at,
                    **values,
                )
            )

    def reached(self, exposure_key: str, programme_id: str, stage: str) -> bool:
        s = programme_stages.c
        query = select(s.stage).where(
            s.exposure_key == exposure_key, s.programme_id == programme_id, s.stage == stage
        )
        return self.session.execute(query).first() is not None

    def of_exposures(self, keys: list[str]) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
        """For each (exposure, programme): its stages by name."""
        found: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        for start in range(0, len(keys), 500):
            rows = self.session.execute(
                select(programme_stages).where(programme_stages.c.exposure_key.in_(keys[start : start + 500]))
            ).all()
            for r in rows:
                found.setdefault((r.exposure_key, r.programme_id), {})[r.stage] = dict(r._mapping)
        return found

    def of_incident(self, incident_id: str) -> list[dict[str, Any]]:
        rows = self.session.execute(
            select(programme_stages)
            .where(programme_stages.c.incident_id == incident_id)
            .order_by(programme_stages.c.reached_at, programme_stages.c.stage)
        ).all()
        return [{**r._mapping, "reached_at": as_read(r.reached_at)} for r in rows]
