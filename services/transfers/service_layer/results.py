"""Results: a provider's result file moves each payment it names to settled, failed or unknown,
and each batch with its payments. The file is taken whole or not at all."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from services.transfers.domain import instructions as files
from services.transfers.domain.payments import (
    APPROVED,
    FAILED,
    PROPOSED,
    SETTLED,
    SETTLED_AFTER_REISSUE,
    WITHDRAWN,
    Payment,
    PaymentStateError,
)
from services.transfers.service_layer.batches import anyone, find_batch, now, publish_payments, role_of, save
from services.transfers.service_layer.commands import ImportResults
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.auth import Principal
from shared.errors import FieldProblem


@dataclass
class ResultsImported:
    """How many results the file held, what became of them, and the batches they moved."""

    results: int
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            (SETTLED, FAILED, "unknown", "unchanged", SETTLED_AFTER_REISSUE), 0
        )
    )
    batches: list[str] = field(default_factory=list)


def import_results(command: ImportResults, uow: TransfersUnitOfWork) -> ResultsImported:
    """Apply a provider's result file (CSV or pain.002): each payment becomes settled, failed (with
    the reason) or unknown.

    :raise ResultFileError: unknown payment ids, a payment twice, a result that contradicts one
        already known (a settled payment reported failed), naming each line.
    """
    results = files.parse_results(command.raw, command.content_type)
    person = command.by
    with uow:
        ids = [r.end_to_end_id for r in results]
        # Batches first, then their payments (the order every other writer locks them in); a
        # payment of a batch outside the caller's jurisdiction is as unknown as a made-up id.
        scopes = uow.batches.scopes_holding(ids)
        known = {
            e2e: p
            for e2e, p in uow.payments.by_end_to_end_id(ids).items()
            if person.covers(scopes.get(p.batch_id, ""))
        }
        targets = _targets(results, known)
        imported = ResultsImported(len(results))
        moved: dict[str, list[Payment]] = {}
        for r in results:
            payment = known[r.end_to_end_id]
            target, reason = targets[r.end_to_end_id], r.reason
            if payment.state == target:
                imported.counts["unchanged"] += 1
                continue
            if target == SETTLED_AFTER_REISSUE:
                target, reason = _settled_after_reissue(uow, payment, person, moved)
            imported.counts[target] += 1
            payment.state, payment.reason, payment.updated_at = target, reason, now()
            moved.setdefault(payment.batch_id, []).append(payment)
        uow.payments.save_all([p for changed in moved.values() for p in changed])
        _note_settlement_waits(uow, [p for changed in moved.values() for p in changed if p.state == SETTLED])
        digest = hashlib.sha256(command.raw).hexdigest()[:16]
        for batch_id, changed in moved.items():
            publish_payments(uow, batch_id, changed)
            settle_batch(uow, batch_id, person, f"results file sha256 {digest}: {len(changed)} payments")
        imported.batches = sorted(moved)
        return imported


def _note_settlement_waits(uow: TransfersUnitOfWork, settled: list[Payment]) -> None:
    """For the pipeline's metrics: each payment settled, after its file and after its alert."""
    filed: dict[str, datetime | None] = {}
    alerted: dict[str, datetime | None] = {}
    for payment in settled:
        if payment.instruction_file_id and payment.instruction_file_id not in filed:
            file = uow.files.get(payment.instruction_file_id)
            filed[payment.instruction_file_id] = file.created_at if file else None
        if payment.incident_id not in alerted:
            alerted[payment.incident_id] = uow.exposures.first_received(payment.incident_id)
        at = payment.updated_at or now()
        uow.waited("settlement", filed.get(payment.instruction_file_id or ""), at)
        uow.waited("alert_to_settlement", alerted[payment.incident_id], at)


def _targets(results: list[files.Result], known: dict[str, Payment]) -> dict[str, str]:
    """The state each result moves its payment to.

    :raise ResultFileError: naming every line that cannot apply (nothing is applied then).
    """
    problems = []
    targets: dict[str, str] = {}
    for r in results:
        payment = known.get(r.end_to_end_id)
        if payment is None:
            problems.append(FieldProblem(f"line {r.line}", f"no payment {r.end_to_end_id}"))
            continue
        try:
            targets[r.end_to_end_id] = payment.result_moves_to(r.result)
        except PaymentStateError as exc:
            problems.append(FieldProblem(f"line {r.line}", exc.detail))
    if problems:
        raise files.ResultFileError(
            f"the result file was not applied: {len(problems)} line(s) refused", errors=problems[:200]
        )
    return targets


def _settled_after_reissue(
    uow: TransfersUnitOfWork, payment: Payment, person: Principal, moved: dict[str, list[Payment]]
) -> tuple[str, str]:
    """The provider paid a payment after it was re-issued. Its successor, if not yet sent, is
    withdrawn and the original counts as settled; if it was sent, both are kept on record and the
    successor's batch is flagged so that the duplicate is recovered."""
    successor = uow.payments.live_successor(payment.id)
    if successor is None or successor.state in (PROPOSED, APPROVED, FAILED):
        if successor is not None:
            why = f"the payment it replaced ({payment.end_to_end_id}) was settled after all"
            successor.state, successor.reason, successor.updated_at = WITHDRAWN, why, now()
            moved.setdefault(successor.batch_id, []).append(successor)
        return SETTLED, "settled after it was re-issued; the re-issue was withdrawn"
    why = (
        f"payment {payment.end_to_end_id} was settled after being re-issued as {successor.end_to_end_id}, "
        "which was already sent: the household may have been paid twice; recover the duplicate"
    )
    batch = find_batch(uow, successor.batch_id, anyone, lock=True)
    batch.flag_for_review(why, person.subject, role_of(person, "payments_officer"), now())
    save(uow, batch)
    return SETTLED_AFTER_REISSUE, why


def settle_batch(uow: TransfersUnitOfWork, batch_id: str, person: Principal, comment: str) -> None:
    """The batch moves with its payments (settled, partly or wholly failed, withdrawn), or notes
    that results were imported."""
    batch = find_batch(uow, batch_id, anyone, lock=True)
    batch.results_known(
        uow.payments.states_in(batch_id), person.subject, role_of(person, "payments_officer"), comment, now()
    )
    save(uow, batch)
