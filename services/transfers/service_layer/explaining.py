"""Reading decisions back: an alert's exposures and evaluations, one household's explanations,
and deciding an alert again on request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.transfers.adapters.orm import (
    decisions,
    evaluations,
    exposures,
    household_attributes,
    incidents,
    payments,
    programmes,
)
from services.transfers.domain.deciding import PAYABLE, explain
from services.transfers.domain.payments import money
from services.transfers.domain.programmes import parse_programme
from services.transfers.entrypoints.presenter import payment_view
from services.transfers.service_layer.deciding import decide_exposure, hold_deciding_lock
from shared.db import as_read, reading
from shared.errors import Conflict, NotFound


class IncidentNotKnown(NotFound):
    pass


def _when(value: Any) -> str | None:
    return as_read(value).isoformat() if value else None


def incident_decisions(incident_id: str, sessions: sessionmaker[Session]) -> dict[str, Any]:
    """What transfers knows of an alert: its version, every exposure and what became of it, and
    every programme evaluation with its counts."""
    with reading(sessions) as session:
        incident = session.execute(select(incidents).where(incidents.c.incident_id == incident_id)).first()
        found = session.execute(
            select(exposures).where(exposures.c.incident_id == incident_id).order_by(exposures.c.received_at)
        ).all()
        evaluated = session.execute(
            select(evaluations, programmes.c.name)
            .join(
                programmes,
                (programmes.c.id == evaluations.c.programme_id)
                & (programmes.c.version == evaluations.c.programme_version),
            )
            .where(evaluations.c.incident_id == incident_id)
            .order_by(evaluations.c.created_at)
        ).all()
    if incident is None and not found:
        raise IncidentNotKnown(f"transfers has heard nothing of alert {incident_id}")
    return {
        "incident_id": incident_id,
        "version": incident.version if incident else None,
        "state": incident.state if incident else "not yet received",
        "headline": (incident.summary or {}).get("headline") if incident else None,
        "exposures": [
            {
                "exposure_key": e.exposure_key,
                "version": e.version,
                "footprint_id": e.footprint_id,
                "kind": e.kind,
                "households": e.households,
                "status": e.status,
                "note": e.note,
                "received_at": _when(e.received_at),
                "decided_at": _when(e.decided_at),
            }
            for e in found
        ],
        "evaluations": [
            {
                "id": v.id,
                "exposure_key": v.exposure_key,
                "programme_id": v.programme_id,
                "programme_version": v.programme_version,
                "programme": v.name,
                "batch_id": v.batch_id,
                "conditions": v.conditions,
                "summary": v.summary,
                "created_at": _when(v.created_at),
            }
            for v in evaluated
        ],
    }


def decide_again(incident_id: str, by: str, sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Decide the alert's current exposures again (after a new programme, or households that reached
    transfers late). Households already in a batch are never proposed again.

    :raise Conflict: the alert is not active, or none of its exposures has been decided.
    """
    with sessions.begin() as session:
        hold_deciding_lock(session, incident_id)
        incident = session.execute(
            select(incidents).where(incidents.c.incident_id == incident_id).with_for_update()
        ).first()
        if incident is None:
            raise IncidentNotKnown(f"transfers has heard nothing of alert {incident_id}")
        if incident.state != "active":
            raise Conflict(f"alert {incident_id} is {incident.state}; only an active alert is decided")
        keys = session.scalars(
            select(exposures.c.exposure_key).where(
                exposures.c.incident_id == incident_id,
                exposures.c.status == "decided",
                (exposures.c.version == incident.version) | exposures.c.version.is_(None),
            )
        ).all()
        if not keys:
            raise Conflict(f"no exposure of alert {incident_id} is ready to decide")
        notes = {key: decide_exposure(session, key, incident, by=by) for key in keys}
    return {"incident_id": incident_id, "decided": notes}


def household_decisions(
    household_id: str, lang: str, covers: Callable[[str], bool], sessions: sessionmaker[Session]
) -> dict[str, Any]:
    """Why the household was or was not paid, under each programme and alert, in plain words.

    :raise NotFound: unknown household, or outside the caller's jurisdiction.
    """
    with reading(sessions) as session:
        admin_code = session.scalar(
            select(household_attributes.c.admin_code).where(
                household_attributes.c.household_id == household_id
            )
        )
        if admin_code is None or not covers(admin_code):
            raise NotFound(f"household {household_id} is not known to transfers (in your jurisdiction)")
        rows = session.execute(
            select(decisions, evaluations, programmes.c.document)
            .join(evaluations, evaluations.c.id == decisions.c.evaluation_id)
            .join(
                programmes,
                (programmes.c.id == evaluations.c.programme_id)
                & (programmes.c.version == evaluations.c.programme_version),
            )
            .where(decisions.c.household_id == household_id)
            .order_by(evaluations.c.created_at)
        ).all()
        paid = session.execute(
            select(payments).where(payments.c.household_id == household_id).order_by(payments.c.created_at)
        ).all()
    entries = []
    for row in rows:
        programme = parse_programme(row.document)
        arithmetic = None
        if row.status == PAYABLE and row.size is not None:
            arithmetic = programme.benefit.arithmetic(
                row.size, row.vulnerable_members or 0, row.band, programme.currency, lang
            )
        entries.append(
            {
                "incident_id": row.incident_id,
                "programme_id": row.programme_id,
                "programme_version": row.programme_version,
                "programme": programme.name,
                "decided_at": _when(row.created_at),
                "eligible": row.eligible,
                "status": row.status,
                "band": row.band,
                "amount": str(money(row.amount)),
                "explanation": explain(
                    programme, row.outcomes, row.status, float(row.amount), arithmetic, lang
                ),
            }
        )
    return {
        "household_id": household_id,
        "decisions": entries,
        "payments": [payment_view(p) for p in paid],
    }
