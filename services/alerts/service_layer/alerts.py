"""Receiving CAP messages: store them as received, follow their incident, match, publish.

Everything a message changes — the message row, the incident's new version, its exposures and
the events — commits in one transaction, or nothing does.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely

from services.alerts.adapters.cap_json import cap_json_to_xml
from services.alerts.adapters.cap_xml import parse_cap_xml
from services.alerts.adapters.orm import audit
from services.alerts.adapters.repository import LOCATIONS, AdminAreaRepository, AlertRepository
from services.alerts.domain import incidents as rules
from services.alerts.domain.admin_layer import AdminLayer, layer_from_geojson
from services.alerts.domain.cap import CapMessage
from services.alerts.domain.geometry import AreaShape, geojson_shapes, message_shapes
from services.alerts.domain.matching import LocationIndex
from shared.admin_codes import within_mask
from shared.audit import AuditEntry
from shared.contracts import alerts as contract
from shared.db import as_read, as_stored
from shared.errors import FieldProblem, InvalidInput, NotFound
from shared.events import CloudEvent
from shared.kafka import ALERTS, EXPOSURES
from shared.uow import UnitOfWork

GROUPS = ("children_under_5", "elderly_65_plus", "persons_with_disabilities", "female_headed")


class AlertsUnitOfWork(UnitOfWork):
    alerts: AlertRepository
    admin: AdminAreaRepository
    audit = audit

    def __enter__(self) -> AlertsUnitOfWork:
        super().__enter__()
        self.alerts = AlertRepository(self.session)
        self.admin = AdminAreaRepository(self.session)
        return self


def area_shapes(message: CapMessage, layers: dict[str, AdminLayer], warnings: list[str]) -> list[AreaShape]:
    """Polygons and circles, checked against the reference layers; areas given by geocodes only
    resolved through the layer of the same scheme (the geocode's valueName)."""
    shapes = message_shapes(message, warnings)
    for shape in shapes:
        for layer in layers.values():
            layer.check_placement(shape.geometry, f"/info/{shape.info}/area/{shape.area}", warnings)
    by_scheme = {scheme.upper(): layer for scheme, layer in layers.items()}
    for i, info in enumerate(message.infos):
        for k, area in enumerate(info.areas):
            if area.polygons or area.circles or not area.geocodes:
                continue
            resolved: list[tuple[str, Any]] = []
            for name, value in area.geocodes:
                layer = by_scheme.get(name.upper())
                if layer is None:
                    warnings.append(f"/info/{i}/area/{k}: no reference layer for geocode scheme {name!r}")
                    continue
                found, missing = layer.resolve([value])
                resolved += found
                warnings += [
                    f"/info/{i}/area/{k}: geocode {name} {code!r} matches nothing" for code in missing
                ]
            if resolved:
                geometry = shapely.union_all([shape for _, shape in resolved])
                shapes.append(
                    AreaShape(i, k, area.description, geometry, tuple(code for code, _ in resolved))
                )
    return shapes


def load_layer(
    document: dict[str, Any], scheme: str, code_property: str, uow: AlertsUnitOfWork
) -> dict[str, Any]:
    """Replace the reference layer of ``scheme`` with a GeoJSON FeatureCollection's areas.

    :raise InvalidInput: the document is not usable, naming why.
    """
    try:
        layer, problems = layer_from_geojson(document, scheme, code_property)
    except ValueError as exc:
        raise InvalidInput(str(exc), errors=[FieldProblem("/", str(exc))]) from exc
    with uow:
        uow.admin.replace_layer(layer)
    return {"scheme": scheme, "areas": len(layer.areas), "problems": problems}


class IncidentNotFound(NotFound):
    pass


class LayerNotFound(NotFound):
    pass


@dataclass(frozen=True)
class ReceiveCap:
    raw: bytes
    content_type: str
    received_by: str


CAP_JSON_TYPES = ("application/json", "application/cap+json")


def parse_cap(raw: bytes, content_type: str) -> CapMessage:
    """A CAP message from XML or from its JSON equivalent (validated the same way)."""
    if content_type in CAP_JSON_TYPES:
        return parse_cap_xml(cap_json_to_xml(raw))
    return parse_cap_xml(raw)


def receive_cap(
    command: ReceiveCap, uow: AlertsUnitOfWork, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> tuple[dict[str, Any], bool]:
    """Store a CAP message and bring its incident up to date.

    :return: the incident view and whether the message was new (a message sent again is
        recognised by its sender and identifier and changes nothing).
    :raise CapError: the message is refused, naming why.
    """
    message = parse_cap(command.raw, command.content_type)
    warnings = list(message.warnings)
    moment = now()
    with uow:
        shapes = area_shapes(message, uow.admin.layers(), warnings)
        existing = uow.alerts.message_by_key(message.key)
        if existing is not None:
            return incident_view(existing["incident_id"], uow), False
        incident = uow.alerts.incident_by_root(rules.root_key(message))
        message_id = str(uuid.uuid4())
        if incident is None:
            incident = {
                "id": str(uuid.uuid4()),
                "root_key": rules.root_key(message),
                "current_message_id": message_id,
                "state": rules.state_of(message, moment),
                "version": 0,
                "expires": as_stored(message.expires()),
                "exposure_summary": None,
                "updated_at": moment,
            }
            uow.alerts.add_incident(incident)
            current_sent = None
        else:
            current = uow.alerts.message(incident["current_message_id"])
            current_sent = as_read(current["sent"]) if current else None
        summary = rules.summary(message, shapes)
        if not rules.supersedes(message, current_sent):
            warnings.append("this message is older than the incident's current one; kept for the record only")
        uow.alerts.add_message(
            {
                "id": message_id,
                "incident_id": incident["id"],
                "message_key": message.key,
                "sent": as_stored(message.sent),
                "status": message.status,
                "msg_type": message.msg_type.value,
                "summary": summary,
                "warnings": warnings,
                "original": command.raw,
                "content_type": command.content_type,
                "received_at": moment,
                "received_by": command.received_by,
            }
        )
        if rules.supersedes(message, current_sent):
            state = _advance(uow, incident, message, message_id, shapes, summary, moment)
            uow.record(
                AuditEntry(
                    by=command.received_by,
                    action="alert_cancelled" if state == rules.CANCELLED else "alert_accepted",
                    subject_type="alert",
                    subject_id=incident["id"],
                    from_state=incident["state"] if incident["version"] else None,
                    to_state=state,
                    comment=f"CAP {message.msg_type.value} from {message.sender}, "
                    f"version {incident['version'] + 1}",
                )
            )
    with uow:
        return incident_view(incident["id"], uow), True


def _advance(
    uow: AlertsUnitOfWork,
    incident: dict[str, Any],
    message: CapMessage,
    message_id: str,
    shapes: list,
    summary: dict[str, Any],
    moment: datetime,
) -> str:
    """Make ``message`` the incident's current version: exposure, summary, events; return its state."""
    version = incident["version"] + 1
    state = rules.state_of(message, moment)
    exposure = None
    if state == rules.ACTIVE and shapes:
        exposure = _expose(uow, incident["id"], version, shapes)
        # An area carries no intensity: every household in it is in the message's severity band.
        band = message.infos[0].severity if message.infos else "Unknown"
        exposure["summary"]["by_band"] = [
            {
                "band": band,
                "households": exposure["summary"]["households"],
                "people": exposure["summary"]["people"],
            }
        ]
    uow.alerts.update_incident(
        incident["id"],
        current_message_id=message_id,
        state=state,
        version=version,
        expires=as_stored(message.expires()),
        exposure_summary=exposure["summary"] if exposure else None,
        updated_at=moment,
    )
    kind = {rules.CANCELLED: contract.ALERT_CANCELLED}.get(
        state, contract.ALERT_UPDATED if version > 1 else contract.ALERT_ISSUED
    )
    data = {"incident_id": incident["id"], "version": version, "state": state, **summary}
    uow.publish(ALERTS.name, CloudEvent(type=kind, source=contract.SOURCE, subject=incident["id"], data=data))
    if exposure is not None:
        for event in _exposure_events(incident["id"], version, message, exposure):
            uow.publish(EXPOSURES.name, event)
    return state


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
    summary = rules.exposure_summary(
        columns["admin_code"][positions],
        columns["size"][positions],
        {g: columns[g][positions] for g in GROUPS},
        near,
    )
    summary["matched_by_admin_code"] = int(np.isin(positions, by_code[0]).sum())
    return {"positions": positions, "near": near, "areas": areas, "summary": summary}


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


def _expose(uow: AlertsUnitOfWork, incident_id: str, version: int, shapes: list[AreaShape]) -> dict[str, Any]:
    columns, index = LOCATIONS.get(uow.session)
    exposure = compute_exposure(columns, shapes, index)
    ids = columns["household_id"][exposure["positions"]]
    rows = [
        {"incident_id": incident_id, "version": version, "household_id": h, "area": a, "near_edge": bool(n)}
        for h, a, n in zip(ids.tolist(), exposure["areas"].tolist(), exposure["near"].tolist(), strict=True)
    ]
    uow.alerts.add_exposures(rows)
    return {"summary": exposure["summary"], "rows": rows}


def what_if(raw: bytes, content_type: str, uow: AlertsUnitOfWork) -> dict[str, Any]:
    """The exposure a draft CAP message or GeoJSON area would have; nothing is stored or sent."""
    warnings: list[str] = []
    if content_type == "application/geo+json":
        shapes = geojson_shapes(raw, warnings)
        with uow:
            columns, index = LOCATIONS.get(uow.session)
    else:
        message = parse_cap(raw, content_type)
        with uow:
            shapes = area_shapes(message, uow.admin.layers(), warnings)
            columns, index = LOCATIONS.get(uow.session)
    summary = compute_exposure(columns, shapes, index)["summary"]
    return {"exposure": rules.without_small_counts(summary), "warnings": warnings}


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


def _exposure_events(
    incident_id: str, version: int, message: CapMessage, exposure: dict[str, Any]
) -> list[CloudEvent]:
    band = message.infos[0].severity if message.infos else "Unknown"
    households = [
        {"household_id": r["household_id"], "area": r["area"], "band": band, "near_edge": r["near_edge"]}
        for r in exposure["rows"]
    ]
    summary = exposure["summary"]
    totals = {
        "households": summary["households"],
        "people": summary["people"],
        "may_trigger_transfers": message.may_trigger_transfers,
    }
    return exposure_events(incident_id, {"incident_id": incident_id, "version": version}, households, totals)


def incident_view(incident_id: str, uow: AlertsUnitOfWork) -> dict[str, Any]:
    """The incident: state, version, current message summary, exposure summary, message history."""
    incident = uow.alerts.incident(incident_id)
    if incident is None:
        raise IncidentNotFound(f"no alert {incident_id}")
    current = uow.alerts.message(incident["current_message_id"])
    assert current is not None
    return {
        "id": incident["id"],
        "state": incident["state"],
        "version": incident["version"],
        "current": current["summary"],
        "warnings": current["warnings"],
        "exposure": incident["exposure_summary"],
        "messages": [
            {**m, "sent": as_read(m["sent"]).isoformat()} for m in uow.alerts.messages_of(incident_id)
        ],
    }


#: What an alert list shows of each incident's current message.
LISTED_FIELDS = (
    "event",
    "headline",
    "sender",
    "sent",
    "expires",
    "status",
    "urgency",
    "severity",
    "certainty",
)


def list_incidents(uow: AlertsUnitOfWork, limit: int = 100) -> list[dict[str, Any]]:
    """The latest incidents, for a list or a map: what, how bad, until when, how many exposed."""
    with uow:
        incidents = uow.alerts.recent_incidents(limit)
        messages = {i["id"]: uow.alerts.message(i["current_message_id"]) for i in incidents}
    listed = []
    for incident in incidents:
        current = (messages[incident["id"]] or {}).get("summary") or {}
        exposure = incident["exposure_summary"] or {}
        listed.append(
            {
                "id": incident["id"],
                "state": incident["state"],
                "version": incident["version"],
                "updated_at": as_read(incident["updated_at"]).isoformat(),
                **{key: current.get(key) for key in LISTED_FIELDS},
                "households": exposure.get("households"),
                "people": exposure.get("people"),
            }
        )
    return listed


def get_incident(incident_id: str, uow: AlertsUnitOfWork) -> dict[str, Any]:
    with uow:
        return incident_view(incident_id, uow)


def exposure_grid(incident_id: str, cell_deg: float, uow: AlertsUnitOfWork) -> dict[str, Any]:
    """The current exposure of an incident on a grid (GeoJSON), small cells without counts."""
    with uow:
        incident = uow.alerts.incident(incident_id)
        if incident is None:
            raise IncidentNotFound(f"no alert {incident_id}")
        lon, lat, people = uow.alerts.exposed_points(incident_id, incident["version"])
    return rules.exposure_grid(lon, lat, people, cell_deg)


def expire_due(uow: AlertsUnitOfWork, now: datetime) -> int:
    """Mark every active incident whose ``expires`` has passed as expired, with its event."""
    with uow:
        due = uow.alerts.due_to_expire(now)
        for incident in due:
            version = incident["version"] + 1
            uow.alerts.update_incident(incident["id"], state=rules.EXPIRED, version=version, updated_at=now)
            current = uow.alerts.message(incident["current_message_id"]) or {"summary": {}}
            data = {
                "incident_id": incident["id"],
                "version": version,
                "state": rules.EXPIRED,
                **current["summary"],
            }
            uow.publish(
                ALERTS.name,
                CloudEvent(
                    type=contract.ALERT_EXPIRED, source=contract.SOURCE, subject=incident["id"], data=data
                ),
            )
        return len(due)


class ExpiryWorker:
    """Expires incidents as their time passes (checks every ``interval`` seconds)."""

    def __init__(self, uow_factory: Callable[[], AlertsUnitOfWork], interval: float = 15.0):
        self.uow_factory = uow_factory
        self.interval = interval

    def run(self, stop: Any) -> None:
        while not stop.wait(self.interval):
            try:
                expire_due(self.uow_factory(), datetime.now(UTC))
            except Exception:  # noqa: BLE001 - the next round tries again; logged for operators
                import logging

                logging.getLogger(__name__).warning("expiring alerts failed; retrying", exc_info=True)
