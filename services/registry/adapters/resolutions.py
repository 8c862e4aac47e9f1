"""Officers' decisions on probable duplicates as stored: the judgements remembered per pair of
households, and what a decision does to the queue of candidate pairs."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from services.registry.adapters.orm import duplicate_candidates, duplicate_judgements
from services.registry.domain.duplicates import Judgements
from shared.ids import random_uuid

#: The judgements an officer's decision leaves.
NOT_DUPLICATES = "not_duplicates"
PERSON_REMOVED = "person_removed"


class ResolutionRepository:
    """Judgements on pairs of households, and candidate pairs settled, moved or withdrawn."""

    def __init__(self, session: Session):
        self.session = session

    def judged(self, household_ids: Collection[str]) -> Judgements:
        """Every judgement on a pair one of ``household_ids`` belongs to (two indexed queries per
        500 ids)."""
        j = duplicate_judgements.c
        ids = sorted(set(household_ids))
        distinct: set[frozenset[str]] = set()
        people: set[tuple[frozenset[str], str]] = set()
        for start in range(0, len(ids), 500):
            page = ids[start : start + 500]
            for column in (j.household_a, j.household_b):
                for a, b, member in self.session.execute(
                    select(j.household_a, j.household_b, j.member_id).where(column.in_(page))
                ):
                    if member:
                        people.add((frozenset((a, b)), member))
                    else:
                        distinct.add(frozenset((a, b)))
        return Judgements(frozenset(distinct), frozenset(people))

    def judge(
        self,
        households: tuple[str, str],
        member_id: str | None,
        judgement: str,
        candidate_id: str,
        by: str,
        comment: str | None,
        now: datetime,
    ) -> None:
        """Remember a judgement on a pair of households (for one person when ``member_id`` is given)."""
        a, b = sorted(households)
        self.session.execute(
            insert(duplicate_judgements).values(
                id=random_uuid(),
                household_a=a,
                household_b=b,
                member_id=member_id,
                judgement=judgement,
                candidate_id=candidate_id,
                decided_by=by,
                decided_at=now,
                comment=comment,
            )
        )

    def open_between(self, household_a: str, household_b: str) -> list[dict[str, Any]]:
        """The open candidate pairs between two households."""
        c = duplicate_candidates.c
        pair = ((c.household_a == household_a) & (c.household_b == household_b)) | (
            (c.household_a == household_b) & (c.household_b == household_a)
        )
        rows = self.session.execute(select(duplicate_candidates).where(pair, c.status == "open"))
        return [dict(r._mapping) for r in rows]

    def open_involving(self, member_ids: Collection[str]) -> list[dict[str, Any]]:
        """The open candidate pairs in which one of ``member_ids`` is a side."""
        c = duplicate_candidates.c
        ids = sorted(set(member_ids))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            page = ids[start : start + 500]
            rows = self.session.execute(
                select(duplicate_candidates).where(
                    c.status == "open", or_(c.member_a.in_(page), c.member_b.in_(page))
                )
            )
            found.update((r.id, dict(r._mapping)) for r in rows)
        return list(found.values())

    def settle(
        self, candidate_ids: Sequence[str], status: str, by: str, comment: str | None, now: datetime
    ) -> None:
        """Decide the open candidates named (merged, dismissed, members_removed or withdrawn)."""
        c = duplicate_candidates.c
        for start in range(0, len(candidate_ids), 500):
            self.session.execute(
                update(duplicate_candidates)
                .where(c.id.in_(candidate_ids[start : start + 500]), c.status == "open")
                .values(status=status, decided_by=by, decided_at=now, comment=comment)
            )

    def move_to(self, candidate: dict[str, Any], member_id: str, household_id: str) -> None:
        """Say that ``member_id``'s side of an open candidate now lives in ``household_id``."""
        c = duplicate_candidates.c
        side = "household_a" if candidate["member_a"] == member_id else "household_b"
        self.session.execute(
            update(duplicate_candidates).where(c.id == candidate["id"]).values({side: household_id})
        )
