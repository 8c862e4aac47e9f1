"""What each household of an import file becomes: created, a new version of the registered
household it names, unchanged, or refused with the reason (English and Spanish).

The dry run plans every household and records the plans; the commit plans each batch again and
writes what its plans say, so that what it writes always follows from what is stored then.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from services.registry.domain import model
from services.registry.domain.errors import HouseholdNotFound, InvalidHousehold, OutsideJurisdiction
from services.registry.domain.history import changes
from services.registry.domain.imports import HouseholdRows, household_document
from services.registry.domain.imports.outcomes import Outcome, Reference, Refusal, Refused, reference_of
from services.registry.domain.imports.updates import match_members, updated_document
from services.registry.service_layer.common import Actor, Dependencies
from services.registry.service_layer.facts import build_facts
from services.registry.service_layer.import_rows import (
    Reader,
    identity,
    input_of,
    stored_document,
    where,
)
from services.registry.service_layer.import_visits import with_visit
from services.registry.service_layer.registration import RegisterHousehold, new_household, store_change
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.errors import Bilingual, spanish


@dataclass
class Plan:
    """One household of the file, and what importing it does."""

    group: HouseholdRows
    outcome: Outcome
    household: model.Household | None = None  # as the commit writes it, or as it stays (unchanged)
    current: model.Household | None = None  # the stored household an update starts from
    command: RegisterHousehold | None = None  # the registration a new household comes from
    refusal: Refusal | None = None
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, problem)
    changed: tuple[str, ...] = ()  # the fields an update changes

    @property
    def rows(self) -> list[int]:
        return [row for row, _ in self.group.rows]


def household_id_for(import_id: str, ref: str) -> str:
    """The id a new household of an import is registered under (the same on every commit attempt)."""
    return str(uuid.uuid5(uuid.UUID(import_id), ref))


@dataclass(frozen=True)
class Planner:
    """Plans the households of one import's file for one person (``actor``)."""

    import_id: str
    file_format: str
    reader: Reader
    actor: Actor
    deps: Dependencies
    #: registered households the dry run found named by several households of the file
    named_twice: Collection[str] = frozenset()

    def plan(self, groups: Sequence[HouseholdRows], uow: RegistryUnitOfWork) -> list[Plan]:
        """Plan ``groups`` (reading the registered households they name, a few queries in all)."""
        references: dict[int, Reference | Refusal | None] = {}
        for group in groups:
            try:
                references[group.first_row] = reference_of(group)
            except Refused as refused:
                references[group.first_row] = refused.refusal
        named = [r for r in references.values() if isinstance(r, Reference)]
        known = uow.households.named(
            [r.household_id for r in named if r.household_id],
            [r.registration_number for r in named if r.registration_number],
        )
        plans = []
        for group in groups:
            reference = references[group.first_row]
            if isinstance(reference, Refusal):
                plans.append(self._refused(group, reference))
            elif reference is None:
                plans.append(self._create(group))
            else:
                plans.append(self._update(group, reference, known, uow))
        return [with_visit(plan, self, uow) for plan in plans]

    def _refused(self, group: HouseholdRows, refusal: Refusal) -> Plan:
        problem = (refusal.row, self.reader.column(refusal.field), str(refusal.reason))
        return Plan(group, Outcome.REFUSED, refusal=refusal, problems=[problem])

    def invalid(self, group: HouseholdRows, problems: dict[str, str]) -> Plan:
        """A household the rules refuse, each problem pointed at its row and column."""
        found = [(*where(self.reader, group, key), text) for key, text in problems.items()]
        row, column, text = found[0]
        more = len(found) - 1
        reason = Bilingual(
            f"{column} on row {row}: {text}" + (f" (and {more} more problems)" if more else ""),
            f"{column} en la fila {row}: {spanish(text) or text}"
            + (f" (y {more} problemas más)" if more else ""),
        )
        field_name = self.reader.columns.get(column, column)
        return Plan(group, Outcome.REFUSED, refusal=Refusal(row, field_name, reason), problems=found)

    def _create(self, group: HouseholdRows) -> Plan:
        source = (
            model.RegistrationSource.KOBOTOOLBOX
            if self.file_format == "kobo"
            else model.RegistrationSource.IMPORT
        )
        try:
            command = RegisterHousehold(
                input_of(household_document(group)),
                self.actor,
                household_id_for(self.import_id, group.ref),
                source,
                device=f"import:{self.import_id[:8]}",
            )
            household = new_household(command, self.deps, self.deps.now())
        except (InvalidHousehold, OutsideJurisdiction, HouseholdNotFound) as exc:
            return self.invalid(group, getattr(exc, "problems", None) or {"admin_code": exc.detail})
        return Plan(group, Outcome.CREATE, household=household, command=command)

    def _update(
        self, group: HouseholdRows, reference: Reference, known: dict[str, str], uow: RegistryUnitOfWork
    ) -> Plan:
        key = reference.household_id or reference.registration_number or ""
        current = uow.households.get(known[key]) if key in known else None
        refusal = self._refusal(group, reference, current)
        if refusal is not None:
            return self._refused(group, refusal)
        assert current is not None
        try:
            return self._changed(group, current)
        except (InvalidHousehold, OutsideJurisdiction) as exc:
            refused = self.invalid(group, getattr(exc, "problems", None) or {"admin_code": exc.detail})
            refused.current = current  # it names this household all the same (one named twice is ambiguous)
            return refused

    def _refusal(
        self, group: HouseholdRows, reference: Reference, current: model.Household | None
    ) -> Refusal | None:
        """Why the registered household a group names cannot be updated by it, if it cannot."""
        row = next(r for r, values in group.rows if values.get("registration_number"))
        if current is None:
            reason = Bilingual(
                f"no registered household {reference.text}",
                f"no hay ningún hogar registrado {reference.text}",
            )
        elif not self.actor.covers(current.admin_code):
            reason = Bilingual(
                f"household {reference.text} lies in {current.admin_code}, outside your jurisdiction",
                f"el hogar {reference.text} está en {current.admin_code}, fuera de su jurisdicción",
            )
        elif current.id in self.named_twice:
            reason = Bilingual(
                f"household {reference.text} is named by several households of the file: "
                "which one updates it is ambiguous",
                f"el hogar {reference.text} está nombrado por varios hogares del archivo: "
                "no se sabe cuál lo actualiza",
            )
        elif current.status == model.HouseholdStatus.DISSOLVED:
            reason = Bilingual(
                f"household {reference.text} is dissolved: update the household it was merged into",
                f"el hogar {reference.text} está disuelto: actualice el hogar con el que se fusionó",
            )
        else:
            return None
        return Refusal(row, "registration_number", reason)

    def _changed(self, group: HouseholdRows, current: model.Household) -> Plan:
        """The plan of a group that updates ``current``: a new version, or unchanged."""
        protector = self.deps.protector
        stored = stored_document(current, protector)
        read = household_document(group)
        if not any(read["members"]):
            # Rows that name nobody (a visit's findings, a new roof) leave the household's people as
            # they are; rows that name people are its people.
            read = {**read, "members": [dict(m) for m in stored["members"]]}
            positions: list[int | None] = list(range(len(stored["members"])))
        else:
            positions = match_members(
                [identity(m, protector) for m in stored["members"]],
                [identity(m, protector) for m in read["members"]],
            )
        ids = [stored["members"][p]["id"] if p is not None else None for p in positions]
        now = self.deps.now()
        facts = build_facts(input_of(updated_document(stored, read, ids)), self.deps, current, now.date())
        if facts == current.facts:
            return Plan(group, Outcome.UNCHANGED, household=current, current=current)
        household = model.change_household(
            current,
            facts,
            changed_by=self.actor.subject,
            changed_at=now,
            index=self.deps.index,
            jurisdiction_covers=self.actor.covers,
            areas=self.deps.areas,
        )
        paths = tuple(sorted({c.path for c in changes(current, household)} - {"vulnerability.score"}))
        return Plan(group, Outcome.UPDATE, household=household, current=current, changed=paths)

    def apply(self, plan: Plan, uow: RegistryUnitOfWork) -> Outcome:
        """Write an update planned earlier in the open unit of work; planned again first if the
        household changed since. Return what became of it."""
        assert plan.current is not None
        current = uow.households.get(plan.current.id, for_update=True)
        if current is None or current.version != plan.current.version:
            [plan] = self.plan([plan.group], uow)
        if plan.outcome != Outcome.UPDATE:
            return plan.outcome
        assert plan.household is not None and plan.current is not None
        return Outcome.UPDATE if store_change(uow, plan.household, plan.current) else Outcome.REFUSED
