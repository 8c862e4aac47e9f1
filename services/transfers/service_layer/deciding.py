"""Deciding on alerts: every triggered programme over every exposed household, once per incident.

The alerts service publishes an incident's versions on ``alerts.alerts`` and each version's
exposure (and each hazard footprint's) on ``alerts.exposures`` in parts, one per alerts instance,
each covering some partitions of ``registry.households`` and made of chunks and a completion. A
part's households are held apart until the part is complete, then accepted if no accepted part
covers any of its partitions. The two topics are not ordered with each other, so an exposure is
decided only when its accepted parts cover every partition and the alert version it belongs to has
arrived, whichever comes last. Everything here runs inside the consumer's inbox transaction: a
decision, its batch, its payments and their events are stored together or not at all; and it holds
the incident's deciding lock, so several transfers instances never decide one incident side by side.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from services.transfers.adapters.orm import (
    audit,
    batches,
    decisions,
    evaluations,
    exposed_households,
    exposure_part_chunks,
    exposure_parts,
    exposures,
    household_attributes,
    incidents,
    outbox,
    payments,
    programmes,
    staged_households,
)
from services.transfers.adapters.payment_schema import LIVE_PAYMENT_STATES
from services.transfers.domain import deciding
from services.transfers.domain.batches import BatchStateError
from services.transfers.domain.exposure_parts import (
    Part,
    check_partition_count,
    missing_partitions,
    overlap,
    parse_listed,
    parse_part,
    partitions_note,
)
from services.transfers.domain.payments import money, new_end_to_end_id
from services.transfers.domain.programmes import Programme, parse_programme, vulnerable_members
from shared.admin_codes import smallest_common_area
from shared.audit import AuditEntry, append
from shared.contracts import alerts as alert_contract
from shared.contracts import transfers as contract
from shared.db import bulk_insert, bulk_insert_columns, hold_lock
from shared.errors import InvalidInput
from shared.events import CloudEvent
from shared.kafka import BATCHES
from shared.outbox import add_event

log = logging.getLogger(__name__)
SYSTEM = "amparo"
PRE_APPROVED = "pre-approved ceiling"
NUMBERS = ("size", "children_under_5", "elderly_65_plus", "persons_with_disabilities", "pregnant_members")


# -- alert and exposure events -----------------------------------------------------------------


def apply_alert_event(session: Session, event: CloudEvent) -> bool:
    """Keep the incident's latest version; withdraw its batches when it is cancelled.

    :return: ``False`` for a version older than the one stored.
    :raise InvalidInput: the event names no incident or version (it is dead-lettered).
    """
    data = event.data or {}
    incident_id, version = data.get("incident_id"), data.get("version")
    if not isinstance(incident_id, str) or not isinstance(version, int) or isinstance(version, bool):
        raise InvalidInput(f"alert event {event.id} has no incident_id and integer version")
    hold_deciding_lock(session, incident_id)
    stored = session.execute(select(incidents).where(incidents.c.incident_id == incident_id)).first()
    if stored is not None and stored.version >= version:
        return False
    values = {"version": version, "state": data.get("state", "active"), "summary": data, "updated_at": _now()}
    if event.type in (alert_contract.ALERT_ISSUED, alert_contract.ALERT_UPDATED):
        values["exposed_version"] = version
    if stored is None:
        session.execute(insert(incidents).values(incident_id=incident_id, **values))
    else:
        session.execute(update(incidents).where(incidents.c.incident_id == incident_id).values(**values))
    if event.type == alert_contract.ALERT_CANCELLED:
        withdraw_for_cancellation(session, incident_id, version)
    for key in session.scalars(
        select(exposures.c.exposure_key).where(exposures.c.incident_id == incident_id)
    ):
        decide_when_ready(session, key)
    return True


def _exposure_key(data: dict[str, Any]) -> str:
    if data.get("footprint_id"):
        return f"footprint:{data['footprint_id']}"
    if isinstance(data.get("incident_id"), str) and isinstance(data.get("version"), int):
        return f"alert:{data['incident_id']}:{data['version']}"
    raise InvalidInput("an exposure event names neither a footprint nor an incident and version")


def hold_deciding_lock(session: Session, incident_id: str) -> None:
    """Wait for, then hold until commit, the right to decide for one incident.

    Several transfers instances apply ``alerts.alerts`` and ``alerts.exposures`` at once, so an
    alert version and the last part of its exposure may be applied side by side: each transaction
    would miss the other's uncommitted work (nobody decides) or both would see everything (both
    decide). Every handler that may decide takes this lock before reading anything it decides on.
    Budgets across incidents stay safe without it: :func:`decide_programme` locks the programme.
    """
    hold_lock(session, f"transfers deciding {incident_id}")


def _deciding_lock_for(session: Session, key: str, data: dict[str, Any]) -> None:
    incident_id = data.get("incident_id")
    hold_deciding_lock(session, incident_id if isinstance(incident_id, str) and incident_id else key)


def _ensure_exposure(session: Session, key: str, data: dict[str, Any], part: Part, event_id: str) -> None:
    """The exposure's row, created by the first event of any of its parts.

    :raise InvalidInput: the part counts the partitions differently from the exposure's first part.
    """
    alert_version = data.get("alert_version")
    known = session.execute(
        select(exposures.c.partition_count).where(exposures.c.exposure_key == key)
    ).first()
    if known is None:
        session.execute(
            insert(exposures).values(
                exposure_key=key,
                incident_id=data.get("incident_id"),
                version=None if data.get("footprint_id") else data.get("version"),
                footprint_id=data.get("footprint_id"),
                alert_version=alert_version if isinstance(alert_version, int) else None,
                kind=data.get("kind") or "alert_area",
                status="collecting",
                partition_count=part.partition_count,
                received_at=_now(),
            )
        )
    else:
        check_partition_count(part, known.partition_count, key, event_id)


def _part_status(session: Session, key: str, data: dict[str, Any], part: Part, event_id: str) -> str:
    """The part's status (``collecting`` for a part first heard of now)."""
    _ensure_exposure(session, key, data, part, event_id)
    status = session.scalar(
        select(exposure_parts.c.status).where(
            exposure_parts.c.exposure_key == key, exposure_parts.c.part == part.part_id
        )
    )
    if status is None:
        session.execute(
            insert(exposure_parts).values(
                exposure_key=key,
                part=part.part_id,
                partitions=part.listed,
                partition_count=part.partition_count,
                status="collecting",
                received_at=_now(),
            )
        )
        return "collecting"
    return status


def _staged_rows(event_id: str, key: str, part: Part, households: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for n, household in enumerate(households):
        if not isinstance(household, dict) or not household.get("household_id") or not household.get("band"):
            raise InvalidInput(f"exposure chunk {event_id}: /households/{n} needs household_id and band")
        intensity = household.get("intensity")
        rows.append(
            {
                "exposure_key": key,
                "part": part.part_id,
                "household_id": str(household["household_id"]),
                "band": str(household["band"])[:64],
                "intensity": float(intensity) if isinstance(intensity, int | float) else None,
                "area": (household.get("area") or None) and str(household["area"])[:255],
            }
        )
    return rows


def apply_exposure_chunk(session: Session, event: CloudEvent) -> bool:
    """Hold one chunk of a part's households apart; accept the part once it is complete, and
    decide if that was the last piece missing.

    :return: ``False`` for a chunk already kept, or of a part already accepted or refused.
    :raise InvalidInput: no chunk number or household list, a household without id or band, or a
        part named wrongly (``/partitions``, ``/partition_count``).
    """
    data = event.data or {}
    key = _exposure_key(data)
    households = data.get("households")
    if not isinstance(data.get("chunk"), int) or not isinstance(households, list):
        raise InvalidInput(f"exposure chunk {event.id} has no chunk number or household list")
    part = parse_part(data, event.id)
    rows = _staged_rows(event.id, key, part, households)
    _deciding_lock_for(session, key, data)
    if _part_status(session, key, data, part, event.id) != "collecting":
        return False
    c = exposure_part_chunks.c
    seen = session.scalar(
        select(c.chunk).where(c.exposure_key == key, c.part == part.part_id, c.chunk == data["chunk"])
    )
    if seen is not None:
        return False
    session.execute(
        insert(exposure_part_chunks).values(exposure_key=key, part=part.part_id, chunk=data["chunk"])
    )
    bulk_insert(session, staged_households, rows)
    settle_part(session, key, part)
    decide_when_ready(session, key)
    return True


def apply_exposure_completed(session: Session, event: CloudEvent) -> bool:
    """Note how many chunks and households a part has; accept it if its chunks are all here, and
    decide if nothing else is missing.

    :return: ``False`` for a part already accepted or refused.
    :raise InvalidInput: no chunk count, or a part named wrongly.
    """
    data = event.data or {}
    key = _exposure_key(data)
    if not isinstance(data.get("chunks"), int) or data["chunks"] < 1:
        raise InvalidInput(f"exposure completion {event.id} has no chunk count")
    part = parse_part(data, event.id)
    households = data.get("households")
    _deciding_lock_for(session, key, data)
    if _part_status(session, key, data, part, event.id) != "collecting":
        return False
    session.execute(
        update(exposure_parts)
        .where(exposure_parts.c.exposure_key == key, exposure_parts.c.part == part.part_id)
        .values(chunks=data["chunks"], households=households if isinstance(households, int) else None)
    )
    settle_part(session, key, part)
    decide_when_ready(session, key)
    return True


def settle_part(session: Session, key: str, part: Part) -> None:
    """A complete part (its completion and all its chunks here) is accepted when none of its
    partitions is already covered: its households become the exposure's. Otherwise it is never
    counted, and says so."""
    p = exposure_parts.c
    row = session.execute(select(exposure_parts).where(p.exposure_key == key, p.part == part.part_id)).one()
    received = session.scalar(
        select(func.count())
        .select_from(exposure_part_chunks)
        .where(exposure_part_chunks.c.exposure_key == key, exposure_part_chunks.c.part == part.part_id)
    )
    if row.status != "collecting" or row.chunks is None or received < row.chunks:
        return
    accepted = [
        parse_listed(listed)
        for listed in session.scalars(
            select(p.partitions).where(p.exposure_key == key, p.status == "accepted")
        )
    ]
    s = staged_households.c
    staged = (s.exposure_key == key) & (s.part == part.part_id)
    taken = overlap(part.partitions, accepted)
    if taken:
        note = (
            f"partitions {', '.join(map(str, taken))} were already received in another part; "
            "this part is not counted"
        )
        log.warning("exposure %s, part of partitions %s: %s", key, part.listed, note)
        session.execute(delete(staged_households).where(staged))
        session.execute(
            update(exposure_parts)
            .where(p.exposure_key == key, p.part == part.part_id)
            .values(status="overlapping", note=note)
        )
        return
    e = exposed_households.c
    already = select(e.household_id).where(e.exposure_key == key, e.household_id == s.household_id)
    moved = session.execute(
        insert(exposed_households).from_select(
            ["exposure_key", "household_id", "band", "intensity", "area"],
            select(s.exposure_key, s.household_id, s.band, s.intensity, s.area).where(
                staged, ~already.exists()
            ),
        )
    ).rowcount
    session.execute(delete(staged_households).where(staged))
    session.execute(
        update(exposure_parts)
        .where(p.exposure_key == key, p.part == part.part_id)
        .values(status="accepted", households=row.households if row.households is not None else moved)
    )
    totals = session.execute(
        select(func.sum(p.chunks), func.sum(p.households)).where(
            p.exposure_key == key, p.status == "accepted"
        )
    ).one()
    session.execute(
        update(exposures)
        .where(exposures.c.exposure_key == key)
        .values(chunks=totals[0], households=totals[1])
    )


def _still_collecting(session: Session, key: str, partition_count: int) -> str | None:
    """What the exposure still waits for, or ``None`` when its accepted parts cover every partition."""
    p, c = exposure_parts.c, exposure_part_chunks.c
    parts = session.execute(
        select(p.part, p.partitions, p.chunks, p.status).where(p.exposure_key == key).order_by(p.partitions)
    ).all()
    accepted = [parse_listed(r.partitions) for r in parts if r.status == "accepted"]
    missing = missing_partitions(accepted, partition_count)
    if not missing:
        return None
    received = dict(
        session.execute(  # type: ignore[arg-type]
            select(c.part, func.count()).where(c.exposure_key == key).group_by(c.part)
        ).all()
    )
    progress = [
        (r.partitions, f"{received.get(r.part, 0)} of {r.chunks or '?'} chunks received")
        for r in parts
        if r.status == "collecting"
    ]
    if partition_count == 1:
        return progress[0][1] if progress else "0 of ? chunks received"
    notes = [partitions_note(missing, partition_count)]
    notes += [f"part of partitions {listed}: {chunks}" for listed, chunks in progress]
    return "; ".join(notes)


def _set_status(session: Session, key: str, status: str, note: str | None = None) -> None:
    values: dict[str, Any] = {"status": status, "note": note}
    if status == "decided":
        values["decided_at"] = _now()
    session.execute(update(exposures).where(exposures.c.exposure_key == key).values(**values))


def decide_when_ready(session: Session, key: str) -> None:
    """Decide an exposure once it is whole and its alert version is known; otherwise say what it
    waits for (an exposure for an alert never seen waits, visibly, and is never dropped)."""
    exposure = session.execute(select(exposures).where(exposures.c.exposure_key == key)).one()
    if exposure.status in ("decided", "superseded", "not_decided"):
        return
    waiting = _still_collecting(session, key, exposure.partition_count or 1)
    if waiting is not None:
        _set_status(session, key, "collecting", waiting)
        return
    if exposure.incident_id is None:
        _set_status(session, key, "not_decided", "a footprint tied to no alert cannot trigger transfers")
        return
    incident = session.execute(
        select(incidents).where(incidents.c.incident_id == exposure.incident_id)
    ).first()
    wanted = exposure.version or exposure.alert_version or 1
    if incident is None or incident.version < wanted:
        note = f"waiting for alert {exposure.incident_id} version {wanted}, not seen by transfers yet"
        log.warning("exposure %s is %s", key, note)
        _set_status(session, key, "waiting_for_alert", note)
        return
    # Only a later version with areas of its own replaces an exposure (an expiry does not).
    if exposure.version is not None and (incident.exposed_version or 0) > exposure.version:
        _set_status(session, key, "superseded", f"alert version {incident.exposed_version} replaced it")
        return
    if incident.state not in ("active", "expired"):
        _set_status(session, key, "not_decided", f"the alert is {incident.state}")
        return
    notes = decide_exposure(session, key, incident)
    _set_status(session, key, "decided", "; ".join(notes) or "no programme is defined")


def decide_exposure(session: Session, key: str, incident: Any, by: str | None = None) -> list[str]:
    """Every programme (latest version) the incident triggers, over the exposure's households.

    :param by: who asked (a person re-deciding), or ``None`` when the exposure itself decided.
    :return: one line per programme: triggered and what was proposed, or why not.
    """
    notes = []
    for row in latest_programmes(session):
        programme = parse_programme(row.document)
        fires, reasons = programme.trigger.fires_for(incident.summary)
        if not fires:
            notes.append(f"{row.name} v{row.version}: not triggered ({'; '.join(reasons)})")
            continue
        outcome = decide_programme(
            session, key, incident.incident_id, row, programme, by or row.created_by, explicit=by is not None
        )
        notes.append(f"{row.name} v{row.version}: {outcome}")
    return notes


def exposures_with_late_households(session: Session) -> list[str]:
    """Decided, current exposures of live alerts whose latest evaluation found households transfers
    did not know then, and knows now."""
    e, d = evaluations.c, decisions.c
    latest = (
        select(e.exposure_key, e.programme_id, func.max(e.created_at).label("at"))
        .group_by(e.exposure_key, e.programme_id)
        .subquery()
    )
    query = (
        select(exposures.c.exposure_key)
        .distinct()
        .select_from(
            exposures.join(incidents, incidents.c.incident_id == exposures.c.incident_id)
            .join(evaluations, e.exposure_key == exposures.c.exposure_key)
            .join(
                latest,
                (latest.c.exposure_key == e.exposure_key)
                & (latest.c.programme_id == e.programme_id)
                & (latest.c.at == e.created_at),
            )
            .join(decisions, d.evaluation_id == e.id)
            .join(household_attributes, household_attributes.c.household_id == d.household_id)
        )
        .where(
            exposures.c.status == "decided",
            incidents.c.state.in_(("active", "expired")),
            exposures.c.version.is_(None) | (exposures.c.version == incidents.c.exposed_version),
            d.status == deciding.UNKNOWN_HOUSEHOLD,
        )
    )
    return list(session.scalars(query))


def decide_late_households(session: Session) -> int:
    """Decide again the exposures where households reached transfers after their decision (only
    households not yet decided can be proposed). :return: how many exposures were decided again."""
    # Every incident's lock first, in one order, before any programme is locked: a handler holds
    # one incident's lock and then programmes, so taking them one by one could wait in a circle.
    found = session.scalars(
        select(exposures.c.incident_id)
        .where(exposures.c.exposure_key.in_(exposures_with_late_households(session)))
        .distinct()
    ).all()
    locked = sorted(found)
    for incident_id in locked:
        hold_deciding_lock(session, incident_id)
    # Asked again now that no other instance decides for them: one may have just done so.
    keys = [
        key
        for key in exposures_with_late_households(session)
        if session.scalar(select(exposures.c.incident_id).where(exposures.c.exposure_key == key)) in locked
    ]
    for key in keys:
        exposure = session.execute(select(exposures).where(exposures.c.exposure_key == key)).one()
        incident = session.execute(
            select(incidents).where(incidents.c.incident_id == exposure.incident_id)
        ).one()
        notes = decide_exposure(session, key, incident)
        log.info("exposure %s decided again for households that arrived late: %s", key, "; ".join(notes))
    return len(keys)


class LateHouseholdsWorker:
    """Every ``interval`` seconds, decides again for exposed households whose registry record
    reached transfers after their exposure was decided (so they are never silently left out)."""

    def __init__(self, sessions: Any, interval: float = 15.0):
        self.sessions = sessions
        self.interval = interval

    def run(self, stop: Any) -> None:
        while not stop.wait(self.interval):
            try:
                with self.sessions.begin() as session:
                    decide_late_households(session)
            except Exception:  # noqa: BLE001 - the next round tries again; logged for operators
                log.warning("deciding for late households failed; retrying", exc_info=True)


def latest_programmes(session: Session) -> Sequence[Any]:
    latest = (
        select(programmes.c.id, func.max(programmes.c.version).label("version"))
        .group_by(programmes.c.id)
        .subquery()
    )
    return session.execute(
        select(programmes).join(
            latest, (programmes.c.id == latest.c.id) & (programmes.c.version == latest.c.version)
        )
    ).all()


def exposure_columns(session: Session, key: str) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """The exposed households joined to their attributes: ids, numpy columns, and which are known.

    Read in pages straight into numpy, so that a national exposure never sits in memory as rows.
    """
    a = household_attributes.c
    query = (
        select(
            exposed_households.c.household_id,
            exposed_households.c.band,
            exposed_households.c.intensity,
            a.household_id.is_not(None).label("known"),
            func.coalesce(a.status, "unknown"),
            func.coalesce(a.admin_code, ""),
            a.vulnerability_score,
            func.coalesce(a.female_headed, False),
            func.coalesce(a.payment_channel_type, ""),
            *(func.coalesce(a[n], 0) for n in NUMBERS),
        )
        .select_from(
            exposed_households.outerjoin(
                household_attributes, household_attributes.c.household_id == exposed_households.c.household_id
            )
        )
        .where(exposed_households.c.exposure_key == key)
        .order_by(exposed_households.c.household_id)
    )
    names = ("household_id", "band", "intensity", "known", "status", "admin_code", "vulnerability_score")
    names += ("female_headed", "payment_channel_type", *NUMBERS)
    kinds: dict[str, Any] = {"intensity": np.float64, "vulnerability_score": np.float64}
    kinds |= {"known": bool, "female_headed": bool} | dict.fromkeys(NUMBERS, np.int64)
    pages: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for page in session.execute(query.execution_options(yield_per=50_000)).partitions():
        for name, values in zip(names, zip(*page, strict=True), strict=True):
            kind = kinds.get(name, object)
            if kind is np.float64:
                values = tuple(np.nan if v is None else v for v in values)
            pages[name].append(np.array(values, dtype=kind))
    columns = {
        n: np.concatenate(pages[n]) if pages[n] else np.empty(0, dtype=kinds.get(n, object)) for n in names
    }
    known = columns.pop("known")
    return columns.pop("household_id"), columns, known


def _committed(session: Session, programme_id: str, incident_id: str | None) -> Decimal:
    query = select(func.coalesce(func.sum(payments.c.amount), 0)).where(
        payments.c.programme_id == programme_id, payments.c.state.in_(LIVE_PAYMENT_STATES)
    )
    if incident_id is not None:
        query = query.where(payments.c.incident_id == incident_id)
    return Decimal(str(session.scalar(query)))


def budget_left(session: Session, programme_id: str, incident_id: str, programme: Programme) -> float | None:
    """What the programme may still commit for this incident: both budgets minus live payments."""
    limits = []
    if programme.budget.per_incident is not None:
        limits.append(programme.budget.per_incident - float(_committed(session, programme_id, incident_id)))
    if programme.budget.overall is not None:
        limits.append(programme.budget.overall - float(_committed(session, programme_id, None)))
    return max(0.0, min(limits)) if limits else None


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


def decide_programme(
    session: Session,
    key: str,
    incident_id: str,
    row: Any,
    programme: Programme,
    proposer: str,
    explicit: bool = False,
) -> str:
    """Evaluate, store every household's decision, and propose a batch for the payable ones."""
    # One decider per programme at a time: what is left of its budgets is read, then spent.
    session.execute(select(programmes.c.id).where(programmes.c.id == row.id).with_for_update()).all()
    household_ids, columns, known = exposure_columns(session, key)
    # Households already holding a payment; when the exposure itself decides, also those an
    # approver refused (only a person deciding again proposes them anew).
    held = LIVE_PAYMENT_STATES if explicit else (*LIVE_PAYMENT_STATES, "rejected", "withdrawn")
    entitled_ids = set(
        session.scalars(
            select(payments.c.household_id).where(
                payments.c.programme_id == row.id,
                payments.c.incident_id == incident_id,
                payments.c.state.in_(held),
            )
        )
    )
    entitled = np.array([h in entitled_ids for h in household_ids], dtype=bool)
    decision = deciding.decide(
        programme, columns, known, entitled, budget_left(session, row.id, incident_id, programme)
    )
    evaluation_id = str(uuid.uuid4())
    counts = {s: int((decision.status == s).sum()) for s in deciding.STATUSES}
    payable = decision.payable
    summary = {
        "households": len(household_ids),
        "by_status": counts,
        "eligible": int(decision.eligible.sum()),
        "requested": float(decision.requested[decision.eligible & ~entitled].sum()),
        "proposed": float(decision.amount[payable].sum()),
        "budget_left": decision.budget,
        "coverage": round(decision.coverage, 4),
        "cut_off_score": decision.cut_off_score,
    }
    session.execute(
        insert(evaluations).values(
            id=evaluation_id,
            exposure_key=key,
            incident_id=incident_id,
            programme_id=row.id,
            programme_version=row.version,
            conditions=[c.describe() for c in programme.eligibility.conditions()],
            summary=summary,
            created_at=_now(),
        )
    )
    vulnerable = vulnerable_members(columns)
    for start in range(0, len(household_ids), 50_000):
        part = slice(start, start + 50_000)
        bulk_insert_columns(
            session,
            decisions,
            {
                "evaluation_id": [evaluation_id] * len(household_ids[part]),
                "household_id": household_ids[part].tolist(),
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
    if not payable.any():
        return f"triggered; {counts[deciding.NOT_ELIGIBLE]} not eligible, nobody new to pay, no batch"
    channels = np.where(columns["payment_channel_type"] == "", "cash_pickup", columns["payment_channel_type"])
    batch = propose_batch(
        session,
        admin_scope=smallest_common_area(columns["admin_code"][payable].tolist()),
        programme=programme,
        programme_id=row.id,
        programme_version=row.version,
        incident_id=incident_id,
        evaluation_id=evaluation_id,
        proposer=proposer,
        households=household_ids[payable].tolist(),
        amounts=decision.amount[payable].tolist(),
        channels=channels[payable].tolist(),
        budget=decision.budget,
        requested=summary["requested"],
        coverage=decision.coverage,
        cut_off_score=decision.cut_off_score,
        below_cut_off=counts[deciding.BELOW_CUT_OFF],
    )
    session.execute(update(evaluations).where(evaluations.c.id == evaluation_id).values(batch_id=batch["id"]))
    return f"triggered; batch {batch['id']} {batch['state']} for {batch['households']} households"


def propose_batch(
    session: Session,
    *,
    admin_scope: str,
    programme: Programme,
    programme_id: str,
    programme_version: int,
    incident_id: str,
    evaluation_id: str | None,
    proposer: str,
    households: list[str],
    amounts: list[float],
    channels: list[str],
    budget: float | None,
    requested: float,
    coverage: float,
    cut_off_score: float | None,
    below_cut_off: int,
    kind: str | None = None,
    replaces: list[str] | None = None,
) -> dict[str, Any]:
    """A new batch with one payment per household, its audit entry and its events.

    An anticipatory programme's batch within its pre-approved ceiling is approved on the spot.
    """
    now = _now()
    earlier = session.scalar(
        select(func.count())
        .select_from(batches)
        .where(batches.c.programme_id == programme_id, batches.c.incident_id == incident_id)
    )
    total = sum((money(a) for a in amounts), Decimal("0"))
    pre_approved = (
        kind is None
        and programme.trigger.mode == "anticipatory"
        and programme.pre_approved_ceiling > 0
        and _pre_approved_so_far(session, programme_id, incident_id) + total
        <= money(programme.pre_approved_ceiling)
    )
    state = "approved" if pre_approved else "proposed"
    batch = {
        "id": str(uuid.uuid4()),
        "programme_id": programme_id,
        "programme_version": programme_version,
        "incident_id": incident_id,
        "evaluation_id": evaluation_id,
        "kind": kind or ("supplementary" if earlier else "initial"),
        "state": state,
        "admin_scope": admin_scope,
        "currency": programme.currency,
        "households": len(households),
        "total": total,
        "requested": money(requested),
        "budget": None if budget is None else money(budget),
        "coverage": coverage,
        "cut_off_score": cut_off_score,
        "below_cut_off": below_cut_off,
        "proposed_by": proposer,
        "proposed_at": now,
        "decided_by": PRE_APPROVED if pre_approved else None,
        "decided_at": now if pre_approved else None,
        "updated_at": now,
    }
    session.execute(insert(batches).values(**batch))
    replaced = replaces or [None] * len(households)
    rows = [
        {
            "id": str(uuid.uuid4()),
            "end_to_end_id": new_end_to_end_id(),
            "batch_id": batch["id"],
            "programme_id": programme_id,
            "incident_id": incident_id,
            "household_id": h,
            "amount": round(float(a), 2),
            "currency": programme.currency,
            "channel_type": c,
            "state": state,
            "replaces": replaced[n],
            "created_at": now,
            "updated_at": now,
        }
        for n, (h, a, c) in enumerate(zip(households, amounts, channels, strict=True))
    ]
    bulk_insert(session, payments, rows)
    record(session, "batch", batch["id"], "proposed", None, "proposed", proposer, None, None)
    publish_batch(session, batch)
    if pre_approved:
        record(
            session,
            "batch",
            batch["id"],
            "pre_approved",
            "proposed",
            "approved",
            SYSTEM,
            None,
            f"within the programme's pre-approved ceiling of {programme.pre_approved_ceiling:g} "
            f"{programme.currency}",
        )
        publish_batch(session, {**batch, "state": "approved"})
    publish_payments(session, batch["id"], rows)
    return batch


def _pre_approved_so_far(session: Session, programme_id: str, incident_id: str) -> Decimal:
    """What the ceiling already let through for this incident (its live payments)."""
    spent = session.scalar(
        select(func.coalesce(func.sum(payments.c.amount), 0))
        .select_from(payments.join(batches, batches.c.id == payments.c.batch_id))
        .where(
            batches.c.programme_id == programme_id,
            batches.c.incident_id == incident_id,
            batches.c.decided_by == PRE_APPROVED,
            payments.c.state.in_(LIVE_PAYMENT_STATES),
        )
    )
    return Decimal(str(spent))


def withdraw_for_cancellation(session: Session, incident_id: str, version: int) -> None:
    """A cancelled alert: proposed batches are withdrawn; approved or instructed ones are flagged."""
    reason = f"the alert was cancelled (version {version}): review before any further payment"
    found = session.execute(
        select(batches).where(batches.c.incident_id == incident_id).order_by(batches.c.id).with_for_update()
    ).all()
    for batch in found:
        if batch.state == "proposed":
            change_batch(session, batch, "withdrawn", SYSTEM, None, reason, "withdrawn")
            move_payments(session, batch.id, "proposed", "withdrawn", reason)
        elif batch.state in ("approved", "instructed") and not batch.review_reason:
            flag_for_review(session, batch, reason, SYSTEM, None)


def move_payments(
    session: Session, batch_id: str, from_state: str, to_state: str, reason: str | None = None
) -> int:
    """Move a batch's payments in ``from_state`` to ``to_state`` (with ``reason`` when given) and
    publish the change. :return: how many moved."""
    moving = session.execute(
        select(payments).where(payments.c.batch_id == batch_id, payments.c.state == from_state)
    ).all()
    values: dict[str, Any] = {"state": to_state, "updated_at": _now()}
    if reason is not None:
        values["reason"] = reason
    session.execute(
        update(payments)
        .where(payments.c.batch_id == batch_id, payments.c.state == from_state)
        .values(**values)
    )
    publish_payments(session, batch_id, [{**p._mapping, **values} for p in moving])
    return len(moving)


def flag_for_review(session: Session, batch: Any, reason: str, by: str, role: str | None) -> None:
    """Hold a batch for a person's review (after a cancellation, or a duplicate to recover)."""
    session.execute(
        update(batches).where(batches.c.id == batch.id).values(review_reason=reason, updated_at=_now())
    )
    record(session, "batch", batch.id, "flagged", batch.state, batch.state, by, role, reason)
    publish_batch(session, {**batch._mapping, "review_reason": reason}, kind="flagged")


def change_batch(
    session: Session,
    batch: Any,
    state: str,
    by: str,
    role: str | None,
    comment: str | None,
    action: str,
    **values: Any,
) -> dict[str, Any]:
    """Move a batch to ``state``, with its audit entry and event.

    :raise BatchStateError: the batch changed state meanwhile (nothing is written then).
    """
    now = _now()
    moved = session.execute(
        update(batches)
        .where(batches.c.id == batch.id, batches.c.state == batch.state)
        .values(state=state, updated_at=now, **values)
    )
    if moved.rowcount != 1:
        raise BatchStateError(f"batch {batch.id} changed while this was being done; read it again")
    record(session, "batch", batch.id, action, batch.state, state, by, role, comment)
    changed = {**batch._mapping, **values, "state": state, "updated_at": now}
    publish_batch(session, changed)
    return changed


def record(
    session: Session,
    subject_type: str,
    subject_id: str,
    action: str,
    from_state: str | None,
    to_state: str | None,
    by: str,
    role: str | None,
    comment: str | None,
) -> None:
    """One line of the audit log, chained to the one before."""
    entry = AuditEntry(
        by=by,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        role=role,
        comment=comment,
        from_state=from_state,
        to_state=to_state,
    )
    append(session, audit, entry)


def batch_event_data(batch: dict[str, Any]) -> dict[str, Any]:
    return {
        "batch_id": batch["id"],
        "programme_id": batch["programme_id"],
        "programme_version": batch["programme_version"],
        "incident_id": batch["incident_id"],
        "kind": batch["kind"],
        "state": batch["state"],
        "currency": batch["currency"],
        "households": batch["households"],
        "total": str(money(batch["total"])),
        "coverage": batch["coverage"],
        "cut_off_score": batch["cut_off_score"],
        "below_cut_off": batch["below_cut_off"],
        "review_reason": batch.get("review_reason"),
        "admin_scope": batch.get("admin_scope"),
    }


def publish_batch(session: Session, batch: dict[str, Any], kind: str | None = None) -> None:
    add_event(
        session,
        outbox,
        BATCHES.name,
        CloudEvent(
            type=contract.BATCH_EVENT_TYPES[kind or batch["state"]],
            source=contract.SOURCE,
            subject=batch["id"],
            data=batch_event_data(batch),
        ),
    )


def publish_payments(session: Session, batch_id: str, rows: Sequence[dict[str, Any]]) -> None:
    """Payments whose state changed, in chunks (never one event per payment)."""
    size = contract.PAYMENT_CHUNK
    for start in range(0, len(rows), size):
        chunk = [
            {
                "payment_id": r["id"],
                "end_to_end_id": r["end_to_end_id"],
                "household_id": r["household_id"],
                "amount": str(money(r["amount"])),
                "currency": r["currency"],
                "channel_type": r["channel_type"],
                "state": r["state"],
                "reason": r.get("reason"),
            }
            for r in rows[start : start + size]
        ]
        add_event(
            session,
            outbox,
            BATCHES.name,
            CloudEvent(
                type=contract.PAYMENTS_CHANGED,
                source=contract.SOURCE,
                subject=batch_id,
                data={"batch_id": batch_id, "payments": chunk},
            ),
        )


def _now() -> datetime:
    return datetime.now(UTC)
