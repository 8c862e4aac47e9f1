"""Probable duplicates: queued for an officer when households are registered or changed, listed for
review, then merged (one household kept, the other dissolved) or dismissed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from services.registry.adapters.blocks import Blocks
from services.registry.domain import model
from services.registry.domain.duplicates import matches_for, names_worth_comparing
from services.registry.domain.errors import AlreadyDecided, HouseholdNotFound, InvalidHousehold
from services.registry.domain.history import FieldChange, changes
from services.registry.service_layer.common import Actor, Dependencies, household_event
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.audit import AuditEntry
from shared.kafka import HOUSEHOLDS


def queue_probable_duplicates(uow: RegistryUnitOfWork, household: model.Household) -> int:
    """Queue every likely duplicate of the household's members for an officer; return how many.

    Nothing is merged or dropped here: the household is registered either way.
    """
    queued = 0
    for person in uow.duplicates.people_of(household):
        for match in matches_for(person, uow.duplicates.comparable(person)):
            queued += uow.duplicates.queue(match, household.updated_at)
    return queued


def queue_probable_duplicates_of(
    uow: RegistryUnitOfWork, registered: Sequence[model.Household], blocks: Blocks | None = None
) -> int:
    """:func:`queue_probable_duplicates` for households just registered in this order in the open
    unit of work, with a few queries in all; return how many pairs were queued.

    Each household's members are compared with what the one-by-one path would have seen: the
    households stored before, and those before it in ``registered``. ``blocks`` keeps the people
    read for the next call (see :meth:`DuplicateRepository.comparable_to_all`).
    """
    order = {household.id: n for n, household in enumerate(registered)}
    people = [
        p for h in registered if h.status == model.HouseholdStatus.ACTIVE for p in uow.duplicates.people_of(h)
    ]
    comparable = uow.duplicates.comparable_to_all(people, blocks, earlier=order, worth=names_worth_comparing)
    at = {household.id: household.updated_at for household in registered}
    found = []
    for person in people:
        found.extend(
            (match, at[person.household_id]) for match in matches_for(person, comparable[person.member_id])
        )
    return uow.duplicates.queue_all(found)


class DuplicateNotFound(HouseholdNotFound):
    pass


def list_duplicates(
    status: str, limit: int, uow: RegistryUnitOfWork, covers: Callable[[str], bool]
) -> list[dict[str, Any]]:
    """Candidate pairs in ``status``, best score first, both households inside the caller's areas."""
    with uow:
        shown = []
        for candidate in uow.duplicates.list(status, limit):
            a = uow.households.get(candidate["household_a"])
            b = uow.households.get(candidate["household_b"])
            if a is None or b is None or not (covers(a.admin_code) and covers(b.admin_code)):
                continue
            shown.append({**candidate, "admin_code_a": a.admin_code, "admin_code_b": b.admin_code})
        return shown


@dataclass(frozen=True)
class DecideDuplicate:
    """An officer's decision on a candidate pair: ``merge`` (keep one household) or ``dismiss``."""

    candidate_id: str
    decision: str
    actor: Actor
    keep_household_id: str | None = None
    comment: str | None = None


def decide_duplicate(command: DecideDuplicate, uow: RegistryUnitOfWork, deps: Dependencies) -> dict[str, Any]:
    """Merge (the other household is dissolved, with history and event) or dismiss a candidate.

    :raise DuplicateNotFound: unknown, or outside the caller's areas.
    :raise InvalidHousehold: a merge that does not name one of the pair's households to keep.
    :raise Conflict: the pair was already decided.
    """
    now = deps.now()
    with uow:
        candidate = uow.duplicates.get(command.candidate_id)
        pair = [uow.households.get(candidate[k]) for k in ("household_a", "household_b")] if candidate else []
        if not candidate or None in pair or not all(command.actor.covers(h.admin_code) for h in pair if h):
            raise DuplicateNotFound(f"no duplicate candidate {command.candidate_id} in your jurisdiction")
        if candidate["status"] != "open":
            raise AlreadyDecided(f"candidate {command.candidate_id} was already {candidate['status']}")
        if command.decision == "dismiss":
            uow.duplicates.decide(
                command.candidate_id, "dismissed", command.actor.subject, command.comment, now
            )
            _record_decision(uow, command, "dismissed")
            return {**candidate, "status": "dismissed"}
        ids = {candidate["household_a"], candidate["household_b"]}
        if command.keep_household_id not in ids:
            raise InvalidHousehold(
                "say which household to keep", {"keep": f"one of {', '.join(sorted(ids))}"}
            )
        (dropped_id,) = ids - {command.keep_household_id}
        dropped = next(h for h in pair if h and h.id == dropped_id)
        if dropped.status == model.HouseholdStatus.ACTIVE:
            dissolved = model.change_household(
                dropped,
                replace(dropped.facts, status=model.HouseholdStatus.DISSOLVED),
                changed_by=command.actor.subject,
                changed_at=now,
                index=deps.index,
                jurisdiction_covers=command.actor.covers,
            )
            uow.households.replace(dissolved, dropped.version)
            uow.households.record_changes(
                dissolved,
                [
                    *changes(dropped, dissolved),
                    FieldChange("merged_into", None, command.keep_household_id),
                ],
            )
            uow.publish(HOUSEHOLDS.name, household_event(dissolved, dropped))
        uow.duplicates.decide_pair(
            candidate["household_a"],
            candidate["household_b"],
            "merged",
            command.actor.subject,
            command.comment,
            now,
        )
        _record_decision(uow, command, "merged", f"kept {command.keep_household_id}, dissolved {dropped_id}")
        return {**candidate, "status": "merged"}


def _record_decision(
    uow: RegistryUnitOfWork, command: DecideDuplicate, outcome: str, what: str | None = None
) -> None:
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
