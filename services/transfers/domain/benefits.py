"""How much each household gets (the benefit's arithmetic, step by step) and what the budget
allows when the money does not reach everyone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from services.transfers.domain.assessments import enrolled_in
from services.transfers.domain.programme_errors import mistake

PROGRAMME_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")

#: What the budget does when it cannot pay every eligible household in full.
POLICIES = ("rank_by_vulnerability", "pro_rata")

#: The largest household size the arithmetic is checked for, and the bounds beyond which an
#: amount is taken for a mistake (a misplaced zero, say) rather than a policy.
LARGEST_HOUSEHOLD = 30
MAX_MULTIPLIER = 10.0
MAX_PAYMENT = 1_000_000.0


@dataclass(frozen=True)
class Benefit:
    base: float
    per_member: float = 0.0
    per_vulnerable_member: float = 0.0
    cap: float | None = None
    band_multipliers: Mapping[str, float] = field(default_factory=dict)
    rounding: float = 1.0
    #: A top-up for households enrolled in a regular programme (``{"BONO-VIDA": 1500}``): added
    #: after the band's multiplier, within the cap (a vertical expansion of that programme).
    per_enrolment: Mapping[str, float] = field(default_factory=dict)

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
        for code, extra in self.per_enrolment.items():
            text += f" + {extra:g} " + (f"si inscrito en {code}" if es else f"if enrolled in {code}")
        if self.cap is not None:
            text += f", {'como máximo' if es else 'at most'} {self.cap:g} {currency}"
        if self.rounding != 1:
            text += f", {'redondeado hacia abajo a' if es else 'rounded down to'} {self.rounding:g}"
        return text

    def largest_payment(self) -> float:
        """The most one household could receive (a household of ``LARGEST_HOUSEHOLD``, all vulnerable)."""
        amount = (self.base + (self.per_member + self.per_vulnerable_member) * LARGEST_HOUSEHOLD) * max(
            [1.0, *self.band_multipliers.values()]
        ) + sum(self.per_enrolment.values())
        return min(amount, self.cap) if self.cap is not None else amount

    def arithmetic(
        self,
        size: int,
        vulnerable: int,
        band: str | None,
        currency: str,
        lang: str = "en",
        enrolled: str = "",
    ) -> str:
        """How one household's amount was reached, step by step (matches :func:`amounts`);
        ``enrolled`` is the household's enrolments as the decision counted them (``",A,B,"``)."""
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
        for code, extra in self.per_enrolment.items():
            if f",{code}," in (enrolled or ""):
                amount += extra
                text += (
                    f"; + {extra:g} ({'inscrito en' if lang == 'es' else 'enrolled in'} {code}) = {amount:g}"
                )
        if self.cap is not None and amount > self.cap:
            amount = self.cap
            text += f"; {'tope' if lang == 'es' else 'cap'} {self.cap:g}"
        rounded = math.floor(amount / self.rounding + 1e-9) * self.rounding
        if rounded != amount:
            text += f"; {'redondeado hacia abajo a' if lang == 'es' else 'rounded down to'} {self.rounding:g}"
        return f"{text} → {rounded:g} {currency}"


def parse_benefit(node: Mapping[str, Any], path: str = "/benefit") -> Benefit:
    """:raise ProgrammeError: an impossible benefit (negative amounts, a cap below the base…)."""
    benefit = Benefit(
        base=float(node.get("base", 0)),
        per_member=float(node.get("per_member", 0)),
        per_vulnerable_member=float(node.get("per_vulnerable_member", 0)),
        cap=float(node["cap"]) if node.get("cap") is not None else None,
        band_multipliers={str(k): float(v) for k, v in (node.get("band_multipliers") or {}).items()},
        rounding=float(node.get("rounding", 1)),
        per_enrolment={
            str(k).strip().upper(): float(v) for k, v in (node.get("per_enrolment") or {}).items()
        },
    )
    for code, extra in benefit.per_enrolment.items():
        if not PROGRAMME_CODE.match(code):
            raise mistake(
                f"{path}/per_enrolment/{code}", "not a programme code (2 to 32 letters, digits, _ or -)"
            )
        if not 0 <= extra <= MAX_PAYMENT:
            raise mistake(f"{path}/per_enrolment/{code}", f"must lie between 0 and {MAX_PAYMENT:g}")
    for name in ("base", "per_member", "per_vulnerable_member"):
        if getattr(benefit, name) < 0:
            raise mistake(f"{path}/{name}", "cannot be negative")
    if benefit.base + benefit.per_member + benefit.per_vulnerable_member <= 0:
        raise mistake(path, "the benefit would always be zero")
    if benefit.cap is not None and benefit.cap < benefit.base:
        raise mistake(f"{path}/cap", f"the cap {benefit.cap:g} is below the base amount {benefit.base:g}")
    if (
        not 0.01 <= benefit.rounding <= MAX_PAYMENT
        or abs(benefit.rounding * 100 - round(benefit.rounding * 100)) > 1e-9
    ):
        raise mistake(f"{path}/rounding", f"a whole number of cents, from 0.01 to {MAX_PAYMENT:g}")
    for band, multiplier in benefit.band_multipliers.items():
        if not 0 <= multiplier <= MAX_MULTIPLIER:
            raise mistake(f"{path}/band_multipliers/{band}", f"must lie between 0 and {MAX_MULTIPLIER:g}")
    if benefit.largest_payment() > MAX_PAYMENT:
        raise mistake(
            path,
            f"one household could receive {benefit.largest_payment():g}; set a cap "
            f"(a single emergency payment above {MAX_PAYMENT:g} is refused as absurd)",
        )
    return benefit


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
    for code, extra in benefit.per_enrolment.items():
        raw = raw + extra * enrolled_in(columns["enrolments"], [code])
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
