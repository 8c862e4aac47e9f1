"""What an exposure is: the households an alert's areas cover, their summary, and the events that
carry it (chunks, then a completion).

How an exposure is matched partition by partition, by whichever instances index them:
:mod:`services.alerts.service_layer.parts`.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from services.alerts.domain import incidents as rules
from services.alerts.domain.geometry import AreaShape
from services.alerts.domain.matching import Exposure, LocationIndex
from shared.admin_codes import within_mask
from shared.contracts import alerts as contract
from shared.contracts.household_groups import EXPOSURE_GROUPS
from shared.events import CloudEvent


def alert_exposure_key(incident_id: str, version: int) -> str:
    return f"alert:{incident_id}:{version}"


def footprint_exposure_key(footprint_id: str) -> str:
    return f"footprint:{footprint_id}"


def compute_exposure(
    columns: dict[str, np.ndarray], shapes: list[AreaShape], index: LocationIndex | None = None
) -> dict[str, Any]:
    """Match every shape against the households; a household inside several areas counts once,
    under the first area that covers it (callers put the strongest statement's areas first).
    ``index`` is the households' index when already built.

    :return: ``positions`` of the households, ``near`` (within their accuracy of an edge),
        ``shape`` (which of ``shapes`` exposes each), ``areas`` (its label), ``by_admin_code``
        (matched by code, having no coordinates) and the ``summary``.
    """
    if index is None:
        index = LocationIndex(columns["lon"], columns["lat"], columns["accuracy_m"])
    results = [_exactly(shape, _matched(index, shape), columns) for shape in shapes]
    coded_positions, coded_shapes = _by_admin_code(columns, shapes)
    all_positions = np.concatenate([np.empty(0, np.int64), *(r.positions for r in results), coded_positions])
    all_near = np.concatenate(
        [np.empty(0, bool), *(r.near_edge for r in results), np.zeros(len(coded_positions), bool)]
    )
    all_shapes = np.concatenate(
        [
            np.empty(0, np.int64),
            *(np.full(len(r.positions), n, dtype=np.int64) for n, r in enumerate(results)),
            coded_shapes,
        ]
    )
    all_coded = np.concatenate(
        [np.zeros(len(all_positions) - len(coded_positions), bool), np.ones(len(coded_positions), bool)]
    )
    positions, first = np.unique(all_positions, return_index=True)
    near, shape, by_admin_code = all_near[first], all_shapes[first], all_coded[first]
    # Which area matched is kept as a number per household and turned into its label at the end.
    labels = np.array(
        [s.label[:255] for s in shapes] + [f"{s.label[:230]} by admin code" for s in shapes], dtype=object
    )
    areas = labels[shape + np.where(by_admin_code, len(shapes), 0)] if len(shapes) else labels[:0]
    summary = summarise(columns, positions, near, by_admin_code)
    return {
        "positions": positions,
        "near": near,
        "shape": shape,
        "areas": areas,
        "by_admin_code": by_admin_code,
        "summary": summary,
    }


def _matched(index: LocationIndex, shape: AreaShape) -> Exposure:
    """The households the area covers: its polygons, and its circles measured on the ellipsoid."""
    if not shape.circles:
        return index.match(shape.geometry)
    return index.match(shape.polygons, shape.circles, within=shape.geometry)


def _exactly(shape: AreaShape, found: Exposure, columns: dict[str, np.ndarray]) -> Exposure:
    """Of the households the area covers, those it may reach: an area given by geocodes covers
    households of the geocodes' countries only (reference layers may overlap at borders, and a
    department's alert never reaches the next country's families)."""
    if shape.codes:
        registered = columns["admin_code"][found.positions].astype(str)
        mine = np.zeros(len(registered), dtype=bool)
        for country in {code.split("-", 1)[0] for code in shape.codes}:
            mine |= within_mask(registered, country)
        found = Exposure(found.positions[mine], found.near_edge[mine])
    return found


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
        {g: columns[g][positions] for g in EXPOSURE_GROUPS},
        near,
    )
    if by_admin_code is not None:
        summary["matched_by_admin_code"] = int(by_admin_code.sum())
    return summary


def _by_admin_code(columns: dict[str, np.ndarray], shapes: list[AreaShape]) -> tuple[np.ndarray, np.ndarray]:
    """Households without coordinates inside an area given by admin codes, and which shape names
    the code (in the order of ``shapes``)."""
    unlocated = np.flatnonzero(~np.isfinite(columns["lon"]) | ~np.isfinite(columns["lat"]))
    positions, which = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    if len(unlocated):
        codes = columns["admin_code"][unlocated].astype(str)
        for n, shape in enumerate(shapes):
            for code in shape.codes:
                hit = unlocated[within_mask(codes, code)]
                positions.append(hit)
                which.append(np.full(len(hit), n, dtype=np.int64))
    return np.concatenate(positions), np.concatenate(which)


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
