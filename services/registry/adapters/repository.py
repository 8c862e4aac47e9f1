"""Households, members and their history in and out of the registry's database."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import delete, false, func, insert, or_, select, true, tuple_, update
from sqlalchemy.orm import Session

from services.registry.adapters.orm import (
    duplicate_candidates,
    household_history,
    households,
    import_problems,
    imports,
    members,
    outbox,
    sync_records,
)
from services.registry.domain.duplicates import Match, Person, name_key
from services.registry.domain.history import FieldChange
from services.registry.domain.members import Difficulty, Document, DocumentType, Member, Relationship, Sex
from services.registry.domain.model import (
    Consent,
    Household,
    HouseholdFacts,
    HouseholdStatus,
    Location,
    LocationSource,
    PaymentChannel,
    PaymentChannelType,
    Registration,
    RegistrationSource,
    public_snapshot,
)
from services.registry.domain.vulnerability import Vulnerability
from shared.admin_codes import first_level
from shared.db import as_read
from shared.ids import random_uuid
from shared.kafka import HOUSEHOLDS


def _household_row(household: Household) -> dict[str, Any]:
    facts = household.facts
    snapshot = public_snapshot(household)
    return {
        "children_under_5": snapshot["members_by_age_band"]["0_4"],
        "elderly_65_plus": snapshot["members_by_age_band"]["65_plus"],
        "persons_with_disabilities": snapshot["persons_with_disabilities"],
        "pregnant_members": snapshot["pregnant_members"],
        "female_headed": snapshot["female_headed"],
        "id": household.id,
        "admin_code": facts.admin_code,
        "size": household.size,
        "lat": facts.location.lat,
        "lon": facts.location.lon,
        "accuracy_m": facts.location.accuracy_m,
        "location_source": facts.location.source.value,
        "status": facts.status.value,
        "version": household.version,
        "registered_at": household.registration.at,
        "registered_by": household.registration.by,
        "registration_number": household.registration_number,
        "registration_source": household.registration.source.value,
        "registration_device": household.registration.device,
        "address": facts.address,
        "dwelling": dict(facts.dwelling),
        "services": dict(facts.services),
        "livelihood": dict(facts.livelihood),
        "consent": facts.consent.as_record() if facts.consent else None,
        "payment_channel_type": facts.payment.type.value if facts.payment else None,
        "payment_provider": facts.payment.provider if facts.payment else None,
        "payment_identifiers_encrypted": facts.payment.identifiers_encrypted if facts.payment else None,
        "vulnerability_score": household.vulnerability.score,
        "vulnerability_components": dict(household.vulnerability.components),
        "vulnerability_index_version": household.vulnerability.index_version,
        "updated_at": household.updated_at,
        "updated_by": household.updated_by,
    }


def _member_rows(household: Household) -> list[dict[str, Any]]:
    rows = []
    day = household.updated_at.date()
    for position, member in enumerate(household.facts.members):
        key = name_key(member.given_names, member.family_names)
        rows.append(
            {
                "id": member.id,
                "household_id": household.id,
                "position": position,
                "given_names": member.given_names,
                "family_names": member.family_names,
                "sex": member.sex.value,
                "relationship": member.relationship.value,
                "birth_date": member.birth_date,
                "age_estimate": member.age_estimate,
                "document_type": member.document.type.value if member.document else None,
                "document_hash": member.document.number_hash if member.document else None,
                "document_encrypted": member.document.number_encrypted if member.document else None,
                "phone_encrypted": member.phone_encrypted,
                "disability": {k: int(v) for k, v in member.disability.items()},
                "pregnant": member.pregnant,
                "chronic_illness": member.chronic_illness,
                "attends_school": member.attends_school,
                "name_key": key,
                "birth_year": member.birth_year_on(day),
                "block_initial": key[:1],
            }
        )
    return rows


def _member(row: Any) -> Member:
    document = None
    if row.document_type:
        document = Document(DocumentType(row.document_type), row.document_hash, row.document_encrypted)
    birth_date = row.birth_date
    if isinstance(birth_date, str):
        birth_date = date.fromisoformat(birth_date)
    return Member(
        id=row.id,
        given_names=row.given_names,
        family_names=row.family_names,
        sex=Sex(row.sex),
        relationship=Relationship(row.relationship),
        birth_date=birth_date,
        age_estimate=row.age_estimate,
        document=document,
        phone_encrypted=row.phone_encrypted,
        disability={k: Difficulty(v) for k, v in (row.disability or {}).items()},
        pregnant=row.pregnant,
        chronic_illness=row.chronic_illness,
        attends_school=row.attends_school,
    )


class HouseholdRepository:
    """Reads and writes :class:`Household` aggregates inside the caller's session."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, household: Household) -> None:
        self.session.execute(insert(households).values(**_household_row(household)))
        self.session.execute(insert(members), _member_rows(household))

    def add_all(self, many: Sequence[Household]) -> None:
        """:meth:`add` for many households: one statement for the households, one for their members."""
        if many:
            self.session.execute(insert(households), [_household_row(h) for h in many])
            self.session.execute(insert(members), [row for h in many for row in _member_rows(h)])

    def existing(self, household_ids: Sequence[str]) -> set[str]:
        """Which of ``household_ids`` are registered (one query per 500 ids)."""
        ids = list(household_ids)
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            page = ids[start : start + 500]
            found.update(self.session.scalars(select(households.c.id).where(households.c.id.in_(page))))
        return found

    def replace(self, household: Household, expected_version: int) -> bool:
        """Store the new version if the stored one is still ``expected_version``.

        :return: ``False`` if someone else changed the household meanwhile (nothing written).
        """
        row = _household_row(household)
        result = self.session.execute(
            update(households)
            .where(households.c.id == household.id, households.c.version == expected_version)
            .values(**{k: v for k, v in row.items() if k != "id"})
        )
        if result.rowcount != 1:
            return False
        self.session.execute(delete(members).where(members.c.household_id == household.id))
        self.session.execute(insert(members), _member_rows(household))
        return True

    def get(self, household_id: str, *, for_update: bool = False) -> Household | None:
        query = select(households).where(households.c.id == household_id)
        if for_update:
            query = query.with_for_update()
        row = self.session.execute(query).first()
        if row is None:
            return None
        member_rows = self.session.execute(
            select(members).where(members.c.household_id == household_id).order_by(members.c.position)
        ).all()
        consent = None
        if row.consent:
            consent = Consent(
                datetime.fromisoformat(row.consent["given_at"]),
                row.consent["given_by"],
                tuple(row.consent["purposes"]),
            )
        payment = None
        if row.payment_channel_type:
            payment = PaymentChannel(
                PaymentChannelType(row.payment_channel_type),
                row.payment_provider,
                row.payment_identifiers_encrypted,
            )
        facts = HouseholdFacts(
            admin_code=row.admin_code,
            location=Location(row.lat, row.lon, row.accuracy_m, LocationSource(row.location_source)),
            members=tuple(_member(m) for m in member_rows),
            status=HouseholdStatus(row.status),
            address=row.address,
            dwelling=row.dwelling or {},
            services=row.services or {},
            livelihood=row.livelihood or {},
            consent=consent,
            payment=payment,
        )
        registered_at = as_read(row.registered_at)
        assert registered_at is not None
        return Household(
            id=row.id,
            registration_number=row.registration_number or "",
            facts=facts,
            vulnerability=Vulnerability(
                row.vulnerability_score or 0.0,
                row.vulnerability_components or {},
                row.vulnerability_index_version or "",
            ),
            registration=Registration(
                row.registered_by,
                registered_at,
                RegistrationSource(row.registration_source),
                row.registration_device,
            ),
            version=row.version,
            updated_at=as_read(row.updated_at) or registered_at,
            updated_by=row.updated_by or row.registered_by,
        )

    # -- history ----------------------------------------------------------------------------

    def payment_channels(self, household_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Admin code, payment channel (identifiers still encrypted) and head of household of each
        household that has a channel: one query per 1 000 ids, not one per household."""
        found = []
        ids = list(household_ids)
        for start in range(0, len(ids), 1000):
            page = ids[start : start + 1000]
            rows = self.session.execute(
                select(
                    households.c.id,
                    households.c.admin_code,
                    households.c.payment_channel_type,
                    households.c.payment_provider,
                    households.c.payment_identifiers_encrypted,
                    members.c.given_names,
                    members.c.family_names,
                )
                .select_from(
                    households.outerjoin(
                        members,
                        (members.c.household_id == households.c.id) & (members.c.relationship == "head"),
                    )
                )
                .where(households.c.id.in_(page), households.c.payment_channel_type.is_not(None))
            ).all()
            found.extend(dict(r._mapping) for r in rows)
        return found

    def record_changes(self, household: Household, changes: list[FieldChange]) -> None:
        self.record_all_changes([(household, changes)])

    def record_all_changes(self, entries: Sequence[tuple[Household, list[FieldChange]]]) -> None:
        """One history entry per (household version, its changes), in one statement."""
        if entries:
            self.session.execute(
                insert(household_history),
                [
                    {
                        "household_id": household.id,
                        "version": household.version,
                        "changed_at": household.updated_at,
                        "changed_by": household.updated_by,
                        "changes": [{"path": c.path, "old": c.old, "new": c.new} for c in changes],
                    }
                    for household, changes in entries
                ],
            )

    def history(self, household_id: str) -> list[dict[str, Any]]:
        rows = self.session.execute(
            select(household_history)
            .where(household_history.c.household_id == household_id)
            .order_by(household_history.c.version)
        ).all()
        return [
            {
                "version": r.version,
                "changed_at": as_read(r.changed_at),
                "changed_by": r.changed_by,
                "changes": r.changes,
            }
            for r in rows
        ]

    # -- offline sync -----------------------------------------------------------------------

    def synced(self, client_id: str) -> tuple[str, int] | None:
        """(household id, version) a device record was already applied as, if it was."""
        row = self.session.execute(select(sync_records).where(sync_records.c.client_id == client_id)).first()
        return (row.household_id, row.version) if row else None

    def record_sync(self, client_id: str, household: Household, device: str) -> None:
        self.session.execute(
            insert(sync_records).values(
                client_id=client_id,
                household_id=household.id,
                device=device,
                version=household.version,
                synced_at=datetime.now(UTC),
            )
        )


GROUP_COLUMNS = {
    "children_under_5": households.c.children_under_5 > 0,
    "elderly_65_plus": households.c.elderly_65_plus > 0,
    "disability": households.c.persons_with_disabilities > 0,
    "pregnant": households.c.pregnant_members > 0,
    "female_headed": households.c.female_headed.is_(True),
}


def _within(areas: Sequence[str]) -> Any:
    """SQL condition: the household's admin code lies in one of ``areas`` ("*" = anywhere)."""
    if "*" in areas:
        return true()
    if not areas:
        return false()
    return or_(
        *[
            or_(households.c.admin_code == a, households.c.admin_code.startswith(a + "-", autoescape=True))
            for a in areas
        ]
    )


class HouseholdSearch:
    """Filtered, keyset-paginated reads of households with their head of household."""

    def __init__(self, session: Session):
        self.session = session

    def find(
        self,
        *,
        jurisdiction: Sequence[str],
        admin_code: str | None = None,
        status: str | None = None,
        score_min: float | None = None,
        score_max: float | None = None,
        groups: Sequence[str] = (),
        after_id: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        head = members.alias("head")
        query = (
            select(
                households.c.id,
                households.c.registration_number,
                households.c.admin_code,
                households.c.status,
                households.c.size,
                households.c.lat,
                households.c.lon,
                households.c.vulnerability_score,
                households.c.children_under_5,
                households.c.elderly_65_plus,
                households.c.persons_with_disabilities,
                households.c.pregnant_members,
                households.c.female_headed,
                households.c.version,
                households.c.updated_at,
                head.c.given_names.label("head_given_names"),
                head.c.family_names.label("head_family_names"),
                head.c.document_type.label("head_document_type"),
                head.c.document_encrypted.label("head_document_encrypted"),
                head.c.phone_encrypted.label("head_phone_encrypted"),
            )
            .select_from(
                households.outerjoin(
                    head, (head.c.household_id == households.c.id) & (head.c.relationship == "head")
                )
            )
            .where(_within(jurisdiction))
            .order_by(households.c.id)
            .limit(limit)
        )
        if admin_code:
            query = query.where(_within([admin_code]))
        if status:
            query = query.where(households.c.status == status)
        if score_min is not None:
            query = query.where(households.c.vulnerability_score >= score_min)
        if score_max is not None:
            query = query.where(households.c.vulnerability_score <= score_max)
        for group in groups:
            query = query.where(GROUP_COLUMNS[group])
        if after_id:
            query = query.where(households.c.id > after_id)
        return [dict(row._mapping, updated_at=as_read(row.updated_at)) for row in self.session.execute(query)]


class ImportRepository:
    """Import jobs and their problems."""

    def __init__(self, session: Session):
        self.session = session

    def create(self, values: dict[str, Any]) -> None:
        self.session.execute(insert(imports).values(**values))

    def get(self, import_id: str) -> dict[str, Any] | None:
        row = self.session.execute(select(imports).where(imports.c.id == import_id)).first()
        if row is None:
            return None
        return dict(row._mapping, created_at=as_read(row.created_at), updated_at=as_read(row.updated_at))

    def update(self, import_id: str, **values: Any) -> None:
        self.session.execute(
            update(imports).where(imports.c.id == import_id).values(**values, updated_at=datetime.now(UTC))
        )

    def recover(self, moves: dict[str, tuple[str, str]]) -> int:
        """Move imports left in a running state to a resting one, with a note; return how many."""
        moved = 0
        for old, (new, note) in moves.items():
            result = self.session.execute(
                update(imports)
                .where(imports.c.status == old)
                .values(status=new, error=note, updated_at=datetime.now(UTC))
            )
            moved += result.rowcount or 0
        return moved

    def add_problems(self, import_id: str, problems: Sequence[tuple[int, str, str]]) -> None:
        if problems:
            self.session.execute(
                insert(import_problems),
                [{"import_id": import_id, "row": r, "column": c[:255], "problem": p} for r, c, p in problems],
            )

    def clear_problems(self, import_id: str) -> None:
        self.session.execute(delete(import_problems).where(import_problems.c.import_id == import_id))

    def problems(self, import_id: str, limit: int | None = None) -> list[tuple[int, str, str]]:
        query = (
            select(import_problems.c.row, import_problems.c.column, import_problems.c.problem)
            .where(import_problems.c.import_id == import_id)
            .order_by(import_problems.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        return [tuple(r) for r in self.session.execute(query)]  # type: ignore[misc]


class Blocks:
    """People of active households by block (name initial, birth year), as last read, kept
    between the transactions of one long job such as an import's commit."""

    def __init__(self) -> None:
        #: block → first-level area → name → member id → (admin code, person, when added); the
        #: first-level areas and the people of each keep the order they were added in
        self.people: dict[tuple[str, int], dict[str, dict[str, dict[str, tuple[str, Person, int]]]]] = {}
        self.loaded: set[tuple[str, int]] = set()
        self.position: int | None = None  # the outbox position read up to
        self._places: dict[str, list[tuple[tuple[str, int], str, str, str]]] = {}  # household → places
        self._added = 0
        #: event id → (household id, its rows) of what this job wrote itself since ``position``
        self._written: dict[str, tuple[str, list[tuple[str, str, Person]]]] = {}

    def add(self, rows: Sequence[tuple[str, str, Person]], keys: Sequence[tuple[str, int]] = ()) -> None:
        """Keep ``rows`` of loaded blocks (all of them when ``keys`` loads new blocks)."""
        self.loaded.update(keys)
        for admin_code, initial, person in rows:
            key = (initial, person.birth_year)
            if key in self.loaded:
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


def people_of(household: Household) -> list[Person]:
    """The household's members as duplicate matching sees them (as :func:`_person` reads them)."""
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
        block = (
            (members.c.block_initial == person.name[:1])
            & members.c.birth_year.between(person.birth_year - 1, person.birth_year + 1)
            & households.c.admin_code.startswith(person.area, autoescape=True)
        )
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
        keys = sorted({(p.name[:1], p.birth_year + d) for p in people for d in (-1, 0, 1)} - blocks.loaded)
        for start in range(0, len(keys), 300):
            page = keys[start : start + 300]
            blocks.add(self._rows(tuple_(members.c.block_initial, members.c.birth_year).in_(page)), page)
        documents: dict[str, list[Person]] = {}
        hashes = sorted({p.document_hash for p in people if p.document_hash})
        for start in range(0, len(hashes), 500):
            for _, _, other in self._rows(members.c.document_hash.in_(hashes[start : start + 500])):
                documents.setdefault(other.document_hash or "", []).append(other)
        found: dict[str, list[Person]] = {}
        for person in people:
            places = blocks.places_of(person)
            same_document = [
                other
                for other in documents.get(person.document_hash or "", ())[:COMPARABLE_LIMIT]
                if other.household_id != person.household_id
            ]
            wanted = None
            listed_all = sum(len(named) for _, _, names in places for named in names.values())
            if worth is not None and not same_document and listed_all <= COMPARABLE_LIMIT:
                wanted = worth(person.name, {name for _, _, names in places for name in names})
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
            near = [other for _, other in listed[:COMPARABLE_LIMIT]]
            if same_document:
                same = {p.member_id: p for p in near}
                for other in same_document:
                    same.setdefault(other.member_id, other)
                near = list(same.values())
            if earlier is not None:
                mine = earlier.get(person.household_id, -1)
                near = [other for other in near if earlier.get(other.household_id, -1) < mine]
            found[person.member_id] = near
        return found

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

    def get(self, candidate_id: str) -> dict[str, Any] | None:
        row = self.session.execute(
            select(duplicate_candidates).where(duplicate_candidates.c.id == candidate_id)
        ).first()
        return dict(row._mapping) if row else None

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
