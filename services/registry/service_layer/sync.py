"""Offline sync: the records a field device collected without a connection, applied one by one,
each answered with what it became (created, updated, unchanged, conflict or rejected)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from services.registry.domain import model
from services.registry.domain.errors import (
    HouseholdIdTaken,
    HouseholdNotFound,
    InvalidHousehold,
    OutsideJurisdiction,
    VersionMismatch,
)
from services.registry.service_layer.common import Actor, Dependencies, HouseholdInput
from services.registry.service_layer.registration import (
    ChangeHousehold,
    RegisterHousehold,
    change_household,
    register_household,
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
