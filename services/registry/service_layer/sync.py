"""Offline sync: the records a field device collected without a connection, applied one by one,
each answered with what it became (created, updated, unchanged, conflict or rejected).

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
from services.registry.service_layer.registration import (
    ChangeHousehold,
    RegisterHousehold,
    change_in,
    register_in,
)
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork

MAX_SYNC_RECORDS = 5000


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
    if record.problems or (record.household is None and record.assessment is None):
        return SyncResult(
            record.client_id,
            "rejected",
            record.household_id,
            detail="invalid record",
            errors=pointers(record.problems) or {"/household": "send a household, an assessment or both"},
        )
    uow = uow_factory()
    with uow:
        done = uow.households.synced(record.client_id)
    if done is not None:
        return SyncResult(record.client_id, "already_synced", done[0], done[1])
    try:
        with _RecordingUow(uow_factory(), record.client_id, device, record.household_id) as recording:
            household, status = _apply(recording, record, device, actor, deps)
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
            record.client_id,
            "rejected",
            record.household_id,
            detail=exc.detail,
            errors=pointers(exc.problems),
        )
    except (OutsideJurisdiction, HouseholdNotFound, HouseholdIdTaken) as exc:
        return SyncResult(record.client_id, "rejected", record.household_id, detail=exc.detail)
    return SyncResult(record.client_id, status, household.id, household.version)


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
        household, created = register_in(uow, command, deps)
        status = "created" if created else "unchanged"
    elif record.household is not None:
        before = record.base_version
        assert before is not None
        household = change_in(
            uow, ChangeHousehold(record.household_id, record.household, before, actor), deps
        )
        status = "updated" if household.version > before else "unchanged"
    if record.assessment is not None:
        values = dict(record.assessment)
        visit = AssessHousehold(record.household_id, str(values.pop("event_id", "")), values, actor)
        _, household = assess_in(uow, visit, deps)
        status = "created" if status == "created" else "updated"
    assert household is not None
    return household, status


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
