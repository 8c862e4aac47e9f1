"""A household's public snapshot kept true as time passes.

Ages, age bands and the vulnerability score are facts of a day: a child who turns 5 leaves the
under-5 band, a new weight set takes effect on its day. The registry keeps, with each household,
the day its published snapshot was computed for (``on``), how many times that version's snapshot
was published again since (``revision``), and the next day on which time alone would change it
(``due_on``: the next birthday on which a member reaches an age the bands or the index count
differently). The daily pass looks only at the households due, and publishes only those whose
snapshot did change, under the same version and the next revision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from services.registry.domain.members import REPORTING_BANDS, Member
from services.registry.domain.model import (
    AGE_BANDS,
    Household,
    HouseholdStatus,
    public_snapshot,
    score,
)
from services.registry.domain.vulnerability import AGE_CUTOFFS, VulnerabilityIndex

#: Every age at which a member starts to count differently in the snapshot: both sets of bands'
#: lower bounds and the index's cut-offs.
AGE_THRESHOLDS = tuple(
    sorted({low for _, low, _ in (*AGE_BANDS, *REPORTING_BANDS) if low > 0} | set(AGE_CUTOFFS))
)
#: What says when and how often a snapshot was published, not what it says of the household.
ABOUT_THE_SNAPSHOT = ("snapshot_on", "snapshot_revision")


def turns(birth_date: date, age: int) -> date:
    """The day someone born on ``birth_date`` reaches ``age``: their birthday that year, and for
    one born on 29 February, 1 March in a common year (as :meth:`Member.age_on` counts).

    Examples
    --------
    >>> turns(date(2020, 2, 29), 5), turns(date(2020, 2, 29), 4)
    (datetime.date(2025, 3, 1), datetime.date(2024, 2, 29))
    """
    try:
        return birth_date.replace(year=birth_date.year + age)
    except ValueError:
        return date(birth_date.year + age, 3, 1)


def next_change(members: Iterable[Member], after: date) -> date | None:
    """The first day after ``after`` on which a member reaches an age in :data:`AGE_THRESHOLDS`
    (``None`` when none will: ages estimated without a birth date do not move)."""
    days = []
    for member in members:
        if member.birth_date is None:
            continue
        age = member.age_on(after)
        coming = [threshold for threshold in AGE_THRESHOLDS if threshold > age]
        if coming:
            days.append(turns(member.birth_date, coming[0]))
    return min(days, default=None)


@dataclass(frozen=True)
class SnapshotState:
    """What was published of a household's current version, and when it next changes."""

    on: date
    revision: int = 0
    due_on: date | None = None

    @classmethod
    def of_new_version(cls, household: Household) -> SnapshotState:
        """The state of a version just recorded: its snapshot is of the day it was recorded."""
        day = household.updated_at.date()
        return cls(day, 0, due_on(household, day))


def due_on(household: Household, after: date) -> date | None:
    """The next day the snapshot of ``household`` may change by time alone (``None`` for a
    household no longer active, whose snapshot nobody needs refreshed)."""
    if household.status != HouseholdStatus.ACTIVE:
        return None
    return next_change(household.facts.members, after)


@dataclass(frozen=True)
class Refresh:
    """A household seen by the daily pass: as scored on the day, its snapshot state after the
    pass, and the snapshot to publish (``None`` when it did not change)."""

    household: Household
    state: SnapshotState
    published: dict[str, Any] | None


def what_it_says(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without what only says when and how often it was published, nor the name of
    the weights its score came from (new weights that give the same score change nothing a
    consumer reads)."""
    said = {k: v for k, v in snapshot.items() if k not in ABOUT_THE_SNAPSHOT}
    if isinstance(said.get("vulnerability"), dict):
        said["vulnerability"] = {k: v for k, v in said["vulnerability"].items() if k != "index_version"}
    return said


def refresh(household: Household, state: SnapshotState, day: date, index: VulnerabilityIndex) -> Refresh:
    """The household's snapshot on ``day``, compared with the one published on ``state.on``.

    A snapshot already of ``day`` or later is left as it is (another pass got there first); one
    that says the same is not published again (if only the weights' version differs, the registry
    keeps the new version's name, which its next snapshot carries). Either way the next due day
    moves past ``day``.
    """
    if household.status != HouseholdStatus.ACTIVE:
        return Refresh(household, replace(state, due_on=None), None)
    if day <= state.on:
        return Refresh(household, replace(state, due_on=due_on(household, state.on)), None)
    scored = replace(household, vulnerability=score(household.facts, index, day))
    before = public_snapshot(household, state.on, state.revision)
    after = public_snapshot(scored, day, state.revision + 1)
    if what_it_says(before) == what_it_says(after):
        return Refresh(scored, replace(state, due_on=due_on(household, day)), None)
    return Refresh(scored, SnapshotState(day, state.revision + 1, due_on(household, day)), after)
