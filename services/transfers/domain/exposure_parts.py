"""An exposure in parts: each alerts instance matches only the households of some partitions of
``registry.households`` and publishes what it found as one part of the exposure.

A part names the partitions it covers (``partitions``) out of how many the topic has
(``partition_count``). The exposure is whole when the parts accepted for it cover every partition
once; a part overlapping one already accepted is never counted (its households would be counted
twice). Events of a release before parts carry neither field: they are one part, partition 0 of 1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.errors import FieldProblem, InvalidInput

#: What an event without ``partitions`` covers: everything, as one part.
WHOLE = (0,)


@dataclass(frozen=True)
class Part:
    """Which partitions of ``registry.households`` a part covers, out of ``partition_count``."""

    partitions: tuple[int, ...]
    partition_count: int

    @property
    def listed(self) -> str:
        """The partitions as stored and shown: ``0,3``."""
        return ",".join(str(p) for p in self.partitions)

    @property
    def part_id(self) -> str:
        """A short, stable name for the part within its exposure (a digest of its partitions)."""
        return part_id(self.partitions)


def part_id(partitions: Iterable[int]) -> str:
    """The stored name of the part covering ``partitions`` (32 hex characters, however many)."""
    listed = ",".join(str(p) for p in partitions)
    return hashlib.blake2b(listed.encode(), digest_size=16).hexdigest()


def parse_part(data: Mapping[str, Any], event_id: str) -> Part:
    """The part an exposure event belongs to.

    :raise InvalidInput: naming ``/partitions`` or ``/partition_count`` when they are not a sorted
        list of distinct partitions within ``0..partition_count-1``.
    """
    if "partitions" not in data and "partition_count" not in data:
        return Part(WHOLE, 1)
    count = data.get("partition_count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise _invalid(event_id, "/partition_count", f"must be a whole number of at least 1, not {count!r}")
    partitions = data.get("partitions")
    if not isinstance(partitions, list) or not partitions:
        raise _invalid(event_id, "/partitions", "must be a non-empty list of partition numbers")
    if any(not isinstance(p, int) or isinstance(p, bool) for p in partitions):
        raise _invalid(event_id, "/partitions", f"must hold whole numbers only, not {partitions!r}")
    outside = [p for p in partitions if not 0 <= p < count]
    if outside:
        raise _invalid(
            event_id, "/partitions", f"{outside} outside 0..{count - 1} (partition_count is {count})"
        )
    if partitions != sorted(set(partitions)):
        raise _invalid(event_id, "/partitions", f"must be sorted and distinct, not {partitions!r}")
    return Part(tuple(partitions), count)


def check_partition_count(part: Part, expected: int, exposure_key: str, event_id: str) -> None:
    """Every part of an exposure counts the partitions alike.

    :raise InvalidInput: naming ``/partition_count`` when ``part`` counts other than ``expected``.
    """
    if part.partition_count != expected:
        detail = f"is {part.partition_count}, but exposure {exposure_key} came in parts of {expected}"
        raise _invalid(event_id, "/partition_count", detail)


def parse_listed(listed: str) -> tuple[int, ...]:
    """A part's partitions back from their stored form (``0,3``)."""
    return tuple(int(p) for p in listed.split(","))


def missing_partitions(accepted: Iterable[Iterable[int]], partition_count: int) -> list[int]:
    """The partitions no accepted part covers yet, in order."""
    covered = {p for part in accepted for p in part}
    return [p for p in range(partition_count) if p not in covered]


def overlap(partitions: Iterable[int], accepted: Iterable[Iterable[int]]) -> list[int]:
    """The partitions of a part that accepted parts already cover, in order."""
    covered = {p for part in accepted for p in part}
    return sorted(p for p in partitions if p in covered)


def partitions_note(missing: list[int], partition_count: int) -> str:
    """``4 of 6 partitions received (missing 2, 5)``."""
    received = partition_count - len(missing)
    return (
        f"{received} of {partition_count} partitions received (missing {', '.join(str(p) for p in missing)})"
    )


def _invalid(event_id: str, pointer: str, detail: str) -> InvalidInput:
    return InvalidInput(
        f"exposure event {event_id} names its part wrongly", errors=[FieldProblem(pointer, detail)]
    )
