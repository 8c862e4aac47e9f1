"""Offline sync: the records a field device collected without a connection, applied in one
transaction, each answered with what it became (created, updated, unchanged, conflict or
rejected).

A record may carry a visit's assessment of damage and needs beside the household (a household
registered in the same visit), or alone (a registered household assessed): household and
assessment are stored together or not at all."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.registry.domain import model
from services.registry.domain.errors import (
    HouseholdIdTaken,
    HouseholdNotFound,
    InvalidHousehold,
    OutsideJurisdiction,
    VersionMismatch,
)
from services.registry.service_layer.assessments import AssessHousehold, assess_in
from services.registry.service_layer.common import Actor, Dependencies, HouseholdInput
from services.registry.service_layer.duplicates import queue_probable_duplicates_of
from services.registry.service_layer.registration import (
    ChangeHousehold,
    RegisterHousehold,
    add_registered,
    change_in,
    new_household,
    register_in,
)
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.uow import clashed

MAX_SYNC_RECORDS = 5000
#: Records applied in one transaction: a few hundred keep a writer waiting a second at most.
CHUNK_RECORDS = 200


@dataclass(frozen=True)
class SyncRecord:
    """One record from a device: a new household (``base_version`` None) or a change to one."""

    client_id: str
    household_id: str
    household: HouseholdInput | None
    base_version: int | None = None
    problems: Mapping[str, str] = field(default_factory=dict)
    #: A visit's findings: ``event_id`` and the values :func:`assess_in` takes.
    assessment: Mapping[str, Any] | None = None


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
    """Apply a device's batch in transactions of :data:`CHUNK_RECORDS` records, each record on its
    own: a record refused (a conflict, a rule broken) is rolled back to where it began and answered
    with why, the others are kept. The households a chunk registers or changes are screened for
    probable duplicates together, at its end.

    Sending the same batch again changes nothing: each client id is remembered with what it
    became, and answered ``already_synced``.
    """
    if len(records) > MAX_SYNC_RECORDS:
        raise InvalidHousehold(
            "the batch is too large", {"records": f"at most {MAX_SYNC_RECORDS} records per batch"}
        )
    answered: dict[int, SyncResult] = {}
    applying: list[tuple[int, SyncRecord]] = []
    seen: set[str] = set()
    for n, record in enumerate(records):
        if record.client_id in seen:
            answered[n] = SyncResult(record.client_id, "rejected", detail="duplicate client id in this batch")
        elif record.problems or (record.household is None and record.assessment is None):
            answered[n] = SyncResult(
                record.client_id,
                "rejected",
                record.household_id,
                detail="invalid record",
                errors=pointers(record.problems) or {"/household": "send a household, an assessment or both"},
            )
        else:
            applying.append((n, record))
        seen.add(record.client_id)
    for start in range(0, len(applying), CHUNK_RECORDS):
        chunk = applying[start : start + CHUNK_RECORDS]
        try:
            with uow_factory() as uow:
                answered.update(_apply_all(uow, chunk, device, actor, deps))
        except Exception as error:
            if not clashed(error):
                raise
            # A conflict with another writer (a deadlock, the same id registered meanwhile): the
            # chunk is rolled back and its records are applied again one transaction each, so one
            # record that still fails cannot hold back the others forever.
            for one in chunk:
                with uow_factory() as uow:
                    answered.update(_apply_all(uow, [one], device, actor, deps))
    return [answered[n] for n in range(len(records))]


def _apply_all(
    uow: RegistryUnitOfWork,
    applying: Sequence[tuple[int, SyncRecord]],
    device: str,
    actor: Actor,
    deps: Dependencies,
) -> dict[int, SyncResult]:
    """New households whose ids are free are registered together; every other record is applied
    alone in its own savepoint, in the device's order after them."""
    done = uow.households.synced_all([record.client_id for _, record in applying])
    registering = {r.household_id for _, r in applying if r.base_version is None and r.household is not None}
    taken = uow.households.existing(sorted(registering))
    results: dict[int, SyncResult] = {}
    fresh: list[tuple[int, SyncRecord]] = []
    rest: list[tuple[int, SyncRecord]] = []
    named: set[str] = set()  # ids an earlier record of the batch names: the device's order holds
    for n, record in applying:
        if record.client_id in done:
            household_id, version = done[record.client_id]
            results[n] = SyncResult(record.client_id, "already_synced", household_id, version)
        elif (
            record.base_version is None
            and record.household is not None
            and record.household_id not in taken
            and record.household_id not in named
            and record.assessment is None
        ):
            fresh.append((n, record))
        else:
            rest.append((n, record))
        named.add(record.household_id)
    touched: dict[str, model.Household] = {}
    results.update(_register_fresh(uow, fresh, device, actor, deps, touched))
    for n, record in rest:
        results[n] = _apply_one(uow, record, device, actor, deps, touched)
    queue_probable_duplicates_of(
        uow, [h for h in touched.values() if h.status == model.HouseholdStatus.ACTIVE]
    )
    return results


def _register_fresh(
    uow: RegistryUnitOfWork,
    fresh: Sequence[tuple[int, SyncRecord]],
    device: str,
    actor: Actor,
    deps: Dependencies,
    touched: dict[str, model.Household],
) -> dict[int, SyncResult]:
    """Register new households under free ids with a few statements: each checked by the rules on
    its own (a refused one is answered, the others stored), then stored together."""
    now = deps.now()
    results: dict[int, SyncResult] = {}
    built: list[tuple[int, SyncRecord, model.Household]] = []
    for n, record in fresh:
        assert record.household is not None
        command = RegisterHousehold(
            record.household, actor, record.household_id, model.RegistrationSource.FIELD, device
        )
        try:
            built.append((n, record, new_household(command, deps, now)))
        except InvalidHousehold as exc:
            results[n] = _refused(record, exc.detail, pointers(exc.problems))
        except OutsideJurisdiction as exc:
            results[n] = _refused(record, exc.detail)
    add_registered(uow, [household for _, _, household in built], screen=False)
    uow.households.record_syncs([(record.client_id, household) for _, record, household in built], device)
    for n, record, household in built:
        results[n] = SyncResult(record.client_id, "created", household.id, household.version)
        touched[household.id] = household
    return results


def _apply_one(
    uow: RegistryUnitOfWork,
    record: SyncRecord,
    device: str,
    actor: Actor,
    deps: Dependencies,
    touched: dict[str, model.Household],
) -> SyncResult:
    """One record in a savepoint of the batch's transaction: kept, or rolled back and answered."""
    savepoint = uow.session.begin_nested()
    try:
        household, status = _apply(uow, record, device, actor, deps)
        uow.households.record_sync(record.client_id, household, device)
    except VersionMismatch as exc:
        savepoint.rollback()
        return SyncResult(
            record.client_id,
            "conflict",
            record.household_id,
            exc.extra.get("current_version"),
            detail=exc.detail,
        )
    except InvalidHousehold as exc:
        savepoint.rollback()
        return _refused(record, exc.detail, pointers(exc.problems))
    except (OutsideJurisdiction, HouseholdNotFound, HouseholdIdTaken) as exc:
        savepoint.rollback()
        return _refused(record, exc.detail)
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    if record.household is not None and status != "unchanged":  # its people were written
        touched[household.id] = household
    return SyncResult(record.client_id, status, household.id, household.version)


def _refused(record: SyncRecord, detail: str | None, errors: Mapping[str, str] | None = None) -> SyncResult:
    return SyncResult(record.client_id, "rejected", record.household_id, detail=detail, errors=errors or {})


def pointers(problems: Mapping[str, str]) -> dict[str, str]:
    """A record's problems keyed by JSON pointers into the record (``members.0.sex`` →
    ``/household/members/0/sex``; ``assessment.shelter`` → ``/assessment/shelter``)."""
    named = {}
    for name, text in problems.items():
        if not name.startswith("/"):
            path = name.replace(".", "/")
            name = "/" + path if path.split("/")[0] in ("assessment", "household") else "/household/" + path
        named[name] = text
    return named


def _apply(
    uow: RegistryUnitOfWork, record: SyncRecord, device: str, actor: Actor, deps: Dependencies
) -> tuple[model.Household, str]:
    household, status = None, "updated"
    if record.household is not None and record.base_version is None:
        command = RegisterHousehold(
            record.household, actor, record.household_id, model.RegistrationSource.FIELD, device
        )
        household, created = register_in(uow, command, deps, screen=False)
        status = "created" if created else "unchanged"
    elif record.household is not None:
        before = record.base_version
        assert before is not None
        household = change_in(
            uow, ChangeHousehold(record.household_id, record.household, before, actor), deps, screen=False
        )
        status = "updated" if household.version > before else "unchanged"
    if record.assessment is not None:
        values = dict(record.assessment)
        visit = AssessHousehold(record.household_id, str(values.pop("event_id", "")), values, actor)
        _, household = assess_in(uow, visit, deps)
        status = "created" if status == "created" else "updated"
    assert household is not None
    return household, status
