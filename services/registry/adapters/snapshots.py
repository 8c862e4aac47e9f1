"""What the daily pass reads and writes of households: which are due, and their refreshed snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from services.registry.adapters.households import HouseholdRepository
from services.registry.adapters.orm import households
from services.registry.domain.model import Household
from services.registry.domain.snapshots import Refresh, SnapshotState
from shared.db import as_read


def state_of(row: Any) -> SnapshotState:
    """A household row's snapshot state (rows written before 0009 count from their last change)."""
    on = row.snapshot_on
    if isinstance(on, str):
        on = date.fromisoformat(on)
    if on is None:
        changed = as_read(row.updated_at) or as_read(row.registered_at)
        assert changed is not None
        on = changed.date()
    due = row.snapshot_due_on
    if isinstance(due, str):
        due = date.fromisoformat(due)
    return SnapshotState(on, row.snapshot_revision or 0, due)


class SnapshotRepository:
    """Households' snapshot states inside the caller's session."""

    def __init__(self, session: Session):
        self.session = session

    def due(self, day: date, after_id: str, limit: int) -> list[str]:
        """Ids of active households due on or before ``day``, above ``after_id``, in id order."""
        c = households.c
        return list(
            self.session.scalars(
                select(c.id)
                .where(c.status == "active", c.snapshot_due_on <= day, c.id > after_id)
                .order_by(c.id)
                .limit(limit)
            )
        )

    def states(self, household_ids: Sequence[str]) -> list[tuple[Household, SnapshotState]]:
        """The households of ``household_ids`` with their snapshot states, locked for the pass."""
        found = HouseholdRepository(self.session).get_many(household_ids, for_update=True)
        return [(household, state_of(row)) for household, row in found]

    def keep(self, refreshed: Refresh, before: SnapshotState, version: int) -> bool:
        """Store a refreshed household's score, counts and snapshot state, if the household is still
        at ``version`` and ``before``'s revision (a change meanwhile wins: it counted everything).

        :return: whether it was stored.
        """
        vulnerability = refreshed.household.vulnerability
        values: dict[str, Any] = {
            "snapshot_on": refreshed.state.on,
            "snapshot_revision": refreshed.state.revision,
            "snapshot_due_on": refreshed.state.due_on,
            "vulnerability_score": vulnerability.score,
            "vulnerability_components": dict(vulnerability.components),
            "vulnerability_index_version": vulnerability.index_version,
        }
        if refreshed.published is not None:
            bands = refreshed.published["members_by_age_band"]
            values |= {"children_under_5": bands["0_4"], "elderly_65_plus": bands["65_plus"]}
        c = households.c
        result = self.session.execute(
            update(households)
            .where(
                c.id == refreshed.household.id,
                c.version == version,
                c.snapshot_revision == before.revision,
            )
            .values(**values)
        )
        return bool(result.rowcount == 1)

    def make_due(self, area: str, day: date) -> int:
        """Make every active household in ``area`` (the area or below it) due on ``day`` at the
        latest; return how many were made due earlier than they were."""
        c = households.c
        result = self.session.execute(
            update(households)
            .where(
                c.status == "active",
                or_(c.admin_code == area, c.admin_code.like(area.replace("%", "") + "-%")),
                or_(c.snapshot_due_on.is_(None), c.snapshot_due_on > day),
            )
            .values(snapshot_due_on=day)
        )
        return int(result.rowcount or 0)
