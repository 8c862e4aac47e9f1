"""Finding the same person registered twice: exact document matches, probable matches by name,
birth date and distance between homes.

Registration never waits on this and never drops a record: matches are scored and queued for a
registry officer, who merges or dismisses them.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

#: Probable matches need this overall score and this name similarity (both 0..1).
THRESHOLD = 0.84
NAME_FLOOR = 0.80


@dataclass(frozen=True)
class Person:
    """What matching needs of a member: no document number, only its keyed hash."""

    household_id: str
    member_id: str
    name: str
    birth_year: int
    birth_date: str | None
    document_hash: str | None
    area: str  # first-level admin area, the blocking key
    lat: float
    lon: float


@dataclass(frozen=True)
class Match:
    a: Person
    b: Person
    score: float
    reasons: tuple[str, ...]


def name_key(given_names: str, family_names: str) -> str:
    """Folded, lower-case, single-spaced full name: ``María  Ordóñez`` → ``maria ordonez``."""
    text = unicodedata.normalize("NFKD", f"{given_names} {family_names}").encode("ascii", "ignore").decode()
    return " ".join(text.lower().split())


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


@functools.lru_cache(maxsize=1 << 16)  # a registry's names repeat: many pairs come back
def name_similarity(a: str, b: str) -> float:
    """How alike two full names are (0..1), tolerant of typos, reordering and a dropped name.

    A typo inside a word is caught by the plain edit ratio; the same words in another order by
    the token-sorted ratio; one name being the other minus a family name (``ana cruz`` and
    ``ana cruz mejia``) counts as 0.92 when at least two words are shared.
    """
    similarity = max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100
    shared = set(a.split()) & set(b.split())
    if len(shared) >= 2 and fuzz.token_set_ratio(a, b) == 100:
        similarity = max(similarity, 0.92)
    return similarity


def compare(a: Person, b: Person) -> Match | None:
    """Score two people from different households; ``None`` when they are not a likely match."""
    if a.household_id == b.household_id:
        return None
    if a.document_hash and a.document_hash == b.document_hash:
        return Match(a, b, 1.0, ("same document",))
    name = name_similarity(a.name, b.name)
    if name < NAME_FLOOR:
        return None
    if a.birth_date and b.birth_date:
        birth = 1.0 if a.birth_date == b.birth_date else 0.7 if a.birth_date[:4] == b.birth_date[:4] else 0.0
    else:
        birth = {0: 0.8, 1: 0.6}.get(abs(a.birth_year - b.birth_year), 0.0)
    km = distance_km(a.lat, a.lon, b.lat, b.lon)
    place = 1.0 if km <= 1 else 0.7 if km <= 5 else 0.4 if km <= 25 else 0.0
    score = round(0.6 * name + 0.25 * birth + 0.15 * place, 3)
    if score < THRESHOLD:
        return None
    reasons = (
        f"name {name:.0%} alike",
        f"birth {'same' if birth == 1.0 else 'close'}",
        f"homes {km:.1f} km apart",
    )
    return Match(a, b, score, reasons)


#: At most this many candidates are queued for one person, the best first.
MAX_MATCHES_PER_PERSON = 10


#: From this many candidates on, names are screened all at once before the pairs are scored.
SCREEN_FROM = 16


def matches_for(person: Person, candidates: Iterable[Person]) -> list[Match]:
    """The likely matches of ``person`` among ``candidates`` (already blocked by the caller),
    best first, at most :data:`MAX_MATCHES_PER_PERSON`."""
    others = list(candidates)
    if len(others) >= SCREEN_FROM:
        others = worth_comparing(person, others)
    found = [m for m in (compare(person, other) for other in others) if m is not None]
    found.sort(key=lambda m: -m.score)
    return found[:MAX_MATCHES_PER_PERSON]


def worth_comparing(person: Person, candidates: list[Person]) -> list[Person]:
    """The candidates :func:`compare` might match with ``person``: the same document, or a name
    that one of the measures :func:`name_similarity` takes the best of puts near the floor.

    The names are scored against all candidates in one call each (rapidfuzz's ``cdist``), a
    little below the floor, so nothing :func:`compare` would keep is screened out.
    """
    near = names_worth_comparing(person.name, {c.name for c in candidates})
    return [
        c
        for c in candidates
        if c.name in near or (person.document_hash and c.document_hash == person.document_hash)
    ]


def names_worth_comparing(name: str, names: set[str]) -> set[str]:
    """Those of ``names`` that one of the measures :func:`name_similarity` takes the best of puts
    near the floor against ``name`` (each scored in one ``cdist`` call per measure)."""
    if not names:
        return set()
    listed = list(names)
    floor = NAME_FLOOR * 100 - 1
    kept = np.zeros(len(listed), dtype=bool)
    for scorer, cutoff in ((fuzz.ratio, floor), (fuzz.token_sort_ratio, floor), (fuzz.token_set_ratio, 99)):
        kept |= process.cdist([name], listed, scorer=scorer, score_cutoff=cutoff)[0] > 0
    return {n for n, keep in zip(listed, kept.tolist(), strict=True) if keep}


def find_all(people: Iterable[Person]) -> Iterator[Match]:
    """All likely matches in a population, blocking on area and birth year (±1) and documents.

    Only people sharing a block are compared, so the work grows with block sizes, not with the
    square of the population.
    """
    blocks: dict[tuple[str, int], list[Person]] = defaultdict(list)
    documents: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        blocks[(person.area, person.birth_year)].append(person)
        if person.document_hash:
            documents[person.document_hash].append(person)
    seen: set[frozenset[str]] = set()
    for group in documents.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                match = compare(a, b)
                if match and frozenset((a.member_id, b.member_id)) not in seen:
                    seen.add(frozenset((a.member_id, b.member_id)))
                    yield match
    for (area, year), group in blocks.items():
        neighbours = group + blocks.get((area, year + 1), [])
        for i, a in enumerate(group):
            for b in neighbours[i + 1 :]:
                pair = frozenset((a.member_id, b.member_id))
                if pair in seen:
                    continue
                match = compare(a, b)
                if match:
                    seen.add(pair)
                    yield match


@dataclass(frozen=True)
class Judgements:
    """What registry officers have judged about pairs of households: never proposed again.

    ``distinct`` holds the pairs judged not to be duplicates at all; ``people`` the pairs where one
    person found in both was removed from one of them, with that person's remaining record.
    """

    distinct: frozenset[frozenset[str]] = frozenset()
    people: frozenset[tuple[frozenset[str], str]] = frozenset()

    def allows(self, match: Match) -> bool:
        """Whether ``match`` may be proposed to an officer (no judgement covers it)."""
        pair = (match.a.household_id, match.b.household_id)
        return not self.cover(pair, (match.a.member_id, match.b.member_id))

    def cover(self, households: tuple[str, str], members: Iterable[str]) -> bool:
        """Whether a judgement covers ``members`` (one in each household) of these two households."""
        pair = frozenset(households)
        return pair in self.distinct or any((pair, member) in self.people for member in members)


class Population:
    """People seen so far (an import file's earlier households), blocked as the registry blocks
    them: name initial and birth year ±1 in the same first-level area, or the same document."""

    def __init__(self) -> None:
        #: (area, initial, birth year) → name → people of that name
        self._blocks: dict[tuple[str, str, int], dict[str, list[Person]]] = defaultdict(dict)
        self._documents: dict[str, list[Person]] = defaultdict(list)

    def add(self, people: Iterable[Person]) -> None:
        for person in people:
            self._blocks[(person.area, person.name[:1], person.birth_year)].setdefault(
                person.name, []
            ).append(person)
            if person.document_hash:
                self._documents[person.document_hash].append(person)

    def comparable(self, person: Person, limit: int = 2000) -> list[Person]:
        """Those of other households who share the document with ``person``, or a block and a name
        :func:`compare` might match (as :func:`worth_comparing` screens them), at most ``limit``."""
        blocks = [
            self._blocks[key]
            for year in (person.birth_year - 1, person.birth_year, person.birth_year + 1)
            if (key := (person.area, person.name[:1], year)) in self._blocks
        ]
        names = {name for block in blocks for name in block}
        near = names if len(names) < SCREEN_FROM else names_worth_comparing(person.name, names)
        found = {
            other.member_id: other
            for block in blocks
            for name in near & block.keys()
            for other in block[name]
            if other.household_id != person.household_id
        }
        for other in self._documents.get(person.document_hash or "", ()):
            if other.household_id != person.household_id:
                found.setdefault(other.member_id, other)
        return list(found.values())[:limit]
