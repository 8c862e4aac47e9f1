"""Which households an alerts instance indexes and matches.

Every household belongs to one partition of ``registry.households`` (its key decides which). An
alerts instance indexes the households of every partition (one instance), or only of those its
consumer group gave it (several instances, ``AMPARO_ALERTS_INDEX=partitions``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.alerts.adapters.locations import LocationRepository
from services.alerts.domain.matching import LocationIndex
from shared.kafka import HOUSEHOLDS
from shared.partitions import PartitionAssignment


@dataclass(frozen=True)
class Indexing:
    """Which households this instance indexes and matches: every one (``whole``), or those of the
    registry.households partitions its consumer group gave it (``assignment``, kept up to date by
    the household consumer)."""

    instance: str
    assignment: PartitionAssignment | None = None
    whole: bool = True
    partition_count: int = HOUSEHOLDS.partitions

    def partitions(self) -> frozenset[int] | None:
        """The partitions indexed now (read it once per use); ``None`` while nothing may be
        matched: before the group has assigned this instance its share (``partitions`` only), or
        while the broker's partition count is not the one declared (households would be left out)."""
        owned = self.assignment.of(HOUSEHOLDS.name) if self.assignment is not None else None
        if owned is not None and owned.count != self.partition_count:
            return None
        if self.whole:
            return frozenset(range(self.partition_count))
        return None if owned is None else owned.partitions

    def locations(
        self, found: LocationRepository, partitions: frozenset[int]
    ) -> tuple[dict[str, np.ndarray], LocationIndex]:
        """The households of ``partitions`` (a value of :meth:`partitions`) and their index, kept
        between exposures."""
        return found.indexed(None if self.whole else partitions)

    def every_location(self, found: LocationRepository) -> tuple[dict[str, np.ndarray], LocationIndex]:
        """Every household, for a what-if: the kept index if it holds them all, else read now."""
        return found.indexed() if self.whole else found.read_every()

    def disagreement(self) -> str | None:
        """What is wrong when the broker's partition count is not the one declared (nothing is
        matched then)."""
        owned = self.assignment.of(HOUSEHOLDS.name) if self.assignment is not None else None
        if owned is None or owned.count == self.partition_count:
            return None
        return (
            f"{HOUSEHOLDS.name} has {owned.count} partitions on the broker, {self.partition_count} "
            "declared: no exposure is matched until they agree"
        )

    def check(self) -> None:
        """Readiness: this instance knows which partitions it indexes. A partition count that
        disagrees does not make it unready: it still receives and stores messages, matched once
        the counts agree (the matcher logs the error)."""
        owned = self.assignment.of(HOUSEHOLDS.name) if self.assignment is not None else None
        if not self.whole and owned is None:
            raise RuntimeError(f"waiting for the consumer group to assign {HOUSEHOLDS.name} partitions")
