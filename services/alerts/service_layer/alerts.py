"""Receiving CAP messages: store them as received, follow their incident, match, publish.

Everything a message changes — the message row, the incident's new version, the exposure this
instance matches and the events — commits in one transaction, or nothing does. Partitions of the
households this instance does not index are matched by the instances that do
(:mod:`services.alerts.service_layer.parts`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely.geometry

from services.alerts.domain import incidents as rules
from services.alerts.domain.admin_layer import AdminLayer, layer_from_geojson
from services.alerts.domain.cap import CapError, CapMessage
from services.alerts.domain.errors import IncidentNotFound, LayerNotFound
from services.alerts.domain.geometry import AreaShape, geojson_shapes
from services.alerts.domain.jurisdiction import (
    EVERYWHERE,
    check_visible,
    check_within,
    covered_codes,
    visible,
)
from services.alerts.service_layer.areas import area_shapes, parse_cap
from services.alerts.service_layer.exposures import alert_exposure_key, compute_exposure
from services.alerts.service_layer.parts import match_mine, request_exposure
from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork
from shared.audit import AuditEntry
from shared.contracts import alerts as contract
from shared.errors import FieldProblem, InvalidInput
from shared.events import CloudEvent
from shared.kafka import ALERTS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LayerLoaded:
    """A reference layer as loaded: its scheme, how many areas, what was wrong with some."""

    scheme: str
    areas: int
    problems: list[str]


def load_layer(
    document: dict[str, Any], scheme: str, code_property: str, uow: AlertsUnitOfWork
) -> LayerLoaded:
    """Replace the reference layer of ``scheme`` with a GeoJSON FeatureCollection's areas.

    :raise InvalidInput: the document is not usable, naming why.
    """
    try:
        layer, problems = layer_from_geojson(document, scheme, code_property)
    except ValueError as exc:
        raise InvalidInput(str(exc), errors=[FieldProblem("/", str(exc))]) from exc
    with uow:
        uow.admin.replace_layer(layer)
    return LayerLoaded(scheme, len(layer.areas), problems)


def layers_loaded(uow: AlertsUnitOfWork) -> dict[str, int]:
    """The reference layers loaded: their number of areas by scheme."""
    with uow:
        return uow.admin.schemes()


def layer_features(scheme: str, uow: AlertsUnitOfWork) -> list[dict[str, Any]]:
    """One reference layer's areas as GeoJSON features, by code.

    :raise LayerNotFound: no layer of that scheme is loaded.
    """
    with uow:
        features = uow.admin.features(scheme)
    if not features:
        raise LayerNotFound(f"no reference layer {scheme!r} is loaded")
    return features


@dataclass(frozen=True)
class ReceiveCap:
    raw: bytes
    content_type: str
    received_by: str
    #: Where the sender may alert; every area of the message (and of the alert it updates or
    #: cancels) must lie inside it.
    jurisdiction: tuple[str, ...] = (EVERYWHERE,)


def receive_cap(
    command: ReceiveCap, uow: AlertsUnitOfWork, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> tuple[dict[str, Any], bool]:
    """Store a CAP message and bring its incident up to date.

    :return: the incident as it stands and whether the message was new (a message sent again is
        recognised by its sender and identifier and changes nothing).
    :raise CapError: the message is refused, naming why.
    """
    message = parse_cap(command.raw, command.content_type)
    warnings = list(message.warnings)
    moment = now()
    with uow:
        # One incident's messages are taken in turn, whichever instances receive them: the same
        # message twice is recognised, and versions are numbered one after the other.
        uow.alerts.hold_incident(rules.root_key(message))
        layers = uow.admin.layers()
        shapes = area_shapes(message, layers, warnings)
        standing = _check_may_take(uow, command, message, shapes, layers, warnings)
        existing = uow.alerts.message_by_key(message.key)
        if existing is not None:
            return incident_now(existing["incident_id"], uow), False
        message_id = str(uuid.uuid4())
        incident, current_sent = _incident_of(uow, message, message_id, moment)
        # Whose alert it is: where this message reaches, or (with no areas of its own: a
        # cancellation, say) where the alert stood.
        codes = covered_codes(shapes, layers) or covered_codes(standing, layers)
        summary = rules.summary(message, shapes) | {"admin_codes": codes}
        current = rules.supersedes(message, current_sent)
        if not current:
            warnings.append("this message is older than the incident's current one; kept for the record only")
        uow.alerts.add_message(
            {
                "id": message_id,
                "incident_id": incident["id"],
                "message_key": message.key,
                "sent": message.sent,
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
        if current:
            state = _advance(uow, incident, message, message_id, shapes, summary, moment)
            _record_accepted(uow, command, incident, message, state)
    with uow:
        return incident_now(incident["id"], uow), True


def _check_may_take(
    uow: AlertsUnitOfWork,
    command: ReceiveCap,
    message: CapMessage,
    shapes: list[AreaShape],
    layers: dict[str, AdminLayer],
    warnings: list[str],
) -> list[AreaShape]:
    """Refuse a message whose areas, or the areas of the alert it updates or cancels, lie outside the
    sender's jurisdiction, or that needed repairs from a sender in strict mode; return the areas of
    the alert as it stands.

    :raise OutsideJurisdiction: naming each area outside; :raise CapError: strict mode, naming each
        repair.
    """
    what = f"this {message.msg_type.value.lower()}"
    check_within(shapes, layers, command.jurisdiction, what)
    standing = _current_shapes(uow, message)
    check_within(standing, layers, command.jurisdiction, what)
    if warnings and uow.senders.strict(message.sender):
        raise CapError(
            f"{message.sender} sends in strict mode: the message is refused for what reading it "
            "needed (" + "; ".join(warnings[:3]) + ")",
            errors=[FieldProblem("/", warning) for warning in warnings],
        )
    return standing


def _current_shapes(uow: AlertsUnitOfWork, message: CapMessage) -> list[AreaShape]:
    """The areas of the alert ``message`` would update or cancel, as it stands: its latest message
    that had areas (a cancellation without ``<info>`` leaves the alert where it was drawn)."""
    incident = uow.alerts.incident_by_root(rules.root_key(message))
    summary = uow.alerts.latest_summary_with_areas(incident["id"]) if incident else None
    if summary is None:
        return []
    current = {"summary": summary}
    return [
        AreaShape(
            feature["properties"]["info"],
            feature["properties"]["area"],
            f"{feature['properties']['description']} (as the alert stands)",
            shapely.geometry.shape(feature["geometry"]),
        )
        for feature in (current["summary"].get("areas") or {}).get("features", [])
    ]


def _incident_of(
    uow: AlertsUnitOfWork, message: CapMessage, message_id: str, moment: datetime
) -> tuple[dict[str, Any], datetime | None]:
    """The incident ``message`` belongs to (opened with it if it is the first of its chain), and
    when its current message was sent (``None`` for a new one)."""
    incident = uow.alerts.incident_by_root(rules.root_key(message))
    if incident is not None:
        current = uow.alerts.message(incident["current_message_id"])
        return incident, current["sent"] if current else None
    incident = {
        "id": str(uuid.uuid4()),
        "root_key": rules.root_key(message),
        "current_message_id": message_id,
        "state": rules.state_of(message, moment),
        "version": 0,
        "expires": message.expires(),
        "exposure_summary": None,
        "updated_at": moment,
    }
    uow.alerts.add_incident(incident)
    return incident, None


def _record_accepted(
    uow: AlertsUnitOfWork, command: ReceiveCap, incident: dict[str, Any], message: CapMessage, state: str
) -> None:
    """The audit log's line for a message that became its incident's new version."""
    uow.record(
        AuditEntry(
            by=command.received_by,
            action="alert_cancelled" if state == rules.CANCELLED else "alert_accepted",
            subject_type="alert",
            subject_id=incident["id"],
            from_state=incident["state"] if incident["version"] else None,
            to_state=state,
            comment=f"CAP {message.msg_type.value} from {message.sender}, version {incident['version'] + 1}",
        )
    )


def _advance(
    uow: AlertsUnitOfWork,
    incident: dict[str, Any],
    message: CapMessage,
    message_id: str,
    shapes: list[AreaShape],
    summary: dict[str, Any],
    moment: datetime,
) -> str:
    """Make ``message`` the incident's current version: events, the exposure to match (this
    instance's partitions of it matched now); return its state."""
    version = incident["version"] + 1
    state = rules.state_of(message, moment)
    uow.alerts.update_incident(
        incident["id"],
        current_message_id=message_id,
        state=state,
        version=version,
        expires=message.expires(),
        exposure_summary=None,
        exposure_version=version if state == rules.ACTIVE and shapes else None,
        updated_at=moment,
    )
    kind = {rules.CANCELLED: contract.ALERT_CANCELLED}.get(
        state, contract.ALERT_UPDATED if version > 1 else contract.ALERT_ISSUED
    )
    data = {"incident_id": incident["id"], "version": version, "state": state, **summary}
    uow.publish(ALERTS.name, CloudEvent(type=kind, source=contract.SOURCE, subject=incident["id"], data=data))
    if state == rules.ACTIVE and shapes:
        key = alert_exposure_key(incident["id"], version)
        request_exposure(
            uow, key, incident_id=incident["id"], version=version, message=message, shapes=shapes
        )
        match_mine(uow, key)
    return state


@dataclass(frozen=True)
class WhatIf:
    """The exposure a draft would have (small counts left out), and what was wrong with it."""

    exposure: dict[str, Any]
    warnings: list[str]


def what_if(
    raw: bytes, content_type: str, uow: AlertsUnitOfWork, jurisdiction: Sequence[str] = (EVERYWHERE,)
) -> WhatIf:
    """The exposure a draft CAP message or GeoJSON area would have; nothing is stored or sent.

    :raise OutsideJurisdiction: an area lies outside ``jurisdiction`` (nobody counts another
        country's families).
    """
    warnings: list[str] = []
    message = None if content_type == "application/geo+json" else parse_cap(raw, content_type)
    drawn = geojson_shapes(raw, warnings) if message is None else []
    with uow:
        layers = uow.admin.layers()
        shapes = drawn if message is None else area_shapes(message, layers, warnings)
        check_within(shapes, layers, jurisdiction, "this what-if")
        columns, index = uow.indexing.every_location(uow.locations)
    summary = compute_exposure(columns, shapes, index)["summary"]
    return WhatIf(rules.without_small_counts(summary), warnings)


def incident_now(incident_id: str, uow: AlertsUnitOfWork) -> dict[str, Any]:
    """The incident as it stands (inside ``uow``): state, version, its current message's summary
    and warnings, its exposure summary, and every message it received, oldest first.

    :raise IncidentNotFound: unknown incident.
    """
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
        "messages": uow.alerts.messages_of(incident_id),
    }


def list_incidents(
    uow: AlertsUnitOfWork, limit: int = 100, jurisdiction: Sequence[str] = (EVERYWHERE,)
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The latest incidents within sight of ``jurisdiction``, the latest change first, each with
    its current message's summary."""
    with uow:
        incidents = uow.alerts.recent_incidents(limit)
        messages = {i["id"]: uow.alerts.message(i["current_message_id"]) for i in incidents}
    listed = [(incident, (messages[incident["id"]] or {}).get("summary") or {}) for incident in incidents]
    return [
        (incident, summary)
        for incident, summary in listed
        if visible(summary.get("admin_codes"), jurisdiction)
    ]


def get_incident(
    incident_id: str, uow: AlertsUnitOfWork, jurisdiction: Sequence[str] = (EVERYWHERE,)
) -> dict[str, Any]:
    """:func:`incident_now` in a unit of work of its own.

    :raise OutsideJurisdiction: the alert reaches none of ``jurisdiction``'s areas.
    """
    with uow:
        incident = incident_now(incident_id, uow)
    check_visible(incident["current"].get("admin_codes"), jurisdiction, f"alert {incident_id}")
    return incident


def exposure_grid(
    incident_id: str, cell_deg: float, uow: AlertsUnitOfWork, jurisdiction: Sequence[str] = (EVERYWHERE,)
) -> dict[str, Any]:
    """The current exposure of an incident on a grid (GeoJSON), small cells without counts.

    :raise OutsideJurisdiction: the alert reaches none of ``jurisdiction``'s areas.
    """
    with uow:
        incident = uow.alerts.incident(incident_id)
        if incident is None:
            raise IncidentNotFound(f"no alert {incident_id}")
        current = uow.alerts.message(incident["current_message_id"]) or {"summary": {}}
        check_visible(current["summary"].get("admin_codes"), jurisdiction, f"alert {incident_id}")
        if incident["exposure_version"] is None:
            lon, lat, people = np.empty(0), np.empty(0), np.empty(0)
        else:
            lon, lat, people = uow.alerts.exposed_points(incident_id, incident["exposure_version"])
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
                log.warning("expiring alerts failed; retrying", exc_info=True)
