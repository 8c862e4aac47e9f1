"""Monitoring: how many households and people a hazard event, an alert or a programme reached, who
they were, what it cost and how long they waited.

Every figure is counted from stored rows (exposures, decisions, payments), one household once per
stage however many times it was decided or paid:

``exposed``
    in any exposure of the scope's alerts;
``eligible``
    eligible in at least one decision;
``held``
    whose latest decision holds it (a probable duplicate, no consent for emergency transfers);
``proposed`` · ``approved`` · ``instructed`` · ``paid``
    with a payment that reached that step (approved: its batch was approved; instructed: it is in
    a payment file; paid: the provider reported it settled);
``failed``
    with a payment failed and not re-issued (still waiting for its money);
``reissued``
    with a failed payment re-issued.

People are the households' members as transfers last knew them, by sex and reporting band with
disability per band. A count of 1 or 2 is never shown (``None``, with ``fewer_than``): a report
scoped to a small area must not point at a family.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.transfers.domain.deciding import HELD_DUPLICATE, HELD_NO_CONSENT
from services.transfers.domain.payments import (
    APPROVED,
    FAILED,
    INSTRUCTED,
    REISSUED,
    SETTLED,
    UNKNOWN,
)
from shared.contracts.household_groups import PEOPLE_CELLS, read_people_cells

STAGES = ("exposed", "eligible", "held", "proposed", "approved", "instructed", "paid", "failed", "reissued")
#: Payment states that mean its batch was approved (the payment went on from there).
APPROVED_OR_LATER = (APPROVED, INSTRUCTED, SETTLED, FAILED, UNKNOWN, REISSUED)
#: Approved money still owed or paid: a re-issued payment's money moved to its successor.
AMOUNT_APPROVED = (APPROVED, INSTRUCTED, SETTLED, FAILED, UNKNOWN)
HELD = (HELD_DUPLICATE, HELD_NO_CONSENT)
#: The waits reported: from the alert to each step, and from each step to the next.
STEPS = ("proposal", "approval", "instruction", "settlement")
WAITS = (
    *(f"alert_to_{step}" for step in STEPS),
    *(f"{first}_to_{then}" for first, then in zip(STEPS, STEPS[1:], strict=False)),
)
#: Counts below this (and above 0) are not shown.
SMALLEST_SHOWN = 3


@dataclass(frozen=True)
class Household:
    """What monitoring knows of one household: where it lives and who its members are."""

    household_id: str
    admin_code: str | None
    size: int | None
    people: str | None


@dataclass(frozen=True)
class Exposed:
    household: Household
    band: str | None


@dataclass(frozen=True)
class Decided:
    household: Household
    eligible: bool
    status: str
    decided_at: datetime


@dataclass(frozen=True)
class Paid:
    """One payment, with the moments its household's money moved."""

    household: Household
    incident_id: str
    state: str
    amount: Decimal
    currency: str
    proposed_at: datetime | None
    approved_at: datetime | None
    instructed_at: datetime | None
    settled_at: datetime | None


@dataclass(frozen=True)
class AlertTimes:
    """When transfers first heard of an alert, and when its hazard was expected (``None``: not said)."""

    alerted_at: datetime | None
    onset: datetime | None


@dataclass
class Rows:
    """Everything a report is counted from."""

    exposed: list[Exposed] = field(default_factory=list)
    decided: list[Decided] = field(default_factory=list)
    paid: list[Paid] = field(default_factory=list)
    alerts: dict[str, AlertTimes] = field(default_factory=dict)


def shown(count: int) -> int | None:
    """A count as a report may show it.

    Examples
    --------
    >>> shown(0), shown(2), shown(3)
    (0, None, 3)
    """
    return None if 0 < count < SMALLEST_SHOWN else count


def suppressed(values: Sequence[int]) -> list[int | None]:
    """Counts that add up to a total shown elsewhere, as a report may show them: each of 1 or 2
    hidden, and then, while what is hidden adds up to 1 or 2 (the total minus the rest would tell
    it), the smallest shown one too.

    Examples
    --------
    >>> suppressed([40, 2, 0]), suppressed([40, 5, 1, 1]), suppressed([4, 5])
    ([None, None, 0], [40, None, None, None], [4, 5])
    """
    kept: list[int | None] = [shown(v) for v in values]
    while 0 < sum(v for v, k in zip(values, kept, strict=True) if k is None) < SMALLEST_SHOWN:
        rest = [(v, i) for i, (v, k) in enumerate(zip(values, kept, strict=True)) if k and v > 0]
        if not rest:
            break
        kept[min(rest)[1]] = None
    return kept


def nearest_rank(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``share`` of them at or below it.

    Examples
    --------
    >>> nearest_rank([4, 1, 3, 2], 0.5), nearest_rank([4, 1, 3, 2], 0.9), nearest_rank([], 0.5)
    (2, 4, None)
    """
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def area_at(admin_code: str | None, level: int) -> str:
    """The area at ``level`` holding a code (1: ``HN-CR``, 2: ``HN-CR-0801``); ``unknown`` for none.

    Examples
    --------
    >>> area_at("HN-CR-0801", 1), area_at("HN-CR", 2), area_at(None, 1)
    ('HN-CR', 'HN-CR', 'unknown')
    """
    if not admin_code:
        return "unknown"
    return "-".join(admin_code.split("-")[: level + 1])


def households_by_stage(rows: Rows) -> dict[str, dict[str, Household]]:
    """Each stage's households, each once."""
    stages: dict[str, dict[str, Household]] = {stage: {} for stage in STAGES}
    for exposed in rows.exposed:
        stages["exposed"][exposed.household.household_id] = exposed.household
    latest: dict[str, Decided] = {}
    for decided in rows.decided:
        key = decided.household.household_id
        if decided.eligible:
            stages["eligible"][key] = decided.household
        if key not in latest or decided.decided_at >= latest[key].decided_at:
            latest[key] = decided
    stages["held"] = {k: d.household for k, d in latest.items() if d.status in HELD}
    for payment in rows.paid:
        for stage, reached in _payment_stages(payment).items():
            if reached:
                stages[stage][payment.household.household_id] = payment.household
    return stages


def _payment_stages(payment: Paid) -> dict[str, bool]:
    return {
        "proposed": True,
        "approved": payment.state in APPROVED_OR_LATER,
        "instructed": payment.instructed_at is not None,
        "paid": payment.state == SETTLED,
        "failed": payment.state == FAILED,
        "reissued": payment.state == REISSUED,
    }


def people_table(households: Iterable[Household]) -> dict[str, Any]:
    """Their members by sex and reporting band, with disability per band, and how many households'
    members were not counted so (snapshots older than the cross-table)."""
    totals = [0] * len(PEOPLE_CELLS)
    not_counted = 0
    for household in households:
        cells = read_people_cells(household.people)
        if cells is None:
            not_counted += 1
            continue
        totals = [a + b for a, b in zip(totals, cells, strict=True)]
    table: dict[str, Any] = {}
    people = suppressed(totals[0::2])  # the cells add up to the stage's people: hide what subtraction tells
    disabled = suppressed(totals[1::2])
    for index, (sex, band, what) in enumerate(PEOPLE_CELLS):
        table.setdefault(sex, {}).setdefault(band, {})[what] = (people if what == "people" else disabled)[
            index // 2
        ]
    return {"by_sex_and_age": table, "households_not_counted": shown(not_counted)}


def _counts(households: Mapping[str, Household]) -> dict[str, int | None]:
    """Households and people (the people of 1 or 2 households are not shown either: a family's size)."""
    counted = shown(len(households))
    return {
        "households": counted,
        "people": shown(sum(h.size or 0 for h in households.values())) if counted else counted,
    }


def _ratio(part: int, whole: int) -> float | None:
    if whole == 0 or shown(part) is None or shown(whole) is None:
        return None
    return round(part / whole, 4)


def coverage(stages: Mapping[str, Mapping[str, Household]]) -> dict[str, Any]:
    """Paid against eligible and against exposed, in households and in people."""

    def people(stage: str) -> int:
        return sum(h.size or 0 for h in stages[stage].values())

    paid_h, paid_p = len(stages["paid"]), people("paid")
    return {
        f"paid_of_{whole}": {
            "households": _ratio(paid_h, len(stages[whole])),
            "people": _ratio(paid_p, people(whole)),
        }
        for whole in ("eligible", "exposed")
    }


def cost(payments: Sequence[Paid], paid_households: int) -> list[dict[str, Any]]:
    """Money approved and paid, per currency, and paid per household paid (an amount paid to 1 or 2
    households is not shown: with a flat benefit it would count them)."""
    by_currency: dict[str, dict[str, Decimal]] = {}
    counted: dict[str, dict[str, set[str]]] = {}
    for payment in payments:
        money = by_currency.setdefault(payment.currency, {"approved": Decimal(0), "paid": Decimal(0)})
        whom = counted.setdefault(payment.currency, {"approved": set(), "paid": set()})
        if payment.state in AMOUNT_APPROVED:
            money["approved"] += payment.amount
            whom["approved"].add(payment.household.household_id)
        if payment.state == SETTLED:
            money["paid"] += payment.amount
            whom["paid"].add(payment.household.household_id)

    def amount(currency: str, which: str) -> str | None:
        return str(by_currency[currency][which]) if shown(len(counted[currency][which])) is not None else None

    return [
        {
            "currency": currency,
            "approved": amount(currency, "approved"),
            "paid": amount(currency, "paid"),
            "paid_per_household": (
                str((money["paid"] / paid_households).quantize(Decimal("0.01")))
                if len(by_currency) == 1 and shown(paid_households)
                else None
            ),
        }
        for currency, money in sorted(by_currency.items())
    ]


def household_moments(rows: Rows) -> dict[str, dict[str, datetime]]:
    """For each household paid or proposed: when it was alerted and when its money first reached
    each step (its earliest payment to reach it: a re-issued payment's successor settles later)."""
    moments: dict[str, dict[str, datetime]] = {}
    for payment in sorted(rows.paid, key=lambda p: (p.proposed_at is None, p.proposed_at)):
        kept = moments.setdefault(payment.household.household_id, {})
        alert = rows.alerts.get(payment.incident_id)
        if "alert" not in kept and alert is not None and alert.alerted_at is not None:
            kept["alert"] = alert.alerted_at
        if "onset" not in kept and alert is not None and alert.onset is not None:
            kept["onset"] = alert.onset
        for step, at in zip(
            STEPS,
            (
                payment.proposed_at,
                payment.approved_at if payment.state in APPROVED_OR_LATER else None,
                payment.instructed_at,
                payment.settled_at if payment.state == SETTLED else None,
            ),
            strict=True,
        ):
            if at is not None and (step not in kept or at < kept[step]):
                kept[step] = at
    return moments


def waits(moments: Mapping[str, Mapping[str, datetime]]) -> dict[str, dict[str, Any]]:
    """Minutes households waited between steps: median and 90th percentile (nearest rank) over the
    households that reached both; not shown over fewer than 3."""
    found: dict[str, dict[str, Any]] = {}
    for name in WAITS:
        first, then = name.split("_to_")
        minutes = [
            (kept[then] - kept[first]).total_seconds() / 60
            for kept in moments.values()
            if first in kept and then in kept
        ]
        enough = shown(len(minutes)) is not None
        found[name] = {
            "households": shown(len(minutes)),
            "median_minutes": _rounded(nearest_rank(minutes, 0.5)) if enough else None,
            "p90_minutes": _rounded(nearest_rank(minutes, 0.9)) if enough else None,
        }
    return found


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def paid_before_onset(moments: Mapping[str, Mapping[str, datetime]]) -> dict[str, int | None]:
    """Households paid before their hazard's expected onset, of those paid whose alert said when."""
    known = [kept for kept in moments.values() if "settlement" in kept and "onset" in kept]
    return {
        "households": shown(sum(1 for kept in known if kept["settlement"] < kept["onset"])),
        "of_paid_with_onset": shown(len(known)),
    }


def breakdown(
    stages: Mapping[str, Mapping[str, Household]], key: Callable[[str, Household], str], name: str
) -> list[dict[str, Any]]:
    """Households per stage for each group ``key`` puts them in, groups in order."""
    groups: dict[str, dict[str, int]] = {}
    for stage, households in stages.items():
        for household_id, household in households.items():
            group = groups.setdefault(key(household_id, household), dict.fromkeys(STAGES, 0))
            group[stage] += 1
    ordered = sorted(groups.items())
    columns = {stage: suppressed([counts[stage] for _, counts in ordered]) for stage in STAGES}
    return [
        {name: group, **{stage: columns[stage][row] for stage in STAGES}}
        for row, (group, _) in enumerate(ordered)
    ]


def report(rows: Rows, level: int) -> dict[str, Any]:
    """The whole report over ``rows``: stages, people, areas at ``level``, bands, coverage, cost,
    waits and payments before onset."""
    stages = households_by_stage(rows)
    bands = {e.household.household_id: e.band or "unknown" for e in rows.exposed}
    moments = household_moments(rows)
    return {
        "stages": {stage: _counts(households) for stage, households in stages.items()},
        "people": {stage: people_table(households.values()) for stage, households in stages.items()},
        "by_area": breakdown(stages, lambda _, h: area_at(h.admin_code, level), "area"),
        "by_band": breakdown(stages, lambda key, _: bands.get(key, "not exposed"), "band"),
        "coverage": coverage(stages),
        "cost": cost(rows.paid, len(stages["paid"])),
        "waits": waits(moments),
        "paid_before_onset": paid_before_onset(moments),
        "level": level,
        "fewer_than": SMALLEST_SHOWN,
    }


def within(rows: Rows, covers: Callable[[str], bool]) -> Rows:
    """Only the households inside a jurisdiction (a household whose area is not known is inside
    only one that covers everywhere)."""

    def inside(household: Household) -> bool:
        return covers(household.admin_code or "")

    return Rows(
        exposed=[e for e in rows.exposed if inside(e.household)],
        decided=[d for d in rows.decided if inside(d.household)],
        paid=[p for p in rows.paid if inside(p.household)],
        alerts=rows.alerts,
    )
