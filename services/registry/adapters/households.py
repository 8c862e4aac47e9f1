"""Households and their members as registered, the history of each household's changes and
the records synced from field devices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from services.registry.adapters.orm import household_history, households, members, sync_records
from services.registry.domain.assessments import Assessment
from services.registry.domain.duplicates import name_key
from services.registry.domain.enrolments import Enrolment
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
from services.registry.domain.snapshots import SnapshotState
from services.registry.domain.vulnerability import Vulnerability
from shared.admin_codes import first_level
from shared.db import as_read


def _household_row(household: Household) -> dict[str, Any]:
    facts = household.facts
    snapshot = public_snapshot(household)
    state = SnapshotState.of_new_version(household)
    return {
        "snapshot_on": state.on,
        "snapshot_revision": state.revision,
        "snapshot_due_on": state.due_on,
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
        "language": facts.language,
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
        "assessments": [a.as_record() for a in household.assessments],
        "enrolments": [e.as_record() for e in household.enrolments],
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
                "block_area": first_level(household.admin_code),
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


def household_of(row: Any, member_rows: Sequence[Any]) -> Household:
    """A :class:`Household` from its row and its members' rows (in their order)."""
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
        language=row.language,
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
        assessments=tuple(Assessment.from_record(a) for a in row.assessments or ()),
        enrolments=tuple(Enrolment.from_record(e) for e in row.enrolments or ()),
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

    def named(self, ids: Sequence[str], numbers: Sequence[str]) -> dict[str, str]:
        """The registered households among ``ids`` and with the registration ``numbers``: each id
        and each number found → its household id (one query per 500 of each)."""
        found: dict[str, str] = {}
        for column, keys in ((households.c.id, ids), (households.c.registration_number, numbers)):
            listed = sorted(set(keys))
            for start in range(0, len(listed), 500):
                rows = self.session.execute(
                    select(column, households.c.id).where(column.in_(listed[start : start + 500]))
                )
                found.update((key, household_id) for key, household_id in rows)
        return found

    def registration_numbers(self, household_ids: Sequence[str]) -> dict[str, str]:
        """Each household's registration number (one query per 500 ids)."""
        ids = sorted(set(household_ids))
        found: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            rows = self.session.execute(
                select(households.c.id, households.c.registration_number).where(
                    households.c.id.in_(ids[start : start + 500])
                )
            )
            found.update((r.id, r.registration_number) for r in rows if r.registration_number)
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
        if household.facts.members:  # a household dissolved by a merge may have none left
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
        return household_of(row, member_rows)

    def get_many(
        self, household_ids: Sequence[str], *, for_update: bool = False
    ) -> list[tuple[Household, Any]]:
        """The households of ``household_ids`` that exist, each with its row (two queries per
        500 ids), in the order of their ids."""
        found = []
        ids = sorted(set(household_ids))
        for start in range(0, len(ids), 500):
            page = ids[start : start + 500]
            query = select(households).where(households.c.id.in_(page)).order_by(households.c.id)
            if for_update:
                query = query.with_for_update()
            rows = self.session.execute(query).all()
            people: dict[str, list[Any]] = {}
            for member_row in self.session.execute(
                select(members).where(members.c.household_id.in_(page)).order_by(members.c.position)
            ):
                people.setdefault(member_row.household_id, []).append(member_row)
            found.extend((household_of(row, people.get(row.id, [])), row) for row in rows)
        return found

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

    def synced_all(self, client_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """:meth:`synced` for many device records (one query per 500 ids)."""
        ids = list(client_ids)
        found: dict[str, tuple[str, int]] = {}
        for start in range(0, len(ids), 500):
            rows = self.session.execute(
                select(sync_records.c.client_id, sync_records.c.household_id, sync_records.c.version).where(
                    sync_records.c.client_id.in_(ids[start : start + 500])
                )
            )
            found.update((row.client_id, (row.household_id, row.version)) for row in rows)
        return found

    def record_sync(self, client_id: str, household: Household, device: str) -> None:
        self.record_syncs([(client_id, household)], device)

    def record_syncs(self, applied: Sequence[tuple[str, Household]], device: str) -> None:
        """Remember which household version each device record (by client id) was applied as."""
        if applied:
            now = datetime.now(UTC)
            self.session.execute(
                insert(sync_records),
                [
                    {
                        "client_id": client_id,
                        "household_id": household.id,
                        "device": device,
                        "version": household.version,
                        "synced_at": now,
                    }
                    for client_id, household in applied
                ],
            )
