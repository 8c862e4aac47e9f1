"""Hazard events: every heard incident is placed in one; people link or split them; batches that
pay a household twice for one hazard event (linked after both were paid) are flagged for review.

Placing, linking and deciding hold one lock (``transfers hazard events``), taken after the
incident's deciding lock and before any programme's: a decision reads which incidents share its
hazard event, and nobody moves an incident between hazard events meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.transfers.domain.batches import SYSTEM
from services.transfers.domain.exposures import Incident
from services.transfers.domain.hazard_events import (
    CAP_INCIDENTS,
    FIRST_HEARD,
    PERSON,
    HazardEvent,
    Link,
    LinkRefused,
    cap_incident_names,
    check_person_link,
    link_heard,
    name_for,
    overlaps,
)
from services.transfers.service_layer.batches import now, save
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.audit import AuditEntry
from shared.auth import Principal
from shared.errors import NotFound

LOCK = "transfers hazard events"
#: Suggestions are looked for among this many of the newest hazard events.
SUGGESTED_AMONG = 200

Covers = Callable[[str], bool]


class HazardEventNotFound(NotFound):
    pass


def hold_lock(uow: TransfersUnitOfWork) -> None:
    """Wait for, then hold until commit, the right to read or change which incidents go together."""
    uow.lock(LOCK)


def place_incident(uow: TransfersUnitOfWork, incident: Incident) -> str:
    """Put a heard incident in its hazard event: the one of another incident naming the same CAP
    ``<incidents>``, or a new one; hazard events its names join are merged.

    :return: the hazard event's id.
    """
    hold_lock(uow)
    at = now()
    names = cap_incident_names(incident.summary)
    uow.hazard_events.note_names(incident.incident_id, names)
    link = uow.hazard_events.link_of(incident.incident_id)
    sharing = uow.hazard_events.sharing_names(incident.incident_id, names)
    linking = link_heard(link.hazard_event_id if link else None, sharing, names)
    target = linking.hazard_event_id
    if target is None:
        target = str(uuid.uuid4())
        uow.hazard_events.add(HazardEvent(target, name_for(incident.summary, incident.incident_id), at))
    if link is None:
        how = CAP_INCIDENTS if linking.note else FIRST_HEARD
        uow.hazard_events.link(Link(incident.incident_id, target, how, SYSTEM, at, linking.note))
        _audit(
            uow,
            SYSTEM,
            None,
            "linked" if linking.note else "opened",
            target,
            linking.note or incident.incident_id,
        )
    for source in linking.merged:
        moved = uow.hazard_events.merge(source, target, CAP_INCIDENTS, SYSTEM, at, linking.note)
        _audit(uow, SYSTEM, None, "merged", target, f"alerts {', '.join(moved)} joined: {linking.note}")
    if linking.merged:
        flag_paid_twice(uow, target, SYSTEM, None)
    return target


def flag_paid_twice(uow: TransfersUnitOfWork, hazard_event_id: str, by: str, role: str | None) -> int:
    """Flag for review every batch holding a household's second live payment of one programme for
    the hazard event (its incidents were each paid before they were linked).

    :return: how many batches were flagged.
    """
    incidents = uow.hazard_events.incidents_with_event(hazard_event_id)
    later: dict[str, list[str]] = {}
    for _programme, household, payments in uow.payments.held_twice(incidents):
        first = payments[0]
        for payment in payments[1:]:
            later.setdefault(payment.batch_id, []).append(
                f"household {household} holds payment {first.end_to_end_id} (batch {first.batch_id})"
            )
    flagged = 0
    for batch_id, lines in sorted(later.items()):
        batch = uow.batches.get(batch_id, lock=True)
        if batch is None or batch.review_reason:
            continue
        reason = (
            f"{len(lines)} households of this batch already hold a payment of this programme for the "
            f"same hazard event: review before any payment; e.g. {lines[0]}"
        )
        batch.flag_for_review(reason, by, role, now())
        save(uow, batch)
        flagged += 1
    return flagged


@dataclass(frozen=True)
class LinkIncidents:
    """Put ``incident_id`` in the hazard event of ``with_incident_id`` (both must be known)."""

    incident_id: str
    with_incident_id: str
    reason: str
    by: Principal
    role: str | None


@dataclass(frozen=True)
class SplitIncident:
    """Take ``incident_id`` out of its hazard event into one of its own."""

    incident_id: str
    reason: str
    by: Principal
    role: str | None


@dataclass(frozen=True)
class HazardEventView:
    event: HazardEvent
    summaries: dict[str, dict[str, Any]]
    #: Alerts of other hazard events that may concern the same hazard, and why.
    suggestions: list[dict[str, Any]]


def _reached(uow: TransfersUnitOfWork, incident_id: str, covers: Covers) -> Incident:
    """:raise HazardEventNotFound: unknown, or an alert reaching beyond the caller's jurisdiction."""
    incident = uow.incidents.get(incident_id)
    codes = (incident.summary.get("admin_codes") or []) if incident else []
    if incident is None or not codes or not all(covers(c) for c in codes):
        raise HazardEventNotFound(
            f"alert {incident_id} is not known to transfers, or reaches beyond your jurisdiction"
        )
    return incident


def link_incidents(command: LinkIncidents, uow: TransfersUnitOfWork) -> HazardEventView:
    """A person links two alerts into one hazard event (audited); households paid under both are
    flagged for review.

    :raise HazardEventNotFound: either alert is unknown or reaches beyond the person's jurisdiction;
    :raise LinkRefused: they are one hazard event already.
    """
    with uow:
        hold_lock(uow)
        for incident_id in (command.incident_id, command.with_incident_id):
            _reached(uow, incident_id, command.by.covers)
        moving = uow.hazard_events.link_of(command.incident_id)
        target_link = uow.hazard_events.link_of(command.with_incident_id)
        target = target_link.hazard_event_id if target_link else _open(uow, command.with_incident_id)
        check_person_link(moving.hazard_event_id if moving else None, target)
        at = now()
        note = f"{command.reason} (linked to alert {command.with_incident_id})"
        if moving is None:
            uow.hazard_events.link(Link(command.incident_id, target, PERSON, command.by.subject, at, note))
        else:
            uow.hazard_events.merge(moving.hazard_event_id, target, PERSON, command.by.subject, at, note)
        _audit(
            uow, command.by.subject, command.role, "linked", target, f"alert {command.incident_id}: {note}"
        )
        flag_paid_twice(uow, target, command.by.subject, command.role)
        found = uow.hazard_events.get(target)
    with uow.reading() as reader:
        return _view(reader, found)  # type: ignore[arg-type]


def split_incident(command: SplitIncident, uow: TransfersUnitOfWork) -> HazardEventView:
    """A person takes an alert out of its hazard event into one of its own (audited): from then on
    its households may be entitled again under it.

    :raise HazardEventNotFound: unknown, or reaching beyond the person's jurisdiction.
    """
    with uow:
        hold_lock(uow)
        incident = _reached(uow, command.incident_id, command.by.covers)
        link = uow.hazard_events.link_of(command.incident_id)
        if link is not None and uow.hazard_events.incidents_with(command.incident_id) == [
            command.incident_id
        ]:
            raise LinkRefused(f"alert {command.incident_id} is alone in its hazard event already")
        target = _open(uow, command.incident_id, incident.summary, link=False)
        at = now()
        uow.hazard_events.link(
            Link(command.incident_id, target, PERSON, command.by.subject, at, command.reason)
        )
        if link is not None:
            uow.hazard_events.drop_if_empty(link.hazard_event_id)
        _audit(
            uow,
            command.by.subject,
            command.role,
            "split",
            target,
            f"alert {command.incident_id}: {command.reason}",
        )
        found = uow.hazard_events.get(target)
    with uow.reading() as reader:
        return _view(reader, found)  # type: ignore[arg-type]


def list_hazard_events(uow: TransfersUnitOfWork, covers: Covers, limit: int = 100) -> list[HazardEventView]:
    """The newest hazard events reaching the caller's jurisdiction, with suggestions."""
    with uow.reading() as reader:
        views = _views(reader, reader.hazard_events.newest(limit))
    return [
        v for v in views if any(covers(c) for s in v.summaries.values() for c in s.get("admin_codes") or [])
    ]


def get_hazard_event(hazard_event_id: str, uow: TransfersUnitOfWork) -> HazardEventView:
    with uow.reading() as reader:
        found = reader.hazard_events.get(hazard_event_id)
        if found is None:
            raise HazardEventNotFound(f"no hazard event {hazard_event_id}")
        return _view(reader, found)


def _open(
    uow: TransfersUnitOfWork, incident_id: str, summary: dict[str, Any] | None = None, link: bool = True
) -> str:
    """A new hazard event named after the incident (linking the incident to it unless told not to)."""
    if summary is None:
        incident = uow.incidents.get(incident_id)
        summary = dict(incident.summary) if incident else {}
    at = now()
    event = HazardEvent(str(uuid.uuid4()), name_for(summary, incident_id), at)
    uow.hazard_events.add(event)
    if link:
        uow.hazard_events.link(Link(incident_id, event.id, FIRST_HEARD, SYSTEM, at))
    return event.id


def _view(reader: TransfersUnitOfWork, event: HazardEvent) -> HazardEventView:
    [view] = _views(reader, [event])
    return view


def _views(reader: TransfersUnitOfWork, events: list[HazardEvent]) -> list[HazardEventView]:
    """Each hazard event with its alerts' summaries and suggestions among the newest others (all
    read once, whatever the number of events shown)."""
    others = reader.hazard_events.newest(SUGGESTED_AMONG)
    wanted = {i for e in [*events, *others] for i in e.incident_ids}
    summaries = reader.hazard_events.summaries(sorted(wanted))
    views = []
    for event in events:
        mine = {i: summaries[i] for i in event.incident_ids if i in summaries}
        suggestions = []
        for other in others:
            if other.id == event.id:
                continue
            for incident_id in other.incident_ids:
                summary = summaries.get(incident_id) or {}
                why = next((w for s in mine.values() if (w := overlaps(s, summary))), [])
                if why:
                    suggestions.append(
                        {
                            "incident_id": incident_id,
                            "hazard_event_id": other.id,
                            "sender": summary.get("sender"),
                            "event": summary.get("event"),
                            "why": why,
                        }
                    )
        views.append(HazardEventView(event, mine, suggestions))
    return views


def _audit(
    uow: TransfersUnitOfWork, by: str, role: str | None, action: str, event_id: str, note: str
) -> None:
    uow.record(
        AuditEntry(
            by=by, action=action, subject_type="hazard_event", subject_id=event_id, role=role, comment=note
        )
    )
