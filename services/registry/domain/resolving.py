"""What an officer's decision on a probable duplicate does to the two households: a merge moves
the members the officer keeps into the household kept (the same person in both kept once, as the
record the officer says survives) and dissolves the other; a removal takes people who belong to
the other household out of one.

The households that result are checked against the household rules by the caller
(:func:`services.registry.domain.model.change_household`); here only the officer's choices are
checked, each refusal naming the field of the decision in English and Spanish.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from services.registry.domain.errors import InvalidHousehold
from services.registry.domain.history import FieldChange
from services.registry.domain.members import Member, Relationship
from services.registry.domain.model import Household, HouseholdFacts, HouseholdStatus
from shared.errors import Bilingual


@dataclass(frozen=True)
class MemberChoice:
    """The officer's word on one member of the household not kept.

    Named alone, the member moves into the household kept (``relationship`` to its head, if the
    one they had no longer holds there). With ``same_as`` (the kept household's record of the same
    person), the person is kept once: ``survives`` says which of the two records stays.
    """

    id: str
    same_as: str | None = None
    survives: str | None = None
    relationship: Relationship | None = None


@dataclass(frozen=True)
class Merged:
    """Both households after a merge, and which records moved."""

    kept: HouseholdFacts
    other: HouseholdFacts
    moved: tuple[str, ...]  # records of the other household now in the kept one
    replaced: dict[str, str]  # a kept household's record → the other's record that took its place

    def history_of_kept(self, other_id: str, candidate_id: str) -> list[FieldChange]:
        """What the kept household's history says beyond its field changes."""
        return [
            FieldChange("merged_from", None, other_id),
            FieldChange("duplicate_candidate", None, candidate_id),
            *(FieldChange(f"members.{m}.moved_from", None, other_id) for m in self.moved),
            *(FieldChange(f"members.{new}.replaces", None, old) for old, new in self.replaced.items()),
        ]

    def history_of_other(self, kept_id: str, candidate_id: str) -> list[FieldChange]:
        """What the dissolved household's history says beyond its field changes."""
        return [
            FieldChange("merged_into", None, kept_id),
            FieldChange("duplicate_candidate", None, candidate_id),
            *(FieldChange(f"members.{m}.moved_to", None, kept_id) for m in self.moved),
        ]


def _choice_problems(kept: Household, other: Household, choices: Sequence[MemberChoice]) -> dict[str, str]:
    """Each faulty field of the officer's choices, by its path in the decision (``members.0.id``)."""
    problems: dict[str, str] = {}
    mine = {m.id for m in kept.facts.members}
    theirs = {m.id for m in other.facts.members}
    named: set[str] = set()
    matched: set[str] = set()
    for i, choice in enumerate(choices):
        at = f"members.{i}"
        if choice.id not in theirs:
            problems[f"{at}.id"] = Bilingual(
                f"{choice.id} is not a member of household {other.id}",
                f"{choice.id} no es miembro del hogar {other.id}",
            )
        elif choice.id in named:
            problems[f"{at}.id"] = Bilingual(f"{choice.id} is named twice", f"{choice.id} aparece dos veces")
        named.add(choice.id)
        if choice.same_as is None:
            if choice.survives is not None:
                problems[f"{at}.survives"] = Bilingual(
                    "only for the same person in both households (give same_as)",
                    "solo para la misma persona en ambos hogares (indique same_as)",
                )
            continue
        if choice.same_as not in mine:
            problems[f"{at}.same_as"] = Bilingual(
                f"{choice.same_as} is not a member of household {kept.id}",
                f"{choice.same_as} no es miembro del hogar {kept.id}",
            )
        elif choice.same_as in matched:
            problems[f"{at}.same_as"] = Bilingual(
                f"{choice.same_as} is already the same person as another member",
                f"{choice.same_as} ya es la misma persona que otro miembro",
            )
        matched.add(choice.same_as)
        if choice.survives not in (choice.id, choice.same_as):
            problems[f"{at}.survives"] = Bilingual(
                f"say which record of this person survives: {choice.same_as} or {choice.id}",
                f"indique qué registro de esta persona se conserva: {choice.same_as} o {choice.id}",
            )
        elif choice.survives == choice.same_as and choice.relationship is not None:
            problems[f"{at}.relationship"] = Bilingual(
                "this record does not survive; change the kept record with an ordinary change",
                "este registro no se conserva; modifique el registro conservado con un cambio ordinario",
            )
    return problems


def merge(kept: Household, other: Household, choices: Sequence[MemberChoice]) -> Merged:
    """Both households' facts after merging ``other`` into ``kept`` as the officer chose.

    Members of ``other`` the officer does not name stay with it, dissolved. A surviving record of
    the other household takes the place and the relationship of the kept household's record it
    replaces, unless ``relationship`` says otherwise.

    :raise InvalidHousehold: naming each faulty choice (``members.2.same_as``).
    """
    problems = _choice_problems(kept, other, choices)
    if problems:
        raise InvalidHousehold(
            Bilingual("the merge cannot be done as asked", "la fusión no puede hacerse así"), problems
        )
    theirs = {m.id: m for m in other.facts.members}
    relationship = {c.id: c.relationship for c in choices if c.relationship is not None}

    def moved(record: Member, default: Relationship) -> Member:
        return replace(record, relationship=relationship.get(record.id, default))

    replaced = {c.same_as: c.id for c in choices if c.same_as is not None and c.survives == c.id}
    members = [
        moved(theirs[replaced[m.id]], m.relationship) if m.id in replaced else m for m in kept.facts.members
    ]
    moving_in = [c.id for c in choices if c.same_as is None]
    members += [moved(theirs[m], theirs[m].relationship) for m in moving_in]
    leaving = set(moving_in) | set(replaced.values())
    return Merged(
        kept=replace(kept.facts, members=tuple(members)),
        other=replace(
            other.facts,
            members=tuple(m for m in other.facts.members if m.id not in leaving),
            status=HouseholdStatus.DISSOLVED,
        ),
        moved=tuple(moving_in) + tuple(replaced.values()),
        replaced=replaced,
    )


def remove_members(
    household: Household, remove: Sequence[str], new_head: str | None, person: str
) -> HouseholdFacts:
    """The household's facts once the members in ``remove`` (who belong to another household) are
    taken out; ``new_head`` becomes the head when the head is among them.

    ``person`` is the member the probable duplicate is about: it must be among those removed.

    :raise InvalidHousehold: naming each faulty field (``remove.1``, ``new_head``).
    """
    problems: dict[str, str] = {}
    ids = [m.id for m in household.facts.members]
    for i, member_id in enumerate(remove):
        if member_id not in ids:
            problems[f"remove.{i}"] = Bilingual(
                f"{member_id} is not a member of household {household.id}",
                f"{member_id} no es miembro del hogar {household.id}",
            )
        elif member_id in remove[:i]:
            problems[f"remove.{i}"] = Bilingual(
                f"{member_id} is named twice", f"{member_id} aparece dos veces"
            )
    staying = [m for m in household.facts.members if m.id not in remove]
    head = next((m.id for m in household.facts.members if m.relationship == Relationship.HEAD), None)
    if person not in remove:
        problems["remove"] = Bilingual(
            f"include member {person}, the person this probable duplicate is about",
            f"incluya al miembro {person}, la persona de este probable duplicado",
        )
    elif not staying:
        problems["remove"] = Bilingual(
            "a household keeps at least one member; to end it, merge it into the other",
            "un hogar conserva al menos un miembro; para terminarlo, fusiónelo con el otro",
        )
    if new_head is None and head is not None and head in remove:
        problems["new_head"] = Bilingual(
            f"the head of household ({head}) is removed: name the member who becomes head",
            f"se retira a la jefatura del hogar ({head}): indique qué miembro pasa a ser jefe o jefa",
        )
    elif new_head is not None and new_head not in {m.id for m in staying}:
        problems["new_head"] = Bilingual(
            f"{new_head} is not a member who stays in household {household.id}",
            f"{new_head} no es un miembro que permanece en el hogar {household.id}",
        )
    elif new_head is not None and head not in remove:
        problems["new_head"] = Bilingual(
            "the head stays: a new head is named only when the head is removed",
            "la jefatura permanece: solo se indica una nueva cuando se retira a quien la tiene",
        )
    if problems:
        raise InvalidHousehold(
            Bilingual("the members cannot be removed as asked", "los miembros no pueden retirarse así"),
            problems,
        )
    members = tuple(replace(m, relationship=Relationship.HEAD) if m.id == new_head else m for m in staying)
    return replace(household.facts, members=members)


def history_of_removal(remove: Sequence[str], other_id: str, candidate_id: str) -> list[FieldChange]:
    """What a household's history says beyond its field changes when people are removed from it
    because they live in ``other_id``."""
    return [
        FieldChange("duplicate_candidate", None, candidate_id),
        *(FieldChange(f"members.{m}.remains_in", None, other_id) for m in remove),
    ]
