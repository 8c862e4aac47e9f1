"""Paying: approving batches (four eyes), writing payment files, importing results, re-issuing.

Every step is done by a person with a role, with a comment, and lands in the audit log and on
``transfers.batches`` in the same transaction as the change.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from services.transfers.adapters.orm import (
    audit_log,
    batches,
    incidents,
    instruction_files,
    payments,
    programmes,
)
from services.transfers.adapters.payment_schema import LIVE_PAYMENT_STATES
from services.transfers.domain import instructions as files
from services.transfers.domain.batches import BatchStateError, batch_state_after_results, review
from services.transfers.domain.payments import (
    FORMATS,
    SETTLED_AFTER_REISSUE,
    PaymentStateError,
    check_reissue,
    check_result,
    money,
    new_message_id,
)
from services.transfers.domain.programmes import Programme, parse_programme
from services.transfers.service_layer.deciding import (
    change_batch,
    flag_for_review,
    move_payments,
    propose_batch,
    publish_payments,
    record,
)
from shared.auth import Principal
from shared.db import as_read, reading
from shared.errors import FieldProblem, InvalidInput, NotFound

Covers = Callable[[str], bool]


class PaymentDetailsSource(Protocol):
    """Where account details come from for an export (the registry); never stored here."""

    def fetch(self, household_ids: Sequence[str]) -> Mapping[str, Mapping[str, Any]]: ...


class BatchNotFound(NotFound):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def _batch(session: Session, batch_id: str, covers: Covers, lock: bool = False) -> Any:
    """:raise BatchNotFound: no such batch, or one outside the caller's jurisdiction."""
    query = select(batches).where(batches.c.id == batch_id)
    row = session.execute(query.with_for_update() if lock else query).first()
    if row is None or not covers(row.admin_scope):
        raise BatchNotFound(f"no batch {batch_id} in your jurisdiction")
    return row


def _anyone(_: str) -> bool:
    return True


def _programme(session: Session, batch: Any) -> Programme:
    """The programme at the version that proposed ``batch``."""
    document = session.scalar(
        select(programmes.c.document).where(
            programmes.c.id == batch.programme_id, programmes.c.version == batch.programme_version
        )
    )
    return parse_programme(document)


def _check_channel(channel_type: str) -> str:
    """:raise InvalidInput: not a payment channel Amparo writes files for."""
    if channel_type not in FORMATS:
        raise InvalidInput(
            f"unknown channel {channel_type!r}",
            errors=[FieldProblem("/channel_type", f"one of {', '.join(FORMATS)}")],
        )
    return channel_type


def _role(principal: Principal, wanted: str) -> str:
    return wanted if wanted in principal.roles else next(iter(principal.roles), "")


# -- reading -----------------------------------------------------------------------------------


def batch_view(session: Session, batch: Any) -> dict[str, Any]:
    states = dict(
        session.execute(
            select(payments.c.state, func.count())
            .where(payments.c.batch_id == batch.id)
            .group_by(payments.c.state)
        ).all()
    )
    channels = dict(
        session.execute(
            select(payments.c.channel_type, func.count())
            .where(payments.c.batch_id == batch.id)
            .group_by(payments.c.channel_type)
        ).all()
    )
    trail = session.execute(
        select(audit_log)
        .where(audit_log.c.subject_type == "batch", audit_log.c.subject_id == batch.id)
        .order_by(audit_log.c.position)
    ).all()
    view = dict(batch._mapping)
    for name in ("total", "requested", "budget"):
        view[name] = None if view[name] is None else str(money(view[name]))
    for name in ("proposed_at", "decided_at", "updated_at"):
        view[name] = as_read(view[name]).isoformat() if view[name] else None
    view["payments_by_state"] = states
    view["payments_by_channel"] = channels
    view["audit"] = [
        {
            "action": a.action,
            "from_state": a.from_state,
            "to_state": a.to_state,
            "by": a.by,
            "role": a.role,
            "comment": a.comment,
            "at": as_read(a.at).isoformat(),
        }
        for a in trail
    ]
    return view


def get_batch(batch_id: str, covers: Covers, sessions: sessionmaker[Session]) -> dict[str, Any]:
    with reading(sessions) as session:
        return batch_view(session, _batch(session, batch_id, covers))


def list_batches(
    sessions: sessionmaker[Session], covers: Covers, incident_id: str | None = None, state: str | None = None
) -> list[dict[str, Any]]:
    query = select(batches).order_by(batches.c.proposed_at.desc()).limit(200)
    if incident_id:
        query = query.where(batches.c.incident_id == incident_id)
    if state:
        query = query.where(batches.c.state == state)
    with reading(sessions) as session:
        return [batch_view(session, b) for b in session.execute(query).all() if covers(b.admin_scope)]


def list_payments(
    batch_id: str, covers: Covers, sessions: sessionmaker[Session], state: str | None, offset: int, limit: int
) -> dict[str, Any]:
    with reading(sessions) as session:
        _batch(session, batch_id, covers)
        query = select(payments).where(payments.c.batch_id == batch_id)
        if state:
            query = query.where(payments.c.state == state)
        rows = session.execute(
            query.order_by(payments.c.created_at, payments.c.id).offset(offset).limit(limit)
        ).all()
    return {"payments": [payment_view(p) for p in rows], "offset": offset, "limit": limit}


def payment_view(p: Any) -> dict[str, Any]:
    """A payment as the API shows it (never an account number: transfers holds none)."""
    return {
        "id": p.id,
        "end_to_end_id": p.end_to_end_id,
        "batch_id": p.batch_id,
        "programme_id": p.programme_id,
        "incident_id": p.incident_id,
        "household_id": p.household_id,
        "amount": str(money(p.amount)),
        "currency": p.currency,
        "channel_type": p.channel_type,
        "state": p.state,
        "reason": p.reason,
        "replaces": p.replaces,
        "instruction_file_id": p.instruction_file_id,
    }


# -- approving ----------------------------------------------------------------------------------


def decide_batch(
    batch_id: str, approve: bool, principal: Principal, comment: str | None, sessions: sessionmaker[Session]
) -> dict[str, Any]:
    """Approve or reject a proposed batch; never by the person who proposed it.

    :raise FourEyes: the approver proposed it; :raise BatchStateError: it is not proposed.
    """
    with sessions.begin() as session:
        batch = _batch(session, batch_id, principal.covers, lock=True)
        state = review(batch.state, batch.proposed_by, principal.subject, approve)
        move_payments(session, batch_id, "proposed", state)
        changed = change_batch(
            session,
            batch,
            state,
            principal.subject,
            _role(principal, "approver"),
            comment,
            state,
            decided_by=principal.subject,
            decided_at=_now(),
        )
        return batch_view(session, _batch(session, changed["id"], principal.covers))


def clear_review(
    batch_id: str, keep: bool, principal: Principal, comment: str, sessions: sessionmaker[Session]
) -> dict[str, Any]:
    """After a cancellation flagged an approved batch: keep it (pay on) or withdraw what is not yet
    instructed."""
    with sessions.begin() as session:
        batch = _batch(session, batch_id, principal.covers, lock=True)
        if not batch.review_reason:
            raise BatchStateError(f"batch {batch_id} is not flagged for review")
        role = _role(principal, "approver")
        if keep:
            session.execute(update(batches).where(batches.c.id == batch_id).values(review_reason=None))
            record(
                session,
                "batch",
                batch_id,
                "review_kept",
                batch.state,
                batch.state,
                principal.subject,
                role,
                comment,
            )
        else:
            move_payments(session, batch_id, "approved", "withdrawn", batch.review_reason)
            sent = list(
                session.scalars(
                    select(payments.c.state).where(
                        payments.c.batch_id == batch_id, payments.c.state != "withdrawn"
                    )
                )
            )
            # What was already sent is followed to its results; nothing sent: the batch is withdrawn.
            state = batch_state_after_results("instructed", sent) if sent else "withdrawn"
            change_batch(
                session,
                batch,
                state,
                principal.subject,
                role,
                comment,
                "review_withdrawn",
                review_reason=None,
            )
        return batch_view(session, _batch(session, batch_id, principal.covers))


# -- payment files ------------------------------------------------------------------------------


def instruct(
    batch_id: str,
    channel_type: str,
    file_format: str | None,
    principal: Principal,
    details: PaymentDetailsSource,
    sessions: sessionmaker[Session],
) -> dict[str, Any]:
    """Put the batch's approved payments on one channel into a payment file and mark them instructed.

    Payments whose registry record lacks the account the channel needs stay approved, named in the
    answer. The file itself is written on download, with the account details read then.

    :raise BatchStateError: the batch is not approved, or is flagged for review after a cancellation.
    """
    allowed = FORMATS[_check_channel(channel_type)]
    file_format = file_format or allowed[0]
    if file_format not in allowed:
        raise InvalidInput(
            f"{channel_type} payments are written as {' or '.join(allowed)}",
            errors=[FieldProblem("/format", f"one of {', '.join(allowed)}")],
        )
    with reading(sessions) as session:
        batch = _batch(session, batch_id, principal.covers)
        _check_instructable(batch)
        programme = _programme(session, batch)
        payer = programme.payer
        if file_format == "pain.001" and not (payer.get("iban") or payer.get("account_number")):
            raise files.PaymentFileError(
                "the programme names no payer account for bank transfers; define a new version with one",
                errors=[FieldProblem("/payer/iban", "the IBAN or account number debited by the transfers")],
            )
        waiting = session.execute(
            select(payments.c.id, payments.c.household_id, payments.c.amount, payments.c.end_to_end_id).where(
                payments.c.batch_id == batch_id,
                payments.c.state == "approved",
                payments.c.channel_type == channel_type,
            )
        ).all()
    found = details.fetch([p.household_id for p in waiting]) if waiting else {}
    lacking = {
        p.id: why for p in waiting if (why := files.missing_account(channel_type, found.get(p.household_id)))
    }
    ready = [p for p in waiting if p.id not in lacking]
    if file_format == "pain.001" and ready:
        # Write the file once now: a file that would fail its schema moves nothing.
        header = files.FileHeader("AMPMSGCHECK", _now(), payer, programme.institute, programme.name)
        files.pain_001(
            header,
            [
                files.Instruction(
                    p.end_to_end_id,
                    p.household_id,
                    money(p.amount),
                    batch.currency,
                    channel_type,
                    found[p.household_id],
                )
                for p in ready
            ],
        )
    ready_ids = {p.id for p in ready}
    with sessions.begin() as session:
        batch = _batch(session, batch_id, principal.covers, lock=True)
        _check_instructable(batch)
        file_id = str(uuid.uuid4())
        rows = [
            p
            for p in session.execute(
                select(payments).where(
                    payments.c.batch_id == batch_id,
                    payments.c.state == "approved",
                    payments.c.channel_type == channel_type,
                )
            ).all()
            if p.id in ready_ids
        ]
        if not rows:
            raise BatchStateError(
                f"batch {batch_id} has no approved {channel_type} payments ready for a file",
                lacking={k: v for k, v in list(lacking.items())[:50]},
            )
        total = sum((money(p.amount) for p in rows), Decimal("0"))
        session.execute(
            insert(instruction_files).values(
                id=file_id,
                message_id=new_message_id(),
                batch_id=batch_id,
                channel_type=channel_type,
                format=file_format,
                transactions=len(rows),
                control_sum=total,
                created_by=principal.subject,
                created_at=_now(),
            )
        )
        session.execute(
            update(payments)
            .where(payments.c.id == bindparam("payment_id"), payments.c.state == "approved")
            .values(state="instructed", instruction_file_id=file_id, updated_at=_now()),
            [{"payment_id": p.id} for p in rows],
        )
        in_file = session.scalar(select(func.count()).where(payments.c.instruction_file_id == file_id))
        if in_file != len(rows):
            raise BatchStateError(f"payments of batch {batch_id} changed while the file was being written")
        if lacking:
            session.execute(
                update(payments)
                .where(payments.c.id == bindparam("payment_id"))
                .values(reason=bindparam("why")),
                [{"payment_id": k, "why": v} for k, v in lacking.items()],
            )
        publish_payments(session, batch_id, [{**p._mapping, "state": "instructed"} for p in rows])
        remaining = session.scalar(
            select(func.count()).where(payments.c.batch_id == batch_id, payments.c.state == "approved")
        )
        role = _role(principal, "payments_officer")
        comment = (
            f"{file_format} file {file_id}: {len(rows)} {channel_type} payments, {total:.2f} {batch.currency}"
        )
        if remaining == 0:
            change_batch(session, batch, "instructed", principal.subject, role, comment, "instructed")
        else:
            record(
                session,
                "batch",
                batch_id,
                "file_written",
                batch.state,
                batch.state,
                principal.subject,
                role,
                comment,
            )
        file_row = session.execute(select(instruction_files).where(instruction_files.c.id == file_id)).one()
        return {**_file_view(file_row), "not_included": lacking}


def _check_instructable(batch: Any) -> None:
    if batch.review_reason:
        raise BatchStateError(f"batch {batch.id} is flagged for review: {batch.review_reason}")
    if batch.state not in ("approved",):
        raise BatchStateError(
            f"batch {batch.id} is {batch.state}; only an approved batch is sent for payment"
        )


def _file_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "message_id": row.message_id,
        "batch_id": row.batch_id,
        "channel_type": row.channel_type,
        "format": row.format,
        "transactions": row.transactions,
        "control_sum": str(money(row.control_sum)),
        "created_by": row.created_by,
        "created_at": as_read(row.created_at).isoformat(),
    }


def render_file(
    file_id: str, principal: Principal, details: PaymentDetailsSource, sessions: sessionmaker[Session]
) -> tuple[bytes, str, str]:
    """The payment file's bytes, content type and file name; account details are read from the
    registry now and exist only in the answer. Each download is in the audit log.

    :raise PaymentFileError: the file cannot be written (no payer account, a schema failure).
    """
    with reading(sessions) as session:
        row = session.execute(select(instruction_files).where(instruction_files.c.id == file_id)).first()
        if row is None:
            raise NotFound(f"no payment file {file_id}")
        programme = _programme(session, _batch(session, row.batch_id, principal.covers))
        items = session.execute(
            select(payments)
            .where(payments.c.instruction_file_id == file_id)
            .order_by(payments.c.end_to_end_id)
        ).all()
    found = details.fetch([p.household_id for p in items])
    problems = [
        FieldProblem(f"payment {p.end_to_end_id}", why)
        for p in items
        if (why := files.missing_account(p.channel_type, found.get(p.household_id)))
    ]
    if problems:
        raise files.PaymentFileError(
            f"the file cannot be written: {len(problems)} payment(s) have no usable account details now",
            errors=problems[:200],
        )
    instructions = [
        files.Instruction(
            p.end_to_end_id,
            p.household_id,
            money(p.amount),
            p.currency,
            p.channel_type,
            found.get(p.household_id) or {},
        )
        for p in items
    ]
    header = files.FileHeader(
        row.message_id, as_read(row.created_at), programme.payer, programme.institute, programme.name
    )
    if row.format == "pain.001":
        body, content_type, name = (
            files.pain_001(header, instructions),
            "application/xml",
            f"{row.message_id}.xml",
        )
    else:
        body, content_type, name = (
            files.provider_csv(header, instructions),
            "text/csv",
            f"{row.message_id}.csv",
        )
    with sessions.begin() as session:
        record(
            session,
            "batch",
            row.batch_id,
            "file_downloaded",
            None,
            None,
            principal.subject,
            _role(principal, "payments_officer"),
            f"{row.format} file {file_id} ({row.transactions} payments, "
            f"sha256 {hashlib.sha256(body).hexdigest()[:16]})",
        )
    return body, content_type, name


def change_channel(
    batch_id: str,
    payment_ids: Sequence[str],
    channel_type: str,
    principal: Principal,
    comment: str,
    sessions: sessionmaker[Session],
) -> dict[str, Any]:
    """Move approved payments not yet in a file to another channel (an account missing in the
    registry, say), keeping their end-to-end ids.

    :raise PaymentStateError: a named payment is not approved (already in a file, say).
    """
    _check_channel(channel_type)
    with sessions.begin() as session:
        batch = _batch(session, batch_id, principal.covers, lock=True)
        _check_instructable(batch)
        rows = session.execute(
            select(payments).where(payments.c.batch_id == batch_id, payments.c.id.in_(list(payment_ids)))
        ).all()
        missing = sorted(set(payment_ids) - {r.id for r in rows})
        if missing:
            raise NotFound(f"payments not in batch {batch_id}: {', '.join(missing[:20])}")
        for r in rows:
            if r.state != "approved":
                raise PaymentStateError(
                    f"payment {r.end_to_end_id} is {r.state}; only an approved payment changes channel"
                )
        session.execute(
            update(payments)
            .where(payments.c.id.in_([r.id for r in rows]))
            .values(channel_type=channel_type, reason=None, updated_at=_now())
        )
        publish_payments(session, batch_id, [{**r._mapping, "channel_type": channel_type} for r in rows])
        record(
            session,
            "batch",
            batch_id,
            "channel_changed",
            batch.state,
            batch.state,
            principal.subject,
            _role(principal, "payments_officer"),
            f"{len(rows)} payments to {channel_type}: {comment}",
        )
        return batch_view(session, batch)


# -- results ------------------------------------------------------------------------------------


def import_results(
    raw: bytes, content_type: str, principal: Principal, sessions: sessionmaker[Session]
) -> dict[str, Any]:
    """Apply a provider's result file (CSV or pain.002): each payment becomes settled, failed (with
    the reason) or unknown. The file is taken whole or not at all.

    :raise ResultFileError: unknown payment ids, a payment twice, a result that contradicts one
        already known (a settled payment reported failed), naming each line.
    """
    results = files.parse_results(raw, content_type)
    with sessions.begin() as session:
        ids = [r.end_to_end_id for r in results]
        # Batches first, then their payments (the order every other writer locks them in); a
        # payment of a batch outside the caller's jurisdiction is as unknown as a made-up id.
        scopes = {
            b.id: b.admin_scope
            for start in range(0, len(ids), 1000)
            for b in session.execute(
                select(batches.c.id, batches.c.admin_scope)
                .where(
                    batches.c.id.in_(
                        select(payments.c.batch_id).where(
                            payments.c.end_to_end_id.in_(ids[start : start + 1000])
                        )
                    )
                )
                .with_for_update()
            ).all()
        }
        known = {
            p.end_to_end_id: p
            for start in range(0, len(ids), 1000)
            for p in session.execute(
                select(payments)
                .where(payments.c.end_to_end_id.in_(ids[start : start + 1000]))
                .with_for_update()
            ).all()
            if principal.covers(scopes.get(p.batch_id, ""))
        }
        problems = []
        targets: dict[str, str] = {}
        for r in results:
            payment = known.get(r.end_to_end_id)
            if payment is None:
                problems.append(FieldProblem(f"line {r.line}", f"no payment {r.end_to_end_id}"))
                continue
            try:
                targets[r.end_to_end_id] = check_result(payment.state, r.result, r.end_to_end_id)
            except PaymentStateError as exc:
                problems.append(FieldProblem(f"line {r.line}", exc.detail))
        if problems:
            raise files.ResultFileError(
                f"the result file was not applied: {len(problems)} line(s) refused", errors=problems[:200]
            )
        by_batch: dict[str, list[dict[str, Any]]] = {}
        now = _now()
        counts = {"settled": 0, "failed": 0, "unknown": 0, "unchanged": 0, SETTLED_AFTER_REISSUE: 0}
        for r in results:
            payment = known[r.end_to_end_id]
            target, reason = targets[r.end_to_end_id], r.reason
            if payment.state == target:
                counts["unchanged"] += 1
                continue
            if target == SETTLED_AFTER_REISSUE:
                target, reason = _settled_after_reissue(session, payment, principal, by_batch)
            counts[target] += 1
            session.execute(
                update(payments)
                .where(payments.c.id == payment.id)
                .values(state=target, reason=reason, updated_at=now)
            )
            by_batch.setdefault(payment.batch_id, []).append(
                {**payment._mapping, "state": target, "reason": reason}
            )
        digest = hashlib.sha256(raw).hexdigest()[:16]
        for batch_id, changed in by_batch.items():
            publish_payments(session, batch_id, changed)
            _settle_batch(
                session, batch_id, principal, f"results file sha256 {digest}: {len(changed)} payments"
            )
        return {"results": len(results), **counts, "batches": sorted(by_batch)}


def _settled_after_reissue(
    session: Session, payment: Any, principal: Principal, by_batch: dict[str, list[dict[str, Any]]]
) -> tuple[str, str]:
    """The provider paid a payment after it was re-issued. Its successor, if not yet sent, is
    withdrawn and the original counts as settled; if it was sent, both are kept on record and the
    successor's batch is flagged so that the duplicate is recovered."""
    successor = session.execute(
        select(payments)
        .where(payments.c.replaces == payment.id, payments.c.state.in_(LIVE_PAYMENT_STATES))
        .with_for_update()
    ).first()
    if successor is None or successor.state in ("proposed", "approved", "failed"):
        if successor is not None:
            why = f"the payment it replaced ({payment.end_to_end_id}) was settled after all"
            session.execute(
                update(payments)
                .where(payments.c.id == successor.id)
                .values(state="withdrawn", reason=why, updated_at=_now())
            )
            by_batch.setdefault(successor.batch_id, []).append(
                {**successor._mapping, "state": "withdrawn", "reason": why}
            )
        return "settled", "settled after it was re-issued; the re-issue was withdrawn"
    why = (
        f"payment {payment.end_to_end_id} was settled after being re-issued as {successor.end_to_end_id}, "
        "which was already sent: the household may have been paid twice; recover the duplicate"
    )
    flag_for_review(
        session,
        _batch(session, successor.batch_id, _anyone, lock=True),
        why,
        principal.subject,
        _role(principal, "payments_officer"),
    )
    return SETTLED_AFTER_REISSUE, why


def _settle_batch(session: Session, batch_id: str, principal: Principal, comment: str) -> None:
    batch = _batch(session, batch_id, _anyone, lock=True)
    states = session.scalars(
        select(payments.c.state).where(payments.c.batch_id == batch_id, payments.c.state != "withdrawn")
    )
    remaining = list(states)
    if not remaining and batch.state in ("proposed", "approved"):
        state = "withdrawn"  # every payment it held was withdrawn
    else:
        state = batch_state_after_results(batch.state, remaining)
    role = _role(principal, "payments_officer")
    if state != batch.state:
        change_batch(session, batch, state, principal.subject, role, comment, state)
    else:
        record(
            session,
            "batch",
            batch_id,
            "results_imported",
            batch.state,
            state,
            principal.subject,
            role,
            comment,
        )


# -- re-issuing ---------------------------------------------------------------------------------


def reissue(
    batch_id: str,
    payment_ids: Sequence[str] | None,
    channel_type: str | None,
    principal: Principal,
    comment: str | None,
    sessions: sessionmaker[Session],
) -> dict[str, Any]:
    """A new batch paying again the failed payments of ``batch_id`` (all, or those named), on
    ``channel_type`` or their own. Each failed payment becomes ``reissued`` in the same transaction
    that creates its successor (a new end-to-end id), which goes through approval again.

    :raise PaymentStateError: a named payment is not failed (an unknown one must be resolved first).
    """
    if channel_type is not None:
        _check_channel(channel_type)
    with sessions.begin() as session:
        batch = _batch(session, batch_id, principal.covers, lock=True)
        alert_state = session.scalar(
            select(incidents.c.state).where(incidents.c.incident_id == batch.incident_id)
        )
        if alert_state == "cancelled" or batch.review_reason:
            raise BatchStateError(
                f"the alert of batch {batch_id} was cancelled: its failed payments are not paid again"
            )
        query = select(payments).where(payments.c.batch_id == batch_id).with_for_update()
        if payment_ids:
            query = query.where(payments.c.id.in_(list(payment_ids)))
        else:
            query = query.where(payments.c.state == "failed")
        rows = session.execute(query).all()
        if payment_ids and len(rows) != len(set(payment_ids)):
            missing = sorted(set(payment_ids) - {r.id for r in rows})
            raise NotFound(f"payments not in batch {batch_id}: {', '.join(missing[:20])}")
        if not rows:
            raise PaymentStateError(f"batch {batch_id} has no failed payments to re-issue")
        for r in rows:
            check_reissue(r.state, r.end_to_end_id)
        session.execute(
            update(payments)
            .where(payments.c.id.in_([r.id for r in rows]))
            .values(state="reissued", updated_at=_now())
        )
        publish_payments(session, batch_id, [{**r._mapping, "state": "reissued"} for r in rows])
        total = float(sum(money(r.amount) for r in rows))
        new_batch = propose_batch(
            session,
            admin_scope=batch.admin_scope,
            programme=_programme(session, batch),
            programme_id=batch.programme_id,
            programme_version=batch.programme_version,
            incident_id=batch.incident_id,
            evaluation_id=batch.evaluation_id,
            proposer=principal.subject,
            households=[r.household_id for r in rows],
            amounts=[float(r.amount) for r in rows],
            channels=[channel_type or r.channel_type for r in rows],
            budget=None,
            requested=total,
            coverage=1.0,
            cut_off_score=None,
            below_cut_off=0,
            kind="reissue",
            replaces=[r.id for r in rows],
        )
        record(
            session,
            "batch",
            batch_id,
            "reissued",
            batch.state,
            batch.state,
            principal.subject,
            _role(principal, "payments_officer"),
            f"{len(rows)} failed payments re-issued in batch {new_batch['id']}"
            + (f": {comment}" if comment else ""),
        )
        _settle_batch(session, batch_id, principal, "failed payments re-issued")
        return batch_view(session, _batch(session, new_batch["id"], principal.covers))
