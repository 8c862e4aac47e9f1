"""Deciding on alerts: every triggered programme over every exposed household, once per incident.

The alerts service publishes an incident's versions on ``alerts.alerts`` and each version's
exposure (and each hazard footprint's) on ``alerts.exposures``, in parts (see :mod:`.collecting`).
The two topics are not ordered with each other, so an exposure is decided only when it is whole and
the alert version it belongs to has arrived, whichever comes last. Everything here runs inside the
consumer's inbox transaction: a decision, its batch, its payments and their events are stored
together or not at all; and it holds the incident's deciding lock, so several transfers instances
never decide one incident side by side.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from services.transfers.domain.assessments import with_findings
from services.transfers.domain.batches import Proposal
from services.transfers.domain.deciding import NOT_ELIGIBLE, Evaluation, Holding, of_households, of_statements
from services.transfers.domain.exposures import (
    DECIDABLE_ALERT_STATES,
    DECIDED,
    WAITING_FOR_ALERT,
    WITH_AREAS,
    Incident,
    still_collecting,
)
from services.transfers.domain.payments import LIVE_PAYMENT_STATES, REJECTED, WITHDRAWN
from services.transfers.domain.programme_versions import ProgrammeVersion
from services.transfers.domain.programmes import Programme
from services.transfers.domain.triggers import ACTION, READINESS, StageReached
from services.transfers.service_layer.batches import now, propose_batch, withdraw_for_cancellation
from services.transfers.service_layer.hazard_events import hold_lock as hold_hazard_events_lock
from services.transfers.service_layer.hazard_events import place_incident
from services.transfers.service_layer.readiness import tell_ready
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.contracts import alerts as alert_contract
from shared.events import CloudEvent

log = logging.getLogger(__name__)


def hold_deciding_lock(uow: TransfersUnitOfWork, incident_id: str) -> None:
    """Wait for, then hold until commit, the right to decide for one incident.

    Several transfers instances apply ``alerts.alerts`` and ``alerts.exposures`` at once, so an
    alert version and the last part of its exposure may be applied side by side: each transaction
    would miss the other's uncommitted work (nobody decides) or both would see everything (both
    decide). Every handler that may decide takes this lock before reading anything it decides on.
    Budgets across incidents stay safe without it: :func:`decide_programme` locks the programme.
    """
    uow.lock(f"transfers deciding {incident_id}")


def apply_alert_event(event: CloudEvent, uow: TransfersUnitOfWork) -> bool:
    """Keep the incident's latest version; withdraw its batches when it is cancelled; decide the
    exposures that waited for this version.

    :return: ``False`` for a version older than the one stored.
    :raise InvalidInput: the event names no incident or version (it is dead-lettered).
    """
    data = event.data or {}
    incident_id = Incident.named_by(event.id, data)
    with uow:
        hold_deciding_lock(uow, incident_id)
        stored = uow.incidents.get(incident_id)
        incident = Incident.heard(stored, event.id, event.type, data, now())
        if incident is None:
            return False
        uow.incidents.save(incident, new=stored is None)
        place_incident(uow, incident)
        if event.type == alert_contract.ALERT_CANCELLED:
            withdraw_for_cancellation(uow, incident_id, incident.version)
        for key in uow.exposures.keys_of(incident_id):
            decide_when_ready(uow, key)
        if event.type in WITH_AREAS:
            act_on_footprints(uow, incident)
        return True


def act_on_footprints(uow: TransfersUnitOfWork, incident: Incident) -> None:
    """A footprint decided before its alert's statements reached a programme's action stage (a
    forecast swath uploaded days ahead) is decided for that programme once a later version of the
    alert reaches it; households already entitled are never proposed again."""
    if incident.state not in DECIDABLE_ALERT_STATES:
        return
    for key in uow.exposures.decided_footprints(incident.incident_id):
        for version in uow.programmes.in_force():
            if uow.stages.reached(key, version.id, ACTION):
                continue
            action = stages_reached(uow, key, incident, version)[ACTION]
            if not action.statements:
                continue
            outcome = decide_programme(
                uow, key, incident.incident_id, version, version.created_by, statements=set(action.statements)
            )
            log.info("footprint %s decided as version %s acts: %s", key, incident.version, outcome)


def decide_when_ready(uow: TransfersUnitOfWork, key: str) -> None:
    """Decide an exposure once it is whole and its alert version is known; otherwise keep what it
    waits for (an exposure for an alert never seen waits, visibly, and is never dropped)."""
    exposure = uow.exposures.get(key)
    if exposure is None or exposure.final:
        return
    waiting = still_collecting(
        uow.exposures.parts(key), uow.exposures.chunks_received(key), exposure.partition_count
    )
    incident = uow.incidents.get(exposure.incident_id) if exposure.incident_id else None
    step = exposure.next_step(waiting, incident)
    if step.status == DECIDED and incident is not None:
        notes = decide_exposure(uow, key, incident)
        step = step.noting("; ".join(notes) or "no programme is defined")
    elif step.status == WAITING_FOR_ALERT:
        log.warning("exposure %s is %s", key, step.note)
    uow.exposures.save_status(step, now())


def decide_exposure(
    uow: TransfersUnitOfWork, key: str, incident: Incident, by: str | None = None, only: str | None = None
) -> list[str]:
    """Every programme (latest approved version) the incident triggers, over the exposure's households.

    :param by: who asked (a person deciding again), or ``None`` when the exposure itself decided.
    :param only: decide this household alone (a grievance), as the exposure itself would: a
        household an approver refused is not proposed again; no one is told to get ready.
    :return: one line per programme: triggered and what was proposed, or why not.
    """
    notes = []
    for version in uow.programmes.in_force():
        was_ready = uow.stages.reached(key, version.id, READINESS)
        reached = stages_reached(uow, key, incident, version)
        readiness, action = reached.get(READINESS), reached[ACTION]
        ready = ""
        if readiness and readiness.statements:
            ready = f"; readiness reached (statements {_listed(readiness.statements)})"
            if not was_ready and not action.statements and only is None:
                standing = standing_of(uow, incident.incident_id, version, explicit=False)
                told = tell_ready(uow, key, incident, version, set(readiness.statements), standing)
                ready += f", {told} households to be told to get ready"
        if not action.statements:
            notes.append(
                f"{version.name} v{version.version}: not triggered ({'; '.join(action.reasons)}){ready}"
            )
            continue
        outcome = decide_programme(
            uow,
            key,
            incident.incident_id,
            version,
            by or version.created_by,
            explicit=by is not None and only is None,
            statements=set(action.statements),
            only=only,
        )
        notes.append(
            f"{version.name} v{version.version}: action (statements {_listed(action.statements)}); {outcome}"
        )
    return notes


def stages_reached(
    uow: TransfersUnitOfWork, key: str, incident: Incident, version: ProgrammeVersion
) -> dict[str, StageReached]:
    """The stages the programme version reaches over the incident's statements, each one reached
    kept for the exposure (with why)."""
    reached = version.programme.trigger.stages(incident.summary, now())
    for stage in reached.values():
        if stage.statements:
            uow.stages.record(key, incident.incident_id, version.id, version.version, stage, now())
    return reached


def _listed(numbers: tuple[int, ...]) -> str:
    return ", ".join(str(n) for n in numbers)


def decide_programme(
    uow: TransfersUnitOfWork,
    key: str,
    incident_id: str,
    version: ProgrammeVersion,
    proposer: str,
    explicit: bool = False,
    statements: set[int] | None = None,
    only: str | None = None,
) -> str:
    """Evaluate, store every household's decision, and propose a batch for the payable ones.

    :param explicit: a person asked to decide the alert again: households an approver refused may
        be proposed anew. A batch a person's request proposes is never pre-approved.
    :param statements: the alert's statements that reached the action stage: only the households
        they expose are decided (those of a footprint, which no statement names, always are).
    :param only: decide this household alone (a grievance), as the alert itself would.
    """
    # Which incidents share the hazard event is read, then nobody changes it until commit; one
    # decider per programme at a time: what is left of its budgets is read, then spent.
    hold_hazard_events_lock(uow)
    uow.programmes.lock(version.id)
    programme = version.programme
    link = uow.hazard_events.link_of(incident_id)
    hazard = uow.hazard_events.known_as(incident_id)
    exposed = of_households(
        of_statements(with_findings(uow.exposures.columns(key), hazard), statements), only
    )
    holding, budget = standing_of(uow, incident_id, version, explicit)
    evaluation = Evaluation.of(
        key,
        incident_id,
        version.id,
        version.version,
        programme,
        exposed,
        holding,
        budget,
        link.hazard_event_id if link else None,
    )
    uow.evaluations.add(evaluation, now())
    proposal = Proposal.of_evaluation(evaluation, programme, proposer)
    if proposal is not None and (explicit or only is not None):
        proposal = replace(proposal, by_person=True)
    if proposal is None:
        not_eligible = evaluation.counts[NOT_ELIGIBLE]
        return f"triggered; {not_eligible} not eligible, nobody new to pay, no batch"
    batch = propose_batch(uow, proposal)
    uow.evaluations.attach_batch(evaluation.id, batch.id)
    return f"triggered; batch {batch.id} {batch.state} for {batch.households} households"


def standing_of(
    uow: TransfersUnitOfWork, incident_id: str, version: ProgrammeVersion, explicit: bool
) -> tuple[dict[str, Holding], float | None]:
    """The households already holding a payment for the hazard event (or within the programme's
    "once in N days"); when the exposure itself decides, also those an approver refused (only a
    person deciding again proposes them anew). And what is left of the budget."""
    programme = version.programme
    incidents = uow.hazard_events.incidents_with(incident_id)
    held = LIVE_PAYMENT_STATES if explicit else (*LIVE_PAYMENT_STATES, REJECTED, WITHDRAWN)
    since = now() - timedelta(days=programme.once_in_days) if programme.once_in_days else None
    holding = uow.payments.households_holding(version.id, incidents, held, since)
    return holding, budget_left(uow, version.id, incidents, programme)


def budget_left(
    uow: TransfersUnitOfWork, programme_id: str, incidents: list[str], programme: Programme
) -> float | None:
    """What the programme may still commit for this hazard event (``incidents``): both budgets
    minus live payments (the per-incident budget is the hazard event's)."""
    budget = programme.budget
    for_incident = (
        float(uow.payments.committed(programme_id, incidents)) if budget.per_incident is not None else 0.0
    )
    overall = float(uow.payments.committed(programme_id, None)) if budget.overall is not None else 0.0
    return budget.left(for_incident, overall)


def decide_late_households(uow: TransfersUnitOfWork) -> int:
    """Decide again the exposures where households reached transfers after their decision (only
    households not yet decided can be proposed). :return: how many exposures were decided again."""
    with uow:
        # Every incident's lock first, in one order, before any programme is locked: a handler
        # holds one incident's lock and then programmes, so taking them one by one could wait in
        # a circle.
        locked = sorted(set(uow.exposures.incidents_of(uow.exposures.with_late_households()).values()))
        for incident_id in locked:
            hold_deciding_lock(uow, incident_id)
        # Asked again now that no other instance decides for them: one may have just done so.
        found = uow.exposures.incidents_of(uow.exposures.with_late_households())
        keys = [key for key, incident_id in found.items() if incident_id in locked]
        for key in sorted(keys):
            incident = uow.incidents.get(found[key])
            if incident is None:
                continue
            notes = decide_exposure(uow, key, incident)
            log.info("exposure %s decided again for households that arrived late: %s", key, "; ".join(notes))
        return len(keys)


class LateHouseholdsWorker:
    """Every ``interval`` seconds, decides again for exposed households whose registry record
    reached transfers after their exposure was decided (so they are never silently left out)."""

    def __init__(self, units_of_work: Callable[[], TransfersUnitOfWork], interval: float = 15.0):
        self.units_of_work = units_of_work
        self.interval = interval

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            try:
                decide_late_households(self.units_of_work())
            except Exception:  # noqa: BLE001 - the next round tries again; logged for operators
                log.warning("deciding for late households failed; retrying", exc_info=True)
