"""Re-issuing: paying failed payments again, in a new batch that goes through approval again.

Each failed payment becomes ``reissued`` in the same transaction that creates its successor (a new
end-to-end id), so a household never holds two live payments for one entitlement.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.transfers.domain.batches import REISSUE, Proposal
from services.transfers.domain.payments import FAILED, Payment, PaymentStateError, money
from services.transfers.service_layer.batches import (
    find_batch,
    now,
    propose_batch,
    publish_payments,
    role_of,
    write_steps,
)
from services.transfers.service_layer.commands import ReissuePayments
from services.transfers.service_layer.instructing import check_channel
from services.transfers.service_layer.reading import BatchReport, report
from services.transfers.service_layer.results import settle_batch
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.errors import NotFound


def _failed(uow: TransfersUnitOfWork, batch_id: str, payment_ids: Sequence[str] | None) -> list[Payment]:
    """The batch's failed payments (those named, when named), held until commit.

    :raise NotFound: a named payment is not in the batch.
    """
    if not payment_ids:
        return uow.payments.of_batch(batch_id, FAILED, lock=True)
    failed = uow.payments.named(batch_id, payment_ids, lock=True)
    missing = sorted(set(payment_ids) - {p.id for p in failed})
    if missing:
        raise NotFound(f"payments not in batch {batch_id}: {', '.join(missing[:20])}")
    return failed


def reissue(command: ReissuePayments, uow: TransfersUnitOfWork) -> BatchReport:
    """A new batch paying again the failed payments of a batch (all, or those named), on another
    channel or their own.

    :raise BatchStateError: the batch's alert was cancelled; :raise PaymentStateError: a named
        payment is not failed (an unknown one must be resolved first), or none has failed.
    """
    with uow:
        return reissue_within(uow, command)


def reissue_within(uow: TransfersUnitOfWork, command: ReissuePayments) -> BatchReport:
    """:func:`reissue` inside a transaction the caller holds (a grievance resolved by re-issuing)."""
    if command.channel_type is not None:
        check_channel(command.channel_type)
    person = command.by
    batch = find_batch(uow, command.batch_id, person.covers, lock=True)
    incident = uow.incidents.get(batch.incident_id)
    batch.check_reissuable(incident.state if incident is not None else None)
    failed = _failed(uow, batch.id, command.payment_ids)
    if not failed:
        raise PaymentStateError(f"batch {batch.id} has no failed payments to re-issue")
    for p in failed:
        p.reissue()
        p.updated_at = now()
    uow.payments.save_all(failed)
    publish_payments(uow, batch.id, failed)
    programme = uow.programmes.get(batch.programme_id, batch.programme_version)
    if programme is None:
        raise NotFound(f"no programme {batch.programme_id} at version {batch.programme_version}")
    successor = propose_batch(
        uow,
        Proposal(
            admin_scope=batch.admin_scope,
            programme=programme.programme,
            programme_id=batch.programme_id,
            programme_version=batch.programme_version,
            incident_id=batch.incident_id,
            evaluation_id=batch.evaluation_id,
            proposer=person.subject,
            households=[p.household_id for p in failed],
            amounts=[float(p.amount) for p in failed],
            channels=[command.channel_type or p.channel_type for p in failed],
            budget=None,
            requested=float(sum(money(p.amount) for p in failed)),
            coverage=1.0,
            cut_off_score=None,
            below_cut_off=0,
            kind=REISSUE,
            replaces=[p.id for p in failed],
            parts=[p.entitlement_part for p in failed],
        ),
    )
    comment = f"{len(failed)} failed payments re-issued in batch {successor.id}" + (
        f": {command.comment}" if command.comment else ""
    )
    batch.note("reissued", person.subject, role_of(person, "payments_officer"), comment)
    write_steps(uow, batch)
    settle_batch(uow, batch.id, person, "failed payments re-issued")
    return report(uow, find_batch(uow, successor.id, person.covers))
