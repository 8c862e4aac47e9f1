"""Emergency programmes as data: which alerts start them, who is eligible, how much they get,
what the budget allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from services.transfers.domain.benefits import POLICIES, Benefit, Budget, parse_benefit
from services.transfers.domain.eligibility import Condition, Evaluation, Group, parse_rule
from services.transfers.domain.programme_errors import mistake
from services.transfers.domain.triggers import (
    ACTION,
    CERTAINTY,
    READINESS,
    SEVERITY,
    URGENCY,
    Rule,
    StageReached,
    reach,
    statements_of,
)
from services.transfers.domain.triggers import parse_rule as parse_trigger_rule

MODES = ("anticipatory", "response")
#: The largest share of a programme's per-incident budget that may be pre-approved (paid without a
#: second person's approval of the batch; the ceiling itself was approved by one).
MAX_PRE_APPROVED_SHARE = 0.25


@dataclass(frozen=True)
class Trigger:
    """Which alerts start the programme: CAP categories or events, minimum urgency, severity and
    certainty, optionally areas; only ``Actual`` alerts ever do."""

    categories: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    min_urgency: str = "Unknown"
    min_severity: str = "Unknown"
    min_certainty: str = "Unknown"
    areas: tuple[str, ...] = ()
    mode: str = "response"
    #: The action stage's own rule over each statement (beside the minimums above).
    action: Rule | None = None
    #: The readiness stage's rule (prepare and notify, no money), if the programme has one.
    readiness: Rule | None = None

    def describe(self, lang: str = "en") -> str:
        """The trigger in plain words."""
        es = lang == "es"
        trigger = self
        mode = {"anticipatory": "anticipatorio", "response": "de respuesta"}[trigger.mode]
        when = (
            [f"programa {mode}", "solo alertas reales (Actual)"]
            if es
            else [f"{trigger.mode} programme", "Actual alerts only"]
        )
        if trigger.categories:
            when.append(("categorías " if es else "categories ") + ", ".join(trigger.categories))
        if trigger.events:
            when.append(("eventos " if es else "events ") + ", ".join(trigger.events))
        if trigger.areas:
            when.append(("solo en " if es else "only in ") + ", ".join(trigger.areas))
        if trigger.action is not None:
            when.append(("acción cuando " if es else "action when ") + trigger.action.describe(lang))
        if trigger.readiness is not None:
            when.append(
                ("preparación cuando " if es else "readiness when ") + trigger.readiness.describe(lang)
            )
        when.append(
            f"urgencia al menos {trigger.min_urgency}, severidad al menos {trigger.min_severity}, "
            f"certeza al menos {trigger.min_certainty}"
            if es
            else f"urgency at least {trigger.min_urgency}, severity at least {trigger.min_severity}, "
            f"certainty at least {trigger.min_certainty}"
        )
        return "; ".join(when)

    def stages(self, alert: Mapping[str, Any], now: datetime) -> dict[str, StageReached]:
        """Which of the alert's statements reach readiness and action, and why each does or not.

        Only ``Actual`` alerts reach any stage; a statement reaches action when the categories,
        events and minimums above hold for it and so does the action rule.
        """
        if alert.get("status") != "Actual":
            status = f"status is {alert.get('status')}, only Actual alerts trigger transfers"
            return {ACTION: StageReached(ACTION, (), (status,))}
        seen = statements_of(alert, now)
        reached: list[int] = []
        reasons: list[str] = []
        for statement in seen:
            fires, why = self.fires_for({**statement.fields, "status": "Actual"})
            held, lines = self.action.check(statement) if self.action else (True, [])
            if fires and held:
                reached.append(statement.number)
            said = "; ".join([*(why if not fires else []), *lines]) or "all trigger conditions hold"
            reasons.append(f"statement {statement.number}: {said}")
        found = {ACTION: StageReached(ACTION, tuple(reached), tuple(reasons))}
        if self.readiness is not None:
            found[READINESS] = reach(self.readiness, READINESS, seen)
        return found

    def fires_for(self, alert: Mapping[str, Any]) -> tuple[bool, list[str]]:
        """Whether an alert (the alerts service's summary) triggers the programme, and why (not)."""
        reasons: list[str] = []
        if alert.get("status") != "Actual":
            reasons.append(f"status is {alert.get('status')}, only Actual alerts trigger transfers")
        if self.categories and not set(self.categories) & set(alert.get("categories") or []):
            reasons.append(f"category {alert.get('categories')} is not one of {list(self.categories)}")
        if self.events and alert.get("event") not in self.events:
            reasons.append(f"event {alert.get('event')!r} is not one of {list(self.events)}")
        for name, scale, minimum in (
            ("urgency", URGENCY, self.min_urgency),
            ("severity", SEVERITY, self.min_severity),
            ("certainty", CERTAINTY, self.min_certainty),
        ):
            value = alert.get(name) or "Unknown"
            if value not in scale or scale.index(value) < scale.index(minimum):
                reasons.append(f"{name} {value} is below {minimum}")
        return not reasons, reasons or ["all trigger conditions hold"]


@dataclass(frozen=True)
class Programme:
    """A programme at one version: every decision records the version it used."""

    name: str
    institute: str
    currency: str
    trigger: Trigger
    eligibility: Group | Condition
    benefit: Benefit
    budget: Budget
    four_eyes: bool = True
    pre_approved_ceiling: float = 0.0
    payer: Mapping[str, str] = field(default_factory=dict)
    #: A batch whose total is above this needs two approvers, neither its proposer (``None``: one).
    second_approval_above: float | None = None
    #: A household is paid at most once in this many days, whatever the hazard event (``None``:
    #: once per hazard event only).
    once_in_days: int | None = None

    def describe(self, lang: str = "en") -> dict[str, str]:
        """The programme in plain words, for the console and for letters to households."""
        es = lang == "es"
        policy = {
            ("rank_by_vulnerability", "en"): "rank by vulnerability",
            ("pro_rata", "en"): "pro rata",
            ("rank_by_vulnerability", "es"): "por orden de vulnerabilidad",
            ("pro_rata", "es"): "a prorrata",
        }[self.budget.policy, lang]
        budget = [f"{'si no alcanza' if es else 'policy when short'}: {policy}"]
        if self.budget.per_incident is not None:
            budget.insert(
                0,
                f"{_amount(self.budget.per_incident)} {self.currency} "
                + ("por incidente" if es else "per incident"),
            )
        if self.budget.overall is not None:
            budget.insert(
                0, f"{_amount(self.budget.overall)} {self.currency} {'en total' if es else 'overall'}"
            )
        approval = (
            "aprobado por una segunda persona, nunca por quien lo propone"
            if es
            else "approved by a second person, never the proposer"
        )
        if self.second_approval_above is not None:
            above = f"{_amount(self.second_approval_above)} {self.currency}"
            approval += (
                f"; los lotes de más de {above} necesitan dos aprobadores"
                if es
                else f"; batches above {above} need two approvers"
            )
        if self.pre_approved_ceiling:
            ceiling, share = f"{_amount(self.pre_approved_ceiling)} {self.currency}", self._ceiling_share()
            approval += (
                f"; lotes de hasta {ceiling} preaprobados ({share} del presupuesto)"
                if es
                else f"; batches up to {ceiling} pre-approved ({share} of the budget)"
            )
        return {
            "trigger": self.trigger.describe(lang),
            "entitlement": self._entitlement_words(es),
            "eligibility": self.eligibility.describe(lang),
            "benefit": self.benefit.describe(self.currency, lang),
            "budget": "; ".join(budget),
            "approval": approval,
        }

    def _ceiling_share(self) -> str:
        limit = self.budget.per_incident or self.budget.overall
        return f"{self.pre_approved_ceiling / limit:.0%}" if limit else "?"

    def _entitlement_words(self, es: bool) -> str:
        words = (
            "un pago por hogar por evento de amenaza, sean cuantas sean las agencias y alertas"
            if es
            else "one payment per household per hazard event, however many agencies and alerts"
        )
        if self.once_in_days:
            days = self.once_in_days
            words += f"; como mucho uno cada {days} días" if es else f"; at most one in {days} days"
        return words


def _amount(value: float) -> str:
    """An amount in words: as written, never in exponent notation (a budget of 60 000 000).

    >>> _amount(60_000_000), _amount(1500), _amount(2_500_000.5)
    ('60000000', '1500', '2500000.50')
    """
    if abs(value) < 1e6:
        return f"{value:g}"
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def parse_programme(document: Mapping[str, Any]) -> Programme:
    """Build and check a whole programme (its shape already checked by the API's schema).

    :raise ProgrammeError: with the path of the first mistake.
    """
    trigger = document.get("trigger") or {}
    for name, scale in (("min_urgency", URGENCY), ("min_severity", SEVERITY), ("min_certainty", CERTAINTY)):
        if trigger.get(name, "Unknown") not in scale:
            raise mistake(f"/trigger/{name}", f"one of {', '.join(scale)}")
    if trigger.get("mode", "response") not in MODES:
        raise mistake("/trigger/mode", f"one of {', '.join(MODES)}")
    budget = document.get("budget") or {}
    if budget.get("policy", "rank_by_vulnerability") not in POLICIES:
        raise mistake("/budget/policy", f"one of {', '.join(POLICIES)}")
    for name in ("per_incident", "overall"):
        if budget.get(name) is not None and budget[name] <= 0:
            raise mistake(f"/budget/{name}", "a budget must be positive")
    if (budget.get("per_incident") or 0) > (budget.get("overall") or float("inf")):
        raise mistake("/budget/per_incident", "cannot exceed the overall budget")
    benefit = parse_benefit(document["benefit"])
    largest = benefit.largest_payment()
    for name in ("per_incident", "overall"):
        if budget.get(name) is not None and largest > budget[name]:
            raise mistake(
                "/benefit",
                f"one household could receive {largest:g}, "
                f"more than the whole {name.replace('_', ' ')} budget",
            )
    ceiling = _pre_approved_ceiling(document.get("approval") or {}, trigger, budget)
    once_in_days = (document.get("entitlement") or {}).get("once_in_days")
    if once_in_days is not None and (not isinstance(once_in_days, int) or not 1 <= once_in_days <= 3660):
        raise mistake("/entitlement/once_in_days", "a whole number of days from 1 to 3660")
    return Programme(
        name=document["name"],
        institute=document["institute"],
        currency=document["currency"],
        trigger=Trigger(
            tuple(trigger.get("categories") or ()),
            tuple(trigger.get("events") or ()),
            trigger.get("min_urgency", "Unknown"),
            trigger.get("min_severity", "Unknown"),
            trigger.get("min_certainty", "Unknown"),
            tuple(trigger.get("areas") or ()),
            trigger.get("mode", "response"),
            parse_trigger_rule(trigger["when"], "/trigger/when") if trigger.get("when") else None,
            parse_trigger_rule(trigger["readiness"], "/trigger/readiness")
            if trigger.get("readiness")
            else None,
        ),
        eligibility=parse_rule(document["eligibility"]),
        benefit=benefit,
        budget=Budget(
            budget.get("per_incident"), budget.get("overall"), budget.get("policy", "rank_by_vulnerability")
        ),
        pre_approved_ceiling=ceiling,
        payer=dict(document.get("payer") or {}),
        once_in_days=once_in_days,
        second_approval_above=_second_approval_above(document.get("approval") or {}),
    )


def _second_approval_above(approval: Mapping[str, Any]) -> float | None:
    """:raise ProgrammeError: a threshold that is not a positive amount."""
    above = approval.get("second_approval_above")
    if above is None:
        return None
    if isinstance(above, bool) or not isinstance(above, int | float) or above <= 0:
        raise mistake("/approval/second_approval_above", "a positive amount")
    return float(above)


def _pre_approved_ceiling(
    approval: Mapping[str, Any], trigger: Mapping[str, Any], budget: Mapping[str, Any]
) -> float:
    """The ceiling a programme pre-approves (0: none).

    :raise ProgrammeError: four eyes turned off, a ceiling on a response programme, without a
        budget, or above :data:`MAX_PRE_APPROVED_SHARE` of it.
    """
    if approval.get("four_eyes") is False:
        raise mistake("/approval/four_eyes", "payments always need a second person's approval")
    ceiling = float(approval.get("pre_approved_ceiling") or 0)
    if ceiling and trigger.get("mode") != "anticipatory":
        raise mistake("/approval/pre_approved_ceiling", "only anticipatory programmes may pre-approve")
    if ceiling:
        limit = budget.get("per_incident") or budget.get("overall")
        if not limit:
            raise mistake(
                "/approval/pre_approved_ceiling", "a pre-approved ceiling needs a budget to be a share of"
            )
        if ceiling > MAX_PRE_APPROVED_SHARE * limit:
            raise mistake(
                "/approval/pre_approved_ceiling",
                f"at most {MAX_PRE_APPROVED_SHARE:.0%} of the budget per incident ({limit:g}); "
                "the rest always needs a second person",
            )
    return ceiling


def explain(
    index: int,
    evaluation: Evaluation,
    columns: Mapping[str, np.ndarray],
    benefit: Benefit,
    amount: float,
    currency: str,
) -> list[str]:
    """Plain-language lines telling one household why it was or was not eligible, and its amount."""
    lines = [f"{'✔' if outcome[index] else '✘'} {text}" for text, outcome in evaluation.outcomes.items()]
    if evaluation.eligible[index]:
        lines.append(f"amount: {benefit.describe(currency)} → {amount:g} {currency}")
    else:
        lines.append("not eligible under this programme")
    return lines
