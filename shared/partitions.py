"""Which partitions of a topic this process is consuming now, and which record is being applied.

A consumer group spreads a topic's partitions over its members. A member that keeps state per
partition (the alerts service's location index, say) reads here what it owns; the consumer loop
keeps it up to date after every poll. Handlers read :func:`applying_partition` to know which
partition the event in hand came from.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

_applying: ContextVar[int | None] = ContextVar("applying_partition", default=None)


@dataclass(frozen=True)
class Owned:
    """The partitions of one topic assigned to this member, out of ``count``."""

    partitions: frozenset[int]
    count: int


class PartitionAssignment:
    """What the group has assigned to this process, per topic (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owned: dict[str, Owned] = {}

    def update(self, assigned: Mapping[str, frozenset[int]], counts: Mapping[str, int]) -> None:
        """Record the current assignment (every subscribed topic, even one with no partition)."""
        owned = {topic: Owned(frozenset(assigned.get(topic, ())), count) for topic, count in counts.items()}
        with self._lock:
            self._owned = owned

    def of(self, topic: str) -> Owned | None:
        """``None`` until the group has assigned this member its share of ``topic``."""
        with self._lock:
            return self._owned.get(topic)


def applying_partition() -> int | None:
    """The partition of the record whose event is being applied (``None`` outside the loop)."""
    return _applying.get()


@contextmanager
def applying(partition: int) -> Iterator[None]:
    token = _applying.set(partition)
    try:
        yield
    finally:
        _applying.reset(token)
