"""One programme over every household an exposure names: who is paid, how much, and why not.

Pure and vectorised: the caller hands numpy columns (attributes joined to the exposure) and which
households already hold a payment for this programme and incident; nothing here reads a database.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from services.transfers.domain.assessments import enrolled_in, enrolment_key
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
HELD_DUPLICATE = "held_duplicate"  # a probable duplicate awaits the registry officer's decision
HELD_NO_CONSENT = "held_no_consent"  # its recorded consent does not cover emergency transfers
ALREADY_ENTITLED = "already_entitled"  # holds a payment for this programme and hazard event already
BELOW_CUT_OFF = "below_cut_off"
TOP_UP = "top_up"  # entitled already, and this exposure raises its entitlement: the difference is proposed
PAYABLE = "payable"
STATUSES = (
    UNKNOWN_HOUSEHOLD,
    INACTIVE,
    OUTSIDE_PROGRAMME_AREAS,
    NOT_ELIGIBLE,
    HELD_DUPLICATE,
    HELD_NO_CONSENT,
    ALREADY_ENTITLED,
    BELOW_CUT_OFF,
    TOP_UP,
    PAYABLE,
)
#: Statuses whose household is in the batch.
PROPOSED_STATUSES = (TOP_UP, PAYABLE)
STATUS_WORDS = {
    "en": {
        UNKNOWN_HOUSEHOLD: "the household's registry record had not reached transfers when this was decided",
        INACTIVE: "the household is not active in the registry",
        OUTSIDE_PROGRAMME_AREAS: "the household lives outside the programme's areas",
        NOT_ELIGIBLE: "not eligible under this programme",
        HELD_DUPLICATE: "held: the registry found a probable duplicate of this household and an officer has "
        "not decided yet; it is decided again once they do",
        HELD_NO_CONSENT: "held: the household's recorded consent does not cover emergency transfers",
        ALREADY_ENTITLED: "already entitled under this programme for this hazard event "
        "(one payment per hazard event, whichever agency's alert)",
        BELOW_CUT_OFF: "eligible, but below the budget's cut-off line",
        TOP_UP: "already paid for this hazard event, and entitled now to more: the difference is proposed",
        PAYABLE: "eligible and proposed for payment",
    },
    "es": {
        UNKNOWN_HOUSEHOLD: "el registro del hogar aún no había llegado a transferencias al decidir",
        INACTIVE: "el hogar no está activo en el registro",
        OUTSIDE_PROGRAMME_AREAS: "el hogar vive fuera de las áreas del programa",
        NOT_ELIGIBLE: "no cumple los requisitos de este programa",
        HELD_DUPLICATE: "retenido: el registro encontró un probable duplicado de este hogar y aún no lo ha "
        "decidido un oficial; se decide de nuevo cuando lo haga",
        HELD_NO_CONSENT: "retenido: el consentimiento registrado del hogar no cubre transferencias "
        "de emergencia",
        ALREADY_ENTITLED: "ya tiene derecho a un pago de este programa por este evento de amenaza "
        "(un pago por evento, sea cual sea la agencia que alertó)",
        BELOW_CUT_OFF: "cumple los requisitos, pero queda bajo la línea de corte del presupuesto",
        TOP_UP: "ya cobró por este evento de amenaza y ahora le corresponde más: se propone la diferencia",
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
        """Households in the batch: new ones, and top-ups."""
        return (self.status == PAYABLE) | (self.status == TOP_UP)


@dataclass(frozen=True)
class Holding:
    """What a household already holds of a programme's entitlement for a hazard event."""

    #: Its earliest payment (live, or refused by a person), named in its explanation.
    payment_id: str
    #: What its live payments for the hazard event add up to (0: none live, e.g. only refused).
    amount: float = 0.0
    #: The part a top-up would be (one more than its live payments' highest).
    next_part: int = 1


def decide(
    programme: Programme,
    columns: Mapping[str, np.ndarray],
    known: np.ndarray,
    entitled: np.ndarray,
    budget_left: float | None,
    held: np.ndarray | None = None,
) -> Decision:
    """Evaluate ``programme`` for every exposed household at once.

    :param known: households whose attributes transfers holds.
    :param entitled: households that already hold a payment of this programme for this hazard
        event; never proposed again, except for a top-up.
    :param budget_left: what is left of the programme's budgets for this incident (``None``: no limit).
    :param held: what each entitled household's live payments already add up to: when the
        benefit now gives more, the difference is proposed as a top-up (never a claw-back).
    :raise ProgrammeError: the arithmetic produced an amount that cannot be paid.
    """
    count = len(known)
    evaluation = evaluate(programme.eligibility, columns)
    outcomes = np.column_stack(evaluation.results) if evaluation.results else np.zeros((count, 0), bool)
    active = known & (columns["status"] == "active")
    in_areas = _in_areas(programme, columns, count)
    eligible = evaluation.eligible & active & in_areas
    under_review = columns.get("under_review", np.zeros(count, dtype=bool))
    consent_ok = columns.get("consent_ok", np.ones(count, dtype=bool))
    held_back = under_review | ~consent_ok
    requested = _requested(programme, columns, eligible)
    held = np.zeros(count) if held is None else held
    new = eligible & ~entitled & ~held_back
    # Cents apart at least: amounts are rounded to the benefit's rounding, never fractions of a cent.
    raised = eligible & ~held_back & entitled & (held > 0) & (requested - held >= 0.005)
    asking = new | raised
    outcome = apply_budget(
        np.where(raised, requested - held, requested)[asking],
        columns["vulnerability_score"][asking],
        budget_left,
        programme.budget.policy,
        programme.benefit.rounding,
    )
    amount = np.zeros(count)
    amount[asking] = outcome.paid
    funded = np.zeros(count, dtype=bool)
    funded[asking] = outcome.funded
    # In the order of STATUSES: the first that holds names the household's status.
    checks = [~known, ~active, ~in_areas, ~eligible, under_review, ~consent_ok]
    checks += [entitled & ~raised, ~funded, raised]
    status = np.select(checks, list(STATUSES[: len(checks)]), default=PAYABLE).astype(object)
    return Decision(
        status, eligible, outcomes, requested, amount, outcome.cut_off_score, outcome.coverage, budget_left
    )


Exposed = tuple[np.ndarray, Mapping[str, np.ndarray], np.ndarray]


def _enrolled_counted(programme: Programme, columns: Mapping[str, np.ndarray], n: int) -> np.ndarray | None:
    """Each household's enrolments among those the benefit tops up (``",A,"``, ``None`` where it has
    none; the whole column ``None``: the benefit tops up no enrolment)."""
    codes = list(programme.benefit.per_enrolment)
    if not codes or "enrolments" not in columns:
        return None
    counted = np.full(n, None, dtype=object)
    held = np.column_stack([enrolled_in(columns["enrolments"], [code]) for code in codes]).reshape(
        n, len(codes)
    )
    for i in np.flatnonzero(held.any(axis=1)):
        counted[i] = enrolment_key([code for code, has in zip(codes, held[i], strict=True) if has])
    return counted


def of_households(exposed: Exposed, household_id: str | None) -> Exposed:
    """The exposed households narrowed to one (all of them when ``household_id`` is ``None``)."""
    if household_id is None:
        return exposed
    ids, columns, known = exposed
    keep = ids == household_id
    return ids[keep], {name: column[keep] for name, column in columns.items()}, known[keep]


def of_statements(exposed: Exposed, statements: set[int] | None) -> Exposed:
    """The exposed households (ids, columns, which are known) of the statements named, and those
    no statement names (a footprint's); all of them when ``statements`` is ``None``."""
    ids, columns, known = exposed
    said = columns.get("statement")
    if statements is None or said is None:
        return exposed
    keep = np.isnan(said) | np.isin(said, sorted(statements))
    if keep.all():
        return exposed
    return ids[keep], {name: column[keep] for name, column in columns.items()}, known[keep]


def _requested(programme: Programme, columns: Mapping[str, np.ndarray], eligible: np.ndarray) -> np.ndarray:
    """What the benefit gives each eligible household (0 for the others).

    :raise ProgrammeError: the arithmetic produced an amount that cannot be paid.
    """
    requested = np.where(eligible, amounts(programme.benefit, columns), 0.0)
    if not np.all(np.isfinite(requested)) or np.any(requested < 0):
        raise ProgrammeError(
            f"programme {programme.name!r} computed an amount that is negative or not a number"
        )
    return requested


def _in_areas(programme: Programme, columns: Mapping[str, np.ndarray], count: int) -> np.ndarray:
    """Households living in the programme's areas (all when it names none)."""
    if not programme.trigger.areas:
        return np.ones(count, dtype=bool)
    codes = columns["admin_code"].astype(str)
    return np.logical_or.reduce([within_mask(codes, area) for area in programme.trigger.areas])


def explain(
    programme: Programme,
    outcomes: str,
    status: str,
    amount: float,
    arithmetic: str | None,
    lang: str = "en",
    requested: float = 0.0,
    held: float = 0.0,
) -> list[str]:
    """Plain-language lines telling one household why it was or was not paid, from its stored
    decision (``outcomes``: one ``0``/``1`` per condition, in tree order; ``requested``: what the
    benefit gives; ``held``: what its live payments for the hazard event already held)."""
    conditions = programme.eligibility.conditions()
    lines = [
        f"{'✔' if bit == '1' else '✘'} {c.describe(lang)}"
        for c, bit in zip(conditions, outcomes, strict=True)
    ]
    lines.append(STATUS_WORDS[lang][status])
    es, currency = lang == "es", programme.currency
    if status in PROPOSED_STATUSES:
        word = "monto" if es else "amount"
        lines.append(f"{word}: {programme.benefit.describe(currency, lang)}")
        if arithmetic:
            lines.append(arithmetic)
    if status == TOP_UP:
        lines.append(
            f"le corresponde ahora {requested:g} {currency}; ya tenía {held:g} {currency}: "
            f"complemento de {amount:g} {currency}, nunca más que el tope del programa"
            if es
            else f"entitled now to {requested:g} {currency}; {held:g} {currency} already held: "
            f"a top-up of {amount:g} {currency}, never more than the programme's cap"
        )
    elif status == ALREADY_ENTITLED and held and requested and requested < held:
        lines.append(
            f"ahora le correspondería {requested:g} {currency}, menos que los {held:g} {currency} que ya "
            "tiene: no se le descuenta nada"
            if es
            else f"now entitled to {requested:g} {currency}, less than the {held:g} {currency} already held: "
            "nothing is clawed back"
        )
    if status in PROPOSED_STATUSES:
        lines.append(f"{'a pagar' if es else 'to pay'}: {amount:g} {currency}")
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
    #: Per household, the payment that already held its entitlement (``None`` where none did),
    #: what its live payments add up to, and the part a top-up would be.
    held_by: np.ndarray | None = None
    held: np.ndarray | None = None
    parts: np.ndarray | None = None
    hazard_event_id: str | None = None
    #: Per household, the enrolments whose top-up the benefit counted (``",A,"``; ``None`` when the
    #: benefit tops up no enrolment).
    enrolled: np.ndarray | None = None

    @classmethod
    def of(
        cls,
        exposure_key: str,
        incident_id: str,
        programme_id: str,
        programme_version: int,
        programme: Programme,
        exposed: tuple[np.ndarray, Mapping[str, np.ndarray], np.ndarray],
        holding: Mapping[str, Holding],
        budget_left: float | None,
        hazard_event_id: str | None = None,
    ) -> Evaluation:
        """Decide ``programme`` over the exposed households (ids, columns, which are known), given
        the payment already ``holding`` each entitled household's entitlement and what is left of
        its budget; the summary says what it found.
        """
        household_ids, columns, known = exposed
        found = [holding.get(h) for h in household_ids.tolist()]
        held_by = np.array([h.payment_id if h else None for h in found], dtype=object)
        entitled = np.array([h is not None for h in found], dtype=bool)
        held = np.array([h.amount if h else 0.0 for h in found], dtype=np.float64)
        decision = decide(programme, columns, known, entitled, budget_left, held)
        parts = np.where(decision.status == TOP_UP, [h.next_part if h else 0 for h in found], 0)
        counts = {s: int((decision.status == s).sum()) for s in STATUSES}
        summary = {
            "households": len(household_ids),
            "by_status": counts,
            "eligible": int(decision.eligible.sum()),
            "requested": float(decision.requested[decision.eligible & ~entitled].sum()),
            "top_ups": float(decision.amount[decision.status == TOP_UP].sum()),
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
            held,
            parts.astype(np.int64),
            hazard_event_id,
            _enrolled_counted(programme, columns, len(household_ids)),
        )

    @property
    def counts(self) -> dict[str, int]:
        return self.summary["by_status"]  # type: ignore[return-value]
