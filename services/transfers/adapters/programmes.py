"""Every version of every programme, in the transfers service's database."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from services.transfers.adapters.orm import programmes
from services.transfers.domain.programme_versions import (
    APPROVED,
    DRAFT,
    ProgrammeStateError,
    ProgrammeVersion,
)
from shared.db import as_read

_FIELDS = ("id", "version", "name", "document", "created_by", "created_at")
_FIELDS += ("state", "decided_by", "decided_at", "decision_comment")


def _version(row: object) -> ProgrammeVersion:
    values = {name: row._mapping[name] for name in _FIELDS}  # type: ignore[attr-defined]
    return ProgrammeVersion(**{**values, "decided_at": as_read(values["decided_at"])})


class ProgrammeRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, programme_id: str, version: int | None = None) -> ProgrammeVersion | None:
        """The programme at ``version`` (its latest when ``None``), or ``None``."""
        query = select(programmes).where(programmes.c.id == programme_id)
        if version is not None:
            query = query.where(programmes.c.version == version)
        row = self.session.execute(query.order_by(programmes.c.version.desc()).limit(1)).first()
        return None if row is None else _version(row)

    def latest(self) -> list[ProgrammeVersion]:
        """Every programme at its latest version, whatever its state."""
        return self._newest(select(programmes.c.id, func.max(programmes.c.version).label("version")))

    def in_force(self) -> list[ProgrammeVersion]:
        """Every programme at its latest approved version (the one that decides)."""
        return self._newest(
            select(programmes.c.id, func.max(programmes.c.version).label("version")).where(
                programmes.c.state == APPROVED
            )
        )

    def save_review(self, reviewed: ProgrammeVersion) -> None:
        """:raise ProgrammeStateError: someone else reviewed it meanwhile."""
        moved = self.session.execute(
            update(programmes)
            .where(
                programmes.c.id == reviewed.id,
                programmes.c.version == reviewed.version,
                programmes.c.state == DRAFT,
            )
            .values(
                state=reviewed.state,
                decided_by=reviewed.decided_by,
                decided_at=reviewed.decided_at,
                decision_comment=reviewed.decision_comment,
            )
        ).rowcount
        if moved != 1:
            raise ProgrammeStateError(f"{reviewed.name} version {reviewed.version} was reviewed meanwhile")

    def _newest(self, per_programme: Any) -> list[ProgrammeVersion]:
        newest = per_programme.group_by(programmes.c.id).subquery()
        rows = self.session.execute(
            select(programmes).join(
                newest, (programmes.c.id == newest.c.id) & (programmes.c.version == newest.c.version)
            )
        ).all()
        return [_version(r) for r in rows]

    def add(self, version: ProgrammeVersion) -> None:
        values = asdict(version)
        self.session.execute(insert(programmes).values(**{name: values[name] for name in _FIELDS}))

    def lock(self, programme_id: str) -> None:
        """Hold the programme's rows until the transaction ends: one decider per programme at a
        time, since what is left of its budgets is read, then spent."""
        self.session.execute(
            select(programmes.c.id).where(programmes.c.id == programme_id).with_for_update()
        ).all()
