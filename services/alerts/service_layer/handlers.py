"""Alerts service handlers: keeping the location index, reading it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from services.alerts.adapters.repository import LocationRepository
from services.alerts.domain.locations import HouseholdLocation, location_from_snapshot
from services.alerts.service_layer.exposures import Indexing
from shared.contracts.households import load_snapshot
from shared.db import reading
from shared.errors import NotFound
from shared.events import CloudEvent
from shared.kafka import HOUSEHOLDS, partition_of
from shared.partitions import applying_partition


def _partition(household_id: str) -> int:
    """The registry.households partition the event came on (worked out from its key when it was
    not read from the topic: a replay, say)."""
    partition = applying_partition()
    return partition_of(household_id, HOUSEHOLDS.partitions) if partition is None else partition


def apply_household_event(session: Session, event: CloudEvent) -> bool:
    """Update the location index from a registry household event (inside the inbox transaction).

    :return: ``False`` if the event is older than the stored version.
    :raise InvalidInput: if the snapshot is malformed (the consumer dead-letters it).
    """
    location = location_from_snapshot(load_snapshot(event.data))
    return LocationRepository(session).save_if_newer(location, _partition(location.household_id))


def apply_household_events(session: Session, events: Sequence[CloudEvent]) -> list[bool]:
    """:func:`apply_household_event` for a run of events, in order, with one read and a few writes.

    :return: for each event, ``False`` if it is older than the stored (or an earlier) version.
    :raise InvalidInput: if any snapshot is malformed (the consumer then applies them one by one).
    """
    partition = applying_partition()
    if partition is None:
        return [apply_household_event(session, event) for event in events]
    locations = [location_from_snapshot(load_snapshot(e.data)) for e in events]
    return LocationRepository(session).save_all_if_newer(locations, partition)


def get_location(
    household_id: str, session_factory: sessionmaker[Session], covers: Callable[[str], bool]
) -> HouseholdLocation:
    """:raise NotFound: if the household is not indexed or lies outside the caller's jurisdiction."""
    with reading(session_factory) as session:
        location = LocationRepository(session).get(household_id)
    if location is None or not covers(location.admin_code):
        raise NotFound(f"household {household_id} is not in the location index (in your jurisdiction)")
    return location


def households_per_area(
    session_factory: sessionmaker[Session], covers: Callable[[str], bool]
) -> dict[str, int]:
    """Active households per admin code, limited to the caller's jurisdiction."""
    with reading(session_factory) as session:
        counts = LocationRepository(session).count_by_admin_code()
    return {code: n for code, n in sorted(counts.items()) if covers(code)}


def index_held(session_factory: sessionmaker[Session], indexing: Indexing) -> dict[str, Any]:
    """What this instance's location index holds now (read again if the projection changed)."""
    partitions = indexing.partitions()
    with reading(session_factory) as session:
        columns, _ = indexing.locations(session, partitions or frozenset())
    found, counts = np.unique(columns["partition"], return_counts=True)
    return {
        "instance": indexing.instance,
        "whole": indexing.whole,
        "partitions": None if partitions is None else sorted(partitions),
        "partition_count": indexing.partition_count,
        "households": len(columns["household_id"]),
        "households_by_partition": {
            str(p): int(n) for p, n in zip(found.tolist(), counts.tolist(), strict=True)
        },
    }
