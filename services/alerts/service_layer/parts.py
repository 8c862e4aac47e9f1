"""Exposures, matched partition by partition.

Every household belongs to one partition of ``registry.households`` (its key decides which). An
alerts instance indexes the households of every partition (one instance), or only of those its
consumer group gave it (several instances, ``AMPARO_ALERTS_INDEX=partitions``).

An exposure to work out — an alert version's areas, or a hazard footprint — is written down as
a request. Each instance matches the partitions it indexes that no one has matched yet, claims
them (one row per partition: a second claim of the same partition fails on its key, and its whole
transaction with it), and publishes what it found as one *part*: chunks and a completion, labelled
with the partitions covered. The instance that receives the alert matches its partitions before
answering; the others find the request within a second (:class:`ExposureMatcher`), and so does an
instance given a partition by a rebalance. Transfers puts the parts back together and decides
once every partition is in (``services/transfers/service_layer/deciding.py``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely.geometry

from services.alerts.domain import incidents as rules
from services.alerts.domain.cap import CapMessage
from services.alerts.domain.errors import PartAlreadyMatched
from services.alerts.domain.footprints import Bands, band_summary
from services.alerts.domain.geometry import AreaShape, GeodesicCircle
from services.alerts.domain.matching import LocationIndex
from services.alerts.domain.statements import statement_of_info, statements
from services.alerts.service_layer.exposures import compute_exposure, exposure_events, summarise
from services.alerts.service_layer.intensities import FootprintSource, intensities
from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork
from shared.kafka import EXPOSURES, HOUSEHOLDS

log = logging.getLogger(__name__)


def request_exposure(
    uow: AlertsUnitOfWork,
    key: str,
    *,
    incident_id: str | None,
    version: int | None,
    footprint_id: str | None = None,
    message: CapMessage | None = None,
    shapes: Sequence[AreaShape] = (),
) -> None:
    """Write down an exposure to match over every partition (in the caller's transaction): an
    alert version's ``message`` with its ``shapes`` as resolved now, or a footprint."""
    uow.alerts.add_exposure_request(
        {
            "exposure_key": key,
            "incident_id": incident_id,
            "version": version,
            "footprint_id": footprint_id,
            "areas": _stored_shapes(message, shapes) if message is not None else None,
            # An area carries no intensity: a household is in the severity band of the statement
            # whose area covers it (the first statement's, for requests kept before statements).
            "band": (message.infos[0].severity if message.infos else "Unknown") if message else None,
            "may_trigger_transfers": message.may_trigger_transfers if message else None,
            "partition_count": uow.indexing.partition_count,
            "created_at": datetime.now(UTC),
        }
    )


def _stored_shapes(message: CapMessage, shapes: Sequence[AreaShape]) -> list[dict[str, Any]]:
    """The message's areas as the request keeps them, each with its statement, band and strength."""
    of_info = statement_of_info(statements(message))
    stored = []
    for shape in shapes:
        kept = _stored_shape(shape)
        statement = of_info.get(shape.info)
        if statement is not None:
            kept |= {
                "statement": statement.number,
                "band": statement.severity,
                "strength": list(statement.strength),
            }
        stored.append(kept)
    return stored


def read_stored_areas(request: dict[str, Any]) -> tuple[list[AreaShape], list[str], list[int | None]]:
    """An alert's areas as its exposure request keeps them, the strongest statement's first (a
    household several areas cover takes the first), with each area's band and statement."""
    stored = sorted(request["areas"], key=lambda area: area.get("strength", [0, 0, 0]), reverse=True)
    return (
        [_read_shape(area) for area in stored],
        [area.get("band", request["band"]) for area in stored],
        [area.get("statement") for area in stored],
    )


def _stored_shape(shape: AreaShape) -> dict[str, Any]:
    """An area as an exposure request keeps it, so every instance matches the same area."""
    return {
        "info": shape.info,
        "area": shape.area,
        "description": shape.description,
        "geometry": shapely.geometry.mapping(shape.geometry),
        "codes": list(shape.codes),
        "circles": [[c.lon, c.lat, c.radius_m] for c in shape.circles],
        "polygons": None if shape.polygons is None else shapely.geometry.mapping(shape.polygons),
    }


def _read_shape(stored: dict[str, Any]) -> AreaShape:
    """An area as an exposure request kept it (requests stored before circles were kept whole have
    no ``circles``: their polygon is the area)."""
    polygons = stored.get("polygons")
    return AreaShape(
        stored["info"],
        stored["area"],
        stored["description"],
        shapely.geometry.shape(stored["geometry"]),
        tuple(stored["codes"]),
        circles=tuple(GeodesicCircle(*c) for c in stored.get("circles") or ()),
        polygons=None if polygons is None else shapely.geometry.shape(polygons),
    )


def match_mine(uow: AlertsUnitOfWork, key: str) -> frozenset[int]:
    """Match and publish the partitions of exposure ``key`` this instance indexes that no one has
    matched yet (in the caller's transaction); return them.

    Nothing is matched while households are stored on partitions beyond those declared (they
    would be left out of every part): the alert stands, and the error is logged until the
    partition counts agree.

    :raise PartAlreadyMatched: another instance claimed one of them first (nothing of this is kept).
    """
    request = uow.alerts.exposure_request(key)
    owned = uow.indexing.partitions()
    if request is None or request["completed_at"] is not None or not owned:
        return frozenset()
    matched = {p for p, _ in uow.alerts.exposure_part_summaries(key)}
    wanted = frozenset(p for p in owned if p < request["partition_count"] and p not in matched)
    if not wanted:
        return wanted
    for partition in sorted(wanted):
        uow.alerts.hold_partition(partition)
    beyond = uow.locations.households_beyond(request["partition_count"])
    if beyond:
        log.error(
            "households on %s partitions %s, beyond the %d declared: %s is not matched until they agree",
            HOUSEHOLDS.name,
            beyond,
            request["partition_count"],
            key,
        )
        return frozenset()
    columns, index = uow.indexing.locations(uow.locations, owned)
    if request["footprint_id"] is None:
        households = _match_alert(uow, request, wanted, columns, index)
    else:
        households = _match_footprint(uow, request, wanted, columns, index)
    log.info(
        "matched partitions %s of %s: %d households",
        ",".join(map(str, sorted(wanted))),
        key,
        households,
        extra={"exposure_key": key},
    )
    return wanted


def match_unfinished(uow_factory: Callable[..., AlertsUnitOfWork]) -> int:
    """Match this instance's share of every exposure still missing parts; the partitions matched.

    ``uow_factory(read_only=True)`` is used to look (on SQLite it never waits for a writer)."""
    with uow_factory(read_only=True) as uow:
        unfinished = uow.alerts.unfinished_exposures()
        owned = uow.indexing.partitions() or frozenset()
    done = 0
    for request, matched in unfinished:
        if not (owned - matched) & set(range(request["partition_count"])):
            continue
        try:
            with uow_factory() as uow:
                done += len(match_mine(uow, request["exposure_key"]))
        except PartAlreadyMatched:
            # Two instances both held a partition for a moment while the group rebalanced.
            log.info("another instance matched part of %s first; looking again", request["exposure_key"])
    return done


class ExposureMatcher:
    """Matches this instance's share of exposures others wrote down (checks every ``interval`` s)."""

    def __init__(self, uow_factory: Callable[..., AlertsUnitOfWork], interval: float = 1.0):
        self.uow_factory = uow_factory
        self.interval = interval

    def run(self, stop: threading.Event) -> None:
        said = None
        while not stop.wait(self.interval):
            try:
                match_unfinished(self.uow_factory)
            except Exception:  # noqa: BLE001 - the next round tries again; logged for operators
                log.warning("matching exposures failed; retrying", exc_info=True)
            problem = self.uow_factory(read_only=True).indexing.disagreement()
            if problem != said:
                (log.error if problem else log.info)(
                    problem or "partition counts agree: exposures are matched"
                )
                said = problem


def _parts(
    columns: dict[str, np.ndarray], positions: np.ndarray, partitions: frozenset[int]
) -> list[tuple[int, np.ndarray]]:
    """For each partition, which of ``positions`` (indexes into ``positions``) belong to it."""
    of = columns["partition"][positions]
    return [(p, np.flatnonzero(of == p)) for p in sorted(partitions)]


def _claim_and_publish(
    uow: AlertsUnitOfWork,
    request: dict[str, Any],
    summaries: list[tuple[int, dict[str, Any]]],
    subject: str,
    header: dict[str, Any],
    households: list[dict[str, Any]],
    **totals: Any,
) -> datetime:
    """Claim the partitions of ``summaries`` (one row each, with its summary) and publish their
    ``households`` as one part of the exposure, labelled with those partitions; when it was."""
    now = datetime.now(UTC)
    uow.alerts.add_exposure_parts(
        [
            {
                "exposure_key": request["exposure_key"],
                "partition": partition,
                "matched_by": uow.indexing.instance,
                "households": summary["households"],
                "summary": summary,
                "matched_at": now,
            }
            for partition, summary in summaries
        ]
    )
    part = rules.combined_summary([summary for _, summary in summaries])
    header = {
        **header,
        "partitions": [partition for partition, _ in summaries],
        "partition_count": request["partition_count"],
    }
    totals = {"households": part["households"], "people": part["people"], **totals}
    for event in exposure_events(subject, header, households, totals):
        uow.publish(EXPOSURES.name, event)
    return now


def _combined(uow: AlertsUnitOfWork, request: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The exposure so far, from every part stored (the caller holds the lock of what it updates);
    the request is finished once every partition is in."""
    parts = uow.alerts.exposure_part_summaries(request["exposure_key"])
    combined = rules.combined_summary([summary for _, summary in parts])
    combined["partitions_matched"] = len(parts)
    combined["partition_count"] = request["partition_count"]
    if request["footprint_id"] is None and request["version"] is not None:
        after = uow.alerts.after_alert(request["incident_id"], request["version"])
        if any(after.values()):
            combined["after_alert"] = after
    if len(parts) >= request["partition_count"]:
        uow.alerts.finish_exposure(request["exposure_key"], now)
    return combined


def _match_alert(
    uow: AlertsUnitOfWork,
    request: dict[str, Any],
    partitions: frozenset[int],
    columns: dict[str, np.ndarray],
    index: LocationIndex,
) -> int:
    shapes, band_of, said = read_stored_areas(request)
    exposure = compute_exposure(columns, shapes, index)
    positions, near = exposure["positions"], exposure["near"]
    bands = np.array(band_of or [""], dtype=object)[exposure["shape"]]
    summaries, kept = [], []
    for partition, at in _parts(columns, positions, partitions):
        summary = summarise(columns, positions[at], near[at], exposure["by_admin_code"][at])
        summary["by_band"] = _by_band(bands[at], columns["size"][positions[at]]) or [
            {"band": request["band"], "households": 0, "people": 0}
        ]
        summaries.append((partition, summary))
        kept.append(at)
    at = np.concatenate([np.empty(0, np.int64), *kept])
    ids = columns["household_id"][positions[at]].tolist()
    rows = [
        {
            "incident_id": request["incident_id"],
            "version": request["version"],
            "household_id": h,
            "area": a,
            "near_edge": bool(n),
        }
        for h, a, n in zip(ids, exposure["areas"][at].tolist(), near[at].tolist(), strict=True)
    ]
    uow.alerts.add_exposures(rows)
    households = [
        {"household_id": r["household_id"], "area": r["area"], "band": b, "near_edge": r["near_edge"]}
        | ({"statement": said[n]} if said[n] is not None else {})
        for r, b, n in zip(rows, bands[at].tolist(), exposure["shape"][at].tolist(), strict=True)
    ]
    now = _claim_and_publish(
        uow,
        request,
        summaries,
        request["incident_id"],
        {"incident_id": request["incident_id"], "version": request["version"]},
        households,
        may_trigger_transfers=request["may_trigger_transfers"],
    )
    incident = uow.alerts.lock_incident(request["incident_id"])
    combined = _combined(uow, request, now)
    if incident is not None and _shows(incident, request):
        uow.alerts.update_incident(request["incident_id"], exposure_summary=combined)
    return len(households)


def _by_band(bands: np.ndarray, sizes: np.ndarray) -> list[dict[str, Any]]:
    """Households and people in each band, the bands in order of first appearance."""
    names, first = np.unique(bands.astype(str), return_index=True)
    return [
        {
            "band": str(name),
            "households": int((bands == name).sum()),
            "people": int(sizes[bands == name].sum()),
        }
        for name in names[np.argsort(first)]
    ]


def _shows(incident: dict[str, Any], request: dict[str, Any]) -> bool:
    """Whether the incident shows this exposure: its version's areas are the latest it had (an
    expiry keeps them; an update or a cancellation does not)."""
    return incident["exposure_version"] == request["version"]


def _match_footprint(
    uow: AlertsUnitOfWork,
    request: dict[str, Any],
    partitions: frozenset[int],
    columns: dict[str, np.ndarray],
    index: LocationIndex,
) -> int:
    footprint = uow.alerts.footprint(request["footprint_id"])
    assert footprint is not None, f"exposure {request['exposure_key']} names no stored footprint"
    values, _, _, _ = intensities(footprint_source(footprint), columns, index)
    bands = Bands.from_thresholds(footprint["thresholds"])
    band_index = bands.classify(values)
    exposed = np.flatnonzero(band_index >= 0)
    summaries, kept = [], []
    for partition, at in _parts(columns, exposed, partitions):
        here = exposed[at]
        summary = summarise(columns, here, np.zeros(len(here), bool))
        summary["by_band"] = band_summary(bands, band_index[here], columns["size"][here])
        summaries.append((partition, summary))
        kept.append(here)
    chosen = np.concatenate([np.empty(0, np.int64), *kept])
    households = [
        {"household_id": h, "intensity": round(float(v), 3), "band": bands.names[b]}
        for h, v, b in zip(
            columns["household_id"][chosen].tolist(),
            values[chosen].tolist(),
            band_index[chosen].tolist(),
            strict=True,
        )
    ]
    # Who the footprint exposed, kept to tell a household arriving under it later from a repeat.
    uow.alerts.add_exposures(
        [
            {
                "incident_id": footprint["id"],
                "version": FOOTPRINT_VERSION,
                "household_id": h["household_id"],
                "area": h["band"],
                "near_edge": False,
            }
            for h in households
        ]
    )
    header = {
        "incident_id": footprint["incident_id"],
        "footprint_id": footprint["id"],
        "kind": footprint["kind"],
    }
    if request["version"] is not None:
        # The alert as it stood when the footprint was uploaded: decided against no older one.
        header["alert_version"] = request["version"]
    now = _claim_and_publish(
        uow, request, summaries, footprint["incident_id"] or footprint["id"], header, households
    )
    uow.alerts.lock_footprint(footprint["id"])
    uow.alerts.update_footprint(footprint["id"], summary=_combined(uow, request, now))
    return len(households)


#: The footprint's households are kept among the exposures under its own id and this version.
FOOTPRINT_VERSION = 0


def footprint_source(footprint: dict[str, Any]) -> FootprintSource:
    """How to read a stored footprint again: its raster as uploaded, or its WGS 84 features."""
    if footprint["raster"] is not None:
        return FootprintSource(
            bytes(footprint["raster"]), footprint["raster_type"], crs=footprint["raster_crs"]
        )
    return FootprintSource(json.dumps(footprint["geometry"]).encode(), "application/geo+json")
