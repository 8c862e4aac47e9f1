"""Reading batches and payments back, as the people who follow them see them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.transfers.domain.batches import Batch
from services.transfers.domain.payments import Payment, PaymentFile
from services.transfers.service_layer.batches import Covers, find_batch
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork


@dataclass(frozen=True)
class BatchReport:
    """A batch with how its payments stand and every step it took."""

    batch: Batch
    payments_by_state: dict[str, int]
    payments_by_channel: dict[str, int]
    trail: list[dict[str, Any]]


@dataclass(frozen=True)
class PaymentPage:
    payments: list[Payment]
    offset: int
    limit: int


def report(uow: TransfersUnitOfWork, batch: Batch) -> BatchReport:
    """The batch as it stands in this unit of work."""
    by_state, by_channel = uow.batches.counts(batch.id)
    return BatchReport(batch, by_state, by_channel, uow.batches.trail(batch.id))


def get_batch(batch_id: str, covers: Covers, uow: TransfersUnitOfWork) -> BatchReport:
    """:raise BatchNotFound: no such batch in the caller's jurisdiction."""
    with uow.reading() as reader:
        return report(reader, find_batch(reader, batch_id, covers))


def list_batches(
    uow: TransfersUnitOfWork,
    covers: Covers,
    incident_id: str | None = None,
    state: str | None = None,
    hazard_event_id: str | None = None,
) -> list[BatchReport]:
    """The newest 200 batches (of an alert, of every alert of a hazard event, in a state), those in
    the caller's jurisdiction."""
    with uow.reading() as reader:
        incidents: list[str] | None = None
        if hazard_event_id:
            incidents = reader.hazard_events.incidents_with_event(hazard_event_id)
        if incident_id:
            incidents = [incident_id] if incidents is None or incident_id in incidents else []
        found = reader.batches.newest(incidents, state)
        return [report(reader, b) for b in found if covers(b.admin_scope)]


def list_files(batch_id: str, covers: Covers, uow: TransfersUnitOfWork) -> list[PaymentFile]:
    """A batch's payment files, oldest first. :raise BatchNotFound: not in the caller's jurisdiction."""
    with uow.reading() as reader:
        find_batch(reader, batch_id, covers)
        return reader.files.of_batch(batch_id)


def list_payments(
    batch_id: str, covers: Covers, uow: TransfersUnitOfWork, state: str | None, offset: int, limit: int
) -> PaymentPage:
    """A page of a batch's payments. :raise BatchNotFound: not in the caller's jurisdiction."""
    with uow.reading() as reader:
        find_batch(reader, batch_id, covers)
        return PaymentPage(reader.payments.page(batch_id, state, offset, limit), offset, limit)
