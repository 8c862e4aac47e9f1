"""The batch and payment handlers over a fake unit of work: four eyes, never paid twice, re-issue
and every batch transition, with no database."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.transfers.domain.batches import (
    PRE_APPROVED,
    BatchStateError,
    FourEyes,
    Proposal,
)
from services.transfers.domain.exposures import Incident
from services.transfers.domain.instructions import ResultFileError
from services.transfers.domain.payments import LIVE_PAYMENT_STATES, PaymentStateError, ProposedPayments
from services.transfers.domain.programme_versions import ProgrammeVersion
from services.transfers.service_layer import approving, instructing, reissuing, results
from services.transfers.service_layer.batches import (
    BatchNotFound,
    payment_event,
    propose_batch,
    proposed_events,
    withdraw_for_cancellation,
)
from services.transfers.service_layer.commands import (
    ImportResults,
    ReissuePayments,
    ReviewBatch,
    SettleReview,
    WritePaymentFile,
)
from shared.auth import Principal
from shared.contracts import transfers as contract
from shared.contracts.messages import MESSAGES_REQUESTED
from tests.transfers_world import BANK, TORMENTA
from tests.unit.transfers_fakes import PROGRAMME, FakeUnitOfWork

ANTICIPATORY = {
    **TORMENTA,
    "trigger": {**TORMENTA["trigger"], "mode": "anticipatory"},
    "approval": {"four_eyes": True, "pre_approved_ceiling": 5000},
}
OFFICER = Principal("officer-ana", frozenset({"programme_officer"}), ("*",))
APPROVER = Principal("approver-luis", frozenset({"approver"}), ("*",))
PAYER = Principal("payer-eva", frozenset({"payments_officer"}), ("*",))


class Registry:
    """Account details as the registry answers them."""

    def __init__(self, accounts):
        self.accounts = accounts

    def fetch(self, household_ids):
        return {h: self.accounts[h] for h in household_ids if h in self.accounts}


def proposal(households, amounts=None, programme=PROGRAMME, **overrides):
    values = dict(
        admin_scope="HN-CR",
        programme=programme.programme,
        programme_id=programme.id,
        programme_version=programme.version,
        incident_id="inc-1",
        evaluation_id="eval-1",
        proposer="officer-ana",
        households=households,
        amounts=amounts or [1500.0] * len(households),
        channels=["bank_account"] * len(households),
        budget=None,
        requested=1500.0 * len(households),
        coverage=1.0,
        cut_off_score=None,
        below_cut_off=0,
    )
    return Proposal(**{**values, **overrides})


def proposed(uow, households=("h1", "h2", "h3"), **overrides):
    with uow:
        return propose_batch(uow, proposal(list(households), **overrides))


def approved(uow, households=("h1", "h2", "h3")):
    batch = proposed(uow, households)
    approving.review_batch(ReviewBatch(batch.id, True, APPROVER), uow)
    return batch


def instructed(uow, households=("h1", "h2", "h3")):
    batch = approved(uow, households)
    registry = Registry({h: BANK | {"beneficiary": h} for h in households})
    instructing.write_payment_file(WritePaymentFile(batch.id, "bank_account", "csv", PAYER), registry, uow)
    return batch


def results_csv(uow, batch_id, outcomes):
    by_household = {p.household_id: p for p in uow.payments.of_batch(batch_id)}
    lines = ["end_to_end_id,status,reason"]
    lines += [
        f"{by_household[h].end_to_end_id},{result},{'AC04' if result == 'failed' else ''}"
        for h, result in outcomes.items()
    ]
    return ("\n".join(lines) + "\n").encode()


def kinds(uow):
    return [e.type for e in uow.events]


# -- four eyes -----------------------------------------------------------------------------------


def test_the_proposer_never_approves_and_nothing_is_written_when_refused():
    uow = FakeUnitOfWork()
    batch = proposed(uow)
    before = (copy.deepcopy(uow.batches.rows), len(uow.batches.audit), len(uow.events))
    proposer = Principal("officer-ana", frozenset({"approver"}), ("*",))
    for approve in (True, False):
        with pytest.raises(FourEyes):
            approving.review_batch(ReviewBatch(batch.id, approve, proposer), uow)
    assert (uow.batches.rows, len(uow.batches.audit), len(uow.events)) == before
    assert uow.batches.rows[batch.id].state == "proposed"

    report = approving.review_batch(ReviewBatch(batch.id, True, APPROVER, "checked"), uow)
    assert report.batch.state == "approved" and report.batch.decided_by == "approver-luis"
    assert {p.state for p in uow.payments.rows.values()} == {"approved"}
    assert [a["action"] for a in uow.batches.audit] == ["proposed", "approved"]
    assert uow.batches.audit[-1]["role"] == "approver" and uow.batches.audit[-1]["comment"] == "checked"
    # The payments move first, then the batch: the order consumers of transfers.batches see (the
    # households are asked to be told on transfers.messages).
    on_batches = [k for k in kinds(uow) if k != MESSAGES_REQUESTED]
    assert on_batches[-2:] == [contract.PAYMENTS_CHANGED, contract.BATCH_EVENT_TYPES["approved"]]
    [told] = [
        e for e in uow.events if e.type == MESSAGES_REQUESTED and e.data["requests"][0]["kind"] == "approved"
    ]
    assert {r["household_id"] for r in told.data["requests"]} == {
        p.household_id for p in uow.payments.rows.values()
    }
    assert uow.waits[-1][0] == "approval"


def test_a_batch_is_reviewed_once():
    uow = FakeUnitOfWork()
    batch = proposed(uow)
    approving.review_batch(ReviewBatch(batch.id, False, APPROVER, "wrong area"), uow)
    assert {p.state for p in uow.payments.rows.values()} == {"rejected"}
    other = Principal("approver-rosa", frozenset({"approver"}), ("*",))
    with pytest.raises(BatchStateError, match="only a proposed batch"):
        approving.review_batch(ReviewBatch(batch.id, True, other), uow)


def test_a_batch_outside_the_jurisdiction_is_not_found():
    uow = FakeUnitOfWork()
    batch = proposed(uow)
    elsewhere = Principal("approver-luis", frozenset({"approver"}), ("HN-AT",))
    with pytest.raises(BatchNotFound):
        approving.review_batch(ReviewBatch(batch.id, True, elsewhere), uow)


def test_a_pre_approved_ceiling_approves_only_what_fits_within_it():
    anticipatory = ProgrammeVersion(
        "prog-2", 1, "early", ANTICIPATORY, "officer-ana", datetime.now(UTC), "approved", "approver-luis"
    )
    uow = FakeUnitOfWork(anticipatory)
    first = proposed(uow, ("h1", "h2"), programme=anticipatory, amounts=[2000.0, 2000.0])
    assert first.state == "approved" and first.decided_by == PRE_APPROVED
    assert [a["action"] for a in uow.batches.audit] == ["proposed", "pre_approved"]
    # 4 000 already let through: 2 000 more would pass the ceiling of 5 000.
    second = proposed(uow, ("h3",), programme=anticipatory, amounts=[2000.0])
    assert second.state == "proposed" and second.decided_by is None
    assert second.kind == "supplementary"


# -- payment files --------------------------------------------------------------------------------


def test_only_an_approved_batch_not_flagged_goes_into_a_file():
    uow = FakeUnitOfWork()
    batch = proposed(uow)
    registry = Registry({h: BANK for h in ("h1", "h2", "h3")})
    command = WritePaymentFile(batch.id, "bank_account", "csv", PAYER)
    with pytest.raises(BatchStateError, match="only an approved batch"):
        instructing.write_payment_file(command, registry, uow)
    approving.review_batch(ReviewBatch(batch.id, True, APPROVER), uow)
    withdraw_flagging(uow)
    with pytest.raises(BatchStateError, match="flagged for review"):
        instructing.write_payment_file(command, registry, uow)


def withdraw_flagging(uow):
    with uow:
        withdraw_for_cancellation(uow, "inc-1", 3)


def test_a_file_takes_the_payments_with_accounts_and_the_batch_waits_for_the_rest():
    uow = FakeUnitOfWork()
    batch = approved(uow)
    registry = Registry({"h1": BANK, "h2": BANK})
    written = instructing.write_payment_file(
        WritePaymentFile(batch.id, "bank_account", "csv", PAYER), registry, uow
    )
    assert written.file.transactions == 2 and written.file.control_sum == Decimal("3000.00")
    assert list(written.not_included.values()) and uow.batches.rows[batch.id].state == "approved"
    registry.accounts["h3"] = BANK
    instructing.write_payment_file(WritePaymentFile(batch.id, "bank_account", "csv", PAYER), registry, uow)
    assert uow.batches.rows[batch.id].state == "instructed"
    assert [a["action"] for a in uow.batches.audit][-2:] == ["file_written", "instructed"]


# -- results and re-issue -------------------------------------------------------------------------


def test_results_move_the_batch_settled_partly_failed_or_failed():
    for outcomes, state in (
        ({"h1": "settled", "h2": "settled"}, "settled"),
        ({"h1": "settled", "h2": "failed"}, "partly_failed"),
        ({"h1": "failed", "h2": "failed"}, "failed"),
        ({"h1": "settled", "h2": "unknown"}, "instructed"),
    ):
        uow = FakeUnitOfWork()
        batch = instructed(uow, ("h1", "h2"))
        imported = results.import_results(
            ImportResults(results_csv(uow, batch.id, outcomes), "text/csv", PAYER), uow
        )
        assert imported.batches == [batch.id]
        assert uow.batches.rows[batch.id].state == state, outcomes


def test_a_result_contradicting_a_settled_payment_changes_nothing():
    uow = FakeUnitOfWork()
    batch = instructed(uow, ("h1", "h2"))
    results.import_results(
        ImportResults(results_csv(uow, batch.id, {"h1": "settled"}), "text/csv", PAYER), uow
    )
    before = copy.deepcopy(uow.payments.rows)
    contradiction = results_csv(uow, batch.id, {"h2": "settled", "h1": "failed"})
    with pytest.raises(ResultFileError) as refused:
        results.import_results(ImportResults(contradiction, "text/csv", PAYER), uow)
    assert refused.value.errors[0].pointer == "line 3"
    assert uow.payments.rows == before


def test_a_failed_payment_is_reissued_once_and_the_household_never_holds_two_live_payments():
    uow = FakeUnitOfWork()
    batch = instructed(uow, ("h1", "h2"))
    outcomes = {"h1": "failed", "h2": "unknown"}
    results.import_results(ImportResults(results_csv(uow, batch.id, outcomes), "text/csv", PAYER), uow)
    unknown = next(p for p in uow.payments.rows.values() if p.state == "unknown")
    with pytest.raises(PaymentStateError, match="unknown outcome"):
        reissuing.reissue(ReissuePayments(batch.id, [unknown.id], None, PAYER), uow)

    successor = reissuing.reissue(ReissuePayments(batch.id, None, "mobile_money", PAYER, "wallet"), uow)
    assert successor.batch.kind == "reissue" and successor.batch.state == "proposed"
    old = next(p for p in uow.payments.rows.values() if p.household_id == "h1" and p.batch_id == batch.id)
    new = next(p for p in uow.payments.rows.values() if p.batch_id == successor.batch.id)
    assert old.state == "reissued" and new.replaces == old.id and new.channel_type == "mobile_money"
    assert new.end_to_end_id != old.end_to_end_id and new.amount == old.amount
    live = [
        p for p in uow.payments.rows.values() if p.household_id == "h1" and p.state in LIVE_PAYMENT_STATES
    ]
    assert live == [new]
    with pytest.raises(PaymentStateError, match="no failed payments"):
        reissuing.reissue(ReissuePayments(batch.id, None, None, PAYER), uow)
    with pytest.raises(PaymentStateError, match="only a failed payment"):
        reissuing.reissue(ReissuePayments(batch.id, [old.id], None, PAYER), uow)
    # The re-issue goes to a second person like any batch.
    payer_as_approver = Principal("payer-eva", frozenset({"approver"}), ("*",))
    with pytest.raises(FourEyes):
        approving.review_batch(ReviewBatch(successor.batch.id, True, payer_as_approver), uow)


def test_failed_payments_of_a_cancelled_alert_are_not_paid_again():
    uow = FakeUnitOfWork()
    batch = instructed(uow, ("h1",))
    results.import_results(
        ImportResults(results_csv(uow, batch.id, {"h1": "failed"}), "text/csv", PAYER), uow
    )
    uow.incidents.rows["inc-1"] = Incident("inc-1", 2, "cancelled", {}, 1)
    with pytest.raises(BatchStateError, match="cancelled"):
        reissuing.reissue(ReissuePayments(batch.id, None, None, PAYER), uow)


def test_a_payment_settled_after_its_reissue_stops_the_unsent_reissue():
    uow = FakeUnitOfWork()
    batch = instructed(uow, ("h1",))
    results.import_results(
        ImportResults(results_csv(uow, batch.id, {"h1": "failed"}), "text/csv", PAYER), uow
    )
    successor = reissuing.reissue(ReissuePayments(batch.id, None, None, PAYER), uow)
    results.import_results(
        ImportResults(results_csv(uow, batch.id, {"h1": "settled"}), "text/csv", PAYER), uow
    )
    new = next(p for p in uow.payments.rows.values() if p.batch_id == successor.batch.id)
    assert new.state == "withdrawn" and uow.batches.rows[successor.batch.id].state == "withdrawn"


# -- a cancelled alert ----------------------------------------------------------------------------


def test_a_cancellation_withdraws_proposed_batches_and_flags_approved_ones_for_review():
    uow = FakeUnitOfWork()
    waiting = proposed(uow, ("h1",))
    paid = approved(uow, ("h2", "h3"))
    withdraw_flagging(uow)
    assert uow.batches.rows[waiting.id].state == "withdrawn"
    assert {p.state for p in uow.payments.of_batch(waiting.id)} == {"withdrawn"}
    flagged = uow.batches.rows[paid.id]
    assert flagged.state == "approved" and "cancelled (version 3)" in flagged.review_reason
    assert contract.BATCH_EVENT_TYPES["flagged"] in kinds(uow)
    # A second cancellation does not flag it again.
    audit_lines = len(uow.batches.audit)
    withdraw_flagging(uow)
    assert len(uow.batches.audit) == audit_lines

    with pytest.raises(BatchStateError, match="not flagged"):
        approving.settle_review(SettleReview(waiting.id, True, APPROVER, "pay"), uow)
    report = approving.settle_review(SettleReview(paid.id, False, APPROVER, "stop it"), uow)
    assert report.batch.state == "withdrawn" and report.batch.review_reason is None
    assert {p.state for p in uow.payments.of_batch(paid.id)} == {"withdrawn"}


def test_a_flagged_batch_kept_after_review_pays_on():
    uow = FakeUnitOfWork()
    paid = approved(uow, ("h1",))
    withdraw_flagging(uow)
    report = approving.settle_review(SettleReview(paid.id, True, APPROVER, "the storm hit anyway"), uow)
    assert report.batch.state == "approved" and report.batch.review_reason is None
    assert uow.batches.audit[-1]["action"] == "review_kept"
    written = instructing.write_payment_file(
        WritePaymentFile(paid.id, "bank_account", None, PAYER), Registry({"h1": BANK}), uow
    )
    assert written.file.format == "pain.001" and uow.batches.rows[paid.id].state == "instructed"


def test_a_new_batchs_payments_held_by_column_read_back_as_payments_and_events():
    at = datetime(2026, 10, 1, tzinfo=UTC)
    proposed = ProposedPayments.of(
        "b",
        "p",
        "i",
        "HNL",
        "proposed",
        at,
        ["h1", "h2"],
        [2250.0, 1999.999],
        ["mobile_money", "cash_pickup"],
        None,
    )
    first, second = list(proposed)
    assert (first.household_id, first.amount, first.replaces) == ("h1", Decimal("2250.00"), None)
    assert second.amount == Decimal("2000.00")
    ids = [p.end_to_end_id for p in proposed]
    assert ids == proposed.end_to_end_ids() and len(set(ids)) == 2
    assert all(len(e) == 35 and e.startswith("AMP") for e in ids)
    assert proposed_events(proposed) == [payment_event(p) for p in proposed]
    with pytest.raises(ValueError, match="differ in number"):
        ProposedPayments.of("b", "p", "i", "HNL", "proposed", at, ["h1"], [1.0, 2.0], ["mobile_money"], None)
