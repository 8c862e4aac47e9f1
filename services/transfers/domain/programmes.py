"""Emergency programmes as data: who is eligible, how much they get, what the budget allows.

A programme's eligibility is a tree of ``all``/``any`` over ``{field, op, value}`` conditions on
the household's attributes and its exposure. It is evaluated for every exposed household at once
over numpy columns, keeping each condition's outcome per household, so that every decision can be
explained in plain words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shared.admin_codes import within_mask
from shared.errors import FieldProblem, InvalidInput

#: Fields a condition may test, their type, and how they read in a sentence.
FIELDS: dict[str, tuple[str, str]] = {
    "size": ("number", "household size"),
    "vulnerability_score": ("number", "vulnerability score"),
    "children_under_5": ("number", "children under 5"),
    "elderly_65_plus": ("number", "people 65 or older"),
    "persons_with_disabilities": ("number", "persons with disabilities"),
    "pregnant_members": ("number", "pregnant members"),
    "female_headed": ("bool", "female head of household"),
    "admin_code": ("text", "admin area"),
    "payment_channel_type": ("text", "payment channel"),
    "band": ("text", "hazard band"),
    "intensity": ("number", "hazard intensity"),
}
OPERATORS = {
    "number": ("==", "!=", "<", "<=", ">", ">=", "in", "not in"),
    "text": ("==", "!=", "in", "not in", "within"),
    "bool": ("==", "!="),
}
#: The same fields in Spanish, for the console and for letters to households.
SPANISH_FIELDS = {
    "size": "tamaño del hogar",
    "vulnerability_score": "puntaje de vulnerabilidad",
    "children_under_5": "niñas y niños menores de 5 años",
    "elderly_65_plus": "personas de 65 años o más",
    "persons_with_disabilities": "personas con discapacidad",
    "pregnant_members": "mujeres embarazadas",
    "female_headed": "hogar con jefatura femenina",
    "admin_code": "área administrativa",
    "payment_channel_type": "canal de pago",
    "band": "banda de amenaza",
    "intensity": "intensidad de la amenaza",
}
SPANISH_WORDS = {
    "==": "es",
    "!=": "no es",
    "<": "<",
    "<=": "≤",
    ">": ">",
    ">=": "≥",
    "in": "es uno de",
    "not in": "no es ninguno de",
    "within": "está dentro de",
}
LANGUAGES = ("en", "es")
WORDS = {
    "==": "is",
    "!=": "is not",
    "<": "<",
    "<=": "≤",
    ">": ">",
    ">=": "≥",
    "in": "is one of",
    "not in": "is none of",
    "within": "lies within",
}


class ProgrammeError(InvalidInput):
    """A programme definition that cannot work; ``errors`` gives the path of each mistake."""

    slug = "invalid-programme"
    title = "Invalid programme"


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any

    def describe(self, lang: str = "en") -> str:
        value = ", ".join(map(str, self.value)) if isinstance(self.value, list | tuple) else self.value
        label = SPANISH_FIELDS[self.field] if lang == "es" else FIELDS[self.field][1]
        words = SPANISH_WORDS if lang == "es" else WORDS
        if FIELDS[self.field][0] == "bool":
            return (
                label
                if self.value == (self.op == "==")
                else f"no {label}"
                if lang == "en"
                else f"sin {label}"
            )
        return f"{label} {words[self.op]} {value}"

    def conditions(self) -> list[Condition]:
        return [self]


@dataclass(frozen=True)
class Group:
    """``all`` (every part holds) or ``any`` (at least one holds)."""

    kind: str
    parts: tuple[Group | Condition, ...]

    def describe(self, lang: str = "en") -> str:
        joiner = {("all", "en"): " and ", ("any", "en"): " or ", ("all", "es"): " y ", ("any", "es"): " o "}
        return joiner[self.kind, lang].join(
            p.describe(lang) if isinstance(p, Condition) else f"({p.describe(lang)})" for p in self.parts
        )

    def conditions(self) -> list[Condition]:
        """Every condition of the tree, in the order evaluation visits them."""
        found: list[Condition] = []
        for part in self.parts:
            found.extend(part.conditions() if isinstance(part, Group) else [part])
        return found


@dataclass(frozen=True)
class Benefit:
    base: float
    per_member: float = 0.0
    per_vulnerable_member: float = 0.0
    cap: float | None = None
    band_multipliers: Mapping[str, float] = field(default_factory=dict)
    rounding: float = 1.0

    def describe(self, currency: str, lang: str = "en") -> str:
        es = lang == "es"
        text = f"{self.base:g} {currency}"
        if self.per_member:
            text += f" + {self.per_member:g} " + ("por integrante" if es else "per member")
        if self.per_vulnerable_member:
            text += f" + {self.per_vulnerable_member:g} " + (
                "por cada niña o niño menor de 5 años, persona de 65+ o persona con discapacidad"
                if es
                else "per child under 5, person 65+ or person with a disability"
            )
        if self.band_multipliers:
            word = "si" if es else "if"
            text += ", × " + ", ".join(f"{m:g} {word} {b}" for b, m in self.band_multipliers.items())
        if self.cap is not None:
            text += f", {'como máximo' if es else 'at most'} {self.cap:g} {currency}"
        if self.rounding != 1:
            text += f", {'redondeado hacia abajo a' if es else 'rounded down to'} {self.rounding:g}"
        return text

    def largest_payment(self) -> float:
        """The most one household could receive (a household of ``LARGEST_HOUSEHOLD``, all vulnerable)."""
        amount = (self.base + (self.per_member + self.per_vulnerable_member) * LARGEST_HOUSEHOLD) * max(
            [1.0, *self.band_multipliers.values()]
        )
        return min(amount, self.cap) if self.cap is not None else amount

    def arithmetic(
        self, size: int, vulnerable: int, band: str | None, currency: str, lang: str = "en"
    ) -> str:
        """How one household's amount was reached, step by step (matches :func:`amounts`)."""
        amount = self.base + self.per_member * size + self.per_vulnerable_member * vulnerable
        text = f"{self.base:g}"
        if self.per_member:
            text += f" + {self.per_member:g} × {size}"
        if self.per_vulnerable_member:
            text += f" + {self.per_vulnerable_member:g} × {vulnerable}"
        text += f" = {amount:g}"
        if band is not None and band in self.band_multipliers:
            amount *= self.band_multipliers[band]
            text += f"; × {self.band_multipliers[band]:g} ({band}) = {amount:g}"
        if self.cap is not None and amount > self.cap:
            amount = self.cap
            text += f"; {'tope' if lang == 'es' else 'cap'} {self.cap:g}"
        rounded = math.floor(amount / self.rounding + 1e-9) * self.rounding
        if rounded != amount:
            text += f"; {'redondeado hacia abajo a' if lang == 'es' else 'rounded down to'} {self.rounding:g}"
        return f"{text} → {rounded:g} {currency}"


def parse_rule(node: Any, path: str = "/eligibility") -> Group | Condition:
    """Build the rule tree, checking every field, operator and value against the field's type.

    :raise ProgrammeError: with the path of the first mistake (``/eligibility/all/1/op``).
    """
    if not isinstance(node, Mapping):
        raise _mistake(path, "expected {all: [...]}, {any: [...]} or {field, op, value}")
    if set(node) in ({"all"}, {"any"}):
        kind = next(iter(node))
        parts = node[kind]
        if not isinstance(parts, list) or not parts:
            raise _mistake(f"{path}/{kind}", "a non-empty list of conditions")
        return Group(kind, tuple(parse_rule(p, f"{path}/{kind}/{n}") for n, p in enumerate(parts)))
    if set(node) != {"field", "op", "value"}:
        raise _mistake(
            path, f"unexpected keys {sorted(set(node) - {'field', 'op', 'value'}) or sorted(node)}"
        )
    name, op, value = node["field"], node["op"], node["value"]
    if name not in FIELDS:
        raise _mistake(f"{path}/field", f"unknown field {name!r}; one of {', '.join(FIELDS)}")
    kind = FIELDS[name][0]
    if op not in OPERATORS[kind]:
        raise _mistake(
            f"{path}/op", f"{op!r} does not apply to {kind} field {name!r}; use {', '.join(OPERATORS[kind])}"
        )
    values = value if op in ("in", "not in") else [value]
    if op in ("in", "not in") and (not isinstance(value, list) or not value):
        raise _mistake(f"{path}/value", f"{op!r} needs a non-empty list")
    expected = {"number": (int, float), "text": (str,), "bool": (bool,)}[kind]
    for item in values:
        if not isinstance(item, expected) or (kind == "number" and isinstance(item, bool)):
            raise _mistake(f"{path}/value", f"{item!r} is not a {kind}")
    return Condition(name, op, tuple(value) if isinstance(value, list) else value)


#: The largest household size the arithmetic is checked for, and the bounds beyond which an
#: amount is taken for a mistake (a misplaced zero, say) rather than a policy.
LARGEST_HOUSEHOLD = 30
MAX_MULTIPLIER = 10.0
MAX_PAYMENT = 1_000_000.0


def parse_benefit(node: Mapping[str, Any], path: str = "/benefit") -> Benefit:
    """:raise ProgrammeError: an impossible benefit (negative amounts, a cap below the base…)."""
    benefit = Benefit(
        base=float(node.get("base", 0)),
        per_member=float(node.get("per_member", 0)),
        per_vulnerable_member=float(node.get("per_vulnerable_member", 0)),
        cap=float(node["cap"]) if node.get("cap") is not None else None,
        band_multipliers={str(k): float(v) for k, v in (node.get("band_multipliers") or {}).items()},
        rounding=float(node.get("rounding", 1)),
    )
    for name in ("base", "per_member", "per_vulnerable_member"):
        if getattr(benefit, name) < 0:
            raise _mistake(f"{path}/{name}", "cannot be negative")
    if benefit.base + benefit.per_member + benefit.per_vulnerable_member <= 0:
        raise _mistake(path, "the benefit would always be zero")
    if benefit.cap is not None and benefit.cap < benefit.base:
        raise _mistake(f"{path}/cap", f"the cap {benefit.cap:g} is below the base amount {benefit.base:g}")
    if (
        not 0.01 <= benefit.rounding <= MAX_PAYMENT
        or abs(benefit.rounding * 100 - round(benefit.rounding * 100)) > 1e-9
    ):
        raise _mistake(f"{path}/rounding", f"a whole number of cents, from 0.01 to {MAX_PAYMENT:g}")
    for band, multiplier in benefit.band_multipliers.items():
        if not 0 <= multiplier <= MAX_MULTIPLIER:
            raise _mistake(f"{path}/band_multipliers/{band}", f"must lie between 0 and {MAX_MULTIPLIER:g}")
    if benefit.largest_payment() > MAX_PAYMENT:
        raise _mistake(
            path,
            f"one household could receive {benefit.largest_payment():g}; set a cap "
            f"(a single emergency payment above {MAX_PAYMENT:g} is refused as absurd)",
        )
    return benefit


def _mistake(path: str, detail: str) -> ProgrammeError:
    return ProgrammeError(f"{path}: {detail}", errors=[FieldProblem(path, detail)])


# -- evaluation ------------------------------------------------------------------------------


@dataclass
class Evaluation:
    """Outcome of a rule over many households: eligible or not, and every condition's outcome."""

    eligible: np.ndarray
    outcomes: dict[str, np.ndarray]  # condition description → bool per household
    results: list[np.ndarray] = field(default_factory=list)  # per condition, in tree order


def evaluate(rule: Group | Condition, columns: Mapping[str, np.ndarray]) -> Evaluation:
    """Evaluate ``rule`` for every household at once (one numpy operation per condition)."""
    outcomes: dict[str, np.ndarray] = {}
    results: list[np.ndarray] = []
    eligible = _evaluate(rule, columns, outcomes, results)
    return Evaluation(eligible, outcomes, results)


def _evaluate(
    node: Group | Condition,
    columns: Mapping[str, np.ndarray],
    outcomes: dict[str, np.ndarray],
    results: list[np.ndarray],
) -> np.ndarray:
    if isinstance(node, Group):
        parts = [_evaluate(p, columns, outcomes, results) for p in node.parts]
        return np.logical_and.reduce(parts) if node.kind == "all" else np.logical_or.reduce(parts)
    data = columns[node.field]
    match node.op:
        case "==":
            result = data == node.value
        case "!=":
            result = data != node.value
        case "<":
            result = data < node.value
        case "<=":
            result = data <= node.value
        case ">":
            result = data > node.value
        case ">=":
            result = data >= node.value
        case "in":
            result = np.isin(data, list(node.value))
        case "not in":
            result = ~np.isin(data, list(node.value))
        case "within":
            result = within_mask(data, node.value)
    result = np.asarray(result, dtype=bool)
    if data.dtype.kind == "f":
        result &= ~np.isnan(data)  # an unknown value never satisfies a condition
    outcomes[node.describe()] = result
    results.append(result)
    return result


def vulnerable_members(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Children under 5, people 65+ and persons with disabilities, per household: whom
    ``per_vulnerable_member`` pays for."""
    return columns["children_under_5"] + columns["elderly_65_plus"] + columns["persons_with_disabilities"]


def amounts(benefit: Benefit, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """The benefit of every household, by the programme's arithmetic (vectorised)."""
    vulnerable = vulnerable_members(columns)
    raw = benefit.base + benefit.per_member * columns["size"] + benefit.per_vulnerable_member * vulnerable
    if benefit.band_multipliers:
        bands = columns["band"].astype(str)
        multiplier = np.ones(len(raw))
        for band, factor in benefit.band_multipliers.items():
            multiplier[bands == band] = factor
        raw = raw * multiplier
    if benefit.cap is not None:
        raw = np.minimum(raw, benefit.cap)
    return np.floor(raw / benefit.rounding + 1e-9) * benefit.rounding


@dataclass
class BudgetOutcome:
    """What the budget allows: the amount paid to each household and where the line fell."""

    paid: np.ndarray
    funded: np.ndarray
    cut_off_score: float | None
    coverage: float


def apply_budget(
    requested: np.ndarray, scores: np.ndarray, budget: float | None, policy: str, rounding: float
) -> BudgetOutcome:
    """Fit the requested amounts into ``budget``.

    ``rank_by_vulnerability``: the most vulnerable are paid in full until the money runs out; the
    score of the last household paid is the cut-off line. ``pro_rata``: everyone gets the same
    share of what they asked for, rounded down.
    """
    total = float(requested.sum())
    if budget is None or total <= budget:
        return BudgetOutcome(requested.copy(), requested > 0, None, 1.0)
    if policy == "pro_rata":
        paid = np.floor(requested * (budget / total) / rounding + 1e-9) * rounding
        return BudgetOutcome(paid, paid > 0, None, float(paid.sum() / total))
    order = np.lexsort((np.arange(len(scores)), -np.nan_to_num(scores, nan=-1.0)))
    cumulative = np.cumsum(requested[order])
    funded_sorted = cumulative <= budget
    funded = np.zeros(len(requested), dtype=bool)
    funded[order[funded_sorted]] = True
    paid = np.where(funded, requested, 0.0)
    last = order[funded_sorted][-1] if funded_sorted.any() else None
    cut_off = float(scores[last]) if last is not None else None
    return BudgetOutcome(paid, funded, cut_off, float(paid.sum() / total))


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


def describe_rule(rule: Group | Condition) -> str:
    return rule.describe()


# -- triggers and whole programmes -----------------------------------------------------------

URGENCY = ("Past", "Unknown", "Future", "Expected", "Immediate")
SEVERITY = ("Unknown", "Minor", "Moderate", "Severe", "Extreme")
CERTAINTY = ("Unknown", "Unlikely", "Possible", "Likely", "Observed")
MODES = ("anticipatory", "response")
POLICIES = ("rank_by_vulnerability", "pro_rata")


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
class Budget:
    per_incident: float | None = None
    overall: float | None = None
    policy: str = "rank_by_vulnerability"

    def left(self, committed_for_incident: float, committed_overall: float) -> float | None:
        """What may still be committed for an incident: both budgets minus what their live payments
        already hold (``None``: no limit).

        >>> Budget(per_incident=100.0, overall=1000.0).left(40.0, 950.0)
        50.0
        """
        limits = []
        if self.per_incident is not None:
            limits.append(self.per_incident - committed_for_incident)
        if self.overall is not None:
            limits.append(self.overall - committed_overall)
        return max(0.0, min(limits)) if limits else None


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

    def describe(self, lang: str = "en") -> dict[str, str]:
        """The programme in plain words, for the console and for letters to households."""
        es = lang == "es"
        trigger = self.trigger
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
        when.append(
            f"urgencia al menos {trigger.min_urgency}, severidad al menos {trigger.min_severity}, "
            f"certeza al menos {trigger.min_certainty}"
            if es
            else f"urgency at least {trigger.min_urgency}, severity at least {trigger.min_severity}, "
            f"certainty at least {trigger.min_certainty}"
        )
        policy = {
            ("rank_by_vulnerability", "en"): "rank by vulnerability",
            ("pro_rata", "en"): "pro rata",
            ("rank_by_vulnerability", "es"): "por orden de vulnerabilidad",
            ("pro_rata", "es"): "a prorrata",
        }[self.budget.policy, lang]
        budget = [f"{'si no alcanza' if es else 'policy when short'}: {policy}"]
        if self.budget.per_incident is not None:
            budget.insert(
                0, f"{self.budget.per_incident:g} {self.currency} {'por incidente' if es else 'per incident'}"
            )
        if self.budget.overall is not None:
            budget.insert(0, f"{self.budget.overall:g} {self.currency} {'en total' if es else 'overall'}")
        approval = (
            "aprobado por una segunda persona, nunca por quien lo propone"
            if es
            else "approved by a second person, never the proposer"
        )
        if self.pre_approved_ceiling:
            approval += (
                f"; lotes de hasta {self.pre_approved_ceiling:g} {self.currency} preaprobados"
                if es
                else f"; batches up to {self.pre_approved_ceiling:g} {self.currency} pre-approved"
            )
        return {
            "trigger": "; ".join(when),
            "eligibility": self.eligibility.describe(lang),
            "benefit": self.benefit.describe(self.currency, lang),
            "budget": "; ".join(budget),
            "approval": approval,
        }


def parse_programme(document: Mapping[str, Any]) -> Programme:
    """Build and check a whole programme (its shape already checked by the API's schema).

    :raise ProgrammeError: with the path of the first mistake.
    """
    trigger = document.get("trigger") or {}
    for name, scale in (("min_urgency", URGENCY), ("min_severity", SEVERITY), ("min_certainty", CERTAINTY)):
        if trigger.get(name, "Unknown") not in scale:
            raise _mistake(f"/trigger/{name}", f"one of {', '.join(scale)}")
    if trigger.get("mode", "response") not in MODES:
        raise _mistake("/trigger/mode", f"one of {', '.join(MODES)}")
    budget = document.get("budget") or {}
    if budget.get("policy", "rank_by_vulnerability") not in POLICIES:
        raise _mistake("/budget/policy", f"one of {', '.join(POLICIES)}")
    for name in ("per_incident", "overall"):
        if budget.get(name) is not None and budget[name] <= 0:
            raise _mistake(f"/budget/{name}", "a budget must be positive")
    if (budget.get("per_incident") or 0) > (budget.get("overall") or float("inf")):
        raise _mistake("/budget/per_incident", "cannot exceed the overall budget")
    benefit = parse_benefit(document["benefit"])
    largest = benefit.largest_payment()
    for name in ("per_incident", "overall"):
        if budget.get(name) is not None and largest > budget[name]:
            raise _mistake(
                "/benefit",
                f"one household could receive {largest:g}, "
                f"more than the whole {name.replace('_', ' ')} budget",
            )
    approval = document.get("approval") or {}
    if approval.get("four_eyes") is False:
        raise _mistake("/approval/four_eyes", "payments always need a second person's approval")
    ceiling = float(approval.get("pre_approved_ceiling") or 0)
    if ceiling and trigger.get("mode") != "anticipatory":
        raise _mistake("/approval/pre_approved_ceiling", "only anticipatory programmes may pre-approve")
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
        ),
        eligibility=parse_rule(document["eligibility"]),
        benefit=benefit,
        budget=Budget(
            budget.get("per_incident"), budget.get("overall"), budget.get("policy", "rank_by_vulnerability")
        ),
        pre_approved_ceiling=ceiling,
        payer=dict(document.get("payer") or {}),
    )
