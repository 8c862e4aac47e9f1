"""Possible duplicates: the registered people a household's members are compared with, and
the queue of candidate pairs an officer confirms or dismisses."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from services.registry.adapters.blocks import ANY_AREA, Blocks, people_of
from services.registry.adapters.orm import duplicate_candidates, households, members, outbox
from services.registry.domain.duplicates import Match, Person
from services.registry.domain.model import Household
from shared.admin_codes import first_level
from shared.db import as_read
from shared.ids import random_uuid
from shared.kafka import HOUSEHOLDS

#: What duplicate matching reads of a member (its household's place comes with it).
_MATCHED = (
    members.c.household_id,
    members.c.id,
    members.c.name_key,
    members.c.birth_year,
    members.c.birth_date,
    members.c.document_hash,
)


def _person(member: Any, home: Any) -> Person:
    return Person(
        member.household_id,
        member.id,
        member.name_key or "",
        member.birth_year or 0,
        member.birth_date.isoformat() if member.birth_date else None,
        member.document_hash,
        first_level(home.admin_code),
        home.lat,
        home.lon,
    )


#: At most this many people are compared with one member; a block larger than that (thousands
#: sharing a document hash, say) is an anomaly for an officer to see, not a reason to stall.
COMPARABLE_LIMIT = 2000


#: (birth year rank, area rank, people by name) of a person's blocks, as :meth:`Blocks.places_of`
#: lists them.
Places = Sequence[tuple[int, int, dict[str, dict[str, tuple[str, Person, int]]]]]


def _comparable(
    person: Person,
    places: Places,
    documents: Mapping[str, list[Person]],
    earlier: Mapping[str, int] | None,
    worth: Callable[[str, set[str]], set[str]] | None,
) -> list[Person]:
    """What :meth:`DuplicateRepository.comparable_to_all` finds for one person, given its blocks'
    places and the people holding each document."""
    same_document = [
        other
        for other in documents.get(person.document_hash or "", ())[:COMPARABLE_LIMIT]
        if other.household_id != person.household_id
    ]
    wanted = None
    if worth is not None and not same_document:
        wanted = _names_worth_comparing(person, places, worth)
    near = _in_blocks(person, places, wanted)
    if same_document:
        near = _with_same_document(near, same_document)
    if earlier is not None:
        mine = earlier.get(person.household_id, -1)
        near = [other for other in near if earlier.get(other.household_id, -1) < mine]
    return near


def _names_worth_comparing(
    person: Person, places: Places, worth: Callable[[str, set[str]], set[str]]
) -> set[str] | None:
    """The names in ``places`` that ``worth`` keeps for ``person``; ``None`` (every name) when its
    blocks hold more than :data:`COMPARABLE_LIMIT` people."""
    listed_all = sum(len(named) for _, _, names in places for named in names.values())
    if listed_all > COMPARABLE_LIMIT:
        return None
    return worth(person.name, {name for _, _, names in places for name in names})


def _in_blocks(person: Person, places: Places, wanted: set[str] | None) -> list[Person]:
    """People of other households in ``places`` (only those named in ``wanted``, unless it is
    ``None``), in the blocks' order, at most :data:`COMPARABLE_LIMIT` of them."""
    listed = sorted(
        (
            ((y, a, added), other)
            for y, a, names in places
            for name, named in names.items()
            if wanted is None or name in wanted
            for _, other, added in named.values()
            if other.household_id != person.household_id
        ),
        key=itemgetter(0),
    )
    return [other for _, other in listed[:COMPARABLE_LIMIT]]


#: What separates a country from its first-level area in a code (``HN-CH``).
COUNTRY_LEVEL = "-"


def _block_area(person: Person) -> str:
    """The area part of a person's block: its first-level area, or every area of its country
    (:data:`ANY_AREA`) for a household placed only by its country."""
    return person.area if COUNTRY_LEVEL in person.area else ANY_AREA


def _with_same_document(near: list[Person], same_document: Sequence[Person]) -> list[Person]:
    """``near`` followed by the people of ``same_document`` not in it already."""
    same = {p.member_id: p for p in near}
    for other in same_document:
        same.setdefault(other.member_id, other)
    return list(same.values())


class DuplicateRepository:
    """People to compare a household's members with, and the queue of candidate pairs."""

    def __init__(self, session: Session):
        self.session = session

    def people_of(self, household: Household) -> list[Person]:
        return people_of(household)

    def comparable(self, person: Person) -> list[Person]:
        """Members of other active households sharing a block with ``person`` or its document.

        Two indexed queries rather than one with an ``OR``, which databases answer with a scan.
        """
        block = (members.c.block_initial == person.name[:1]) & members.c.birth_year.between(
            person.birth_year - 1, person.birth_year + 1
        )
        if COUNTRY_LEVEL in person.area:  # a household of a first-level area: its own area's block
            block &= members.c.block_area == person.area
        else:  # a household placed only by its country: every area of it, as before blocks had areas
            block &= households.c.admin_code.startswith(person.area, autoescape=True)
        found = {p.member_id: p for p in self._people(block, person.household_id)}
        if person.document_hash:
            for other in self._people(members.c.document_hash == person.document_hash, person.household_id):
                found.setdefault(other.member_id, other)
        return list(found.values())

    def comparable_to_all(
        self,
        people: Sequence[Person],
        blocks: Blocks | None = None,
        *,
        earlier: Mapping[str, int] | None = None,
        worth: Callable[[str, set[str]], set[str]] | None = None,
    ) -> dict[str, list[Person]]:
        """:meth:`comparable` for many people at once, by member id, read with a few queries.

        ``blocks`` keeps what was read for the next call (the next batch of an import): a block is
        read once, then only the households changed since — by anyone, as the outbox records
        every change in the change's own transaction — are read again.

        ``earlier`` (household id → rank) then keeps, for each person, only the households ranked
        before its own (unranked ones count as earlier). Given ``worth`` (a name and names → those
        worth comparing, as matching screens them), a person with nobody of the same document
        and no more than :data:`COMPARABLE_LIMIT` people in its blocks gets only those whose
        names are worth comparing, still in the blocks' order: what matching would keep of the
        whole list, without listing the rest.
        """
        blocks = blocks if blocks is not None else Blocks()
        self._catch_up(blocks)
        self._load_blocks(blocks, people)
        documents = self._same_documents(people)
        return {
            person.member_id: _comparable(person, blocks.places_of(person), documents, earlier, worth)
            for person in people
        }

    def _load_blocks(self, blocks: Blocks, people: Sequence[Person]) -> None:
        """Read into ``blocks`` the blocks of ``people`` (and those a birth year either side) that
        it does not hold yet, 300 blocks a query."""
        wanted = {(p.name[:1], p.birth_year + d, _block_area(p)) for p in people for d in (-1, 0, 1)}
        keys = sorted(key for key in wanted if not blocks.holds(*key))
        whole = [key for key in keys if key[2] == ANY_AREA]
        for start in range(0, len(whole), 300):
            page = whole[start : start + 300]
            pairs = [(initial, year) for initial, year, _ in page]
            blocks.add(self._rows(tuple_(members.c.block_initial, members.c.birth_year).in_(pairs)), page)
        areas = [key for key in keys if key[2] != ANY_AREA]
        for start in range(0, len(areas), 300):
            page = areas[start : start + 300]
            column = tuple_(members.c.block_initial, members.c.birth_year, members.c.block_area)
            blocks.add(self._rows(column.in_(page)), page)

    def _same_documents(self, people: Sequence[Person]) -> dict[str, list[Person]]:
        """Members of active households holding a document of one of ``people``, by document hash
        (500 hashes a query)."""
        documents: dict[str, list[Person]] = {}
        hashes = sorted({p.document_hash for p in people if p.document_hash})
        for start in range(0, len(hashes), 500):
            for _, _, other in self._rows(members.c.document_hash.in_(hashes[start : start + 500])):
                documents.setdefault(other.document_hash or "", []).append(other)
        return documents

    def _catch_up(self, blocks: Blocks) -> None:
        """Read again the households changed since ``blocks`` was last brought up to date (those
        the job wrote itself, and nobody else changed since, are taken from ``blocks``)."""
        last = self.session.scalar(select(func.max(outbox.c.position)))
        written, blocks._written = blocks._written, {}
        if blocks.position is not None and blocks.loaded and last is not None and last > blocks.position:
            events = self.session.execute(
                select(outbox.c.key, outbox.c.event_id).where(
                    outbox.c.position > blocks.position, outbox.c.topic == HOUSEHOLDS.name
                )
            ).all()
            mine = {written[e.event_id][0]: written[e.event_id][1] for e in events if e.event_id in written}
            others = {e.key for e in events if e.event_id not in written}
            changed = sorted(others | set(mine))
            for start in range(0, len(changed), 500):
                page = changed[start : start + 500]
                blocks.forget(page)
                read = [key for key in page if key in others]
                rows = self._rows(members.c.household_id.in_(read)) if read else []
                rows += [row for key in page if key not in others for row in mine[key]]
                # in household order, as the database returns them (members in their order)
                rows.sort(key=lambda row: row[2].household_id)
                blocks.add(rows)
        blocks.position = last

    def _rows(self, condition: Any) -> list[tuple[str, str, Person]]:
        """(admin code, block initial, person) of the members matching ``condition`` (on members
        only) whose household is active.

        Members first, then their households by primary key, the status tested in Python: given a
        status condition, SQLite walks every active household (the status index) instead.
        """
        found = self.session.execute(select(*_MATCHED, members.c.block_initial).where(condition)).all()
        ids = sorted({r.household_id for r in found})
        homes: dict[str, Any] = {}
        for start in range(0, len(ids), 500):
            rows = self.session.execute(
                select(
                    households.c.id,
                    households.c.admin_code,
                    households.c.lat,
                    households.c.lon,
                    households.c.status,
                ).where(households.c.id.in_(ids[start : start + 500]))
            )
            homes.update((r.id, r) for r in rows if r.status == "active")  # tested here: see above
        return [
            (home.admin_code, r.block_initial or "", _person(r, home))
            for r in found
            if (home := homes.get(r.household_id)) is not None
        ]

    def _people(self, condition: Any, excluded_household: str) -> list[Person]:
        rows = self.session.execute(
            select(*_MATCHED, households.c.admin_code, households.c.lat, households.c.lon)
            .join(households, households.c.id == members.c.household_id)
            .where(condition, members.c.household_id != excluded_household, households.c.status == "active")
            .limit(COMPARABLE_LIMIT)
        )
        return [_person(r, r) for r in rows]

    def queue(self, match: Match, now: datetime) -> bool:
        """Queue a candidate pair once (in a stable order); ``False`` if it was already queued."""
        a, b = sorted((match.a, match.b), key=lambda p: p.member_id)
        exists = self.session.scalar(
            select(duplicate_candidates.c.id).where(
                duplicate_candidates.c.member_a == a.member_id, duplicate_candidates.c.member_b == b.member_id
            )
        )
        if exists:
            return False
        self.session.execute(
            insert(duplicate_candidates).values(
                id=random_uuid(),
                household_a=a.household_id,
                member_a=a.member_id,
                household_b=b.household_id,
                member_b=b.member_id,
                score=match.score,
                reasons=list(match.reasons),
                status="open",
                created_at=now,
            )
        )
        return True

    def queue_all(self, matches: Sequence[tuple[Match, datetime]]) -> int:
        """:meth:`queue` for many (match, time) pairs with a few statements; return how many were new."""
        c = duplicate_candidates.c
        pairs: dict[tuple[str, str], tuple[Person, Person, Match, datetime]] = {}
        for match, now in matches:
            a, b = sorted((match.a, match.b), key=lambda p: p.member_id)
            pairs.setdefault((a.member_id, b.member_id), (a, b, match, now))
        firsts = sorted({a for a, _ in pairs})
        for start in range(0, len(firsts), 500):
            page = firsts[start : start + 500]
            for key in self.session.execute(select(c.member_a, c.member_b).where(c.member_a.in_(page))):
                pairs.pop((key[0], key[1]), None)
        if pairs:
            self.session.execute(
                insert(duplicate_candidates),
                [
                    {
                        "id": random_uuid(),
                        "household_a": a.household_id,
                        "member_a": a.member_id,
                        "household_b": b.household_id,
                        "member_b": b.member_id,
                        "score": match.score,
                        "reasons": list(match.reasons),
                        "status": "open",
                        "created_at": now,
                    }
                    for a, b, match, now in pairs.values()
                ],
            )
        return len(pairs)

    def get(self, candidate_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        """A candidate pair (locked until the transaction ends, ``for_update``: one decision at a time)."""
        query = select(duplicate_candidates).where(duplicate_candidates.c.id == candidate_id)
        row = self.session.execute(query.with_for_update() if for_update else query).first()
        if row is None:
            return None
        return dict(row._mapping, created_at=as_read(row.created_at), decided_at=as_read(row.decided_at))

    def list(self, status: str, limit: int) -> list[dict[str, Any]]:
        rows = self.session.execute(
            select(duplicate_candidates)
            .where(duplicate_candidates.c.status == status)
            .order_by(duplicate_candidates.c.score.desc(), duplicate_candidates.c.id)
            .limit(limit)
        )
        return [
            dict(r._mapping, created_at=as_read(r.created_at), decided_at=as_read(r.decided_at)) for r in rows
        ]

    def open_pairs_of(
        self, household_ids: Sequence[str], min_score: float
    ) -> dict[str, list[tuple[str, float]]]:
        """Each household's open candidate pairs scoring at least ``min_score``: the other
        household and the best score, for the households named and those paired with them."""
        c = duplicate_candidates.c
        ids = sorted(set(household_ids))
        found: dict[str, dict[str, float]] = {}
        for start in range(0, len(ids), 500):
            page = ids[start : start + 500]
            rows = self.session.execute(
                select(c.household_a, c.household_b, c.score).where(
                    c.status == "open",
                    c.score >= min_score,
                    c.household_a.in_(page) | c.household_b.in_(page),
                )
            )
            for a, b, score in rows:
                if a == b:
                    continue
                for one, other in ((a, b), (b, a)):
                    best = found.setdefault(one, {})
                    best[other] = max(best.get(other, 0.0), float(score))
        return {h: sorted(others.items(), key=lambda o: -o[1]) for h, others in found.items()}

    def decide_pair(
        self, household_a: str, household_b: str, status: str, by: str, comment: str | None, now: datetime
    ) -> None:
        """Decide every open candidate between two households at once (a merge settles them all)."""
        c = duplicate_candidates.c
        pair = ((c.household_a == household_a) & (c.household_b == household_b)) | (
            (c.household_a == household_b) & (c.household_b == household_a)
        )
        self.session.execute(
            update(duplicate_candidates)
            .where(pair, c.status == "open")
            .values(status=status, decided_by=by, decided_at=now, comment=comment)
        )

    def decide(self, candidate_id: str, status: str, by: str, comment: str | None, now: datetime) -> None:
        self.session.execute(
            update(duplicate_candidates)
            .where(duplicate_candidates.c.id == candidate_id)
            .values(status=status, decided_by=by, decided_at=now, comment=comment)
        )
