"""Batches: proposing one, finding one in a person's jurisdiction, and writing each step of a batch
(its audit line and its event) in the transaction that takes it.

Every step is done by a person with a role (or by the service itself), lands in the audit log and
on ``transfers.batches`` in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from services.transfers.domain.batches import REISSUE, SYSTEM, Batch, Proposal
from services.transfers.domain.messages import message_requests
from services.transfers.domain.payments import PROPOSED, WITHDRAWN, Payment, ProposedPayments, money
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.audit import AuditEntry
from shared.auth import Principal
from shared.contracts import messages as messages_contract
from shared.contracts import transfers as contract
from shared.errors import NotFound
from shared.events import CloudEvent
from shared.kafka import BATCHES, MESSAGES

Covers = Callable[[str], bool]


class BatchNotFound(NotFound):
    pass


def now() -> datetime:
    return datetime.now(UTC)


def anyone(_: str) -> bool:
    """A jurisdiction covering every area: for steps the service takes itself."""
    return True


def role_of(principal: Principal, wanted: str) -> str:
    """The role a person acts in: ``wanted`` when they hold it (the audit log names it)."""
    return wanted if wanted in principal.roles else next(iter(principal.roles), "")


def find_batch(uow: TransfersUnitOfWork, batch_id: str, covers: Covers, lock: bool = False) -> Batch:
    """:raise BatchNotFound: no such batch, or one outside the caller's jurisdiction."""
    batch = uow.batches.get(batch_id, lock=lock)
    if batch is None or not covers(batch.admin_scope):
        raise BatchNotFound(f"no batch {batch_id} in your jurisdiction")
    return batch


def propose_batch(uow: TransfersUnitOfWork, proposal: Proposal) -> Batch:
    """A new batch with one payment per household, its audit lines and its events; an anticipatory
    programme's batch within its pre-approved ceiling is approved on the spot."""
    earlier = uow.batches.count_for(proposal.programme_id, proposal.incident_id)
    incidents = uow.hazard_events.incidents_with(proposal.incident_id)
    so_far = uow.payments.pre_approved_so_far(proposal.programme_id, incidents)
    batch, payments = Batch.propose(proposal, earlier, so_far, now())
    if batch.kind != REISSUE:  # a re-issue is proposed after a failure, not after the alert
        uow.waited("proposal", uow.exposures.first_received(proposal.incident_id), batch.proposed_at)
    if batch.decided_at is not None:  # approved on the spot, within the pre-approved ceiling
        uow.waited("approval", batch.proposed_at, batch.decided_at)
    uow.batches.add(batch)
    uow.payments.add_proposed(payments)
    write_steps(uow, batch)
    publish_changes(uow, batch.id, proposed_events(payments))
    return batch


def withdraw_for_cancellation(uow: TransfersUnitOfWork, incident_id: str, version: int) -> None:
    """A cancelled alert: proposed batches are withdrawn; approved or instructed ones are flagged."""
    reason = f"the alert was cancelled (version {version}): review before any further payment"
    for batch in uow.batches.of_incident(incident_id):
        if batch.state == PROPOSED:
            batch.withdraw_for_cancellation(reason, now())
            save(uow, batch)
            publish_payments(uow, batch.id, uow.payments.move(batch.id, PROPOSED, WITHDRAWN, reason, now()))
        elif batch.state in ("approved", "instructed") and not batch.review_reason:
            batch.flag_for_review(reason, SYSTEM, None, now())
            save(uow, batch)


def save(uow: TransfersUnitOfWork, batch: Batch) -> None:
    """Write a batch read in this unit of work, then its steps.

    :raise BatchStateError: it changed state meanwhile (nothing is written then).
    """
    uow.batches.save(batch)
    write_steps(uow, batch)


def write_steps(uow: TransfersUnitOfWork, batch: Batch) -> None:
    """The audit line of each step the batch took, and the event of those that publish one."""
    for step in batch.changes:
        uow.record(
            AuditEntry(
                by=step.by,
                action=step.action,
                subject_type="batch",
                subject_id=batch.id,
                role=step.role,
                comment=step.comment,
                from_state=step.from_state,
                to_state=step.to_state,
            )
        )
        if step.publishes is not None:
            uow.publish(
                BATCHES.name,
                CloudEvent(
                    type=contract.BATCH_EVENT_TYPES[step.publishes],
                    source=contract.SOURCE,
                    subject=batch.id,
                    data=step.event,
                ),
            )
    batch.changes.clear()


def publish_payments(uow: TransfersUnitOfWork, batch_id: str, payments: Sequence[Payment]) -> None:
    """Payments whose state changed, in chunks (never one event per payment)."""
    publish_changes(uow, batch_id, [payment_event(p) for p in payments])


def publish_changes(uow: TransfersUnitOfWork, batch_id: str, changes: Sequence[dict[str, object]]) -> None:
    """:func:`publish_payments` for payments already written as their events."""
    size = contract.PAYMENT_CHUNK
    events = [
        CloudEvent(
            type=contract.PAYMENTS_CHANGED,
            source=contract.SOURCE,
            subject=batch_id,
            data={
                "batch_id": batch_id,
                "payments": list(changes[start : start + size]),
            },
        )
        for start in range(0, len(changes), size)
    ]
    if events:
        uow.publish_all(BATCHES.name, events)
    request_messages(uow, batch_id, changes)


def request_messages(uow: TransfersUnitOfWork, batch_id: str, changes: Sequence[dict[str, object]]) -> None:
    """Ask the registry to tell each household whose payment moved to a state it hears of."""
    batch = uow.batches.get(batch_id)
    version = uow.programmes.get(batch.programme_id, batch.programme_version) if batch else None
    if batch is None or version is None:
        return
    decided_at = batch.proposed_at
    if batch.kind == REISSUE:  # decided when the first payment was, not when it failed and went again
        first = [
            b.proposed_at
            for b in uow.batches.of_incident(batch.incident_id)
            if b.programme_id == batch.programme_id
        ]
        decided_at = min(first, default=batch.proposed_at)
    requests = message_requests(
        changes,
        batch.programme_id,
        version.document,
        decided_at,
        reissue=batch.kind == REISSUE,
        incident_id=batch.incident_id,
    )
    uow.publish_all(
        MESSAGES.name, messages_contract.requested_events(batch_id, {"batch_id": batch_id}, requests)
    )


def proposed_events(proposed: ProposedPayments) -> list[dict[str, object]]:
    """The events of a new batch's payments, built from its columns."""
    return [
        {
            "payment_id": i,
            "end_to_end_id": e,
            "household_id": h,
            "amount": f"{a:.2f}",
            "currency": proposed.currency,
            "channel_type": c,
            "state": proposed.state,
            "reason": None,
        }
        for i, e, h, a, c in zip(
            proposed.ids,
            proposed.end_to_end_ids(),
            proposed.household_ids,
            proposed.amounts,
            proposed.channel_types,
            strict=True,
        )
    ]


def payment_event(p: Payment) -> dict[str, object]:
    return {
        "payment_id": p.id,
        "end_to_end_id": p.end_to_end_id,
        "household_id": p.household_id,
        "amount": str(money(p.amount)),
        "currency": p.currency,
        "channel_type": p.channel_type,
        "state": p.state,
        "reason": p.reason,
    }
