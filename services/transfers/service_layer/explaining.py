"""Reading decisions back: an alert's exposures and evaluations, one household's explanations,
and deciding an alert again on request."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.transfers.domain.deciding import PROPOSED_STATUSES, explain
from services.transfers.domain.exposures import Incident
from services.transfers.domain.payments import Payment
from services.transfers.domain.programmes import parse_programme
from services.transfers.service_layer.deciding import decide_exposure, hold_deciding_lock
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.errors import Conflict, NotFound


class IncidentNotKnown(NotFound):
    pass


@dataclass(frozen=True)
class IncidentDecisions:
    """What transfers knows of an alert: its latest version, its exposures and evaluations as stored."""

    incident_id: str
    incident: Incident | None
    exposures: list[Any]
    evaluations: list[Any]
    #: The stages programmes reached over its exposures, and why.
    stages: list[dict[str, Any]]


@dataclass(frozen=True)
class HouseholdDecision:
    """One programme's decision about one household, with its explanation in plain words."""

    incident_id: str
    programme_id: str
    programme_version: int
    programme: str
    decided_at: datetime
    eligible: bool
    status: str
    band: str | None
    amount: Decimal
    explanation: list[str]


@dataclass(frozen=True)
class HouseholdDecisions:
    household_id: str
    decisions: list[HouseholdDecision]
    payments: list[Payment]


def incident_decisions(incident_id: str, uow: TransfersUnitOfWork) -> IncidentDecisions:
    """What transfers knows of an alert: its version, every exposure and what became of it, and
    every programme evaluation with its counts.

    :raise IncidentNotKnown: transfers has heard nothing of it.
    """
    with uow.reading() as reader:
        incident = reader.incidents.get(incident_id)
        found = reader.exposures.of_incident(incident_id)
        evaluated = reader.evaluations.of_incident(incident_id)
        stages = reader.stages.of_incident(incident_id)
    if incident is None and not found:
        raise IncidentNotKnown(f"transfers has heard nothing of alert {incident_id}")
    return IncidentDecisions(incident_id, incident, found, evaluated, stages)


def decide_again(incident_id: str, by: str, uow: TransfersUnitOfWork) -> dict[str, list[str]]:
    """Decide the alert's current exposures again (after a new programme, or households that reached
    transfers late). Households already in a batch are never proposed again.

    :return: what came of each exposure, by its key.
    :raise Conflict: the alert is not active, or none of its exposures has been decided.
    """
    with uow:
        hold_deciding_lock(uow, incident_id)
        incident = uow.incidents.get(incident_id, lock=True)
        if incident is None:
            raise IncidentNotKnown(f"transfers has heard nothing of alert {incident_id}")
        if incident.state != "active":
            raise Conflict(f"alert {incident_id} is {incident.state}; only an active alert is decided")
        keys = uow.exposures.decided_keys(incident_id, incident.version)
        if not keys:
            raise Conflict(f"no exposure of alert {incident_id} is ready to decide")
        return {key: decide_exposure(uow, key, incident, by=by) for key in keys}


def household_decisions(
    household_id: str, lang: str, covers: Callable[[str], bool], uow: TransfersUnitOfWork
) -> HouseholdDecisions:
    """Why the household was or was not paid, under each programme and alert, in plain words.

    :raise NotFound: unknown household, or outside the caller's jurisdiction.
    """
    return household_decisions_in((lang,), household_id, covers, uow)[lang]


def household_decisions_in(
    languages: Sequence[str], household_id: str, covers: Callable[[str], bool], uow: TransfersUnitOfWork
) -> dict[str, HouseholdDecisions]:
    """:func:`household_decisions` in each of ``languages``, read once.

    :raise NotFound: unknown household, or outside the caller's jurisdiction.
    """
    with uow.reading() as reader:
        attributes = reader.attributes.get(household_id)
        if attributes is None or not covers(attributes.admin_code):
            raise NotFound(f"household {household_id} is not known to transfers (in your jurisdiction)")
        rows = reader.evaluations.of_household(household_id)
        paid = reader.payments.of_household(household_id)
        stages = reader.stages.of_exposures(sorted({row.exposure_key for row in rows}))
    by_id = {p.id: p for p in paid}
    return {
        lang: HouseholdDecisions(
            household_id,
            [
                _explained(row, lang, by_id, stages.get((row.exposure_key, row.programme_id), {}))
                for row in rows
            ],
            paid,
        )
        for lang in languages
    }


def _triggered(stages: Mapping[str, Any], lang: str) -> list[str]:
    """Which statement reached which stage, with each condition as seen (lead time, parameters)."""
    lines = []
    for stage in ("readiness", "action"):
        found = stages.get(stage)
        if not found:
            continue
        name = {"readiness": "preparación", "action": "acción"}[stage] if lang == "es" else stage
        said = "; ".join(found["reasons"])
        lines.append(
            f"etapa de {name} alcanzada: {said}" if lang == "es" else f"{name} stage reached: {said}"
        )
    return lines


def _explained(
    row: Any, lang: str, paid: Mapping[str, Payment], stages: Mapping[str, Any]
) -> HouseholdDecision:
    programme = parse_programme(row.document)
    arithmetic = None
    if row.status in PROPOSED_STATUSES and row.size is not None:
        arithmetic = programme.benefit.arithmetic(
            row.size, row.vulnerable_members or 0, row.band, programme.currency, lang, row.enrolled or ""
        )
    return HouseholdDecision(
        incident_id=row.incident_id,
        programme_id=row.programme_id,
        programme_version=row.programme_version,
        programme=programme.name,
        decided_at=row.created_at,
        eligible=row.eligible,
        status=row.status,
        band=row.band,
        amount=row.amount,
        explanation=explain(
            programme,
            row.outcomes,
            row.status,
            float(row.amount),
            arithmetic,
            lang,
            float(row.requested),
            float(row.held or 0),
        )
        + _held_by(paid.get(row.held_by) if row.held_by else None, lang)
        + _triggered(stages, lang),
    )


def _held_by(payment: Payment | None, lang: str) -> list[str]:
    """Which payment already held the household's entitlement, and under which alert."""
    if payment is None:
        return []
    if lang == "es":
        return [
            f"su derecho lo tiene el pago {payment.end_to_end_id} ({payment.amount} {payment.currency}, "
            f"lote {payment.batch_id}, alerta {payment.incident_id}, estado {payment.state})"
        ]
    return [
        f"held by payment {payment.end_to_end_id} ({payment.amount} {payment.currency}, batch "
        f"{payment.batch_id}, alert {payment.incident_id}, {payment.state})"
    ]
