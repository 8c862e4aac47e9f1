"""Erasing a household's personal data on request (see :mod:`services.registry.domain.erasure`)."""

from __future__ import annotations

from dataclasses import dataclass

from services.registry.domain.erasure import Erasure, erased
from services.registry.domain.errors import AlreadyErased
from services.registry.domain.history import FieldChange, changes
from services.registry.service_layer.common import Actor, Dependencies, check_visible
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.audit import AuditEntry
from shared.contracts import households as contract
from shared.events import CloudEvent
from shared.kafka import HOUSEHOLDS


@dataclass(frozen=True)
class EraseHousehold:
    """Erase a household's personal data, on the request named by ``reference`` (its exact
    location too when ``location``)."""

    household_id: str
    reference: str
    location: bool
    actor: Actor
    #: The role the audit log names (``None`` for the retention pass, which is no person).
    role: str | None = "registry_officer"


def erase_household(command: EraseHousehold, uow: RegistryUnitOfWork, deps: Dependencies) -> Erasure:
    """Remove the personal data, keep the tombstone, say so to the projections and to the audit
    log (that it happened, on which request: never what was erased).

    :raise HouseholdNotFound, OutsideJurisdiction: not a household the caller may act on.
    :raise AlreadyErased: its personal data is gone already.
    """
    with uow:
        current = check_visible(
            uow.households.get(command.household_id, for_update=True),
            command.household_id,
            command.actor.covers,
        )
        if uow.erasures.get(current.id) is not None:
            raise AlreadyErased(f"household {current.id} was erased already")
        at = deps.now()
        gone = erased(current, at, command.actor.subject, command.location)
        uow.households.replace(gone, current.version)
        uow.households.record_changes(gone, [FieldChange(c.path, None, None) for c in changes(current, gone)])
        record = Erasure(current.id, at, command.actor.subject, command.reference, command.location)
        uow.erasures.add(record)
        uow.record(
            AuditEntry(
                by=command.actor.subject,
                action="erased",
                subject_type="household",
                subject_id=current.id,
                role=command.role,
                comment=f"on request {command.reference}; exact location "
                + ("erased" if command.location else "kept"),
            )
        )
        snapshot = contract.erased_snapshot(current.id, gone.version, gone.admin_code, gone.size)
        event = CloudEvent(
            type=contract.HOUSEHOLD_ERASED, source=contract.SOURCE, subject=current.id, data=snapshot, time=at
        )
        uow.publish(HOUSEHOLDS.name, event)
        uow.publish_tombstone(HOUSEHOLDS.name, current.id)
        # After the new events, so the outbox's positions only ever grow.
        uow.erasures.scrub_beside(current.id)
    return record
