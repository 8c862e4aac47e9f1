"""Batches: the payments one evaluation (or one re-issue) proposes, and who may move them where.

A batch is ``proposed`` → ``approved`` or ``rejected`` (never by its proposer: four eyes) →
``instructed`` (every payment is in a payment file) → ``settled``, ``partly_failed`` or ``failed``
once every result is known. A proposed batch is ``withdrawn`` when its alert is cancelled; an
approved one is flagged for review instead, because money may already be on its way. An
anticipatory programme's batch that fits within its pre-approved ceiling is approved on the spot.

Every step is a method of :class:`Batch`; each appends a :class:`BatchChange` (the audit line and,
for most, the event it publishes), which the service layer writes in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.transfers.domain.deciding import BELOW_CUT_OFF, Evaluation
from services.transfers.domain.payments import (
    APPROVED,
    DEFAULT_CHANNEL,
    FAILED,
    INSTRUCTED,
    PROPOSED,
    REISSUED,
    REJECTED,
    UNKNOWN,
    WITHDRAWN,
    ProposedPayments,
    money,
)
from services.transfers.domain.programmes import Programme
from shared.admin_codes import smallest_common_area
from shared.errors import Conflict, Forbidden

SETTLED, PARTLY_FAILED = "settled", "partly_failed"
BATCH_STATES = (PROPOSED, APPROVED, REJECTED, WITHDRAWN, INSTRUCTED, SETTLED, PARTLY_FAILED, FAILED)
#: Who approves a batch within a programme's pre-approved ceiling.
PRE_APPROVED = "pre-approved ceiling"
#: Who acts when nobody does: the service itself (a cancellation withdraws, a ceiling approves).
SYSTEM = "amparo"
#: A batch proposed by an evaluation is ``initial`` (the first for its programme and incident) or
#: ``supplementary``; one paying failed payments again is a ``reissue``.
INITIAL, SUPPLEMENTARY, REISSUE = "initial", "supplementary", "reissue"
#: The event kind published when a batch is flagged for review (its state does not change).
FLAGGED = "flagged"


class BatchStateError(Conflict):
    slug = "batch-state"
    title = "Not possible in the batch's state"


class FourEyes(Forbidden):
    slug = "four-eyes"
    title = "Four eyes: approval needs a second person"


@dataclass(frozen=True)
class BatchChange:
    """One step of a batch: its audit line, and the event kind it publishes (``None``: none)."""

    action: str
    from_state: str | None
    to_state: str | None
    by: str
    role: str | None
    comment: str | None
    publishes: str | None
    #: The batch as its event carries it at this step.
    event: dict[str, Any]


@dataclass(frozen=True)
class Proposal:
    """What an evaluation (or a re-issue) asks to pay: one household, amount and channel each."""

    admin_scope: str
    programme: Programme
    programme_id: str
    programme_version: int
    incident_id: str
    evaluation_id: str | None
    proposer: str
    households: Sequence[str]
    amounts: Sequence[float]
    channels: Sequence[str]
    budget: float | None
    requested: float
    coverage: float
    cut_off_score: float | None
    below_cut_off: int
    kind: str | None = None
    replaces: Sequence[str] | None = None
    #: Each payment's part of its household's entitlement (``None``: all first payments).
    parts: Sequence[int] | None = None
    #: A person asked for it (deciding again, a grievance): never within the pre-approved ceiling.
    by_person: bool = False

    @classmethod
    def of_evaluation(cls, evaluation: Evaluation, programme: Programme, proposer: str) -> Proposal | None:
        """The batch an evaluation asks for: every payable household, on its payment channel
        (cash pick-up when the registry names none); ``None`` when nobody new is payable."""
        decision, columns = evaluation.decision, evaluation.columns
        payable = decision.payable
        if not payable.any():
            return None
        channels = columns["payment_channel_type"][payable]
        return cls(
            admin_scope=smallest_common_area(columns["admin_code"][payable].tolist()),
            programme=programme,
            programme_id=evaluation.programme_id,
            programme_version=evaluation.programme_version,
            incident_id=evaluation.incident_id,
            evaluation_id=evaluation.id,
            proposer=proposer,
            households=evaluation.household_ids[payable].tolist(),
            parts=None if evaluation.parts is None else evaluation.parts[payable].tolist(),
            amounts=decision.amount[payable].tolist(),
            channels=[c or DEFAULT_CHANNEL for c in channels.tolist()],
            budget=decision.budget,
            requested=float(evaluation.summary["requested"]),  # type: ignore[arg-type]
            coverage=decision.coverage,
            cut_off_score=decision.cut_off_score,
            below_cut_off=evaluation.counts[BELOW_CUT_OFF],
        )

    @property
    def total(self) -> Decimal:
        return sum((money(a) for a in self.amounts), Decimal("0"))

    def pre_approved(self, so_far: Decimal) -> bool:
        """Whether it fits within the programme's pre-approved ceiling, given what the ceiling
        already let through for this incident: only an evaluation's batch of an anticipatory
        programme with a ceiling does, when the alert itself decided (a re-issue, or a batch a
        person's request proposed, always goes to a second person)."""
        programme = self.programme
        return (
            self.kind is None
            and not self.by_person
            and programme.trigger.mode == "anticipatory"
            and programme.pre_approved_ceiling > 0
            and so_far + self.total <= money(programme.pre_approved_ceiling)
        )


@dataclass
class Batch:
    id: str
    programme_id: str
    programme_version: int
    incident_id: str
    evaluation_id: str | None
    kind: str
    state: str
    admin_scope: str
    currency: str
    households: int
    total: Decimal
    requested: Decimal | None
    budget: Decimal | None
    coverage: float | None
    cut_off_score: float | None
    below_cut_off: int | None
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    updated_at: datetime | None = None
    review_reason: str | None = None
    #: The first of two approvers, when the batch's total needs two.
    first_approved_by: str | None = None
    #: Steps taken since it was read, in order, not yet written.
    changes: list[BatchChange] = field(default_factory=list, repr=False, compare=False)

    # -- proposing ------------------------------------------------------------------------------

    @classmethod
    def propose(
        cls, proposal: Proposal, earlier_batches: int, pre_approved_so_far: Decimal, at: datetime
    ) -> tuple[Batch, ProposedPayments]:
        """A new batch with one payment per household, approved on the spot when it fits within
        the programme's pre-approved ceiling."""
        pre_approved = proposal.pre_approved(pre_approved_so_far)
        state = APPROVED if pre_approved else PROPOSED
        batch = cls(
            id=str(uuid.uuid4()),
            programme_id=proposal.programme_id,
            programme_version=proposal.programme_version,
            incident_id=proposal.incident_id,
            evaluation_id=proposal.evaluation_id,
            kind=proposal.kind or (SUPPLEMENTARY if earlier_batches else INITIAL),
            state=state,
            admin_scope=proposal.admin_scope,
            currency=proposal.programme.currency,
            households=len(proposal.households),
            total=proposal.total,
            requested=money(proposal.requested),
            budget=None if proposal.budget is None else money(proposal.budget),
            coverage=proposal.coverage,
            cut_off_score=proposal.cut_off_score,
            below_cut_off=proposal.below_cut_off,
            proposed_by=proposal.proposer,
            proposed_at=at,
            decided_by=PRE_APPROVED if pre_approved else None,
            decided_at=at if pre_approved else None,
            updated_at=at,
        )
        batch._step("proposed", None, PROPOSED, proposal.proposer, None, None, publishes=state)
        if pre_approved:
            ceiling = f"{proposal.programme.pre_approved_ceiling:g} {proposal.programme.currency}"
            comment = f"within the programme's pre-approved ceiling of {ceiling}"
            batch._step("pre_approved", PROPOSED, APPROVED, SYSTEM, None, comment, publishes=APPROVED)
        payments = ProposedPayments.of(
            batch.id,
            batch.programme_id,
            batch.incident_id,
            batch.currency,
            state,
            at,
            proposal.households,
            proposal.amounts,
            proposal.channels,
            proposal.replaces,
            proposal.parts,
        )
        return batch, payments

    # -- reviewing ------------------------------------------------------------------------------

    def review(
        self,
        reviewer: str,
        approve: bool,
        role: str | None,
        comment: str | None,
        at: datetime,
        approvers_needed: int = 1,
    ) -> str:
        """Approve (or reject) a proposed batch; never by the person who proposed it. A batch that
        needs two approvers stays proposed after the first, and the second must be someone else.

        :return: the state its payments move to with it.
        :raise FourEyes: the reviewer proposed it, or already gave the first approval;
            :raise BatchStateError: it is not proposed.
        """
        state = review(self.state, self.proposed_by, reviewer, approve)
        if reviewer == self.first_approved_by:
            raise FourEyes(f"{reviewer} gave this batch its first approval; a second approver must decide")
        if approve and approvers_needed > 1 and self.first_approved_by is None:
            self.first_approved_by, self.updated_at = reviewer, at
            said = f"first of two approvals{': ' + comment if comment else ''}"
            self._step("first_approval", PROPOSED, PROPOSED, reviewer, role, said, publishes=None)
            return PROPOSED
        self.decided_by, self.decided_at = reviewer, at
        self._move(state, reviewer, role, comment, action=state, at=at)
        return state

    def withdraw_for_cancellation(self, reason: str, at: datetime) -> None:
        """Its alert was cancelled before anyone approved it."""
        self._move(WITHDRAWN, SYSTEM, None, reason, action=WITHDRAWN, at=at)

    def flag_for_review(self, reason: str, by: str, role: str | None, at: datetime) -> None:
        """Hold it for a person's review (after a cancellation, or a duplicate payment to recover)."""
        self.review_reason, self.updated_at = reason, at
        self._step(FLAGGED, self.state, self.state, by, role, reason, publishes=FLAGGED)

    def keep_after_review(self, by: str, role: str | None, comment: str) -> None:
        """A person decided the flagged batch pays on.

        :raise BatchStateError: it is not flagged for review.
        """
        self.check_flagged()
        self.review_reason = None
        self._step("review_kept", self.state, self.state, by, role, comment, publishes=None)

    def withdraw_after_review(
        self, sent_states: Sequence[str], by: str, role: str | None, comment: str, at: datetime
    ) -> None:
        """A person withdrew what of the flagged batch was not yet sent: what was sent is followed to
        its results; if nothing was, the batch is withdrawn.

        :raise BatchStateError: it is not flagged for review.
        """
        self.check_flagged()
        self.review_reason = None
        state = batch_state_after_results(INSTRUCTED, sent_states) if sent_states else WITHDRAWN
        self._move(state, by, role, comment, action="review_withdrawn", at=at)

    # -- paying ---------------------------------------------------------------------------------

    def check_payable(self) -> None:
        """:raise BatchStateError: flagged for review, or not approved: nothing of it is sent."""
        if self.review_reason:
            raise BatchStateError(f"batch {self.id} is flagged for review: {self.review_reason}")
        if self.state != APPROVED:
            raise BatchStateError(
                f"batch {self.id} is {self.state}; only an approved batch is sent for payment"
            )

    def file_written(
        self, still_approved: int, by: str, role: str | None, comment: str, at: datetime
    ) -> None:
        """A payment file took some of its payments; with none left approved, it is instructed."""
        if still_approved == 0:
            self._move(INSTRUCTED, by, role, comment, action=INSTRUCTED, at=at)
        else:
            self.note("file_written", by, role, comment)

    def results_known(
        self, states: Sequence[str], by: str, role: str | None, comment: str, at: datetime
    ) -> None:
        """Its payments moved (results, re-issues, withdrawals): it moves with them, or notes it.

        ``states`` are those of its payments not withdrawn; with none left before any was sent, the
        batch is withdrawn.
        """
        if not states and self.state in (PROPOSED, APPROVED):
            state = WITHDRAWN
        else:
            state = batch_state_after_results(self.state, states)
        if state != self.state:
            self._move(state, by, role, comment, action=state, at=at)
        else:
            self._step("results_imported", self.state, state, by, role, comment, publishes=None)

    def check_reissuable(self, alert_state: str | None) -> None:
        """:raise BatchStateError: its alert was cancelled (or it is flagged): not paid again."""
        if alert_state == "cancelled" or self.review_reason:
            raise BatchStateError(
                f"the alert of batch {self.id} was cancelled: its failed payments are not paid again"
            )

    def note(self, action: str, by: str, role: str | None, comment: str, *, states: bool = True) -> None:
        """An audit line for a step that changes no state (a channel changed, a file downloaded)."""
        state = self.state if states else None
        self._step(action, state, state, by, role, comment, publishes=None)

    # -- the record -----------------------------------------------------------------------------

    def event_data(self) -> dict[str, Any]:
        """The batch as ``transfers.batches`` events carry it."""
        return {
            "batch_id": self.id,
            "programme_id": self.programme_id,
            "programme_version": self.programme_version,
            "incident_id": self.incident_id,
            "kind": self.kind,
            "state": self.state,
            "currency": self.currency,
            "households": self.households,
            "total": str(money(self.total)),
            "coverage": self.coverage,
            "cut_off_score": self.cut_off_score,
            "below_cut_off": self.below_cut_off,
            "review_reason": self.review_reason,
            "admin_scope": self.admin_scope,
        }

    def check_flagged(self) -> None:
        """:raise BatchStateError: it is not flagged for review."""
        if not self.review_reason:
            raise BatchStateError(f"batch {self.id} is not flagged for review")

    def _move(
        self, state: str, by: str, role: str | None, comment: str | None, action: str, at: datetime
    ) -> None:
        before, self.state, self.updated_at = self.state, state, at
        self._step(action, before, state, by, role, comment, publishes=state)

    def _step(
        self,
        action: str,
        from_state: str | None,
        to_state: str | None,
        by: str,
        role: str | None,
        comment: str | None,
        publishes: str | None,
    ) -> None:
        # The event carries the batch as it is after this step.
        self.changes.append(
            BatchChange(action, from_state, to_state, by, role, comment, publishes, self.event_data())
        )


def review(batch_state: str, proposed_by: str, reviewer: str, approve: bool) -> str:
    """The state a batch moves to when ``reviewer`` approves (or rejects) it.

    :raise FourEyes: the reviewer proposed it; :raise BatchStateError: it is not proposed.
    """
    if batch_state != PROPOSED:
        raise BatchStateError(
            f"the batch is {batch_state}; only a proposed batch can be approved or rejected"
        )
    if reviewer == proposed_by:
        raise FourEyes(
            f"{reviewer} proposed this batch and cannot also {'approve' if approve else 'reject'} it"
        )
    return APPROVED if approve else REJECTED


def batch_state_after_results(current: str, payment_states: Iterable[str]) -> str:
    """A batch's state once its payments have moved: settled, partly or wholly failed, or as it was."""
    states = list(payment_states)
    if current not in (INSTRUCTED, SETTLED, PARTLY_FAILED, FAILED) or not states:
        return current
    if any(s in (APPROVED, INSTRUCTED, UNKNOWN) for s in states):
        return INSTRUCTED
    failed = sum(s in (FAILED, REISSUED) for s in states)
    if failed == 0:
        return SETTLED
    return FAILED if failed == len(states) else PARTLY_FAILED
