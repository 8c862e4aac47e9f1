"""Probable duplicates of an import's households, found by the dry run before anything is written:
each household the commit would write is compared with the registry and with the file's earlier
households, as registration compares them, leaving out the pairs an officer has judged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from services.registry.adapters.blocks import Blocks, people_of
from services.registry.domain.duplicates import Match, Person, Population, matches_for, names_worth_comparing
from services.registry.domain.imports.outcomes import WRITTEN
from services.registry.service_layer.duplicates import judgements_on
from services.registry.service_layer.import_plans import Plan
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork


@dataclass(frozen=True)
class FoundDuplicate:
    """A person of the file (``row``, in the household of ``first_row``) who resembles someone in
    ``other_household``: registered, or of the file (``other_row``)."""

    row: int
    first_row: int
    reference: str
    other_household: str
    other_registration_number: str | None
    other_row: int | None
    other_reference: str | None
    score: float
    reasons: tuple[str, ...]


@dataclass
class FileScreen:
    """What the dry run remembers of the file's households screened so far."""

    blocks: Blocks = field(default_factory=Blocks)  # registered people, read once
    population: Population = field(default_factory=Population)  # the file's people so far
    rows: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # member → row, first row, ref
    households: set[str] = field(default_factory=set)  # the file's households so far

    def screen(self, plans: Sequence[Plan], uow: RegistryUnitOfWork) -> list[FoundDuplicate]:
        """The probable duplicates of the households in ``plans`` that the commit would write."""
        written = [
            (plan, people_of(plan.household)) for plan in plans if plan.outcome in WRITTEN and plan.household
        ]
        registered = uow.duplicates.comparable_to_all(
            [p for _, people in written for p in people], self.blocks, worth=names_worth_comparing
        )
        found: list[Match] = []
        for plan, people in written:
            for person in people:
                # Registered people of households the file changes are seen as the file has them.
                others = [o for o in registered[person.member_id] if o.household_id not in self.households]
                found.extend(matches_for(person, others + self.population.comparable(person)))
            self._remember(plan, people)
        judged = judgements_on(uow, found)
        kept = [match for match in found if judged.allows(match)]
        numbers = uow.households.registration_numbers(
            [m.b.household_id for m in kept if m.b.member_id not in self.rows]
        )
        return [self._found(match, numbers) for match in kept]

    def _remember(self, plan: Plan, people: Sequence[Person]) -> None:
        rows = [row for row, _ in plan.group.rows]
        if len(rows) != len(people):  # rows that name nobody keep the household's people: its first row
            rows = [plan.group.first_row] * len(people)
        for row, person in zip(rows, people, strict=True):
            self.rows[person.member_id] = (row, plan.group.first_row, plan.group.ref)
        self.population.add(people)
        if plan.household is not None:
            self.households.add(plan.household.id)

    def _found(self, match: Match, numbers: dict[str, str]) -> FoundDuplicate:
        row, first_row, ref = self.rows[match.a.member_id]
        other = self.rows.get(match.b.member_id)
        return FoundDuplicate(
            row=row,
            first_row=first_row,
            reference=ref,
            other_household=match.b.household_id,
            other_registration_number=numbers.get(match.b.household_id),
            other_row=other[0] if other else None,
            other_reference=other[2] if other else None,
            score=match.score,
            reasons=match.reasons,
        )
