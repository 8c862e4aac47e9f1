"""Households after a footprint: one registered, moved or made active under an active alert's
footprint once its partition was matched is given its intensity and band there and published as a
supplement of the footprint's exposure; one that leaves it is marked, as under an alert's areas."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from services.alerts.domain.footprints import Bands
from services.alerts.domain.locations import HouseholdLocation, columns_of
from services.alerts.service_layer.exposures import exposure_events
from services.alerts.service_layer.intensities import intensities
from services.alerts.service_layer.parts import FOOTPRINT_VERSION, footprint_source
from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork
from shared.kafka import EXPOSURES


def record_moves(
    uow: AlertsUnitOfWork,
    subject_id: str,
    version: int,
    households: Sequence[HouseholdLocation],
    inside: set[str],
) -> tuple[dict[str, datetime | None], list[str], list[str]]:
    """Of ``households``, mark those an exposure (``subject_id`` at ``version``) held that are no
    longer ``inside`` as having left, and those that had left and are inside again as back.

    :return: the households the exposure held (with when each left), those that left, those back.
    """
    known = uow.alerts.exposure_states(subject_id, version, [h.household_id for h in households])
    left = [h for h, moved in known.items() if moved is None and h not in inside]
    back = [h for h, moved in known.items() if moved is not None and h in inside]
    now = datetime.now(UTC)
    uow.alerts.mark_moved(subject_id, version, left, now)
    uow.alerts.mark_moved(subject_id, version, back, None)
    return known, left, back


def follow_footprint(
    uow: AlertsUnitOfWork, footprint_id: str, request: dict[str, Any], households: Sequence[HouseholdLocation]
) -> int:
    """Match households whose event was just applied against one footprint (inside the caller's
    transaction). :return: how many arrived under it."""
    footprint = uow.alerts.footprint(footprint_id)
    if footprint is None:
        return 0
    columns = columns_of(households)
    values, _, _, _ = intensities(footprint_source(footprint), columns)
    bands = Bands.from_thresholds(footprint["thresholds"])
    band_index = bands.classify(values)
    inside_at = np.flatnonzero(band_index >= 0)
    ids = columns["household_id"].tolist()
    inside = {ids[i] for i in inside_at.tolist()}
    known, _, _ = record_moves(uow, footprint_id, FOOTPRINT_VERSION, households, inside)
    new = [i for i in inside_at.tolist() if ids[i] not in known]
    if not new:
        return 0
    households_out = [
        {"household_id": ids[i], "intensity": round(float(values[i]), 3), "band": bands.names[band_index[i]]}
        for i in new
    ]
    uow.alerts.add_exposures(
        [
            {
                "incident_id": footprint_id,
                "version": FOOTPRINT_VERSION,
                "household_id": h["household_id"],
                "area": h["band"],
                "near_edge": False,
                "arrived_after": True,
            }
            for h in households_out
        ]
    )
    header = {
        "incident_id": footprint["incident_id"],
        "footprint_id": footprint_id,
        "kind": footprint["kind"],
        "supplement": uuid.uuid4().hex[:12],
        "partitions": [0],
        "partition_count": 1,
    }
    if request["version"] is not None:
        header["alert_version"] = request["version"]
    totals = {"households": len(new), "people": int(columns["size"][new].sum())}
    subject = footprint["incident_id"] or footprint_id
    uow.publish_all(EXPOSURES.name, exposure_events(subject, header, households_out, totals))
    return len(new)
