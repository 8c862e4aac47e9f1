"""Registry commands and their handlers: register, change, read, history and offline sync."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from services.registry.adapters.repository import Blocks
from services.registry.domain import model
from services.registry.domain.areas import AdminReference
from services.registry.domain.duplicates import matches_for, names_worth_comparing
from services.registry.domain.errors import (
    AlreadyDecided,
    HouseholdIdTaken,
    HouseholdNotFound,
    InvalidHousehold,
    OutsideJurisdiction,
    VersionMismatch,
)
from services.registry.domain.history import FieldChange, changes
from services.registry.domain.members import (
    Difficulty,
    Document,
    DocumentType,
    Member,
    Relationship,
    Sex,
    member_problems,
    new_member_id,
)
from services.registry.domain.ports import PersonalDataProtector
from services.registry.domain.vulnerability import VulnerabilityIndex
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.audit import AuditEntry
from shared.contracts import households as contract
from shared.events import CloudEvent
from shared.kafka import HOUSEHOLDS

Clock = Callable[[], datetime]
MAX_SYNC_RECORDS = 5000


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Actor:
    """Who acts: their id and the jurisdiction test of their token."""

    subject: str
    covers: Callable[[str], bool]


@dataclass(frozen=True)
class HouseholdInput:
    """A household as a person entered it (validated for types by the API, not yet for rules)."""

    admin_code: str
    location: model.Location
    members: Sequence[Mapping[str, Any]]
    status: str = "active"
    address: str | None = None
    dwelling: Mapping[str, Any] = field(default_factory=dict)
    services: Mapping[str, Any] = field(default_factory=dict)
    livelihood: Mapping[str, Any] = field(default_factory=dict)
    consent: Mapping[str, Any] | None = None
    payment: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class RegisterHousehold:
    """Register a household (``household_id`` lets a device retry safely)."""

    household: HouseholdInput
    actor: Actor
    household_id: str | None = None
    source: model.RegistrationSource = model.RegistrationSource.FIELD
    device: str | None = None


@dataclass(frozen=True)
class ChangeHousehold:
    """Record new facts about a household, made against ``expected_version``."""

    household_id: str
    household: HouseholdInput
    expected_version: int
    actor: Actor


@dataclass
class Dependencies:
    """What the registry's handlers need besides a unit of work."""

    protector: PersonalDataProtector
    index: VulnerabilityIndex
    areas: AdminReference | None = None
    now: Clock = utc_now


# -- facts from input -----------------------------------------------------------------------


def build_facts(
    data: HouseholdInput,
    deps: Dependencies,
    previous: model.Household | None,
    today: date,
    *,
    retry: bool = False,
) -> model.HouseholdFacts:
    """Turn entered data into facts: personal data hashed and encrypted, rules checked per member.

    A protected value that did not change keeps its stored ciphertext, so history and equality
    see no change where there is none. For a retried registration (``retry``), members sent
    without ids take the ids of the stored members in the same positions.

    :raise InvalidHousehold: naming each faulty field.
    """
    problems: dict[str, str] = {}
    old_members = {m.id: m for m in previous.facts.members} if previous else {}
    built: list[Member] = []
    for i, raw in enumerate(data.members):
        problems.update(member_problems(i, dict(raw), today))
        member_id = raw.get("id")
        if not member_id and retry and previous and i < len(previous.facts.members):
            member_id = previous.facts.members[i].id
        member_id = member_id or new_member_id()
        old = old_members.get(member_id)
        document = None
        if raw.get("document"):
            kind = DocumentType(raw["document"]["type"])
            number = raw["document"]["number"]
            digest = deps.protector.document_hash(kind.value, number)
            if old and old.document and old.document.number_hash == digest:
                document = old.document
            else:
                document = Document(kind, digest, deps.protector.encrypt(number))
        phone = raw.get("phone")
        phone_encrypted = None
        if phone:
            if old and old.phone_encrypted and deps.protector.decrypt(old.phone_encrypted) == phone:
                phone_encrypted = old.phone_encrypted
            else:
                phone_encrypted = deps.protector.encrypt(phone)
        built.append(
            Member(
                id=member_id,
                given_names=(raw.get("given_names") or "").strip(),
                family_names=(raw.get("family_names") or "").strip(),
                sex=Sex(raw["sex"]),
                relationship=Relationship(raw["relationship"]),
                birth_date=raw.get("birth_date"),
                age_estimate=raw.get("age_estimate"),
                document=document,
                phone_encrypted=phone_encrypted,
                disability={k: Difficulty(v) for k, v in (raw.get("disability") or {}).items()},
                pregnant=bool(raw.get("pregnant")),
                chronic_illness=bool(raw.get("chronic_illness")),
                attends_school=raw.get("attends_school"),
            )
        )
    if problems:
        raise InvalidHousehold("the household cannot be recorded", problems)
    consent = None
    if data.consent:
        consent = model.Consent(
            data.consent["given_at"], data.consent["given_by"], tuple(data.consent["purposes"])
        )
    payment = None
    if data.payment:
        identifiers = data.payment.get("identifiers") or {}
        encrypted = None
        if identifiers:
            old_payment = previous.facts.payment if previous else None
            plain = json.dumps(dict(identifiers), sort_keys=True)
            if (
                old_payment
                and old_payment.identifiers_encrypted
                and deps.protector.decrypt(old_payment.identifiers_encrypted) == plain
            ):
                encrypted = old_payment.identifiers_encrypted
            else:
                encrypted = deps.protector.encrypt(plain)
        payment = model.PaymentChannel(
            model.PaymentChannelType(data.payment["type"]), data.payment.get("provider"), encrypted
        )
    return model.HouseholdFacts(
        admin_code=data.admin_code,
        location=data.location,
        members=tuple(built),
        status=model.HouseholdStatus(data.status),
        address=data.address,
        dwelling=dict(data.dwelling),
        services=dict(data.services),
        livelihood=dict(data.livelihood),
        consent=consent,
        payment=payment,
    )


# -- events ---------------------------------------------------------------------------------


def household_event(household: model.Household, previous: model.Household | None) -> CloudEvent:
    """The event for a household's new version: registered, updated or deactivated."""
    if previous is None:
        kind = contract.HOUSEHOLD_REGISTERED
    elif household.status != model.HouseholdStatus.ACTIVE and previous.status == model.HouseholdStatus.ACTIVE:
        kind = contract.HOUSEHOLD_DEACTIVATED
    else:
        kind = contract.HOUSEHOLD_UPDATED
    return CloudEvent(
        type=kind,
        source=contract.SOURCE,
        subject=household.id,
        data=model.public_snapshot(household),
        time=household.updated_at,
    )


def _store_new_version(
    uow: RegistryUnitOfWork, household: model.Household, previous: model.Household | None
) -> None:
    uow.households.record_changes(household, changes(previous, household))
    uow.publish(HOUSEHOLDS.name, household_event(household, previous))
    if household.status == model.HouseholdStatus.ACTIVE:
        queue_probable_duplicates(uow, household)


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


# -- handlers -------------------------------------------------------------------------------


def register_household(
    command: RegisterHousehold, uow: RegistryUnitOfWork, deps: Dependencies
) -> tuple[model.Household, bool]:
    """Register a household; its ``registered`` event and history entry commit with it.

    :return: the household and whether it was created now (``False`` for a retried request
        carrying an id already registered with the same facts).
    :raise InvalidHousehold, OutsideJurisdiction: from the rules.
    :raise HouseholdIdTaken: if the id belongs to a household with different facts.
    """
    with uow:
        return register_in(uow, command, deps)


def register_in(
    uow: RegistryUnitOfWork, command: RegisterHousehold, deps: Dependencies
) -> tuple[model.Household, bool]:
    """:func:`register_household` inside a unit of work the caller has open (for batches)."""
    now = deps.now()
    existing = uow.households.get(command.household_id) if command.household_id else None
    household = new_household(command, deps, now, existing)
    if existing is not None:
        if not command.actor.covers(existing.admin_code):
            raise HouseholdIdTaken(f"household id {existing.id} is already in use")
        if existing.facts == household.facts:
            return existing, False
        raise HouseholdIdTaken(f"household {existing.id} is already registered with other data")
    uow.households.add(household)
    _store_new_version(uow, household, None)
    return household, True


def new_household(
    command: RegisterHousehold, deps: Dependencies, now: datetime, existing: model.Household | None = None
) -> model.Household:
    """The household a registration would create (checked by the rules; nothing stored).

    :raise InvalidHousehold, OutsideJurisdiction: from the rules.
    """
    facts = build_facts(command.household, deps, existing, now.date(), retry=existing is not None)
    return model.register_household(
        facts,
        registration=model.Registration(command.actor.subject, now, command.source, command.device),
        index=deps.index,
        jurisdiction_covers=command.actor.covers,
        household_id=command.household_id,
        areas=deps.areas,
    )


def register_all_in(
    uow: RegistryUnitOfWork,
    commands: Sequence[RegisterHousehold],
    deps: Dependencies,
    blocks: Blocks | None = None,
) -> list[model.Household]:
    """:func:`register_in` for many new households in the open unit of work, with a few
    statements in all: the same rules, rows, history, events and duplicate queue. Give the same
    ``blocks`` to every batch of one job, so that duplicate blocks are read only once.

    :raise InvalidHousehold, OutsideJurisdiction: from the rules (nothing of the batch is kept).
    :raise HouseholdIdTaken: if an id is already registered (give those to :func:`register_in`).
    """
    now = deps.now()
    return add_registered(uow, [new_household(command, deps, now) for command in commands], blocks)


def add_registered(
    uow: RegistryUnitOfWork, registered: Sequence[model.Household], blocks: Blocks | None = None
) -> list[model.Household]:
    """Store households built by :func:`new_household` (for an import, which builds each one as it
    checks it) as :func:`register_all_in` does.

    :raise HouseholdIdTaken: if an id is already registered or repeated.
    """
    taken = uow.households.existing([h.id for h in registered])
    if taken or len({h.id for h in registered}) < len(registered):
        raise HouseholdIdTaken(f"household ids already in use: {', '.join(sorted(taken)) or 'repeated'}")
    uow.households.add_all(registered)
    uow.households.record_all_changes([(household, changes(None, household)) for household in registered])
    events = [household_event(household, None) for household in registered]
    uow.publish_all(HOUSEHOLDS.name, events)
    if blocks is not None:  # the next batch's catch-up takes these from memory, not the database
        blocks.wrote([(event.id, household) for event, household in zip(events, registered, strict=True)])
    queue_probable_duplicates_of(uow, registered, blocks)
    return list(registered)


def change_household(
    command: ChangeHousehold, uow: RegistryUnitOfWork, deps: Dependencies
) -> model.Household:
    """Record a new version of a household if nobody changed it since ``expected_version``.

    :raise HouseholdNotFound: unknown.
    :raise OutsideJurisdiction: outside the caller's jurisdiction.
    :raise VersionMismatch: the stored version is not ``expected_version`` (both versions and the
        fields changed since are attached).
    """
    now = deps.now()
    with uow:
        current = uow.households.get(command.household_id, for_update=True)
        _check_visible(current, command.household_id, command.actor.covers)
        if current.version != command.expected_version:
            raise _mismatch(uow, current, command.expected_version)
        facts = build_facts(command.household, deps, current, now.date())
        if facts == current.facts:
            return current
        changed = model.change_household(
            current,
            facts,
            changed_by=command.actor.subject,
            changed_at=now,
            index=deps.index,
            jurisdiction_covers=command.actor.covers,
            areas=deps.areas,
        )
        if not uow.households.replace(changed, current.version):
            raise _mismatch(uow, uow.households.get(current.id) or current, command.expected_version)
        _store_new_version(uow, changed, current)
        if changed.status != current.status:
            uow.record(
                AuditEntry(
                    by=command.actor.subject,
                    action="status_changed",
                    subject_type="household",
                    subject_id=changed.id,
                    from_state=current.status,
                    to_state=changed.status,
                    comment=f"version {changed.version}",
                )
            )
    return changed


def _mismatch(uow: RegistryUnitOfWork, current: model.Household, expected: int) -> VersionMismatch:
    since = [entry for entry in uow.households.history(current.id) if entry["version"] > expected]
    fields_changed = sorted({c["path"] for entry in since for c in entry["changes"]})
    return VersionMismatch(
        f"household {current.id} is at version {current.version}, not {expected}: "
        "reload it, reapply your change and send it again",
        current=current,
        your_version=expected,
        current_version=current.version,
        changed_since_your_version=fields_changed,
    )


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
    return _check_visible(household, household_id, covers)


def _check_visible(
    household: model.Household | None, household_id: str, covers: Callable[[str], bool]
) -> model.Household:
    if household is None:
        raise HouseholdNotFound(f"no household {household_id}")
    if not covers(household.admin_code):
        raise OutsideJurisdiction(
            f"household {household_id} lies in {household.admin_code}, outside your jurisdiction"
        )
    return household


#: Most households one payment-details request may name (a payment file is read in pages of this).
PAYMENT_DETAILS_PAGE = 5000


def payment_details(
    household_ids: Sequence[str],
    uow: RegistryUnitOfWork,
    protector: PersonalDataProtector,
    actor: Actor,
) -> dict[str, dict[str, Any]]:
    """Payment channel, decrypted identifiers and the head's name of each household, for a payment
    file only. Households unknown, outside the caller's jurisdiction or without a channel are left
    out (the caller reports them). Who was shown whose details goes to the audit log.
    """
    with uow:
        rows = [r for r in uow.households.payment_channels(household_ids) if actor.covers(r["admin_code"])]
        uow.record(
            AuditEntry(
                by=actor.subject,
                action="payment_details_disclosed",
                subject_type="households",
                subject_id=f"{len(rows)} of {len(household_ids)} asked",
                comment=" ".join(row["id"] for row in rows),
            )
        )
    return {
        row["id"]: {
            "type": row["payment_channel_type"],
            "provider": row["payment_provider"],
            "identifiers": json.loads(protector.decrypt(row["payment_identifiers_encrypted"]))
            if row["payment_identifiers_encrypted"]
            else {},
            "beneficiary": f"{row['given_names']} {row['family_names']}" if row["given_names"] else None,
        }
        for row in rows
    }


def household_history(
    household_id: str, uow: RegistryUnitOfWork, covers: Callable[[str], bool]
) -> list[dict[str, Any]]:
    """Every version's changes (who, when, field, old → new), oldest first."""
    with uow:
        _check_visible(uow.households.get(household_id), household_id, covers)
        return uow.households.history(household_id)


# -- offline sync ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncRecord:
    """One record from a device: a new household (``base_version`` None) or a change to one."""

    client_id: str
    household_id: str
    household: HouseholdInput | None
    base_version: int | None = None
    problems: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SyncResult:
    client_id: str
    status: str  # created | updated | unchanged | already_synced | conflict | rejected
    household_id: str | None = None
    version: int | None = None
    detail: str | None = None
    errors: Mapping[str, str] = field(default_factory=dict)


def sync_batch(
    records: Sequence[SyncRecord],
    device: str,
    actor: Actor,
    uow_factory: Callable[[], RegistryUnitOfWork],
    deps: Dependencies,
) -> list[SyncResult]:
    """Apply a device's batch record by record; each record commits (or fails) on its own.

    Sending the same batch again changes nothing: each client id is remembered with what it
    became, and answered ``already_synced``.
    """
    if len(records) > MAX_SYNC_RECORDS:
        raise InvalidHousehold(
            "the batch is too large", {"records": f"at most {MAX_SYNC_RECORDS} records per batch"}
        )
    seen: set[str] = set()
    results = []
    for record in records:
        if record.client_id in seen:
            results.append(
                SyncResult(record.client_id, "rejected", detail="duplicate client id in this batch")
            )
            continue
        seen.add(record.client_id)
        results.append(_sync_one(record, device, actor, uow_factory, deps))
    return results


def _sync_one(
    record: SyncRecord,
    device: str,
    actor: Actor,
    uow_factory: Callable[[], RegistryUnitOfWork],
    deps: Dependencies,
) -> SyncResult:
    if record.problems or record.household is None:
        return SyncResult(
            record.client_id,
            "rejected",
            record.household_id,
            detail="invalid record",
            errors=dict(record.problems),
        )
    uow = uow_factory()
    with uow:
        done = uow.households.synced(record.client_id)
    if done is not None:
        return SyncResult(record.client_id, "already_synced", done[0], done[1])
    try:
        if record.base_version is None:
            household, created = register_household(
                RegisterHousehold(
                    record.household, actor, record.household_id, model.RegistrationSource.FIELD, device
                ),
                _RecordingUow(uow_factory(), record.client_id, device, record.household_id),
                deps,
            )
            status = "created" if created else "unchanged"
        else:
            before = record.base_version
            household = change_household(
                ChangeHousehold(record.household_id, record.household, before, actor),
                _RecordingUow(uow_factory(), record.client_id, device, record.household_id),
                deps,
            )
            status = "updated" if household.version > before else "unchanged"
    except VersionMismatch as exc:
        return SyncResult(
            record.client_id,
            "conflict",
            record.household_id,
            exc.extra.get("current_version"),
            detail=exc.detail,
        )
    except InvalidHousehold as exc:
        return SyncResult(
            record.client_id, "rejected", record.household_id, detail=exc.detail, errors=exc.problems
        )
    except (OutsideJurisdiction, HouseholdNotFound, HouseholdIdTaken) as exc:
        return SyncResult(record.client_id, "rejected", record.household_id, detail=exc.detail)
    return SyncResult(record.client_id, status, household.id, household.version)


class _RecordingUow(RegistryUnitOfWork):
    """A unit of work that also remembers which device record it applied, in the same commit."""

    def __init__(self, inner: RegistryUnitOfWork, client_id: str, device: str, household_id: str):
        super().__init__(inner.session_factory, inner.outbox)
        self.client_id = client_id
        self.device = device
        self.household_id = household_id

    def __exit__(self, exc_type, exc, tb):  # type: ignore[no-untyped-def]
        if exc_type is None:
            stored = self.households.get(self.household_id)
            if stored is not None:
                self.households.record_sync(self.client_id, stored, self.device)
        return super().__exit__(exc_type, exc, tb)


# -- search and export ----------------------------------------------------------------------

VULNERABLE_GROUPS = ("children_under_5", "elderly_65_plus", "disability", "pregnant", "female_headed")
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
            HouseholdQuery(
                query.admin_code, query.status, query.score_min, query.score_max, query.groups, after, chunk
            ),
            uow_factory(),
            jurisdiction,
        )
        yield from page
        if len(page) < chunk:
            return
        after = page[-1]["id"]


# -- duplicates -----------------------------------------------------------------------------


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
