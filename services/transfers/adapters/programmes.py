"""Every version of every programme, in the transfers service's database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.transfers.adapters.orm import programmes
from services.transfers.domain.programme_versions import ProgrammeVersion


class ProgrammeRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, programme_id: str, version: int) -> ProgrammeVersion | None:
        """The programme at ``version``, or ``None``."""
        row = self.session.execute(
            select(programmes).where(programmes.c.id == programme_id, programmes.c.version == version)
        ).first()
        return None if row is None else ProgrammeVersion(**row._mapping)
