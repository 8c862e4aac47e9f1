"""Import jobs (a file of households being checked and committed), the problems found in each
file, what each household of the file becomes, and the probable duplicates the dry run found."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from services.registry.adapters.orm import import_duplicates, import_households, import_problems, imports
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

    def latest(self, limit: int) -> list[dict[str, Any]]:
        """The ``limit`` most recent imports, newest first."""
        rows = self.session.execute(
            select(imports).order_by(imports.c.created_at.desc(), imports.c.id).limit(limit)
        )
        return [
            dict(row._mapping, created_at=as_read(row.created_at), updated_at=as_read(row.updated_at))
            for row in rows
        ]

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

    # -- what each household of the file becomes ---------------------------------------------

    def clear_plans(self, import_id: str) -> None:
        for table in (import_households, import_duplicates):
            self.session.execute(delete(table).where(table.c.import_id == import_id))

    def add_households(self, import_id: str, households: Sequence[dict[str, Any]]) -> None:
        """Record the dry run's outcome of households of the file (``first_row``, ``rows``,
        ``reference``, ``outcome`` and, as they apply, the household, changes and refusal)."""
        if households:
            self.session.execute(
                insert(import_households), [{**h, "import_id": import_id} for h in households]
            )

    def households(self, import_id: str, limit: int | None = None) -> list[dict[str, Any]]:
        t = import_households
        query = select(t).where(t.c.import_id == import_id).order_by(t.c.first_row)
        if limit is not None:
            query = query.limit(limit)
        return [
            {k: v for k, v in r._mapping.items() if k not in ("id", "import_id")}
            for r in self.session.execute(query)
        ]

    def named_twice(self, import_id: str) -> dict[str, list[tuple[int, str]]]:
        """Registered households named by several households of the file: id → (first row, reference)."""
        t = import_households
        repeated = (
            select(t.c.household_id)
            .where(t.c.import_id == import_id, t.c.household_id.is_not(None))
            .group_by(t.c.household_id)
            .having(func.count() > 1)
        )
        rows = self.session.execute(
            select(t.c.household_id, t.c.first_row, t.c.reference)
            .where(t.c.import_id == import_id, t.c.household_id.in_(repeated))
            .order_by(t.c.first_row)
        )
        found: dict[str, list[tuple[int, str]]] = {}
        for household_id, first_row, reference in rows:
            found.setdefault(household_id, []).append((first_row, reference))
        return found

    def refuse(self, import_id: str, refusals: Sequence[dict[str, Any]]) -> None:
        """Refuse households of the file after all (``first_row``, ``pointer``, ``reason``, ``reason_es``)."""
        t = import_households
        if refusals:
            self.session.execute(
                update(t)
                .where(t.c.import_id == import_id, t.c.first_row == bindparam("b_first_row"))
                .values(
                    outcome="refused",
                    changed=None,
                    pointer=bindparam("b_pointer"),
                    reason=bindparam("b_reason"),
                    reason_es=bindparam("b_reason_es"),
                ),
                [{f"b_{k}": v for k, v in r.items()} for r in refusals],
            )

    def record_results(self, import_id: str, results: dict[int, str]) -> None:
        """What the commit did with each household of the file (by first row); a result already
        recorded by an earlier attempt of the same commit stays."""
        t = import_households
        if results:
            self.session.execute(
                update(t)
                .where(t.c.import_id == import_id, t.c.first_row == bindparam("b_row"), t.c.result.is_(None))
                .values(result=bindparam("b_result")),
                [{"b_row": row, "b_result": result} for row, result in results.items()],
            )

    def add_duplicates(self, import_id: str, found: Sequence[dict[str, Any]]) -> None:
        if found:
            self.session.execute(insert(import_duplicates), [{**f, "import_id": import_id} for f in found])

    def duplicates(self, import_id: str, limit: int | None = None) -> list[dict[str, Any]]:
        t = import_duplicates
        query = select(t).where(t.c.import_id == import_id).order_by(t.c.row, t.c.id)
        if limit is not None:
            query = query.limit(limit)
        return [
            {k: v for k, v in r._mapping.items() if k not in ("id", "import_id")}
            for r in self.session.execute(query)
        ]

    def with_duplicates(self, import_id: str) -> list[tuple[int, str]]:
        """(first row, reference) of each household of the file the commit would write that has a
        probable duplicate."""
        d, h = import_duplicates, import_households
        rows = self.session.execute(
            select(h.c.first_row, h.c.reference)
            .where(
                h.c.import_id == import_id,
                h.c.outcome.in_(("create", "update")),
                h.c.first_row.in_(select(d.c.first_row).where(d.c.import_id == import_id)),
            )
            .order_by(h.c.first_row)
        )
        return [(r.first_row, r.reference) for r in rows]

    def counts(self, import_id: str, column: str = "outcome") -> dict[str, int]:
        """How many households of the file have each ``outcome`` (the dry run's) or ``result``
        (the commit's)."""
        t = import_households
        rows = self.session.execute(
            select(t.c[column], func.count())
            .where(t.c.import_id == import_id, t.c[column].is_not(None))
            .group_by(t.c[column])
        )
        return {value: count for value, count in rows}
