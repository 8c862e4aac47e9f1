"""Reading households: one at a time, the history of its changes, and searches and exports of many,
always inside the caller's jurisdiction."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from services.registry.domain import model
from services.registry.service_layer.common import check_visible
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork


def get_household(
    household_id: str, uow: RegistryUnitOfWork, covers: Callable[[str], bool]
) -> model.Household:
    """Return one household the caller may see.

    :raise HouseholdNotFound: if no household has that id.
    :raise OutsideJurisdiction: if it lies outside the caller's jurisdiction (refused and audited
        like any other refusal; household ids are random, so this tells nothing worth probing).
    """
    with uow:
        household = uow.households.get(household_id)
    return check_visible(household, household_id, covers)


def household_history(
    household_id: str, uow: RegistryUnitOfWork, covers: Callable[[str], bool]
) -> list[dict[str, Any]]:
    """Every version's changes (who, when, field, old → new), oldest first."""
    with uow:
        check_visible(uow.households.get(household_id), household_id, covers)
        return uow.households.history(household_id)


# -- search and export ----------------------------------------------------------------------

MAX_PAGE = 500


@dataclass(frozen=True)
class HouseholdQuery:
    """Filters of a household search; ``after_id`` continues after the last id of a page."""

    admin_code: str | None = None
    status: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    groups: tuple[str, ...] = ()
    after_id: str | None = None
    limit: int = 100
    text: str | None = None  # the head's name (words of it) or the registration number


def find_households(
    query: HouseholdQuery, uow: RegistryUnitOfWork, jurisdiction: Sequence[str]
) -> list[dict[str, Any]]:
    """One page of households matching ``query`` inside ``jurisdiction``, ordered by id."""
    with uow:
        return uow.search.find(
            jurisdiction=jurisdiction,
            admin_code=query.admin_code,
            status=query.status,
            score_min=query.score_min,
            score_max=query.score_max,
            groups=query.groups,
            text=query.text,
            after_id=query.after_id,
            limit=min(query.limit, MAX_PAGE),
        )


def all_households(
    query: HouseholdQuery,
    uow_factory: Callable[[], RegistryUnitOfWork],
    jurisdiction: Sequence[str],
    chunk: int = MAX_PAGE,
) -> Iterator[dict[str, Any]]:
    """Every household matching ``query``, read a page at a time (for exports of any size)."""
    after = query.after_id
    while True:
        page = find_households(
            dataclasses.replace(query, after_id=after, limit=chunk),
            uow_factory(),
            jurisdiction,
        )
        yield from page
        if len(page) < chunk:
            return
        after = page[-1]["id"]
