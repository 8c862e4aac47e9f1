"""Probable duplicates: queued for an officer when households are registered or changed (never a
pair an officer has judged), published as under review, and listed for review. The officer's
decisions are in :mod:`services.registry.service_layer.resolving`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from services.registry.adapters.blocks import Blocks
from services.registry.domain import model
from services.registry.domain.duplicates import (
    THRESHOLD,
    Judgements,
    Match,
    matches_for,
    names_worth_comparing,
)
from services.registry.domain.errors import HouseholdNotFound
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.contracts import households as contract
from shared.events import CloudEvent
from shared.kafka import HOUSEHOLDS


def queue_probable_duplicates(uow: RegistryUnitOfWork, household: model.Household) -> int:
    """Queue every likely duplicate of the household's members for an officer; return how many.

    Nothing is merged or dropped here: the household is registered either way; both households of
    a new pair are published as under review (transfers holds them until an officer decides).
    """
    found = [
        match
        for person in uow.duplicates.people_of(household)
        for match in matches_for(person, uow.duplicates.comparable(person))
    ]
    judged = judgements_on(uow, found)
    queued = sum(uow.duplicates.queue(match, household.updated_at) for match in found if judged.allows(match))
    if queued:
        publish_reviews(uow, [household.id], household.updated_at)
    return queued


def judgements_on(uow: RegistryUnitOfWork, matches: Sequence[Match]) -> Judgements:
    """The officers' judgements on the pairs of households of ``matches``: a match they cover (a
    pair judged not duplicates, or a person removed from one of the two) is never proposed again."""
    if not matches:
        return Judgements()
    return uow.resolutions.judged({p.household_id for m in matches for p in (m.a, m.b)})


def publish_reviews(uow: RegistryUnitOfWork, household_ids: Sequence[str], at: datetime) -> int:
    """Publish the review state of the households named and of those paired with them: under
    review while an open probable-duplicate pair holds them, released otherwise.

    :return: how many review events were published.
    """
    paired = uow.duplicates.open_pairs_of(household_ids, THRESHOLD)
    named = set(household_ids) | {other for others in paired.values() for other, _ in others}
    # Each partner with all its pairs, not only those with the households named.
    pairs = uow.duplicates.open_pairs_of(sorted(named), THRESHOLD)
    events = [review_event(h, pairs.get(h, []), at) for h in sorted(named)]
    if events:
        uow.publish_all(HOUSEHOLDS.name, events)
    return len(events)


def review_event(household_id: str, pairs: Sequence[tuple[str, float]], at: datetime) -> CloudEvent:
    """A household held for review (or released): never a person's data, only the pair's households."""
    reason = None
    if pairs:
        other, score = pairs[0]
        more = f" and {len(pairs) - 1} more" if len(pairs) > 1 else ""
        reason = (
            f"probable duplicate of household {other} (score {score:.2f}){more}, "
            "awaiting the registry officer's decision"
        )
    return CloudEvent(
        type=contract.HOUSEHOLD_REVIEW,
        source=contract.SOURCE,
        # Its own record key: on the compacted topic it must never replace the household's snapshot.
        subject=f"review:{household_id}",
        data={
            "household_id": household_id,
            "under_review": bool(pairs),
            "reason": reason,
            "probable_duplicates": [other for other, _ in pairs],
        },
        time=at,
    )


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
    judged = judgements_on(uow, [match for match, _ in found])
    queued = uow.duplicates.queue_all([(match, when) for match, when in found if judged.allows(match)])
    if queued:
        paired = {p.household_id for match, _ in found for p in (match.a, match.b)}
        publish_reviews(uow, sorted(paired), max(at.values()))
    return queued


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
