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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely.geometry
from sqlalchemy.exc import IntegrityError

from services.alerts.adapters.repository import LOCATIONS, load_locations
from services.alerts.domain import incidents as rules
from services.alerts.domain.cap import CapMessage
from services.alerts.domain.footprints import Bands, band_summary
from services.alerts.domain.geometry import AreaShape
from services.alerts.domain.matching import LocationIndex
from services.alerts.service_layer.intensities import FootprintSource, intensities
from shared.admin_codes import within_mask
from shared.contracts import alerts as contract
from shared.events import CloudEvent
from shared.kafka import EXPOSURES, HOUSEHOLDS
from shared.partitions import PartitionAssignment

if TYPE_CHECKING:
    from services.alerts.service_layer.alerts import AlertsUnitOfWork

log = logging.getLogger(__name__)

GROUPS = ("children_under_5", "elderly_65_plus", "persons_with_disabilities", "female_headed")


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
        self, session: Any, partitions: frozenset[int]
    ) -> tuple[dict[str, np.ndarray], LocationIndex]:
        """The households of ``partitions`` (a value of :meth:`partitions`) and their index, kept
        between exposures."""
        if self.whole:
            return LOCATIONS.get(session)
        return LOCATIONS.get(session, partitions)

    def every_location(self, session: Any) -> tuple[dict[str, np.ndarray], LocationIndex]:
        """Every household, for a what-if: the kept index if it holds them all, else read now."""
        if self.whole:
            return LOCATIONS.get(session)
        columns = load_locations(session)
        return columns, LocationIndex(columns["lon"], columns["lat"], columns["accuracy_m"])

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


def alert_exposure_key(incident_id: str, version: int) -> str:
    return f"alert:{incident_id}:{version}"


def footprint_exposure_key(footprint_id: str) -> str:
    return f"footprint:{footprint_id}"


def compute_exposure(
    columns: dict[str, np.ndarray], shapes: list[AreaShape], index: LocationIndex | None = None
) -> dict[str, Any]:
    """Match every shape against the households; a household inside several areas counts once,
    under the first area that covers it. ``index`` is the households' index when already built."""
    if index is None:
        index = LocationIndex(columns["lon"], columns["lat"], columns["accuracy_m"])
    results = [index.match(shape.geometry) for shape in shapes]
    by_code = _by_admin_code(columns, shapes)
    # Which area matched is kept as a number per household and turned into its label at the end.
    labels = np.array([s.label[:255] for s in shapes] + list(by_code[1]), dtype=object)
    all_positions = np.concatenate([np.empty(0, np.int64), *(r.positions for r in results), by_code[0]])
    all_near = np.concatenate(
        [np.empty(0, bool), *(r.near_edge for r in results), np.zeros(len(by_code[0]), bool)]
    )
    all_areas = np.concatenate(
        [
            np.empty(0, np.int64),
            *(np.full(len(r.positions), n, dtype=np.int64) for n, r in enumerate(results)),
            np.arange(len(shapes), len(shapes) + len(by_code[0]), dtype=np.int64),
        ]
    )
    positions, first = np.unique(all_positions, return_index=True)
    near, areas = all_near[first], labels[all_areas[first]]
    by_admin_code = np.isin(positions, by_code[0])
    summary = summarise(columns, positions, near, by_admin_code)
    return {
        "positions": positions,
        "near": near,
        "areas": areas,
        "by_admin_code": by_admin_code,
        "summary": summary,
    }


def summarise(
    columns: dict[str, np.ndarray],
    positions: np.ndarray,
    near: np.ndarray,
    by_admin_code: np.ndarray | None = None,
) -> dict[str, Any]:
    """The exposure summary of the households at ``positions`` (aggregates only)."""
    summary = rules.exposure_summary(
        columns["admin_code"][positions],
        columns["size"][positions],
        {g: columns[g][positions] for g in GROUPS},
        near,
    )
    if by_admin_code is not None:
        summary["matched_by_admin_code"] = int(by_admin_code.sum())
    return summary


def _by_admin_code(columns: dict[str, np.ndarray], shapes: list[AreaShape]) -> tuple[np.ndarray, np.ndarray]:
    """Households without coordinates inside an area given by admin codes (flagged as such)."""
    unlocated = np.flatnonzero(~np.isfinite(columns["lon"]) | ~np.isfinite(columns["lat"]))
    positions, labels = [np.empty(0, np.int64)], [np.empty(0, object)]
    if len(unlocated):
        codes = columns["admin_code"][unlocated].astype(str)
        for shape in shapes:
            for code in shape.codes:
                hit = unlocated[within_mask(codes, code)]
                positions.append(hit)
                labels.append(np.full(len(hit), f"{shape.label[:230]} by admin code", dtype=object))
    return np.concatenate(positions), np.concatenate(labels)


def chunked(items: list[dict[str, Any]], most: int, budget: int) -> list[list[dict[str, Any]]]:
    """Consecutive runs of ``items``, each at most ``most`` long and ``budget`` bytes of JSON."""
    chunks: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    used = 0
    for item in items:
        cost = len(json.dumps(item)) + 1  # escaped ASCII: never shorter than the UTF-8 form
        if current and (len(current) >= most or used + cost > budget):
            chunks.append(current)
            current, used = [], 0
        current.append(item)
        used += cost
    if current:
        chunks.append(current)
    return chunks


def exposure_events(
    subject: str, header: dict[str, Any], households: list[dict[str, Any]], totals: dict[str, Any]
) -> list[CloudEvent]:
    """An exposure as events: chunks of at most ``CHUNK_SIZE`` households and ``CHUNK_BYTES`` of
    JSON (long area names make each household larger), then a completion
    event with the totals. ``header`` (incident, version, footprint…) goes into every event."""
    chunks = chunked(households, contract.CHUNK_SIZE, contract.CHUNK_BYTES) or [[]]
    events = [
        CloudEvent(
            type=contract.EXPOSURE_CHUNK,
            source=contract.SOURCE,
            subject=subject,
            data={**header, "chunk": n, "chunks": len(chunks), "households": chunk},
        )
        for n, chunk in enumerate(chunks)
    ]
    events.append(
        CloudEvent(
            type=contract.EXPOSURE_COMPLETED,
            source=contract.SOURCE,
            subject=subject,
            data={**header, "chunks": len(chunks), **totals},
        )
    )
    return events


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
            "areas": [_stored_shape(shape) for shape in shapes] if message is not None else None,
            # An area carries no intensity: every household in it is in the message's severity band.
            "band": (message.infos[0].severity if message.infos else "Unknown") if message else None,
            "may_trigger_transfers": message.may_trigger_transfers if message else None,
            "partition_count": uow.indexing.partition_count,
            "created_at": datetime.now(UTC),
        }
    )


def _stored_shape(shape: AreaShape) -> dict[str, Any]:
    return {
        "info": shape.info,
        "area": shape.area,
        "description": shape.description,
        "geometry": shapely.geometry.mapping(shape.geometry),
        "codes": list(shape.codes),
    }


def _read_shape(stored: dict[str, Any]) -> AreaShape:
    return AreaShape(
        stored["info"],
        stored["area"],
        stored["description"],
        shapely.geometry.shape(stored["geometry"]),
        tuple(stored["codes"]),
    )


def match_mine(uow: AlertsUnitOfWork, key: str) -> frozenset[int]:
    """Match and publish the partitions of exposure ``key`` this instance indexes that no one has
    matched yet (in the caller's transaction); return them.

    Nothing is matched while households are stored on partitions beyond those declared (they
    would be left out of every part): the alert stands, and the error is logged until the
    partition counts agree.

    :raise IntegrityError: another instance claimed one of them first (nothing of this is kept).
    """
    request = uow.alerts.exposure_request(key)
    owned = uow.indexing.partitions()
    if request is None or request["completed_at"] is not None or not owned:
        return frozenset()
    matched = {p for p, _ in uow.alerts.exposure_part_summaries(key)}
    wanted = frozenset(p for p in owned if p < request["partition_count"] and p not in matched)
    if not wanted:
        return wanted
    beyond = uow.alerts.households_beyond(request["partition_count"])
    if beyond:
        log.error(
            "households on %s partitions %s, beyond the %d declared: %s is not matched until they agree",
            HOUSEHOLDS.name,
            beyond,
            request["partition_count"],
            key,
        )
        return frozenset()
    columns, index = uow.indexing.locations(uow.session, owned)
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
        except IntegrityError as exc:
            if "exposure_parts" not in str(exc.orig):
                raise
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
    shapes = [_read_shape(stored) for stored in request["areas"]]
    exposure = compute_exposure(columns, shapes, index)
    positions, near = exposure["positions"], exposure["near"]
    band = request["band"]
    summaries, kept = [], []
    for partition, at in _parts(columns, positions, partitions):
        summary = summarise(columns, positions[at], near[at], exposure["by_admin_code"][at])
        summary["by_band"] = [
            {"band": band, "households": summary["households"], "people": summary["people"]}
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
        {"household_id": r["household_id"], "area": r["area"], "band": band, "near_edge": r["near_edge"]}
        for r in rows
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


def footprint_source(footprint: dict[str, Any]) -> FootprintSource:
    """How to read a stored footprint again: its raster as uploaded, or its WGS 84 features."""
    if footprint["raster"] is not None:
        return FootprintSource(
            bytes(footprint["raster"]), footprint["raster_type"], crs=footprint["raster_crs"]
        )
    return FootprintSource(json.dumps(footprint["geometry"]).encode(), "application/geo+json")
