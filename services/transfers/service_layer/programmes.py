"""Programmes: defined, versioned, read in plain words, and tried out as drafts."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.transfers.domain import deciding
from services.transfers.domain.assessments import with_findings
from services.transfers.domain.benefits import amounts, apply_budget
from services.transfers.domain.deciding import of_statements
from services.transfers.domain.eligibility import LANGUAGES, evaluate
from services.transfers.domain.programme_drafts import DraftReading
from services.transfers.domain.programme_drafts import read_draft as read_in_words
from services.transfers.domain.programme_versions import ProgrammeVersion
from services.transfers.domain.programmes import Programme, parse_programme
from services.transfers.domain.triggers import ACTION
from services.transfers.service_layer.batches import now, role_of
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.audit import AuditEntry
from shared.auth import APPROVER, Principal
from shared.errors import FieldProblem, NotFound


class ProgrammeNotFound(NotFound):
    pass


@dataclass(frozen=True)
class Described:
    """A programme version with its rules in plain words, in the language asked for."""

    version: ProgrammeVersion
    rules: Mapping[str, str]


def _described(version: ProgrammeVersion, lang: str = "en") -> Described:
    return Described(version, version.programme.describe(lang if lang in LANGUAGES else "en"))


def define_programme(
    document: dict[str, Any], by: str, uow: TransfersUnitOfWork, programme_id: str | None = None
) -> Described:
    """Store a programme (a new one, or the next version of ``programme_id``) as a draft: it
    decides nothing until an approver other than its author approves it.

    :raise ProgrammeError: with the path of the mistake; :raise ProgrammeNotFound: unknown id.
    """
    parse_programme(document)  # refuse before storing anything
    with uow:
        version = 1
        if programme_id is not None:
            latest = uow.programmes.get(programme_id)
            if latest is None:
                raise ProgrammeNotFound(f"no programme {programme_id}")
            version = latest.version + 1
        stored = ProgrammeVersion(
            id=programme_id or str(uuid.uuid4()),
            version=version,
            name=document["name"],
            document=document,
            created_by=by,
            created_at=now(),
        )
        uow.programmes.add(stored)
    return get_programme(stored.id, uow, version)


def review_programme(
    programme_id: str, version: int, approve: bool, comment: str, by: Principal, uow: TransfersUnitOfWork
) -> Described:
    """An approver other than its author approves (or rejects) a draft version; once approved it is
    the version that decides (audited).

    :raise ProgrammeNotFound: no such version; :raise FourEyes: the approver defined it;
    :raise ProgrammeStateError: it is not a draft.
    """
    with uow:
        found = uow.programmes.get(programme_id, version)
        if found is None:
            raise ProgrammeNotFound(f"no programme {programme_id} at version {version}")
        reviewed = found.reviewed(by.subject, approve, comment, now())
        uow.programmes.save_review(reviewed)
        uow.record(
            AuditEntry(
                by=by.subject,
                action=reviewed.state,
                subject_type="programme",
                subject_id=f"{programme_id}:{version}",
                role=role_of(by, APPROVER),
                comment=comment,
                from_state=found.state,
                to_state=reviewed.state,
            )
        )
    return get_programme(programme_id, uow, version)


def read_draft(document: Mapping[str, Any], lang: str, problems: Sequence[FieldProblem] = ()) -> DraftReading:
    """A programme being written, in plain words part by part, and every mistake with its path
    (``problems``: those the API found in its shape already); nothing is stored."""
    return read_in_words(document, lang if lang in LANGUAGES else "en", problems)


def list_programmes(uow: TransfersUnitOfWork, lang: str = "en") -> list[Described]:
    """Every programme at its latest version, by name."""
    with uow.reading() as reader:
        versions = reader.programmes.latest()
    return sorted((_described(v, lang) for v in versions), key=lambda d: d.version.name)


def get_programme(
    programme_id: str, uow: TransfersUnitOfWork, version: int | None = None, lang: str = "en"
) -> Described:
    """A programme at ``version`` (the latest when ``None``).

    :raise ProgrammeNotFound: no such programme, or not at that version.
    """
    with uow.reading() as reader:
        found = reader.programmes.get(programme_id, version or None)
    if found is None:
        raise ProgrammeNotFound(
            f"no programme {programme_id}" + (f" at version {version}" if version else "")
        )
    return _described(found, lang)


def what_if(document: dict[str, Any], area: str, band: str, uow: TransfersUnitOfWork) -> dict[str, Any]:
    """A draft programme applied to every active household of ``area`` as if exposed in ``band``:
    counts, cost and budget coverage; nothing is stored.

    :raise ProgrammeError: the draft has a mistake (with its path).
    """
    programme = parse_programme(document)
    with uow.reading() as reader:
        columns = reader.attributes.columns_in(area)
    # No hazard event here: each household's newest assessment, whatever it followed.
    ids = np.arange(len(columns["size"]))
    _, columns, _ = with_findings((ids, columns, np.ones(len(ids), bool)), None)
    columns["band"] = np.full(len(columns["size"]), band, dtype=object)
    columns["intensity"] = np.full(len(columns["size"]), np.nan)
    evaluation = evaluate(programme.eligibility, columns)
    requested = np.where(evaluation.eligible, amounts(programme.benefit, columns), 0.0)
    budget = programme.budget.per_incident
    outcome = apply_budget(
        requested, columns["vulnerability_score"], budget, programme.budget.policy, programme.benefit.rounding
    )
    eligible = evaluation.eligible
    return {
        **_totals(programme, eligible, columns),
        "requested": float(requested.sum()),
        "paid": float(outcome.paid.sum()),
        "funded": int(outcome.funded.sum()),
        "coverage": round(outcome.coverage, 4),
        "cut_off_score": outcome.cut_off_score,
        "conditions": {text: int(result.sum()) for text, result in evaluation.outcomes.items()},
    }


def what_if_for_alert(document: dict[str, Any], incident_id: str, uow: TransfersUnitOfWork) -> dict[str, Any]:
    """A draft programme over the households an alert's current exposure names, in their own bands,
    as if nobody had been paid yet: counts, cost, coverage and why not; nothing is stored.

    :raise NotFound: transfers holds no exposure of that alert.
    """
    programme = parse_programme(document)
    with uow.reading() as reader:
        incident = reader.incidents.get(incident_id)
        key = reader.exposures.current_key(incident_id, incident.exposed_version if incident else None)
        if key is None:
            raise NotFound(f"transfers holds no current exposure of alert {incident_id}")
        exposed = with_findings(reader.exposures.columns(key), reader.hazard_events.known_as(incident_id))
        summary = incident.summary if incident else {}
    stages = programme.trigger.stages(summary, now())
    action = stages[ACTION]
    # The households of the statements reaching action; all of them when none does (so the
    # officer still sees what the draft would pay, beside "not triggered").
    household_ids, columns, known = of_statements(exposed, set(action.statements) or None)
    decision = deciding.decide(
        programme, columns, known, np.zeros(len(household_ids), bool), programme.budget.per_incident
    )
    return {
        **_totals(programme, decision.eligible, columns),
        "requested": float(decision.requested.sum()),
        "paid": float(decision.amount.sum()),
        "funded": int(decision.payable.sum()),
        "coverage": round(decision.coverage, 4),
        "cut_off_score": decision.cut_off_score,
        "conditions": {
            c.describe(): int(decision.outcomes[:, n].sum())
            for n, c in enumerate(programme.eligibility.conditions())
        },
        "by_status": {s: int((decision.status == s).sum()) for s in deciding.STATUSES},
        "triggered": bool(action.statements),
        "stages": {
            name: {"statements": list(found.statements), "reasons": list(found.reasons)}
            for name, found in stages.items()
        },
    }


def _totals(programme: Programme, eligible: np.ndarray, columns: Mapping[str, np.ndarray]) -> dict[str, Any]:
    return {
        "households": int(len(eligible)),
        "eligible": int(eligible.sum()),
        "people_eligible": int(columns["size"][eligible].sum()),
        "budget": programme.budget.per_incident,
        "currency": programme.currency,
        "rules": programme.describe(),
    }
