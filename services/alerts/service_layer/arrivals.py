"""Households after the alert: field staff keep registering, moving and correcting families while
an alert is active, and each of those is matched as its registry event is applied.

A household that comes into an active alert's areas once its partition was matched (registered
there, moved there, or made active) is added to the exposure and published at once as a
*supplement* of it: an exposure of its own for the same alert version, whole in one part, so
transfers decides it with its usual rules (nobody is paid twice: who already holds a payment is
never proposed again). A household the alert exposed that moves out of its areas (or stops being
active) is marked as having left, and comes back if it returns. The alert's exposure summary says
how many arrived and how many left (``after_alert``). Households whose partition is not matched
yet need nothing here: the matching will find them where they are.

A footprint of an active alert is followed the same way (:mod:`.footprint_arrivals`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np

from services.alerts.domain.locations import HouseholdLocation, columns_of
from services.alerts.service_layer.exposures import (
    alert_exposure_key,
    compute_exposure,
    exposure_events,
    footprint_exposure_key,
)
from services.alerts.service_layer.footprint_arrivals import follow_footprint, record_moves
from services.alerts.service_layer.parts import read_stored_areas
from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork
from shared.kafka import EXPOSURES

log = logging.getLogger(__name__)


def follow_households(uow: AlertsUnitOfWork, households: Sequence[HouseholdLocation], partition: int) -> int:
    """Match households whose registry event was just applied (on ``partition``) against every
    active alert whose exposure of that partition is already matched (inside the caller's
    transaction). :return: how many households arrived in an alert's areas."""
    if not households:
        return 0
    active = [i for i in uow.alerts.active_incidents(limit=None) if i.get("exposure_version") is not None]
    if not active:
        return 0
    # The incidents' locks first, in one order, then the partition's: a message being received
    # holds its incident's lock before it matches partitions, so nobody waits in a circle. Once
    # they are held, what was matched of this partition is committed and seen below.
    for root_key in sorted({i["root_key"] for i in active}):
        uow.alerts.hold_incident(root_key)
    uow.alerts.hold_partition(partition)
    arrived = 0
    for incident in uow.alerts.active_incidents(limit=None):
        version = incident.get("exposure_version")
        if version is None:
            continue
        key = alert_exposure_key(incident["id"], version)
        request = uow.alerts.exposure_request(key)
        if request is not None and request["areas"] is not None and _matched(uow, key, partition):
            arrived += _follow(uow, incident, request, households)
        for listed in uow.alerts.footprints_of(incident["id"]):
            key = footprint_exposure_key(listed["id"])
            request = uow.alerts.exposure_request(key)
            if request is not None and _matched(uow, key, partition):
                arrived += follow_footprint(uow, listed["id"], request, households)
    return arrived


def _matched(uow: AlertsUnitOfWork, key: str, partition: int) -> bool:
    return partition in {p for p, _ in uow.alerts.exposure_part_summaries(key)}


def _follow(
    uow: AlertsUnitOfWork,
    incident: dict[str, Any],
    request: dict[str, Any],
    households: Sequence[HouseholdLocation],
) -> int:
    incident_id, version = incident["id"], request["version"]
    columns = columns_of(households)
    areas, bands, statements = read_stored_areas(request)
    exposure = compute_exposure(columns, areas)
    inside = set(columns["household_id"][exposure["positions"]].tolist())
    known, left, back = record_moves(uow, incident_id, version, households, inside)
    new = np.array(
        [h not in known for h in columns["household_id"][exposure["positions"]].tolist()], dtype=bool
    )
    if new.any():
        _publish_arrivals(uow, request, columns, exposure, new, bands, statements)
    if left or back or new.any():
        locked = uow.alerts.lock_incident(incident_id)
        after = uow.alerts.after_alert(incident_id, version)  # counted once the row is ours
        if locked is not None and locked.get("exposure_version") == version:
            summary = dict(locked.get("exposure_summary") or {})
            uow.alerts.update_incident(incident_id, exposure_summary={**summary, "after_alert": after})
        log.info(
            "alert %s version %d after it was matched: %d arrived, %d left, %d came back",
            incident_id,
            version,
            int(new.sum()),
            len(left),
            len(back),
            extra={"exposure_key": request["exposure_key"]},
        )
    return int(new.sum())


def _publish_arrivals(
    uow: AlertsUnitOfWork,
    request: dict[str, Any],
    columns: dict[str, np.ndarray],
    exposure: dict[str, Any],
    new: np.ndarray,
    bands: list[str],
    statements: list[int | None],
) -> None:
    """The households new to the exposure: kept, and published as a supplement of it."""
    at = exposure["positions"][new]
    shapes = exposure["shape"][new].tolist()
    rows = [
        {
            "incident_id": request["incident_id"],
            "version": request["version"],
            "household_id": household_id,
            "area": area,
            "near_edge": bool(near),
            "arrived_after": True,
        }
        for household_id, area, near in zip(
            columns["household_id"][at].tolist(),
            exposure["areas"][new].tolist(),
            exposure["near"][new].tolist(),
            strict=True,
        )
    ]
    uow.alerts.add_exposures(rows)
    households = [
        {"household_id": r["household_id"], "area": r["area"], "band": bands[s], "near_edge": r["near_edge"]}
        | ({"statement": statements[s]} if statements[s] is not None else {})
        for r, s in zip(rows, shapes, strict=True)
    ]
    header = {
        "incident_id": request["incident_id"],
        "version": request["version"],
        "supplement": uuid.uuid4().hex[:12],
        "partitions": [0],
        "partition_count": 1,
    }
    totals = {
        "households": len(households),
        "people": int(columns["size"][at].sum()),
        "may_trigger_transfers": request["may_trigger_transfers"],
    }
    uow.publish_all(EXPOSURES.name, exposure_events(request["incident_id"], header, households, totals))
