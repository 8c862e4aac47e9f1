"""Registering households and recording changes to them: each new version is stored with its
history entry, its event and its probable duplicates, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.registry.adapters.blocks import Blocks
from services.registry.domain import model
from services.registry.domain.errors import AlreadyErased, HouseholdIdTaken, VersionMismatch
from services.registry.domain.history import FieldChange, changes
from services.registry.service_layer.common import (
    Actor,
    Dependencies,
    HouseholdInput,
    check_visible,
    household_event,
)
from services.registry.service_layer.duplicates import queue_probable_duplicates, queue_probable_duplicates_of
from services.registry.service_layer.facts import build_facts
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.audit import AuditEntry
from shared.kafka import HOUSEHOLDS


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


def _store_new_version(
    uow: RegistryUnitOfWork, household: model.Household, previous: model.Household | None, screen: bool = True
) -> None:
    uow.households.record_changes(household, changes(previous, household))
    uow.publish(HOUSEHOLDS.name, household_event(household, previous))
    if screen and household.status == model.HouseholdStatus.ACTIVE:
        queue_probable_duplicates(uow, household)


def store_change(
    uow: RegistryUnitOfWork,
    changed: model.Household,
    current: model.Household,
    said: Sequence[FieldChange] = (),
    *,
    screen: bool = True,
) -> bool:
    """Store ``changed`` (built by :func:`model.change_household` from ``current``) with its history
    entry (its field changes, then what ``said`` adds), its event and, unless ``screen`` is false (a
    change that leaves its people as they were: an assessment, an enrolment), its probable duplicates.

    :return: ``False`` if someone changed the household since ``current``, or its personal data
        was erased on request (it is never recorded again): nothing written.
    """
    if uow.erasures.get(current.id) is not None:
        return False
    if not uow.households.replace(changed, current.version):
        return False
    uow.households.record_changes(changed, [*changes(current, changed), *said])
    uow.publish(HOUSEHOLDS.name, household_event(changed, current))
    if screen and changed.status == model.HouseholdStatus.ACTIVE:
        queue_probable_duplicates(uow, changed)
    return True


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
    uow: RegistryUnitOfWork, command: RegisterHousehold, deps: Dependencies, *, screen: bool = True
) -> tuple[model.Household, bool]:
    """:func:`register_household` inside a unit of work the caller has open (for batches; one that
    screens the batch's households for duplicates together gives ``screen=False``)."""
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
    _store_new_version(uow, household, None, screen)
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
    uow: RegistryUnitOfWork,
    registered: Sequence[model.Household],
    blocks: Blocks | None = None,
    *,
    screen: bool = True,
) -> list[model.Household]:
    """Store households built by :func:`new_household` (for an import, which builds each one as it
    checks it) as :func:`register_all_in` does (without their duplicate screening when ``screen``
    is false: the caller screens them with others).

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
    if screen:
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
    with uow:
        return change_in(uow, command, deps)


def change_in(
    uow: RegistryUnitOfWork, command: ChangeHousehold, deps: Dependencies, *, screen: bool = True
) -> model.Household:
    """:func:`change_household` inside a unit of work the caller has open (``screen``: as for
    :func:`register_in`)."""
    now = deps.now()
    current = check_visible(
        uow.households.get(command.household_id, for_update=True), command.household_id, command.actor.covers
    )
    if uow.erasures.get(current.id) is not None:
        raise AlreadyErased(
            f"household {current.id} was erased on request: its personal data is never recorded again "
            "(register the family anew, with its consent, if it asks)"
        )
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
    if not store_change(uow, changed, current, screen=screen):
        raise _mismatch(uow, uow.households.get(current.id) or current, command.expected_version)
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
