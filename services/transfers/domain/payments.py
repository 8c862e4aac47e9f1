"""Batches and payments: their states, who may move them, and what a result does to them.

A batch is ``proposed`` → ``approved`` or ``rejected`` (never by its proposer) → ``instructed``
(every payment is in a payment file) → ``settled``, ``partly_failed`` or ``failed`` once every
result is known. A proposed batch is ``withdrawn`` when its alert is cancelled; an approved one is
flagged for review instead, because money may already be on its way.

A payment follows its batch until a result arrives: ``settled``, ``failed`` (with the provider's
reason) or ``unknown`` (the provider did not say; it is never sent again until it does). Only a
failed payment may be re-issued, and re-issuing turns it into ``reissued`` in the same step that
creates its successor, so a household never holds two live payments.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from shared.errors import Conflict, Forbidden

BATCH_STATES = (
    "proposed",
    "approved",
    "rejected",
    "withdrawn",
    "instructed",
    "settled",
    "partly_failed",
    "failed",
)
PAYMENT_RESULTS = ("settled", "failed", "unknown")
#: The format of a payment file, by channel.
FORMATS = {"bank_account": ("pain.001", "csv"), "mobile_money": ("csv",), "cash_pickup": ("csv",)}
CHANNELS = tuple(FORMATS)


class BatchStateError(Conflict):
    slug = "batch-state"
    title = "Not possible in the batch's state"


class FourEyes(Forbidden):
    slug = "four-eyes"
    title = "Four eyes: approval needs a second person"


class PaymentStateError(Conflict):
    slug = "payment-state"
    title = "Not possible in the payment's state"


def review(batch_state: str, proposed_by: str, reviewer: str, approve: bool) -> str:
    """The state a batch moves to when ``reviewer`` approves (or rejects) it.

    :raise FourEyes: the reviewer proposed it; :raise BatchStateError: it is not proposed.
    """
    if batch_state != "proposed":
        raise BatchStateError(
            f"the batch is {batch_state}; only a proposed batch can be approved or rejected"
        )
    if reviewer == proposed_by:
        raise FourEyes(
            f"{reviewer} proposed this batch and cannot also {'approve' if approve else 'reject'} it"
        )
    return "approved" if approve else "rejected"


def batch_state_after_results(current: str, payment_states: Iterable[str]) -> str:
    """A batch's state once its payments have moved: settled, partly or wholly failed, or as it was."""
    states = list(payment_states)
    if current not in ("instructed", "settled", "partly_failed", "failed") or not states:
        return current
    waiting = {"approved", "instructed", "unknown"}
    if any(s in waiting for s in states):
        return "instructed"
    failed = sum(s in ("failed", "reissued") for s in states)
    if failed == 0:
        return "settled"
    return "failed" if failed == len(states) else "partly_failed"


#: A re-issued payment the provider later reports settled: the household may have been paid twice.
SETTLED_AFTER_REISSUE = "settled_after_reissue"


def check_result(payment_state: str, result: str, end_to_end_id: str) -> str:
    """The state a result moves a payment to.

    An instructed or unknown payment takes the result; the same result again changes nothing; a
    failed payment may be corrected to settled by its provider; a re-issued payment reported
    settled is recorded as :data:`SETTLED_AFTER_REISSUE` (its successor is then stopped or flagged).

    :raise PaymentStateError: a result contradicting a settled payment, or for a payment never sent.
    """
    if payment_state in ("instructed", "unknown") or payment_state == result:
        return result
    if payment_state == "failed" and result == "settled":
        return "settled"
    if payment_state == "reissued":
        return SETTLED_AFTER_REISSUE if result == "settled" else "reissued"
    raise PaymentStateError(
        f"payment {end_to_end_id} is {payment_state}; a result of {result!r} cannot apply to it"
    )


def check_reissue(payment_state: str, end_to_end_id: str) -> None:
    """Only a payment known to have failed may be paid again.

    :raise PaymentStateError: an unknown payment must be resolved first; others cannot be re-issued.
    """
    if payment_state == "failed":
        return
    if payment_state == "unknown":
        raise PaymentStateError(
            f"payment {end_to_end_id} has an unknown outcome: import the provider's status for it "
            "before paying again"
        )
    raise PaymentStateError(f"payment {end_to_end_id} is {payment_state}; only a failed payment is re-issued")


def new_end_to_end_id() -> str:
    """A payment's end-to-end id: 35 characters (the ISO 20022 limit), never reused."""
    return "AMP" + uuid.uuid4().hex


def new_message_id() -> str:
    """A payment file's message id: 35 characters, unique."""
    return "AMPMSG" + uuid.uuid4().hex[:29]


def money(value: float | Decimal) -> Decimal:
    """An amount to the cent."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
