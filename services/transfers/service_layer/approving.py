"""Approving batches: four eyes on every proposed batch, and a person's review of a batch flagged
after its alert was cancelled."""

from __future__ import annotations

from services.transfers.domain.payments import APPROVED, PROPOSED, WITHDRAWN, money
from services.transfers.service_layer.batches import find_batch, now, publish_payments, role_of, save
from services.transfers.service_layer.commands import ReviewBatch, SettleReview
from services.transfers.service_layer.reading import BatchReport, report
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork


def review_batch(command: ReviewBatch, uow: TransfersUnitOfWork) -> BatchReport:
    """Approve or reject a proposed batch; never by the person who proposed it. A batch whose
    total is above its programme's ``second_approval_above`` needs two approvers.

    :raise FourEyes: the approver proposed it, or gave its first approval;
        :raise BatchStateError: it is not proposed.
    """
    person = command.by
    with uow:
        batch = find_batch(uow, command.batch_id, person.covers, lock=True)
        version = uow.programmes.get(batch.programme_id, batch.programme_version)
        above = version.programme.second_approval_above if version else None
        needed = 2 if above is not None and batch.total > money(above) else 1
        state = batch.review(
            person.subject, command.approve, role_of(person, "approver"), command.comment, now(), needed
        )
        if state != PROPOSED:  # a first of two approvals moves no payment
            publish_payments(uow, batch.id, uow.payments.move(batch.id, PROPOSED, state, None, now()))
        if state == APPROVED:
            uow.waited("approval", batch.proposed_at, batch.decided_at)
        save(uow, batch)
        return report(uow, batch)


def settle_review(command: SettleReview, uow: TransfersUnitOfWork) -> BatchReport:
    """After a cancellation flagged an approved batch: keep it (pay on) or withdraw what is not yet
    instructed.

    :raise BatchStateError: the batch is not flagged for review.
    """
    person = command.by
    role = role_of(person, "approver")
    with uow:
        batch = find_batch(uow, command.batch_id, person.covers, lock=True)
        if command.keep:
            batch.keep_after_review(person.subject, role, command.comment)
        else:
            batch.check_flagged()
            withdrawn = uow.payments.move(batch.id, APPROVED, WITHDRAWN, batch.review_reason, now())
            publish_payments(uow, batch.id, withdrawn)
            batch.withdraw_after_review(
                uow.payments.states_in(batch.id), person.subject, role, command.comment, now()
            )
        save(uow, batch)
        return report(uow, batch)
