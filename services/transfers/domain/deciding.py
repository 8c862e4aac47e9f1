"""One programme over every household an exposure names: who is paid, how much, and why not.

Pure and vectorised: the caller hands numpy columns (attributes joined to the exposure) and which
households already hold a payment for this programme and incident; nothing here reads a database.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from services.transfers.domain.benefits import amounts, apply_budget
from services.transfers.domain.eligibility import evaluate
from services.transfers.domain.programme_errors import ProgrammeError
from services.transfers.domain.programmes import Programme
from shared.admin_codes import within_mask

#: Why a household is or is not in the batch, in the order they are checked.
UNKNOWN_HOUSEHOLD = "unknown_household"  # the registry's snapshot has not reached transfers yet
INACTIVE = "inactive"
OUTSIDE_PROGRAMME_AREAS = "outside_programme_areas"
NOT_ELIGIBLE = "not_eligible"
ALREADY_ENTITLED = "already_entitled"  # holds a payment for this programme and hazard event already
BELOW_CUT_OFF = "below_cut_off"
PAYABLE = "payable"
STATUSES = (
    UNKNOWN_HOUSEHOLD,
    INACTIVE,
    OUTSIDE_PROGRAMME_AREAS,
    NOT_ELIGIBLE,
    ALREADY_ENTITLED,
    BELOW_CUT_OFF,
    PAYABLE,
)
STATUS_WORDS = {
    "en": {
        UNKNOWN_HOUSEHOLD: "the household's registry record had not reached transfers when this was decided",
        INACTIVE: "the household is not active in the registry",
        OUTSIDE_PROGRAMME_AREAS: "the household lives outside the programme's areas",
        NOT_ELIGIBLE: "not eligible under this programme",
        ALREADY_ENTITLED: "already entitled under this programme for this hazard event "
        "(one payment per hazard event, whichever agency's alert)",
        BELOW_CUT_OFF: "eligible, but below the budget's cut-off line",
        PAYABLE: "eligible and proposed for payment",
    },
    "es": {
        UNKNOWN_HOUSEHOLD: "el registro del hogar aún no había llegado a transferencias al decidir",
        INACTIVE: "el hogar no está activo en el registro",
        OUTSIDE_PROGRAMME_AREAS: "el hogar vive fuera de las áreas del programa",
        NOT_ELIGIBLE: "no cumple los requisitos de este programa",
        ALREADY_ENTITLED: "ya tiene derecho a un pago de este programa por este evento de amenaza "
        "(un pago por evento, sea cual sea la agencia que alertó)",
        BELOW_CUT_OFF: "cumple los requisitos, pero queda bajo la línea de corte del presupuesto",
        PAYABLE: "cumple los requisitos y se propone su pago",
    },
}


@dataclass
class Decision:
    """Per household (same order as the columns): status, amounts and each condition's outcome."""

    status: np.ndarray  # object: one of STATUSES
    eligible: np.ndarray  # bool
    outcomes: np.ndarray  # bool, households × conditions
    requested: np.ndarray  # what the benefit gives
    amount: np.ndarray  # what the batch pays (0 unless payable)
    cut_off_score: float | None
    coverage: float
    budget: float | None

    @property
    def payable(self) -> np.ndarray:
        return self.status == PAYABLE


def decide(
    programme: Programme,
    columns: Mapping[str, np.ndarray],
    known: np.ndarray,
    entitled: np.ndarray,
    budget_left: float | None,
) -> Decision:
    """Evaluate ``programme`` for every exposed household at once.

    :param known: households whose attributes transfers holds.
    :param entitled: households that already hold a live payment for this programme and incident;
        they are never proposed again.
    :param budget_left: what is left of the programme's budgets for this incident (``None``: no limit).
    :raise ProgrammeError: the arithmetic produced an amount that cannot be paid.
    """
    count = len(known)
    evaluation = evaluate(programme.eligibility, columns)
    outcomes = np.column_stack(evaluation.results) if evaluation.results else np.zeros((count, 0), bool)
    active = known & (columns["status"] == "active")
    in_areas = np.ones(count, dtype=bool)
    if programme.trigger.areas:
        codes = columns["admin_code"].astype(str)
        in_areas = np.logical_or.reduce([within_mask(codes, area) for area in programme.trigger.areas])
    eligible = evaluation.eligible & active & in_areas
    requested = np.where(eligible, amounts(programme.benefit, columns), 0.0)
    if not np.all(np.isfinite(requested)) or np.any(requested < 0):
        raise ProgrammeError(
            f"programme {programme.name!r} computed an amount that is negative or not a number"
        )
    new = eligible & ~entitled
    outcome = apply_budget(
        requested[new],
        columns["vulnerability_score"][new],
        budget_left,
        programme.budget.policy,
        programme.benefit.rounding,
    )
    amount = np.zeros(count)
    amount[new] = outcome.paid
    funded = np.zeros(count, dtype=bool)
    funded[new] = outcome.funded
    status = np.select(
        [~known, ~active, ~in_areas, ~eligible, entitled, ~funded],
        [UNKNOWN_HOUSEHOLD, INACTIVE, OUTSIDE_PROGRAMME_AREAS, NOT_ELIGIBLE, ALREADY_ENTITLED, BELOW_CUT_OFF],
        default=PAYABLE,
    ).astype(object)
    return Decision(
        status, eligible, outcomes, requested, amount, outcome.cut_off_score, outcome.coverage, budget_left
    )


def explain(
    programme: Programme,
    outcomes: str,
    status: str,
    amount: float,
    arithmetic: str | None,
    lang: str = "en",
) -> list[str]:
    """Plain-language lines telling one household why it was or was not paid, from its stored
    decision (``outcomes``: one ``0``/``1`` per condition, in tree order)."""
    conditions = programme.eligibility.conditions()
    lines = [
        f"{'✔' if bit == '1' else '✘'} {c.describe(lang)}"
        for c, bit in zip(conditions, outcomes, strict=True)
    ]
    lines.append(STATUS_WORDS[lang][status])
    if status == PAYABLE:
        word = "monto" if lang == "es" else "amount"
        lines.append(f"{word}: {programme.benefit.describe(programme.currency, lang)}")
        if arithmetic:
            lines.append(arithmetic)
        lines.append(f"{'a pagar' if lang == 'es' else 'to pay'}: {amount:g} {programme.currency}")
    return lines


@dataclass(frozen=True)
class Evaluation:
    """One programme version evaluated over one exposure: its conditions, what it found, and
    every household's :class:`Decision` (in ``household_ids`` order)."""

    id: str
    exposure_key: str
    incident_id: str
    programme_id: str
    programme_version: int
    conditions: list[str]
    summary: dict[str, object]
    household_ids: np.ndarray
    columns: Mapping[str, np.ndarray]
    known: np.ndarray
    decision: Decision
    #: Per household, the payment that already held its entitlement (``None`` where none did).
    held_by: np.ndarray | None = None
    hazard_event_id: str | None = None

    @classmethod
    def of(
        cls,
        exposure_key: str,
        incident_id: str,
        programme_id: str,
        programme_version: int,
        programme: Programme,
        exposed: tuple[np.ndarray, Mapping[str, np.ndarray], np.ndarray],
        holding: Mapping[str, str],
        budget_left: float | None,
        hazard_event_id: str | None = None,
    ) -> Evaluation:
        """Decide ``programme`` over the exposed households (ids, columns, which are known), given
        the payment already ``holding`` each entitled household's entitlement and what is left of
        its budget; the summary says what it found.
        """
        household_ids, columns, known = exposed
        held_by = np.array([holding.get(h) for h in household_ids.tolist()], dtype=object)
        entitled = np.array([h is not None for h in held_by.tolist()], dtype=bool)
        decision = decide(programme, columns, known, entitled, budget_left)
        counts = {s: int((decision.status == s).sum()) for s in STATUSES}
        summary = {
            "households": len(household_ids),
            "by_status": counts,
            "eligible": int(decision.eligible.sum()),
            "requested": float(decision.requested[decision.eligible & ~entitled].sum()),
            "proposed": float(decision.amount[decision.payable].sum()),
            "budget_left": decision.budget,
            "coverage": round(decision.coverage, 4),
            "cut_off_score": decision.cut_off_score,
            "hazard_event_id": hazard_event_id,
        }
        conditions = [c.describe() for c in programme.eligibility.conditions()]
        return cls(
            str(uuid.uuid4()),
            exposure_key,
            incident_id,
            programme_id,
            programme_version,
            conditions,
            summary,
            household_ids,
            columns,
            known,
            decision,
            held_by,
            hazard_event_id,
        )

    @property
    def counts(self) -> dict[str, int]:
        return self.summary["by_status"]  # type: ignore[return-value]
