"""People of active households grouped by name initial and birth year, kept in memory while a
long job such as an import's commit compares new households with those registered."""

from __future__ import annotations

from collections.abc import Sequence

from services.registry.domain.duplicates import Person, name_key
from services.registry.domain.model import Household, HouseholdStatus
from shared.admin_codes import first_level

#: A block loaded for every area (for a household placed only by its country).
ANY_AREA = "*"


class Blocks:
    """People of active households by block (name initial, birth year), as last read, kept
    between the transactions of one long job such as an import's commit."""

    def __init__(self) -> None:
        #: block → first-level area → name → member id → (admin code, person, when added); the
        #: first-level areas and the people of each keep the order they were added in
        self.people: dict[tuple[str, int], dict[str, dict[str, dict[str, tuple[str, Person, int]]]]] = {}
        #: (initial, birth year, first-level area or ANY_AREA) of the blocks read
        self.loaded: set[tuple[str, int, str]] = set()
        self.position: int | None = None  # the outbox position read up to
        self._places: dict[str, list[tuple[tuple[str, int], str, str, str]]] = {}  # household → places
        self._added = 0
        #: event id → (household id, its rows) of what this job wrote itself since ``position``
        self._written: dict[str, tuple[str, list[tuple[str, str, Person]]]] = {}

    def holds(self, initial: str, year: int, area: str) -> bool:
        """Whether the block of this initial, birth year and area (or of every area) was read."""
        return (initial, year, area) in self.loaded or (initial, year, ANY_AREA) in self.loaded

    def add(self, rows: Sequence[tuple[str, str, Person]], keys: Sequence[tuple[str, int, str]] = ()) -> None:
        """Keep ``rows`` of loaded blocks (all of them when ``keys`` loads new blocks)."""
        self.loaded.update(keys)
        for admin_code, initial, person in rows:
            key = (initial, person.birth_year)
            if self.holds(initial, person.birth_year, person.area):
                named = (
                    self.people.setdefault(key, {}).setdefault(person.area, {}).setdefault(person.name, {})
                )
                if person.member_id not in named:
                    self._added += 1
                named[person.member_id] = (
                    admin_code,
                    person,
                    named.get(person.member_id, ("", person, self._added))[2],
                )
                self._places.setdefault(person.household_id, []).append(
                    (key, person.area, person.name, person.member_id)
                )

    def forget(self, household_ids: Sequence[str]) -> None:
        """Drop the people of these households (about to be read again)."""
        for household_id in household_ids:
            for key, area, name, member_id in self._places.pop(household_id, ()):
                self.people[key][area][name].pop(member_id, None)

    def places_of(
        self, person: Person
    ) -> list[tuple[int, int, dict[str, dict[str, tuple[str, Person, int]]]]]:
        """(birth year rank, area rank, people by name) of ``person``'s blocks in its area: the
        order in which :meth:`DuplicateRepository.comparable_to_all` lists them."""
        return [
            (y, a, names)
            for y, year in enumerate((person.birth_year - 1, person.birth_year, person.birth_year + 1))
            for a, (area, names) in enumerate(self.people.get((person.name[:1], year), {}).items())
            if area.startswith(person.area)
        ]

    def wrote(self, households: Sequence[tuple[str, Household]]) -> None:
        """Remember (event id, household) pairs this job just wrote: the next catch-up takes their
        people from here rather than reading them back (the same rows, in the same order)."""
        for event_id, household in households:
            rows = (
                [(household.admin_code, p.name[:1], p) for p in people_of(household)]
                if household.status == HouseholdStatus.ACTIVE
                else []
            )
            self._written[event_id] = (household.id, rows)


def people_of(household: Household) -> list[Person]:
    """The household's members as duplicate matching sees them (as ``_person`` in
    :mod:`services.registry.adapters.duplicates` reads them from the database)."""
    area = first_level(household.admin_code)
    day = household.updated_at.date()
    return [
        Person(
            household.id,
            m.id,
            name_key(m.given_names, m.family_names),
            m.birth_year_on(day),
            m.birth_date.isoformat() if m.birth_date else None,
            m.document.number_hash if m.document else None,
            area,
            household.location.lat,
            household.location.lon,
        )
        for m in household.facts.members
    ]
