"""Payments: one household's entitlement under a programme for an incident, and the states it moves
through.

A payment follows its batch until a result arrives: ``proposed`` → ``approved`` (or ``rejected``,
``withdrawn``) → ``instructed`` (it is in a payment file) → ``settled``, ``failed`` (with the
provider's reason) or ``unknown`` (the provider did not say; it is never sent again until it does).
Only a failed payment may be re-issued, and re-issuing turns it into ``reissued`` in the same step
that creates its successor, so a household never holds two live payments: while one of its
payments is in :data:`LIVE_PAYMENT_STATES`, no other may exist for the same entitlement (the
database enforces it too, with a partial unique index).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from shared.errors import Conflict

PROPOSED, APPROVED, REJECTED, WITHDRAWN = "proposed", "approved", "rejected", "withdrawn"
INSTRUCTED, SETTLED, FAILED, UNKNOWN, REISSUED = "instructed", "settled", "failed", "unknown", "reissued"
#: Payment states that hold a household's entitlement for a programme and an incident.
LIVE_PAYMENT_STATES = (PROPOSED, APPROVED, INSTRUCTED, SETTLED, UNKNOWN, FAILED)
#: What a provider's result file may say of a payment.
PAYMENT_RESULTS = (SETTLED, FAILED, UNKNOWN)
#: A re-issued payment the provider later reports settled: the household may have been paid twice.
SETTLED_AFTER_REISSUE = "settled_after_reissue"
#: The format of a payment file, by channel.
FORMATS = {"bank_account": ("pain.001", "csv"), "mobile_money": ("csv",), "cash_pickup": ("csv",)}
CHANNELS = tuple(FORMATS)
#: The channel of a household whose registry record names none.
DEFAULT_CHANNEL = "cash_pickup"


class PaymentStateError(Conflict):
    slug = "payment-state"
    title = "Not possible in the payment's state"


@dataclass
class Payment:
    """One payment of a batch (never an account number: transfers holds none)."""

    id: str
    end_to_end_id: str
    batch_id: str
    programme_id: str
    incident_id: str
    household_id: str
    amount: Decimal
    currency: str
    channel_type: str
    state: str
    reason: str | None = None
    replaces: str | None = None
    instruction_file_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    #: 0 for the household's first payment of an entitlement, 1, 2… for its top-ups.
    entitlement_part: int = 0

    @classmethod
    def new(
        cls,
        batch_id: str,
        programme_id: str,
        incident_id: str,
        household_id: str,
        amount: float,
        currency: str,
        channel_type: str,
        state: str,
        replaces: str | None,
        at: datetime,
    ) -> Payment:
        """A payment proposed in a new batch, with a fresh id and end-to-end id."""
        return cls(
            id=str(uuid.uuid4()),
            end_to_end_id=new_end_to_end_id(),
            batch_id=batch_id,
            programme_id=programme_id,
            incident_id=incident_id,
            household_id=household_id,
            amount=Decimal(str(round(float(amount), 2))),
            currency=currency,
            channel_type=channel_type,
            state=state,
            replaces=replaces,
            created_at=at,
            updated_at=at,
        )

    @property
    def is_live(self) -> bool:
        """Whether it holds the household's entitlement (no other payment may exist beside it)."""
        return self.state in LIVE_PAYMENT_STATES

    def result_moves_to(self, result: str) -> str:
        """The state a provider's ``result`` moves this payment to.

        An instructed or unknown payment takes the result; the same result again changes nothing; a
        failed payment may be corrected to settled by its provider; a re-issued payment reported
        settled is recorded as :data:`SETTLED_AFTER_REISSUE` (its successor is then stopped or
        flagged).

        :raise PaymentStateError: a result contradicting a settled payment, or for a payment never sent.
        """
        return check_result(self.state, result, self.end_to_end_id)

    def reissue(self) -> None:
        """Mark a failed payment as paid again elsewhere (its successor is created beside it).

        :raise PaymentStateError: an unknown payment must be resolved first; others cannot be re-issued.
        """
        check_reissue(self.state, self.end_to_end_id)
        self.state = REISSUED

    def check_channel_change(self) -> None:
        """:raise PaymentStateError: only an approved payment not yet in a file changes channel."""
        if self.state != APPROVED:
            raise PaymentStateError(
                f"payment {self.end_to_end_id} is {self.state}; only an approved payment changes channel"
            )


@dataclass(frozen=True)
class ProposedPayments:
    """A new batch's payments, held by column: a national batch proposes a hundred thousand at
    once, and each needs no behaviour until it moves (read back, each is a :class:`Payment`).

    Each payment's id is a fresh UUID; its end-to-end id is that UUID's 32 hex digits after
    ``AMP`` (35 characters, never reused: a re-issued payment gets a new one).
    """

    batch_id: str
    programme_id: str
    incident_id: str
    currency: str
    state: str
    at: datetime
    ids: list[str]
    household_ids: list[str]
    #: Rounded to the cent.
    amounts: list[float]
    channel_types: list[str]
    replaces: list[str | None]
    #: 0 for a first payment, n for a household's n-th top-up (see :attr:`Payment.entitlement_part`).
    parts: list[int]

    @classmethod
    def of(
        cls,
        batch_id: str,
        programme_id: str,
        incident_id: str,
        currency: str,
        state: str,
        at: datetime,
        households: Sequence[str],
        amounts: Iterable[float],
        channel_types: Sequence[str],
        replaces: Sequence[str | None] | None,
        parts: Sequence[int] | None = None,
    ) -> ProposedPayments:
        count = len(households)
        rounded = [round(float(a), 2) for a in amounts]
        if (
            not len(rounded) == len(channel_types) == count
            or (replaces and len(replaces) != count)
            or (parts is not None and len(parts) != count)
        ):
            raise ValueError("a batch's households, amounts, channels and replaced payments differ in number")
        return cls(
            batch_id=batch_id,
            programme_id=programme_id,
            incident_id=incident_id,
            currency=currency,
            state=state,
            at=at,
            ids=[str(uuid.uuid4()) for _ in range(count)],
            household_ids=list(households),
            amounts=rounded,
            channel_types=list(channel_types),
            replaces=list(replaces) if replaces else [None] * count,
            parts=[int(p) for p in parts] if parts is not None else [0] * count,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[Payment]:
        for n in range(len(self)):
            yield self.payment(n)

    def end_to_end_ids(self) -> list[str]:
        return ["AMP" + i.replace("-", "") for i in self.ids]

    def payment(self, n: int) -> Payment:
        return Payment(
            id=self.ids[n],
            end_to_end_id="AMP" + self.ids[n].replace("-", ""),
            batch_id=self.batch_id,
            programme_id=self.programme_id,
            incident_id=self.incident_id,
            household_id=self.household_ids[n],
            amount=money(self.amounts[n]),
            currency=self.currency,
            channel_type=self.channel_types[n],
            state=self.state,
            replaces=self.replaces[n],
            created_at=self.at,
            updated_at=self.at,
            entitlement_part=self.parts[n],
        )


def check_result(payment_state: str, result: str, end_to_end_id: str) -> str:
    """The state a result moves a payment in ``payment_state`` to (see :meth:`Payment.result_moves_to`)."""
    if payment_state in (INSTRUCTED, UNKNOWN) or payment_state == result:
        return result
    if payment_state == FAILED and result == SETTLED:
        return SETTLED
    if payment_state == REISSUED:
        return SETTLED_AFTER_REISSUE if result == SETTLED else REISSUED
    raise PaymentStateError(
        f"payment {end_to_end_id} is {payment_state}; a result of {result!r} cannot apply to it"
    )


def check_reissue(payment_state: str, end_to_end_id: str) -> None:
    """Only a payment known to have failed may be paid again.

    :raise PaymentStateError: an unknown payment must be resolved first; others cannot be re-issued.
    """
    if payment_state == FAILED:
        return
    if payment_state == UNKNOWN:
        raise PaymentStateError(
            f"payment {end_to_end_id} has an unknown outcome: import the provider's status for it "
            "before paying again"
        )
    raise PaymentStateError(f"payment {end_to_end_id} is {payment_state}; only a failed payment is re-issued")


def file_format(channel_type: str, wanted: str | None) -> str:
    """The format a payment file on ``channel_type`` is written in (the first allowed, unless
    ``wanted`` names another allowed one).

    :raise ValueError: ``wanted`` is not a format of that channel (the caller names the field).
    """
    allowed = FORMATS[channel_type]
    chosen = wanted or allowed[0]
    if chosen not in allowed:
        raise ValueError(f"{channel_type} payments are written as {' or '.join(allowed)}")
    return chosen


def new_end_to_end_id() -> str:
    """A payment's end-to-end id: 35 characters (the ISO 20022 limit), never reused."""
    return "AMP" + uuid.uuid4().hex


def new_message_id() -> str:
    """A payment file's message id: 35 characters, unique."""
    return "AMPMSG" + uuid.uuid4().hex[:29]


def money(value: float | Decimal) -> Decimal:
    """An amount to the cent."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PaymentFile:
    """A payment file: which payments of a batch, on one channel, in which format. Its bytes are
    written on each download, with the account details read from the registry then."""

    id: str
    message_id: str
    batch_id: str
    channel_type: str
    format: str
    transactions: int
    control_sum: Decimal
    created_by: str
    created_at: datetime

    @classmethod
    def new(
        cls,
        batch_id: str,
        channel_type: str,
        file_format: str,
        payments: list[Payment],
        by: str,
        at: datetime,
    ) -> PaymentFile:
        return cls(
            id=str(uuid.uuid4()),
            message_id=new_message_id(),
            batch_id=batch_id,
            channel_type=channel_type,
            format=file_format,
            transactions=len(payments),
            control_sum=sum((money(p.amount) for p in payments), Decimal("0")),
            created_by=by,
            created_at=at,
        )
