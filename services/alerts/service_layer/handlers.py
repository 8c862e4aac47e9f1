"""Alerts service handlers: keeping the location index, reading it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from services.alerts.domain.locations import HouseholdLocation, location_from_snapshot
from services.alerts.service_layer.arrivals import follow_households
from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork
from shared.contracts.households import load_snapshot
from shared.errors import NotFound
from shared.events import CloudEvent
from shared.kafka import HOUSEHOLDS, partition_of
from shared.partitions import applying_partition


def _partition(household_id: str) -> int:
    """The registry.households partition the event came on (worked out from its key when it was
    not read from the topic: a replay, say)."""
    partition = applying_partition()
    return partition_of(household_id, HOUSEHOLDS.partitions) if partition is None else partition


def keep_location(event: CloudEvent, uow: AlertsUnitOfWork) -> bool:
    """Update the location index from a registry household event (inside the inbox transaction),
    and follow the household into or out of the areas of active alerts.

    :return: ``False`` if the event is older than the stored version.
    :raise InvalidInput: if the snapshot is malformed (the consumer dead-letters it).
    """
    location = location_from_snapshot(load_snapshot(event.data))
    partition = _partition(location.household_id)
    with uow:
        kept = uow.locations.save_if_newer(location, partition)
        if kept:
            follow_households(uow, [location], partition)
        return kept


def keep_locations(events: Sequence[CloudEvent], uow: AlertsUnitOfWork) -> list[bool]:
    """:func:`keep_location` for a run of events, in order, with one read and a few writes.

    :return: for each event, ``False`` if it is older than the stored (or an earlier) version.
    :raise InvalidInput: if any snapshot is malformed (the consumer then applies them one by one).
    """
    partition = applying_partition()
    if partition is None:
        return [keep_location(event, uow) for event in events]
    found = [location_from_snapshot(load_snapshot(e.data)) for e in events]
    with uow:
        kept = uow.locations.save_all_if_newer(found, partition)
        # The latest of each household that changed, once.
        latest = {location.household_id: location for location, new in zip(found, kept, strict=True) if new}
        follow_households(uow, list(latest.values()), partition)
        return kept


def get_location(
    household_id: str, uow: AlertsUnitOfWork, covers: Callable[[str], bool]
) -> HouseholdLocation:
    """:raise NotFound: if the household is not indexed or lies outside the caller's jurisdiction."""
    with uow:
        location = uow.locations.get(household_id)
    if location is None or not covers(location.admin_code):
        raise NotFound(f"household {household_id} is not in the location index (in your jurisdiction)")
    return location


def households_per_area(uow: AlertsUnitOfWork, covers: Callable[[str], bool]) -> dict[str, int]:
    """Active households per admin code, limited to the caller's jurisdiction."""
    with uow:
        counts = uow.locations.count_by_admin_code()
    return {code: n for code, n in sorted(counts.items()) if covers(code)}


@dataclass(frozen=True)
class IndexHeld:
    """What an instance's location index holds: which partitions, how many households in each."""

    instance: str
    whole: bool
    partitions: list[int] | None
    partition_count: int
    households: int
    households_by_partition: dict[int, int]


def index_held(uow: AlertsUnitOfWork) -> IndexHeld:
    """What this instance's location index holds now (read again if the projection changed)."""
    indexing = uow.indexing
    partitions = indexing.partitions()
    with uow:
        columns, _ = indexing.locations(uow.locations, partitions or frozenset())
    found, counts = np.unique(columns["partition"], return_counts=True)
    return IndexHeld(
        instance=indexing.instance,
        whole=indexing.whole,
        partitions=None if partitions is None else sorted(partitions),
        partition_count=indexing.partition_count,
        households=len(columns["household_id"]),
        households_by_partition=dict(zip(found.tolist(), counts.tolist(), strict=True)),
    )
