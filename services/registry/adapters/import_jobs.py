"""Import jobs (a file of households being checked and committed) and the problems found in
each file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from services.registry.adapters.orm import import_problems, imports
from shared.db import as_read


class ImportRepository:
    """Import jobs and their problems."""

    def __init__(self, session: Session):
        self.session = session

    def create(self, values: dict[str, Any]) -> None:
        self.session.execute(insert(imports).values(**values))

    def get(self, import_id: str) -> dict[str, Any] | None:
        row = self.session.execute(select(imports).where(imports.c.id == import_id)).first()
        if row is None:
            return None
        return dict(row._mapping, created_at=as_read(row.created_at), updated_at=as_read(row.updated_at))

    def update(self, import_id: str, **values: Any) -> None:
        self.session.execute(
            update(imports).where(imports.c.id == import_id).values(**values, updated_at=datetime.now(UTC))
        )

    def recover(self, moves: dict[str, tuple[str, str]]) -> int:
        """Move imports left in a running state to a resting one, with a note; return how many."""
        moved = 0
        for old, (new, note) in moves.items():
            result = self.session.execute(
                update(imports)
                .where(imports.c.status == old)
                .values(status=new, error=note, updated_at=datetime.now(UTC))
            )
            moved += result.rowcount or 0
        return moved

    def add_problems(self, import_id: str, problems: Sequence[tuple[int, str, str]]) -> None:
        if problems:
            self.session.execute(
                insert(import_problems),
                [{"import_id": import_id, "row": r, "column": c[:255], "problem": p} for r, c, p in problems],
            )

    def clear_problems(self, import_id: str) -> None:
        self.session.execute(delete(import_problems).where(import_problems.c.import_id == import_id))

    def problems(self, import_id: str, limit: int | None = None) -> list[tuple[int, str, str]]:
        query = (
            select(import_problems.c.row, import_problems.c.column, import_problems.c.problem)
            .where(import_problems.c.import_id == import_id)
            .order_by(import_problems.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        return [tuple(r) for r in self.session.execute(query)]  # type: ignore[misc]
