"""Resolving a grievance with an outcome that acts, in the transaction that records it: decide the
household's alert again, re-issue its failed payment, take a correction the registry made, or a
hold the registry released — or say why the decision stands. Every step is audited, and money
still moves only through a batch a second person approves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from services.transfers.domain import grievances as rules
from services.transfers.domain.payments import FAILED
from services.transfers.service_layer.batches import now
from services.transfers.service_layer.commands import ReissuePayments
from services.transfers.service_layer.deciding import decide_exposure, hold_deciding_lock
from services.transfers.service_layer.grievances import audit_step, locked_case
from services.transfers.service_layer.reissuing import reissue_within
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.auth import Principal
from shared.errors import Conflict


@dataclass(frozen=True)
class ResolveGrievance:
    grievance_id: str
    outcome: str
    by: Principal
    note: str | None = None
    #: For a re-issue: the channel to pay on instead of the failed payment's own.
    channel_type: str | None = None


def resolve(command: ResolveGrievance, uow: TransfersUnitOfWork) -> rules.Grievance:
    """The case resolved and its outcome carried out, together or not at all.

    :raise Conflict: resolved already, the outcome does not answer the case, or what it needs is
        not there (no correction has arrived, a hold remains, no failed payment, the alert is not
        active); :raise Forbidden: the caller filed the case or lacks the outcome's role;
        :raise NotFound: unknown case, or outside the caller's jurisdiction.
    """
    if command.outcome not in rules.OUTCOMES:
        raise rules.refused_field("/outcome", f"outcome must be one of {', '.join(rules.OUTCOMES)}")
    by = command.by
    with uow:
        case = locked_case(uow, command.grievance_id, by.covers)
        resolved = case.resolving(command.outcome, by, command.note, now())
        detail = _ACTS[command.outcome](uow, case, command)
        resolved = replace(resolved, outcome_detail=detail)
        uow.grievances.save(resolved)
        audit_step(uow, resolved, by.subject, resolved.steps[-1].role, "grievance_resolved", _said(resolved))
    return resolved


def _said(case: rules.Grievance) -> str:
    """What the audit log keeps of a resolution: the outcome, never the note's words (they are the
    household's, and an erasure blanks them in the case; the audit log cannot forget)."""
    return f"{case.outcome}" + (" (with a note)" if case.outcome_note else "")


def reassign(
    grievance_id: str, role: str, by: Principal, note: str, uow: TransfersUnitOfWork
) -> rules.Grievance:
    """Hand the case to another role (audited).

    :raise Conflict: resolved; :raise Forbidden: neither assigned nor a programme officer.
    """
    with uow:
        case = locked_case(uow, grievance_id, by.covers).reassigned(role, by, note, now())
        uow.grievances.save(case)
        audit_step(
            uow, case, by.subject, case.steps[-1].role, "grievance_reassigned", f"to {role} (with a note)"
        )
    return case


def _decide_again(
    uow: TransfersUnitOfWork, case: rules.Grievance, command: ResolveGrievance
) -> dict[str, Any]:
    """Decide the household alone again, under each exposure of the case's alert that names it and
    each programme that acts on it — as the alert itself would: a household an approver refused is
    not proposed again, and what is proposed goes to a second person (never pre-approved)."""
    incident_id = case.incident_id
    if incident_id is None:
        return {"decided": [], "household": [], "note": "the case names no alert: nothing to decide again"}
    hold_deciding_lock(uow, incident_id)
    incident = uow.incidents.get(incident_id, lock=True)
    if incident is None or incident.state != "active":
        state = "unknown" if incident is None else incident.state
        raise Conflict(f"alert {incident_id} is {state}; only an active alert is decided again")
    current = set(uow.exposures.decided_keys(incident_id, incident.version))
    keys = [e["exposure_key"] for e in uow.exposures.naming(incident_id, case.household_id)]
    decided = [
        f"{key}: {said}"
        for key in keys
        if key in current
        for said in decide_exposure(uow, key, incident, by=command.by.subject, only=case.household_id)
    ]
    latest: dict[str, dict[str, Any]] = {}
    for row in uow.evaluations.of_household(case.household_id):
        if row.incident_id == incident_id:
            latest[row.programme_id] = {
                "programme_id": row.programme_id,
                "programme_version": row.programme_version,
                "status": row.status,
                "amount": str(row.amount),
            }
    return {"decided": decided, "household": list(latest.values())}


def _reissue(uow: TransfersUnitOfWork, case: rules.Grievance, command: ResolveGrievance) -> dict[str, Any]:
    """Re-issue the household's failed payments under the case's alert, in new batches to approve."""
    failed = [
        p
        for p in uow.payments.of_household(case.household_id)
        if p.state == FAILED and p.incident_id == case.incident_id
    ]
    if not failed:
        raise Conflict(
            f"household {case.household_id} has no failed payment under alert {case.incident_id} to re-issue"
        )
    by_batch: dict[str, list[str]] = defaultdict(list)
    for p in failed:
        by_batch[p.batch_id].append(p.id)
    batches = []
    for batch_id, ids in sorted(by_batch.items()):
        comment = f"grievance {case.id}"
        made = reissue_within(uow, ReissuePayments(batch_id, ids, command.channel_type, command.by, comment))
        batches.append(made.batch.id)
    return {"reissued": [p.end_to_end_id for p in failed], "batches": batches}


def _correct_record(
    uow: TransfersUnitOfWork, case: rules.Grievance, command: ResolveGrievance
) -> dict[str, Any]:
    """Take the registry's correction: a newer version of the household must have reached transfers."""
    attributes = uow.attributes.get(case.household_id)
    version = attributes.version if attributes is not None else None
    if version is None or (case.household_version is not None and version <= case.household_version):
        raise Conflict(
            f"no correction of household {case.household_id} has reached transfers since the case was filed "
            f"(version {case.household_version}); correct it in the registry first"
        )
    return {"household_version": version, **_decided_if_active(uow, case, command)}


def _release_hold(
    uow: TransfersUnitOfWork, case: rules.Grievance, command: ResolveGrievance
) -> dict[str, Any]:
    """Take the registry's release: the household was held when the case was filed, and no hold
    remains on it."""
    filed = case.explanation
    if not filed.get("holds") and not any(
        str(d.get("status", "")).startswith("held") for d in filed.get("decisions", [])
    ):
        raise Conflict(
            f"household {case.household_id} was not held when the case was filed: there is no hold to release"
        )
    attributes = uow.attributes.get(case.household_id)
    review = uow.attributes.review_of(case.household_id)
    if review is not None:
        raise Conflict(
            f"the registry still holds household {case.household_id} as a probable duplicate ({review}); "
            "decide the duplicate review in the registry first"
        )
    if attributes is not None and attributes.consent_emergency is False:
        raise Conflict(
            f"household {case.household_id}'s recorded consent still does not cover emergency transfers; "
            "record the household's consent in the registry first"
        )
    return _decided_if_active(uow, case, command)


def _decided_if_active(
    uow: TransfersUnitOfWork, case: rules.Grievance, command: ResolveGrievance
) -> dict[str, Any]:
    incident = uow.incidents.get(case.incident_id) if case.incident_id else None
    if incident is None or incident.state != "active":
        return {"decided": None, "household": [], "note": "no active alert to decide again"}
    return _decide_again(uow, case, command)


def _stands(uow: TransfersUnitOfWork, case: rules.Grievance, command: ResolveGrievance) -> dict[str, Any]:
    return {}


_ACTS = {
    rules.DECIDE_AGAIN: _decide_again,
    rules.REISSUE: _reissue,
    rules.CORRECT_RECORD: _correct_record,
    rules.RELEASE_HOLD: _release_hold,
    rules.DECISION_STANDS: _stands,
}
