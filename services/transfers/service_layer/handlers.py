"""Transfers service handlers: keeping the household attributes, reading them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.transfers.adapters.repository import AttributeRepository
from services.transfers.domain.households import HouseholdAttributes, attributes_from_snapshot
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.contracts.households import load_snapshot
from shared.errors import InvalidInput, NotFound
from shared.events import CloudEvent


def keep_attributes(event: CloudEvent, attributes: AttributeRepository) -> bool:
    """Update the attribute projection from a registry household event (inside the inbox transaction).

    :return: ``False`` if the event is older than the stored version.
    :raise InvalidInput: if the snapshot is malformed (the consumer dead-letters it).
    """
    return attributes.save_if_newer(attributes_from_snapshot(load_snapshot(event.data)))


def keep_review(event: CloudEvent, attributes: AttributeRepository) -> bool:
    """Hold or release a household the registry put under review (a probable duplicate awaiting an
    officer's decision); events of one household arrive in order, so the latest says.

    :raise InvalidInput: the event names no household.
    """
    data = event.data or {}
    household_id = data.get("household_id")
    if not isinstance(household_id, str) or not household_id:
        raise InvalidInput(f"review event {event.id} names no household_id")
    reason = data.get("reason")
    return attributes.note_review(
        household_id, bool(data.get("under_review")), str(reason)[:1000] if reason else None
    )


def keep_all_attributes(events: Sequence[CloudEvent], attributes: AttributeRepository) -> list[bool]:
    """:func:`keep_attributes` for a run of events, in order, with one read and a few writes.

    :return: for each event, ``False`` if it is older than the stored (or an earlier) version.
    :raise InvalidInput: if any snapshot is malformed (the consumer then applies them one by one).
    """
    return attributes.save_all_if_newer([attributes_from_snapshot(load_snapshot(e.data)) for e in events])


def get_attributes(
    household_id: str, uow: TransfersUnitOfWork, covers: Callable[[str], bool]
) -> HouseholdAttributes:
    """:raise NotFound: if the household is unknown or lies outside the caller's jurisdiction."""
    with uow.reading() as reader:
        attributes = reader.attributes.get(household_id)
    if attributes is None or not covers(attributes.admin_code):
        raise NotFound(f"household {household_id} is not known to transfers (in your jurisdiction)")
    return attributes
