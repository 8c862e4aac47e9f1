"""Grievances: filing a household's case with its explanation attached, reading cases, and filing
one from a household's reply to a message (an event from the registry).

What each outcome does is in :mod:`.grievance_outcomes`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from services.transfers.adapters.grievances import Filter
from services.transfers.domain import grievances as rules
from services.transfers.domain.households import HouseholdAttributes
from services.transfers.service_layer.batches import now
from services.transfers.service_layer.explaining import household_decisions_in
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.audit import AuditEntry
from shared.auth import FIELD_STAFF, HOTLINE_OPERATOR, Principal
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.events import CloudEvent

#: The name cases filed by a household's own reply are filed by.
HOUSEHOLD = "household (reply)"
#: What an erased household's notes say instead.
ERASED = "(erased)"


class Distances(Protocol):
    def of(self, incident_id: str, household_id: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class FileGrievance:
    household_id: str
    kind: str
    channel: str
    by: Principal
    incident_id: str | None = None
    programme_id: str | None = None
    note: str | None = None


def _everywhere(_: str) -> bool:
    return True


def file_grievance(command: FileGrievance, uow: TransfersUnitOfWork, distances: Distances) -> rules.Grievance:
    """A new case for a household in the caller's jurisdiction, explained and routed by its kind.

    :raise Forbidden: the caller files in a channel that is not theirs; :raise NotFound: the
        household (in the caller's jurisdiction), the alert or the programme is not known;
        :raise Conflict: the same case is already open.
    """
    by = command.by
    if not by.has_any_role(rules.FILERS):
        raise Forbidden(f"grievances are filed by {', '.join(rules.FILERS)}")
    if command.channel == rules.BY_REPLY:
        raise InvalidInput("a reply is filed by the household itself, through the registry")
    own = {rules.IN_PERSON: FIELD_STAFF, rules.BY_PHONE: HOTLINE_OPERATOR}.get(command.channel)
    if own is not None and own not in by.roles:
        raise Forbidden(f"the channel {command.channel} is for {own}")
    with uow.reading() as reader:
        attributes = _household(reader, command.household_id, by.covers)
        _known(reader, command.incident_id, command.programme_id)
    role = _filer_role(by)
    case = rules.filed(
        id=str(uuid.uuid4()),
        household_id=command.household_id,
        admin_code=attributes.admin_code,
        kind=command.kind,
        channel=command.channel,
        by=by.subject,
        role=role,
        at=now(),
        household_version=attributes.version,
        incident_id=command.incident_id,
        programme_id=command.programme_id,
        note=command.note,
    )
    case = replace(case, explanation=explanation_of(uow, attributes, case.incident_id, distances))
    with uow:
        same = uow.grievances.open_like(case.household_id, case.kind, case.incident_id)
        if same is not None:
            raise Conflict(f"grievance {same} of this household and kind is already open", grievance_id=same)
        uow.grievances.add(case)
        audit_step(uow, case, by.subject, role, "grievance_filed", f"{case.kind} via {case.channel}")
    return case


def _filer_role(by: Principal) -> str | None:
    return next((role for role in rules.FILERS if role in by.roles), None)


def _household(
    reader: TransfersUnitOfWork, household_id: str, covers: Callable[[str], bool]
) -> HouseholdAttributes:
    attributes = reader.attributes.get(household_id)
    if attributes is None or not covers(attributes.admin_code):
        raise NotFound(f"household {household_id} is not known to transfers (in your jurisdiction)")
    return attributes


def _known(reader: TransfersUnitOfWork, incident_id: str | None, programme_id: str | None) -> None:
    if incident_id is not None and reader.incidents.get(incident_id) is None:
        raise NotFound(f"transfers has heard nothing of alert {incident_id}")
    if programme_id is not None and reader.programmes.get(programme_id) is None:
        raise NotFound(f"no programme {programme_id}")


def explanation_of(
    uow: TransfersUnitOfWork,
    attributes: HouseholdAttributes,
    incident_id: str | None,
    distances: Distances | None,
) -> dict[str, Any]:
    """What transfers (and the alerts service, asked how far the household lies when no exposure of
    the alert names it) can say of the household: exposure, holds, decisions, payments, in words."""
    household_id = attributes.household_id
    with uow.reading() as reader:
        exposed = reader.exposures.naming(incident_id, household_id) if incident_id else []
        review = reader.attributes.review_of(household_id)
    decided = household_decisions_in(("en", "es"), household_id, _everywhere, uow)
    distance = None
    if incident_id and not exposed:
        distance = kept_distance(
            distances.of(incident_id, household_id) if distances else {"unavailable": "not asked"}
        )
    holds = ([f"probable duplicate under review: {review}"] if review else []) + (
        ["recorded consent does not cover emergency transfers"]
        if attributes.consent_emergency is False
        else []
    )
    decisions = [
        {
            "incident_id": d.incident_id,
            "programme_id": d.programme_id,
            "programme_version": d.programme_version,
            "programme": d.programme,
            "decided_at": d.decided_at.isoformat(),
            "status": d.status,
            "band": d.band,
            "amount": str(d.amount),
            "explanation": {"en": d.explanation, "es": decided["es"].decisions[i].explanation},
        }
        for i, d in enumerate(decided["en"].decisions)
        if incident_id is None or d.incident_id == incident_id
    ]
    payments = [
        {k: str(getattr(p, k)) if getattr(p, k) is not None else None for k in _PAYMENT_FIELDS}
        for p in decided["en"].payments
        if incident_id is None or p.incident_id == incident_id
    ]
    found = {
        "household_version": attributes.version,
        "status": attributes.status,
        "holds": holds,
        "exposed": exposed,
        "distance": distance,
        "decisions": decisions,
        "payments": payments,
    }
    return {**found, "summary": summary(found, incident_id)}


def kept_distance(answer: dict[str, Any]) -> dict[str, Any]:
    """What a case keeps of the alerts service's answer: inside or not, the nearest area and how
    far to a tenth of a kilometre — never a bearing, which with the distance and the area would
    place the household."""
    if "unavailable" in answer:
        return {"unavailable": str(answer["unavailable"])[:500]}
    near = answer.get("nearest")
    return {
        "inside": bool(answer.get("inside")),
        "located": bool(answer.get("located", True)),
        "nearest": None
        if not near
        else {"area": near.get("area"), "distance_km": round(float(near.get("distance_km") or 0), 1)},
    }


def forget_household(household_id: str, uow: TransfersUnitOfWork) -> int:
    """An erasure reaches the household's cases: the words they were filed, handed on and resolved
    with are blanked, and the distance from the alert's areas dropped (inside the inbox's
    transaction). :return: how many cases."""
    with uow:
        cases = uow.grievances.listed(Filter(household_id=household_id, limit=None), _everywhere)
        for case in cases:
            explained = {k: v for k, v in case.explanation.items() if k != "distance"}
            if "decisions" in explained:
                explained["summary"] = summary({**explained, "distance": None}, case.incident_id)
            uow.grievances.save(replace(case, note=ERASED, outcome_note=None, explanation=explained))
        uow.grievances.blank_step_notes(household_id)
        return len(cases)


_PAYMENT_FIELDS = ("end_to_end_id", "batch_id", "incident_id", "state", "amount", "currency", "reason")


def summary(found: dict[str, Any], incident_id: str | None) -> dict[str, list[str]]:
    """The explanation in a few sentences, in English and Spanish."""
    en: list[str] = []
    es: list[str] = []
    if found["status"] != "active":
        en.append(f"the registry lists the household as {found['status']}")
        es.append(f"el registro tiene el hogar como {found['status']}")
    for place in found["exposed"]:
        en.append(f"exposed by alert {incident_id} in band {place['band']}")
        es.append(f"expuesto por la alerta {incident_id} en la banda {place['band']}")
    _distance_words(found.get("distance"), incident_id, en, es)
    for hold in found["holds"]:
        en.append(f"held: {hold}")
        es.append(f"retenido: {_HOLDS_ES.get(hold, hold)}")
    if incident_id and not found["decisions"]:
        en.append(f"no programme decided on the household under alert {incident_id}")
        es.append(f"ningún programa decidió sobre el hogar bajo la alerta {incident_id}")
    for d in found["decisions"]:
        en.append(f"{d['programme']}: {d['status']}, {d['amount']}")
        es.append(f"{d['programme']}: {d['status']}, {d['amount']}")
    for p in found["payments"]:
        en.append(f"payment {p['end_to_end_id']}: {p['state']}, {p['amount']} {p['currency']}")
        es.append(f"pago {p['end_to_end_id']}: {p['state']}, {p['amount']} {p['currency']}")
    return {"en": en, "es": es}


_HOLDS_ES = {
    "recorded consent does not cover emergency transfers": (
        "el consentimiento registrado no cubre transferencias de emergencia"
    )
}


def _distance_words(
    distance: dict[str, Any] | None, incident_id: str | None, en: list[str], es: list[str]
) -> None:
    if not distance:
        return
    if "unavailable" in distance:
        en.append(f"how far it lies from alert {incident_id} is not known: {distance['unavailable']}")
        es.append(f"no se sabe a qué distancia está de la alerta {incident_id}: {distance['unavailable']}")
    elif not distance.get("located", True):
        en.append("the household has no coordinates: it is matched by its admin area")
        es.append("el hogar no tiene coordenadas: se compara por su área administrativa")
    elif distance.get("inside"):
        en.append(
            f"inside alert {incident_id}'s areas now, but in no exposure transfers received: its location "
            "changed after the alert was matched; the alert's next update will consider it"
        )
        es.append(
            f"dentro de las áreas de la alerta {incident_id} ahora, pero en ninguna exposición recibida "
            "(su ubicación cambió después de la comparación): la próxima actualización de la alerta "
            "lo considerará"
        )
    elif distance.get("nearest"):
        near = distance["nearest"]
        km = f"{float(near['distance_km']):.1f}"
        en.append(f"outside every area of alert {incident_id}: the nearest, {near['area']}, is {km} km away")
        es.append(
            f"fuera de todas las áreas de la alerta {incident_id}: la más cercana, {near['area']}, "
            f"está a {km.replace('.', ',')} km"
        )


def refresh_explanation(
    grievance_id: str, by: Principal, uow: TransfersUnitOfWork, distances: Distances
) -> rules.Grievance:
    """The case's explanation asked again (a reply's case, or after the alert changed); audited.

    :raise NotFound: unknown case, or outside the caller's jurisdiction.
    """
    case = get_grievance(grievance_id, by.covers, uow)
    case.check_open()  # before the alerts service is asked
    with uow.reading() as reader:
        attributes = _household(reader, case.household_id, _everywhere)
    explained = explanation_of(uow, attributes, case.incident_id, distances)
    with uow:
        case = locked_case(uow, grievance_id, by.covers).explained(explained, by.subject, now())
        uow.grievances.save(case)
        audit_step(uow, case, by.subject, None, "grievance_explained", None)
    return case


def get_grievance(
    grievance_id: str, covers: Callable[[str], bool], uow: TransfersUnitOfWork
) -> rules.Grievance:
    """:raise NotFound: unknown, or outside the caller's jurisdiction."""
    with uow.reading() as reader:
        return _seen(reader.grievances.get(grievance_id), grievance_id, covers)


def locked_case(
    uow: TransfersUnitOfWork, grievance_id: str, covers: Callable[[str], bool]
) -> rules.Grievance:
    """The case held until commit. :raise NotFound: unknown, or outside the caller's jurisdiction."""
    return _seen(uow.grievances.get(grievance_id, lock=True), grievance_id, covers)


def _seen(case: rules.Grievance | None, grievance_id: str, covers: Callable[[str], bool]) -> rules.Grievance:
    if case is None or not covers(case.admin_code):
        raise NotFound(f"no grievance {grievance_id} (in your jurisdiction)")
    return case


def list_grievances(
    which: Filter, covers: Callable[[str], bool], uow: TransfersUnitOfWork
) -> list[rules.Grievance]:
    with uow.reading() as reader:
        return reader.grievances.listed(which, covers)


def file_from_reply(event: CloudEvent, uow: TransfersUnitOfWork) -> bool:
    """A household replied to a message asking for help: a case, filed once per reply (inside the
    inbox's transaction), about the alert of the payment the message it answered was about. Its
    explanation has no distance: whoever takes it asks again.

    :raise InvalidInput: the event names no household or reply, or a household transfers does not know.
    """
    with uow:
        return _file_reply(event, uow)


def _file_reply(event: CloudEvent, uow: TransfersUnitOfWork) -> bool:
    data = event.data or {}
    household_id, reply_id = data.get("household_id"), data.get("reply_id")
    if not isinstance(household_id, str) or not isinstance(reply_id, str) or not household_id or not reply_id:
        raise InvalidInput(f"complaint event {event.id} names no household_id or reply_id")
    if uow.grievances.with_source(reply_id) is not None:
        return False
    attributes = uow.attributes.get(household_id)
    if attributes is None:
        raise InvalidInput(f"complaint event {event.id}: household {household_id} is not known to transfers")
    answered = next(
        (p for p in uow.payments.of_household(household_id) if p.id == data.get("payment_id")), None
    )
    said_incident = data.get("incident_id") if isinstance(data.get("incident_id"), str) else None
    incident_id = answered.incident_id if answered else said_incident
    if incident_id is not None and uow.incidents.get(incident_id) is None:
        incident_id = None
    kind = rules.kind_of_reply(data.get("kind"), data.get("message_kind"), incident_id is not None)
    same = uow.grievances.open_like(household_id, kind, incident_id)
    if same is not None:  # the household wrote again: one case, its history says so
        case = uow.grievances.get(same, lock=True)
        assert case is not None
        uow.grievances.save(case.written_again(HOUSEHOLD, now()))
        return True
    case = rules.filed(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"amparo:grievance:{reply_id}")),
        household_id=household_id,
        admin_code=attributes.admin_code,
        kind=kind,
        channel=rules.BY_REPLY,
        by=HOUSEHOLD,
        role=None,
        at=now(),
        household_version=attributes.version,
        incident_id=incident_id,
        programme_id=answered.programme_id if answered else data.get("programme_id") or None,
        note="the household replied to a message; its words are kept in the registry",
        source_id=reply_id,
    )
    case = replace(case, explanation=explanation_of(uow, attributes, incident_id, None))
    uow.grievances.add(case)
    audit_step(uow, case, HOUSEHOLD, None, "grievance_filed", f"{case.kind} via reply")
    return True


def audit_step(
    uow: TransfersUnitOfWork, case: rules.Grievance, by: str, role: str | None, action: str, note: str | None
) -> None:
    uow.record(
        AuditEntry(
            by=by, action=action, subject_type="grievance", subject_id=case.id, role=role, comment=note
        )
    )
