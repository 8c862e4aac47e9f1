"""A registry officer's decision on a probable duplicate, recorded with everything it changes in
one transaction: the households' new versions, history and events, the queue, the judgement
remembered, the audit entry and the review state published for transfers.

- ``merge``: the members the officer keeps move into the household kept (the same person in both
  kept once, as the record the officer says survives); the other household is dissolved.
- ``dismiss``: the two households are not duplicates; the pair is never proposed again.
- ``remove_members``: people who live in the other household leave this one; the pair is never
  proposed again for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.registry.adapters.resolutions import NOT_DUPLICATES, PERSON_REMOVED
from services.registry.domain import model, resolving
from services.registry.domain.errors import AlreadyDecided, ChangedMeanwhile, InvalidHousehold
from services.registry.domain.resolving import MemberChoice
from services.registry.service_layer.common import Actor, Dependencies
from services.registry.service_layer.duplicates import DuplicateNotFound, publish_reviews
from services.registry.service_layer.registration import store_change
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.audit import AuditEntry
from shared.errors import Bilingual

MERGE, DISMISS, REMOVE_MEMBERS = "merge", "dismiss", "remove_members"
DECISIONS = (MERGE, DISMISS, REMOVE_MEMBERS)


@dataclass(frozen=True)
class DecideDuplicate:
    """An officer's decision on a candidate pair.

    ``merge`` names the household kept (``keep_household_id``) and the word on each member of the
    other it keeps (``members``; an empty list keeps none of them). ``remove_members`` names the
    household (``household_id``) the members in ``remove`` leave, and its ``new_head`` when the
    head is among them.
    """

    candidate_id: str
    decision: str
    actor: Actor
    keep_household_id: str | None = None
    comment: str | None = None
    members: Sequence[MemberChoice] | None = None
    household_id: str | None = None
    remove: Sequence[str] = ()
    new_head: str | None = None


@dataclass(frozen=True)
class _Case:
    """The candidate decided, its two households by id, and when."""

    candidate: dict[str, Any]
    households: dict[str, model.Household]
    now: datetime

    @property
    def pair(self) -> tuple[str, str]:
        return self.candidate["household_a"], self.candidate["household_b"]

    def member_in(self, household_id: str) -> str:
        """The candidate's member on ``household_id``'s side."""
        side = "a" if self.candidate["household_a"] == household_id else "b"
        return str(self.candidate[f"member_{side}"])


def decide_duplicate(command: DecideDuplicate, uow: RegistryUnitOfWork, deps: Dependencies) -> dict[str, Any]:
    """Record the officer's decision on a candidate pair; return the candidate as decided.

    :raise DuplicateNotFound: unknown, or a household outside the caller's areas.
    :raise InvalidHousehold: a decision that cannot be done as asked, or whose households would
        break a household rule, naming the field (English and Spanish).
    :raise AlreadyDecided: the pair was already decided.
    :raise ChangedMeanwhile: a household changed while the decision was being recorded.
    """
    if command.decision not in DECISIONS:
        said = Bilingual(f"one of {', '.join(DECISIONS)}", f"una de {', '.join(DECISIONS)}")
        raise InvalidHousehold(Bilingual("unknown decision", "decisión desconocida"), {"decision": said})
    with uow:
        case = _open_case(command, uow, deps.now())
        decide = {MERGE: _merge, DISMISS: _dismiss, REMOVE_MEMBERS: _remove}[command.decision]
        status, what, touched = decide(command, case, uow, deps)
        _record_decision(uow, command, status, what)
        publish_reviews(uow, sorted(touched | set(case.pair)), case.now)
        decided = uow.duplicates.get(command.candidate_id)
        assert decided is not None
        return {
            **decided,
            **{f"admin_code_{s}": case.households[case.pair[i]].admin_code for i, s in enumerate("ab")},
        }


def _open_case(command: DecideDuplicate, uow: RegistryUnitOfWork, now: datetime) -> _Case:
    candidate = uow.duplicates.get(command.candidate_id, for_update=True)
    pair = [uow.households.get(candidate[k]) for k in ("household_a", "household_b")] if candidate else []
    if not candidate or None in pair or not all(command.actor.covers(h.admin_code) for h in pair if h):
        raise DuplicateNotFound(f"no duplicate candidate {command.candidate_id} in your jurisdiction")
    if candidate["status"] != "open":
        raise AlreadyDecided(f"candidate {command.candidate_id} was already {candidate['status']}")
    return _Case(candidate, {h.id: h for h in pair if h}, now)


def _one_of(ids: Sequence[str]) -> Bilingual:
    return Bilingual(f"one of {', '.join(sorted(ids))}", f"uno de {', '.join(sorted(ids))}")


def _dismiss(
    command: DecideDuplicate, case: _Case, uow: RegistryUnitOfWork, deps: Dependencies
) -> tuple[str, str, set[str]]:
    """The two households are not duplicates: every open pair of their members is dismissed and
    the judgement is remembered, so that no later change or import proposes them again."""
    a, b = case.pair
    between = uow.resolutions.open_between(a, b)
    by = command.actor.subject
    uow.resolutions.settle([c["id"] for c in between], "dismissed", by, command.comment, case.now)
    uow.resolutions.judge((a, b), None, NOT_DUPLICATES, command.candidate_id, by, command.comment, case.now)
    return "dismissed", f"households {a} and {b} are not duplicates ({len(between)} pairs dismissed)", set()


def _merge(
    command: DecideDuplicate, case: _Case, uow: RegistryUnitOfWork, deps: Dependencies
) -> tuple[str, str, set[str]]:
    """Move the members the officer keeps into the household kept and dissolve the other."""
    kept, other = _merging(command, case)
    by = command.actor.subject
    between = uow.resolutions.open_between(*case.pair)
    uow.resolutions.settle([c["id"] for c in between], "merged", by, command.comment, case.now)
    if other.status == model.HouseholdStatus.DISSOLVED:  # dissolved since: nothing left to move
        return "merged", f"kept {kept.id}; {other.id} was already dissolved", set()
    merged = resolving.merge(kept, other, command.members or ())
    try:
        new_kept = _changed(kept, merged.kept, command.actor, deps, case.now)
    except InvalidHousehold as exc:
        said = Bilingual(
            "the merged household breaks a household rule", "el hogar fusionado no cumple una regla"
        )
        raise exc.renamed(said, {}) from exc
    new_other = _changed(other, merged.other, command.actor, deps, case.now)
    # The other household first: the member records it gives up are free to join the kept one.
    if not (
        store_change(uow, new_other, other, merged.history_of_other(kept.id, command.candidate_id))
        and store_change(uow, new_kept, kept, merged.history_of_kept(other.id, command.candidate_id))
    ):
        raise ChangedMeanwhile(f"households {kept.id} and {other.id} changed meanwhile; decide again")
    gone = {m.id for m in merged.other.members} | set(merged.replaced)
    touched = _follow_records(uow, command, case, kept.id, set(merged.moved), gone)
    what = f"kept {kept.id}, dissolved {other.id}, moved {len(merged.moved)} members"
    return "merged", what, touched


def _merging(command: DecideDuplicate, case: _Case) -> tuple[model.Household, model.Household]:
    """The household kept and the other, once the decision names them and the members kept."""
    ids = list(case.pair)
    if command.keep_household_id not in ids:
        said = Bilingual("say which household to keep", "indique qué hogar se conserva")
        raise InvalidHousehold(said, {"keep": _one_of(ids)})
    (other_id,) = set(ids) - {command.keep_household_id}
    kept, other = case.households[command.keep_household_id], case.households[other_id]
    problems: dict[str, str] = {}
    if kept.status != model.HouseholdStatus.ACTIVE:
        problems["keep"] = Bilingual(
            f"household {kept.id} is {kept.status.value}: keep the other one",
            f"el hogar {kept.id} no está activo ({kept.status.value}): conserve el otro",
        )
    if command.members is None:
        problems["members"] = Bilingual(
            f"say which members of household {other_id} to keep (an empty list keeps none)",
            f"indique qué miembros del hogar {other_id} se conservan (una lista vacía no conserva ninguno)",
        )
    elif command.members and other.status == model.HouseholdStatus.DISSOLVED:
        problems["members"] = Bilingual(
            f"household {other_id} is already dissolved: nobody can be moved from it",
            f"el hogar {other_id} ya está disuelto: no se puede trasladar a nadie",
        )
    if problems:
        raise InvalidHousehold(
            Bilingual("the merge cannot be done as asked", "la fusión no puede hacerse así"), problems
        )
    return kept, other


def _changed(
    household: model.Household, facts: model.HouseholdFacts, actor: Actor, deps: Dependencies, now: datetime
) -> model.Household:
    return model.change_household(
        household,
        facts,
        changed_by=actor.subject,
        changed_at=now,
        index=deps.index,
        jurisdiction_covers=actor.covers,
    )


def _follow_records(
    uow: RegistryUnitOfWork,
    command: DecideDuplicate,
    case: _Case,
    kept_id: str,
    moved: set[str],
    gone: set[str],
) -> set[str]:
    """Open pairs with third households follow the records a merge moved into ``kept_id`` (unless
    an officer judged that pair); pairs of records no longer in an active household (left in the
    dissolved one, or replaced by the other's record) are withdrawn. Return the households touched.
    """
    pending = uow.resolutions.open_involving(moved | gone)
    partners = {c[f"household_{s}"] for c in pending for s in "ab"}
    judged = uow.resolutions.judged(partners | {kept_id})
    withdrawn, touched = [], set(partners)
    for candidate in pending:
        side = "a" if candidate["member_a"] in moved else "b" if candidate["member_b"] in moved else None
        partner = candidate["household_b" if side == "a" else "household_a"]
        members = (candidate["member_a"], candidate["member_b"])
        if side is not None and not judged.cover((kept_id, partner), members):
            uow.resolutions.move_to(candidate, candidate[f"member_{side}"], kept_id)
        else:
            withdrawn.append(candidate["id"])
    note = f"the record left the active households when candidate {command.candidate_id} was merged"
    uow.resolutions.settle(withdrawn, "withdrawn", command.actor.subject, note, case.now)
    return touched


def _remove(
    command: DecideDuplicate, case: _Case, uow: RegistryUnitOfWork, deps: Dependencies
) -> tuple[str, str, set[str]]:
    """Take the members named out of one household (they live in the other); remember the
    judgement for each of them, so that the pair is never proposed again for them."""
    household, other = _removing(command, case)
    facts = resolving.remove_members(
        household, command.remove, command.new_head, case.member_in(household.id)
    )
    try:
        changed = _changed(household, facts, command.actor, deps, case.now)
    except InvalidHousehold as exc:
        said = Bilingual("the household would break a household rule", "el hogar no cumpliría una regla")
        raise exc.renamed(said, {"members": "remove"}) from exc
    removed, by = set(command.remove), command.actor.subject
    between = [
        c for c in uow.resolutions.open_between(*case.pair) if {c["member_a"], c["member_b"]} & removed
    ]
    uow.resolutions.settle([c["id"] for c in between], "members_removed", by, command.comment, case.now)
    for candidate in between:  # the record that remains in the other household, for each person
        remaining = candidate["member_b"] if candidate["member_a"] in removed else candidate["member_a"]
        uow.resolutions.judge(
            case.pair, remaining, PERSON_REMOVED, command.candidate_id, by, command.comment, case.now
        )
    said = resolving.history_of_removal(command.remove, other.id, command.candidate_id)
    if not store_change(uow, changed, household, said):
        raise ChangedMeanwhile(f"household {household.id} changed meanwhile; decide again")
    touched = _follow_records(uow, command, case, other.id, set(), removed)
    return (
        "members_removed",
        f"removed {len(removed)} members from {household.id}; they live in {other.id}",
        touched,
    )


def _removing(command: DecideDuplicate, case: _Case) -> tuple[model.Household, model.Household]:
    """The household the members leave and the one they live in."""
    ids = list(case.pair)
    if command.household_id not in ids:
        said = Bilingual("say which household the members leave", "indique de qué hogar salen los miembros")
        raise InvalidHousehold(said, {"household": _one_of(ids)})
    (other_id,) = set(ids) - {command.household_id}
    household, other = case.households[command.household_id], case.households[other_id]
    for which in (household, other):  # the person must live in two real households
        if which.status != model.HouseholdStatus.ACTIVE:
            said = Bilingual(
                f"household {which.id} is {which.status.value}: merge or dismiss the pair instead",
                f"el hogar {which.id} no está activo ({which.status.value}): fusione o descarte el par",
            )
            raise InvalidHousehold(
                Bilingual("the members cannot be removed", "los miembros no pueden retirarse"),
                {"household": said},
            )
    return household, other


def _record_decision(uow: RegistryUnitOfWork, command: DecideDuplicate, outcome: str, what: str) -> None:
    comment = "; ".join(c for c in (what, command.comment) if c) or None
    uow.record(
        AuditEntry(
            by=command.actor.subject,
            action=f"duplicate_{outcome}",
            subject_type="duplicate_candidate",
            subject_id=command.candidate_id,
            from_state="open",
            to_state=outcome,
            comment=comment,
        )
    )
