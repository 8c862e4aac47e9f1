"""Programmes: defined, versioned and read in plain words."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from services.transfers.adapters.orm import exposures, household_attributes, incidents, programmes
from services.transfers.domain import deciding
from services.transfers.domain.programmes import amounts, apply_budget, evaluate, parse_programme
from services.transfers.service_layer.deciding import exposure_columns, latest_programmes
from shared.db import reading
from shared.errors import NotFound


class ProgrammeNotFound(NotFound):
    pass


def _view(row: Any, lang: str = "en") -> dict[str, Any]:
    programme = parse_programme(row.document)
    return {
        "id": row.id,
        "version": row.version,
        "name": row.name,
        "programme": row.document,
        "rules": programme.describe(lang),
        "created_by": row.created_by,
        "created_at": row.created_at,
    }


def define_programme(
    document: dict[str, Any], by: str, sessions: sessionmaker[Session], programme_id: str | None = None
) -> dict[str, Any]:
    """Store a programme (a new one, or the next version of ``programme_id``).

    :raise ProgrammeError: with the path of the mistake; :raise ProgrammeNotFound: unknown id.
    """
    parse_programme(document)  # refuse before storing anything
    with sessions.begin() as session:
        version = 1
        if programme_id is not None:
            latest = session.scalar(
                select(func.max(programmes.c.version)).where(programmes.c.id == programme_id)
            )
            if latest is None:
                raise ProgrammeNotFound(f"no programme {programme_id}")
            version = latest + 1
        programme_id = programme_id or str(uuid.uuid4())
        session.execute(
            insert(programmes).values(
                id=programme_id,
                version=version,
                name=document["name"],
                document=document,
                created_by=by,
                created_at=datetime.now(UTC),
            )
        )
    return get_programme(programme_id, sessions, version)


def list_programmes(sessions: sessionmaker[Session], lang: str = "en") -> list[dict[str, Any]]:
    """Every programme at its latest version, by name."""
    with reading(sessions) as session:
        rows = latest_programmes(session)
    return sorted((_view(r, lang) for r in rows), key=lambda v: v["name"])


def get_programme(
    programme_id: str, sessions: sessionmaker[Session], version: int | None = None, lang: str = "en"
) -> dict[str, Any]:
    """A programme at ``version`` (the latest when ``None``)."""
    with reading(sessions) as session:
        query = select(programmes).where(programmes.c.id == programme_id)
        query = (
            query.where(programmes.c.version == version)
            if version
            else query.order_by(programmes.c.version.desc())
        )
        row = session.execute(query.limit(1)).first()
    if row is None:
        raise ProgrammeNotFound(
            f"no programme {programme_id}" + (f" at version {version}" if version else "")
        )
    return _view(row, lang)


def what_if(
    document: dict[str, Any], area: str, band: str, sessions: sessionmaker[Session]
) -> dict[str, Any]:
    """A draft programme applied to every active household of ``area`` as if exposed in ``band``:
    counts, cost and budget coverage; nothing is stored.

    :raise ProgrammeError: the draft has a mistake (with its path).
    """
    programme = parse_programme(document)
    columns = load_attributes(sessions, area)
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
        "households": int(len(eligible)),
        "eligible": int(eligible.sum()),
        "people_eligible": int(columns["size"][eligible].sum()),
        "requested": float(requested.sum()),
        "budget": budget,
        "paid": float(outcome.paid.sum()),
        "funded": int(outcome.funded.sum()),
        "coverage": round(outcome.coverage, 4),
        "cut_off_score": outcome.cut_off_score,
        "currency": programme.currency,
        "conditions": {text: int(result.sum()) for text, result in evaluation.outcomes.items()},
        "rules": programme.describe(),
    }


def what_if_for_alert(
    document: dict[str, Any], incident_id: str, sessions: sessionmaker[Session]
) -> dict[str, Any]:
    """A draft programme over the households an alert's current exposure names, in their own bands,
    as if nobody had been paid yet: counts, cost, coverage and why not; nothing is stored.

    :raise NotFound: transfers holds no exposure of that alert.
    """
    programme = parse_programme(document)
    with reading(sessions) as session:
        incident = session.execute(select(incidents).where(incidents.c.incident_id == incident_id)).first()
        key = session.scalar(
            select(exposures.c.exposure_key).where(
                exposures.c.incident_id == incident_id,
                exposures.c.version == (incident.exposed_version if incident else None),
            )
        )
        if key is None:
            raise NotFound(f"transfers holds no current exposure of alert {incident_id}")
        household_ids, columns, known = exposure_columns(session, key)
    decision = deciding.decide(
        programme, columns, known, np.zeros(len(household_ids), bool), programme.budget.per_incident
    )
    eligible = decision.eligible
    return {
        "households": int(len(household_ids)),
        "eligible": int(eligible.sum()),
        "people_eligible": int(columns["size"][eligible].sum()),
        "requested": float(decision.requested.sum()),
        "budget": programme.budget.per_incident,
        "paid": float(decision.amount.sum()),
        "funded": int(decision.payable.sum()),
        "coverage": round(decision.coverage, 4),
        "cut_off_score": decision.cut_off_score,
        "currency": programme.currency,
        "conditions": {
            c.describe(): int(decision.outcomes[:, n].sum())
            for n, c in enumerate(programme.eligibility.conditions())
        },
        "by_status": {s: int((decision.status == s).sum()) for s in deciding.STATUSES},
        "rules": programme.describe(),
    }


def load_attributes(sessions: sessionmaker[Session], area: str) -> dict[str, np.ndarray]:
    """The attribute projection of the active households inside ``area``, as numpy columns."""
    names = (
        "size",
        "vulnerability_score",
        "children_under_5",
        "elderly_65_plus",
        "persons_with_disabilities",
        "pregnant_members",
        "female_headed",
        "admin_code",
        "payment_channel_type",
    )
    with reading(sessions) as session:
        rows = session.execute(
            select(*(household_attributes.c[n] for n in names)).where(
                household_attributes.c.status == "active",
                (household_attributes.c.admin_code == area)
                | household_attributes.c.admin_code.startswith(area + "-", autoescape=True),
            )
        ).all()
    values = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    columns = {n: np.array(v, dtype=object) for n, v in zip(names, values, strict=True)}
    for name in (
        "size",
        "children_under_5",
        "elderly_65_plus",
        "persons_with_disabilities",
        "pregnant_members",
    ):
        columns[name] = np.array(values[names.index(name)], dtype=np.int64)
    columns["vulnerability_score"] = np.array(
        [np.nan if v is None else v for v in values[names.index("vulnerability_score")]], dtype=np.float64
    )
    columns["female_headed"] = np.array(values[names.index("female_headed")], dtype=bool)
    return columns
