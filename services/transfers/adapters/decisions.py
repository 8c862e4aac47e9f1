"""Evaluations of programmes over exposures, and each household's decision, in the transfers
service's database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from services.transfers.adapters.orm import decisions, evaluations, programmes
from services.transfers.domain.benefits import vulnerable_members
from services.transfers.domain.deciding import Evaluation
from shared.db import bulk_insert_columns

#: An evaluation joined to the programme version it used.
_VERSION_USED = (programmes.c.id == evaluations.c.programme_id) & (
    programmes.c.version == evaluations.c.programme_version
)
#: Decisions written per statement: a national exposure in a few round trips, not one.
PAGE = 50_000


def outcome_bits(outcomes: np.ndarray) -> list[str]:
    """Each household's condition outcomes as one ``0``/``1`` character per condition."""
    if outcomes.shape[1] == 0:
        return [""] * len(outcomes)
    digits = np.ascontiguousarray(outcomes.astype(np.uint8) + ord("0"))
    return digits.view(f"S{outcomes.shape[1]}").ravel().astype(str).tolist()


def _where_known(values: np.ndarray, known: np.ndarray) -> list[int | None]:
    return [v if k else None for v, k in zip(values.tolist(), known.tolist(), strict=True)]


def _or_none(values: np.ndarray) -> list[float | None]:
    return [None if v != v else v for v in values.tolist()]  # NaN → NULL


def _held(evaluation: Evaluation, part: slice) -> dict[str, list[Any]]:
    """The payment holding each household's entitlement and what it held, for a page of decisions;
    nothing when none in the page holds one (the columns stay empty: a first alert's million
    decisions bind two columns fewer)."""
    if evaluation.held_by is None or evaluation.held is None:
        return {}
    held_by = evaluation.held_by[part].tolist()
    if not any(held_by):
        return {}
    return {"held_by": held_by, "held": [h or None for h in np.round(evaluation.held[part], 2).tolist()]}


class EvaluationRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, evaluation: Evaluation, at: datetime) -> None:
        """The evaluation and every household's decision, with the figures it stands on."""
        self.session.execute(
            insert(evaluations).values(
                id=evaluation.id,
                exposure_key=evaluation.exposure_key,
                incident_id=evaluation.incident_id,
                programme_id=evaluation.programme_id,
                programme_version=evaluation.programme_version,
                conditions=evaluation.conditions,
                summary=evaluation.summary,
                created_at=at,
            )
        )
        ids, columns, known, decision = (
            evaluation.household_ids,
            evaluation.columns,
            evaluation.known,
            evaluation.decision,
        )
        vulnerable = vulnerable_members(columns)
        for start in range(0, len(ids), PAGE):
            part = slice(start, start + PAGE)
            bulk_insert_columns(
                self.session,
                decisions,
                _held(evaluation, part)
                | (
                    {"enrolled": evaluation.enrolled[part].tolist()}
                    if evaluation.enrolled is not None
                    else {}
                )
                | {
                    "evaluation_id": [evaluation.id] * len(ids[part]),
                    "household_id": ids[part].tolist(),
                    "eligible": decision.eligible[part].tolist(),
                    "outcomes": outcome_bits(decision.outcomes[part]),
                    "status": decision.status[part].tolist(),
                    "band": columns["band"][part].tolist(),
                    "intensity": _or_none(columns["intensity"][part]),
                    "requested": np.round(decision.requested[part], 2).tolist(),
                    "amount": np.round(decision.amount[part], 2).tolist(),
                    "size": _where_known(columns["size"][part], known[part]),
                    "vulnerable_members": _where_known(vulnerable[part], known[part]),
                    "vulnerability_score": _or_none(columns["vulnerability_score"][part]),
                },
            )

    def attach_batch(self, evaluation_id: str, batch_id: str) -> None:
        """The batch the evaluation proposed."""
        self.session.execute(
            update(evaluations).where(evaluations.c.id == evaluation_id).values(batch_id=batch_id)
        )

    def of_incident(self, incident_id: str) -> list[Any]:
        """The incident's evaluations with their programme's name, oldest first."""
        query = select(evaluations, programmes.c.name).join(programmes, _VERSION_USED)
        query = query.where(evaluations.c.incident_id == incident_id)
        return list(self.session.execute(query.order_by(evaluations.c.created_at)).all())

    def of_household(self, household_id: str) -> list[Any]:
        """Every decision about the household, with its evaluation and programme document, oldest first."""
        query = (
            select(decisions, evaluations, programmes.c.document)
            .join(evaluations, evaluations.c.id == decisions.c.evaluation_id)
            .join(programmes, _VERSION_USED)
            .where(decisions.c.household_id == household_id)
        )
        return list(self.session.execute(query.order_by(evaluations.c.created_at)).all())
