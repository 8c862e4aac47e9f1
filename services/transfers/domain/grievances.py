"""Grievances: a household says it was left out, paid wrongly or not at all, or that its data is
wrong. A case is filed with the household's explanation attached, routed to the role that can act
on it with a deadline, and resolved with an outcome that acts — never by the person who filed it.

These are the rules; what each outcome does to decisions and payments is the service layer's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from services.transfers.domain.monitoring import SMALLEST_SHOWN, nearest_rank, shown, suppressed
from shared.auth import (
    FIELD_STAFF,
    HOTLINE_OPERATOR,
    PAYMENTS_OFFICER,
    PROGRAMME_OFFICER,
    REGISTRY_OFFICER,
    Principal,
)
from shared.errors import Conflict, FieldProblem, Forbidden, InvalidInput

NOT_EXPOSED = "not_exposed"
NOT_ELIGIBLE = "not_eligible"
WRONG_AMOUNT = "wrong_amount"
NOT_RECEIVED = "not_received"
NOT_A_DUPLICATE = "not_a_duplicate"
DATA_WRONG = "data_wrong"
#: What a household may complain of, and who answers it within how many days.
ROUTES: dict[str, tuple[str, int]] = {
    NOT_EXPOSED: (PROGRAMME_OFFICER, 5),
    NOT_ELIGIBLE: (PROGRAMME_OFFICER, 5),
    WRONG_AMOUNT: (PROGRAMME_OFFICER, 5),
    NOT_RECEIVED: (PAYMENTS_OFFICER, 3),
    NOT_A_DUPLICATE: (REGISTRY_OFFICER, 3),
    DATA_WRONG: (REGISTRY_OFFICER, 5),
}
KINDS = tuple(ROUTES)
#: Kinds that are about one alert's decision: they name the alert.
ABOUT_AN_ALERT = (NOT_EXPOSED, NOT_ELIGIBLE, WRONG_AMOUNT, NOT_RECEIVED)

#: Who files: field staff and hotline operators in person, the household by replying to a message.
FILERS = (FIELD_STAFF, HOTLINE_OPERATOR)
IN_PERSON, BY_PHONE, BY_REPLY = "field", "hotline", "reply"
CHANNELS = (IN_PERSON, BY_PHONE, BY_REPLY)

DECIDE_AGAIN = "decide_again"
REISSUE = "reissue"
CORRECT_RECORD = "correct_record"
RELEASE_HOLD = "release_hold"
DECISION_STANDS = "decision_stands"
#: Each outcome: the role that may take it, and the kinds it answers.
OUTCOMES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    DECIDE_AGAIN: (PROGRAMME_OFFICER, (NOT_EXPOSED, NOT_ELIGIBLE, WRONG_AMOUNT)),
    REISSUE: (PAYMENTS_OFFICER, (NOT_RECEIVED,)),
    CORRECT_RECORD: (REGISTRY_OFFICER, (DATA_WRONG, NOT_ELIGIBLE, WRONG_AMOUNT)),
    RELEASE_HOLD: (REGISTRY_OFFICER, (NOT_A_DUPLICATE, NOT_ELIGIBLE)),
    #: The decision was right: taken by the role the case is assigned to, with the reason.
    DECISION_STANDS: (None, KINDS),
}

OPEN, RESOLVED = "open", "resolved"


class OpenAlready(Conflict):
    """The household has an open case of that kind about that alert."""


@dataclass(frozen=True)
class Step:
    """One thing that happened to a case, as its history and the audit log tell it."""

    at: datetime
    by: str
    role: str | None
    action: str
    note: str | None = None


@dataclass(frozen=True)
class Grievance:
    id: str
    household_id: str
    admin_code: str
    kind: str
    channel: str
    filed_by: str
    filed_at: datetime
    assigned_role: str
    due_at: datetime
    #: The household's version transfers knew when the case was filed (a correction is a newer one).
    household_version: int | None
    incident_id: str | None = None
    programme_id: str | None = None
    note: str | None = None
    #: What transfers and alerts could say of the household when the case was filed.
    explanation: dict[str, Any] = field(default_factory=dict)
    state: str = OPEN
    outcome: str | None = None
    outcome_note: str | None = None
    #: What the outcome did (the household's decision after deciding again, the new batch, …).
    outcome_detail: dict[str, Any] | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    #: What the case answers to outside transfers (a reply's id), so it is filed once.
    source_id: str | None = None
    steps: tuple[Step, ...] = ()

    def overdue(self, at: datetime) -> bool:
        return self.state == OPEN and at > self.due_at

    def check_open(self) -> None:
        """:raise Conflict: resolved: nothing changes a resolved case."""
        if self.state != OPEN:
            raise Conflict(f"grievance {self.id} is already resolved ({self.outcome})")

    def explained(self, explanation: dict[str, Any], by: str, at: datetime) -> Grievance:
        """Its explanation asked again.

        :raise Conflict: resolved (the explanation it was resolved on stays).
        """
        self.check_open()
        return replace(self, explanation=explanation, steps=(*self.steps, Step(at, by, None, "explained")))

    def written_again(self, by: str, at: datetime) -> Grievance:
        """The household wrote again about it: one case, its history says so."""
        return replace(self, steps=(*self.steps, Step(at, by, None, "replied_again")))

    def resolving(self, outcome: str, by: Principal, note: str | None, at: datetime) -> Grievance:
        """The case resolved with ``outcome`` by ``by``.

        :raise Conflict: already resolved, or the outcome does not answer this kind of case;
            :raise Forbidden: ``by`` filed it, or lacks the outcome's role.
        """
        self.check_open()
        role, answers = OUTCOMES[outcome]
        if self.kind not in answers:
            raise Conflict(
                f"the outcome {outcome} does not answer a grievance of kind {self.kind}; "
                f"it answers {', '.join(answers)}"
            )
        if by.subject == self.filed_by:
            raise Forbidden(f"grievance {self.id} was filed by you; another person resolves it")
        if any(
            s.action.startswith("assigned:") and s.by == by.subject and s.by != self.filed_by
            for s in self.steps
        ):
            raise Forbidden(f"you handed grievance {self.id} on; another person resolves it")
        needed = role or self.assigned_role
        if needed not in by.roles:
            raise Forbidden(f"the outcome {outcome} needs the role {needed}")
        if outcome == DECISION_STANDS and not (note or "").strip():
            raise refused_field("/note", "say why the decision stands: the household is told")
        return replace(
            self,
            state=RESOLVED,
            outcome=outcome,
            outcome_note=note,
            resolved_by=by.subject,
            resolved_at=at,
            steps=(*self.steps, Step(at, by.subject, needed, f"resolved:{outcome}", note)),
        )

    def reassigned(self, role: str, by: Principal, note: str, at: datetime) -> Grievance:
        """Handed to another role (a wrong amount that is really wrong data), deadline kept.

        :raise Conflict: resolved; :raise Forbidden: ``by`` holds neither the assigned role nor
            programme officer.
        """
        self.check_open()
        if role not in {r for r, _ in ROUTES.values()}:
            raise refused_field("/role", f"a grievance goes to one of {', '.join(_roles())}")
        if not by.has_any_role([self.assigned_role, PROGRAMME_OFFICER]):
            raise Forbidden(f"grievance {self.id} is assigned to {self.assigned_role}; only they reassign it")
        return replace(
            self,
            assigned_role=role,
            steps=(*self.steps, Step(at, by.subject, self.assigned_role, f"assigned:{role}", note)),
        )


#: What a reply that does not say what it is about most likely means, by the message it answers.
REPLY_KINDS = {
    "readiness": NOT_ELIGIBLE,
    "entitled": NOT_RECEIVED,
    "approved": NOT_RECEIVED,
    "sent": NOT_RECEIVED,
    "failed": NOT_RECEIVED,
    "settled": WRONG_AMOUNT,
}


def kind_of_reply(said: object, message_kind: object, about_an_alert: bool) -> str:
    """A reply's kind: what it said, else what the message it answers suggests; wrong data when
    there is no alert to file a case about one under.

    Examples
    --------
    >>> kind_of_reply("wrong_amount", "sent", True), kind_of_reply(None, "readiness", True)
    ('wrong_amount', 'not_eligible')
    >>> kind_of_reply(None, "settled", True), kind_of_reply("not_received", None, False)
    ('wrong_amount', 'data_wrong')
    """
    kind = str(said) if said in KINDS else REPLY_KINDS.get(str(message_kind), NOT_RECEIVED)
    return DATA_WRONG if kind in ABOUT_AN_ALERT and not about_an_alert else kind


def refused_field(pointer: str, message: str) -> InvalidInput:
    return InvalidInput(message, errors=[FieldProblem(pointer, message)])


def _roles() -> list[str]:
    return sorted({role for role, _ in ROUTES.values()})


def filed(
    *,
    id: str,
    household_id: str,
    admin_code: str,
    kind: str,
    channel: str,
    by: str,
    role: str | None,
    at: datetime,
    household_version: int | None,
    incident_id: str | None,
    programme_id: str | None,
    note: str | None,
    source_id: str | None = None,
) -> Grievance:
    """A new case, routed by its kind.

    :raise InvalidInput: unknown kind or channel, or a kind about an alert that names none.
    """
    if kind not in ROUTES:
        raise refused_field("/kind", f"kind must be one of {', '.join(KINDS)}")
    if channel not in CHANNELS:
        raise refused_field("/channel", f"channel must be one of {', '.join(CHANNELS)}")
    if kind in ABOUT_AN_ALERT and not incident_id:
        raise refused_field("/incident_id", f"a grievance of kind {kind} names the alert it is about")
    assigned, days = ROUTES[kind]
    return Grievance(
        id=id,
        household_id=household_id,
        admin_code=admin_code,
        kind=kind,
        channel=channel,
        filed_by=by,
        filed_at=at,
        assigned_role=assigned,
        due_at=at + timedelta(days=days),
        household_version=household_version,
        incident_id=incident_id,
        programme_id=programme_id,
        note=note,
        source_id=source_id,
        steps=(Step(at, by, role, "filed", note), Step(at, by, role, f"assigned:{assigned}", None)),
    )


def figures(cases: Sequence[Grievance], at: datetime) -> dict[str, Any]:
    """What monitoring reports of grievances: cases filed, open, overdue, resolved and resolved late
    by kind; resolved by outcome; filed by channel; and the days to resolve (median, 90th
    percentile). Counts of 1 or 2 are hidden, with what a total would tell of them.

    Examples
    --------
    >>> from datetime import UTC
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> open_ = filed(id="g", household_id="h", admin_code="HN", kind=NOT_RECEIVED, channel=BY_PHONE, by="o",
    ...     role=None, at=t, household_version=1, incident_id="i", programme_id=None, note=None)
    >>> figures([open_] * 3, t + timedelta(days=4))["by_kind"][NOT_RECEIVED]
    {'filed': 3, 'open': 3, 'overdue': 3, 'resolved': 0, 'resolved_late': 0}
    """
    measures = ("filed", "open", "overdue", "resolved", "resolved_late")
    counts = {kind: dict.fromkeys(measures, 0) for kind in KINDS}
    for case in cases:
        row = counts[case.kind]
        row["filed"] += 1
        row["open"] += case.state == OPEN
        row["overdue"] += case.overdue(at)
        row["resolved"] += case.state == RESOLVED
        row["resolved_late"] += case.resolved_at is not None and case.resolved_at > case.due_at
    by_kind: dict[str, dict[str, int | None]] = {kind: {} for kind in KINDS}
    for measure in measures:
        for kind, value in zip(KINDS, suppressed([counts[k][measure] for k in KINDS]), strict=True):
            by_kind[kind][measure] = value
    outcomes = [sum(c.outcome == o for c in cases) for o in OUTCOMES]
    channels = [sum(c.channel == ch for c in cases) for ch in CHANNELS]
    days = [days_between(c.filed_at, c.resolved_at) for c in cases if c.resolved_at is not None]
    shown_days = len(days) >= SMALLEST_SHOWN
    return {
        "filed": shown(len(cases)),
        "by_kind": by_kind,
        "by_outcome": dict(zip(OUTCOMES, suppressed(outcomes), strict=True)),
        "by_channel": dict(zip(CHANNELS, suppressed(channels), strict=True)),
        "days_to_resolve": {
            "cases": shown(len(days)),
            "median_days": nearest_rank(days, 0.5) if shown_days else None,
            "p90_days": nearest_rank(days, 0.9) if shown_days else None,
        },
    }


def days_between(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 86400, 2)
