"""The consumers' handlers: each event, inside the inbox's transaction, handed to the service
layer over a unit of work joining that transaction (the inbox commits it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from services.transfers.adapters.repository import AttributeRepository
from services.transfers.service_layer import collecting, deciding, grievances
from services.transfers.service_layer.handlers import keep_all_attributes, keep_attributes, keep_review
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.contracts import alerts as alert_contract
from shared.events import CloudEvent

Handler = Callable[[CloudEvent, TransfersUnitOfWork], bool]


def apply_household_event(session: Session, event: CloudEvent) -> bool:
    """Update the attribute projection from a registry household event.

    :return: ``False`` if the event is older than the stored version.
    :raise InvalidInput: if the snapshot is malformed (the consumer dead-letters it).
    """
    return keep_attributes(event, AttributeRepository(session))


def apply_erased_event(session: Session, event: CloudEvent) -> bool:
    """A household's personal data was erased: its attributes kept as the erased snapshot says, and
    the words its grievances were filed with blanked (in the inbox's transaction)."""
    kept = keep_attributes(event, AttributeRepository(session))
    household_id = (event.data or {}).get("household_id")
    if isinstance(household_id, str):  # again on a redelivery: an erasure is never undone
        grievances.forget_household(household_id, TransfersUnitOfWork.joining(session))
    return kept


def apply_review_event(session: Session, event: CloudEvent) -> bool:
    """Hold (or release) a household the registry put under review (in the inbox's transaction).

    :raise InvalidInput: the event names no household (the consumer dead-letters it).
    """
    return keep_review(event, AttributeRepository(session))


def apply_household_events(session: Session, events: Sequence[CloudEvent]) -> list[bool]:
    """:func:`apply_household_event` for a run of events, in order, with one read and a few writes."""
    return keep_all_attributes(events, AttributeRepository(session))


def joining(handler: Handler) -> Callable[[Session, CloudEvent], bool]:
    """``handler`` as the inbox calls it: with the session of the transaction it began."""

    def apply(session: Session, event: CloudEvent) -> bool:
        return handler(event, TransfersUnitOfWork.joining(session))

    apply.__name__ = apply.__qualname__ = handler.__name__
    apply.__doc__ = handler.__doc__
    return apply


apply_alert_event = joining(deciding.apply_alert_event)
apply_exposure_chunk = joining(collecting.apply_exposure_chunk)
apply_exposure_completed = joining(collecting.apply_exposure_completed)
#: A household's reply asking for help, filed as a grievance.
apply_complaint_event = joining(grievances.file_from_reply)

#: What the decisions consumer does with each event type of ``alerts.alerts`` and ``alerts.exposures``.
ALERT_HANDLERS = {
    alert_contract.ALERT_ISSUED: apply_alert_event,
    alert_contract.ALERT_UPDATED: apply_alert_event,
    alert_contract.ALERT_CANCELLED: apply_alert_event,
    alert_contract.ALERT_EXPIRED: apply_alert_event,
    alert_contract.EXPOSURE_CHUNK: apply_exposure_chunk,
    alert_contract.EXPOSURE_COMPLETED: apply_exposure_completed,
}
