"""Collecting an exposure: its parts' chunks and completions as ``alerts.exposures`` brings them.

Each alerts instance publishes the households of the ``registry.households`` partitions it matched
as one part, in chunks and a completion. A part's households are held apart until the part is
complete, then accepted if no accepted part covers any of its partitions (otherwise never counted,
and it says so). The exposure is decided once it is whole (see :mod:`.deciding`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from services.transfers.domain.exposure_parts import (
    Part,
    check_partition_count,
    overlap,
    parse_listed,
    parse_part,
)
from services.transfers.domain.exposures import (
    ACCEPTED,
    COLLECTING,
    Exposure,
    exposure_key,
    households_of_chunk,
)
from services.transfers.service_layer.batches import now
from services.transfers.service_layer.deciding import decide_when_ready, hold_deciding_lock
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.errors import InvalidInput
from shared.events import CloudEvent

log = logging.getLogger(__name__)


def apply_exposure_chunk(event: CloudEvent, uow: TransfersUnitOfWork) -> bool:
    """Hold one chunk of a part's households apart; accept the part once it is complete, and
    decide if that was the last piece missing.

    :return: ``False`` for a chunk already kept, or of a part already accepted or refused.
    :raise InvalidInput: no chunk number or household list, a household without id or band, or a
        part named wrongly (``/partitions``, ``/partition_count``).
    """
    data = event.data or {}
    key = exposure_key(data)
    if not isinstance(data.get("chunk"), int) or not isinstance(data.get("households"), list):
        raise InvalidInput(f"exposure chunk {event.id} has no chunk number or household list")
    part = parse_part(data, event.id)
    households = households_of_chunk(event.id, data["households"])
    with uow:
        _hold_lock_for(uow, key, data)
        if _part_status(uow, key, data, part, event.id) != COLLECTING:
            return False
        if uow.exposures.has_chunk(key, part.part_id, data["chunk"]):
            return False
        uow.exposures.add_chunk(key, part.part_id, data["chunk"], households)
        settle_part(uow, key, part)
        decide_when_ready(uow, key)
        return True


def apply_exposure_completed(event: CloudEvent, uow: TransfersUnitOfWork) -> bool:
    """Note how many chunks and households a part has; accept it if its chunks are all here, and
    decide if nothing else is missing.

    :return: ``False`` for a part already accepted or refused.
    :raise InvalidInput: no chunk count, or a part named wrongly.
    """
    data = event.data or {}
    key = exposure_key(data)
    if not isinstance(data.get("chunks"), int) or data["chunks"] < 1:
        raise InvalidInput(f"exposure completion {event.id} has no chunk count")
    part = parse_part(data, event.id)
    households = data.get("households")
    with uow:
        _hold_lock_for(uow, key, data)
        if _part_status(uow, key, data, part, event.id) != COLLECTING:
            return False
        declared = households if isinstance(households, int) else None
        uow.exposures.note_part_size(key, part.part_id, data["chunks"], declared)
        settle_part(uow, key, part)
        decide_when_ready(uow, key)
        return True


def settle_part(uow: TransfersUnitOfWork, key: str, part: Part) -> None:
    """A complete part (its completion and all its chunks here) is accepted when none of its
    partitions is already covered: its households become the exposure's. Otherwise it is never
    counted, and says so."""
    record = uow.exposures.part(key, part.part_id)
    if record is None or not record.complete(uow.exposures.chunks_received(key).get(part.part_id, 0)):
        return
    accepted = [parse_listed(p.partitions) for p in uow.exposures.parts(key) if p.status == ACCEPTED]
    taken = overlap(part.partitions, accepted)
    if taken:
        note = (
            f"partitions {', '.join(map(str, taken))} were already received in another part; "
            "this part is not counted"
        )
        log.warning("exposure %s, part of partitions %s: %s", key, part.listed, note)
        uow.exposures.refuse_part(key, part.part_id, note)
        return
    uow.exposures.accept_part(key, part.part_id, record.households)


def _hold_lock_for(uow: TransfersUnitOfWork, key: str, data: Mapping[str, Any]) -> None:
    incident_id = data.get("incident_id")
    hold_deciding_lock(uow, incident_id if isinstance(incident_id, str) and incident_id else key)


def _part_status(
    uow: TransfersUnitOfWork, key: str, data: Mapping[str, Any], part: Part, event_id: str
) -> str:
    """The part's status (``collecting`` for a part first heard of now); the exposure's row is
    made by the first event of any of its parts.

    :raise InvalidInput: the part counts the partitions differently from the exposure's first part.
    """
    exposure = uow.exposures.get(key)
    if exposure is None:
        uow.exposures.add(Exposure.first_heard(key, data, part.partition_count), now())
    else:
        check_partition_count(part, exposure.partition_count, key, event_id)
    record = uow.exposures.part(key, part.part_id)
    if record is None:
        uow.exposures.add_part(key, part, now())
        return COLLECTING
    return record.status
