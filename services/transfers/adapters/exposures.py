"""Incidents (the alert versions transfers has heard of) and exposures being collected, in the
transfers service's database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.transfers.adapters.orm import exposures, incidents


class IncidentRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, incident_id: str, lock: bool = False) -> Any:
        """The incident's latest version as transfers knows it, or ``None``."""
        query = select(incidents).where(incidents.c.incident_id == incident_id)
        return self.session.execute(query.with_for_update() if lock else query).first()


class ExposureRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, key: str) -> Any:
        return self.session.execute(select(exposures).where(exposures.c.exposure_key == key)).first()
