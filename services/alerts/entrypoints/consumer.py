"""The household consumer's handlers: a registry event, inside the inbox's transaction, handed to
the location index's handlers over a unit of work joining that transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.alerts.adapters.orm import outbox
from services.alerts.service_layer.handlers import keep_location, keep_locations
from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork
from shared.events import CloudEvent


def apply_household_event(session: Session, event: CloudEvent) -> bool:
    """Update the location index from a registry household event (in the inbox's transaction).

    :return: ``False`` if the event is older than the stored version.
    :raise InvalidInput: if the snapshot is malformed (the consumer dead-letters it).
    """
    return keep_location(event, AlertsUnitOfWork.joining(session, outbox))


def ignore_review(session: Session, event: CloudEvent) -> bool:
    """A household's review state (a probable duplicate awaiting an officer), or its complaint,
    changes nothing of where it lives: transfers holds its payments; the location index keeps it."""
    return True


def apply_household_events(session: Session, events: Sequence[CloudEvent]) -> list[bool]:
    """:func:`apply_household_event` for a run of events, in order, with one read and a few writes.

    :raise InvalidInput: if any snapshot is malformed (the consumer then applies them one by one).
    """
    return keep_locations(events, AlertsUnitOfWork.joining(session, outbox))
