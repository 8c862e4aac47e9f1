"""What a request works with: a unit of work on the running service's database."""

from __future__ import annotations

from flask import current_app

from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork


def unit_of_work() -> TransfersUnitOfWork:
    """A new unit of work on this service's database and outbox."""
    runtime = current_app.extensions["amparo.runtime"]
    return TransfersUnitOfWork(runtime.session_factory, runtime.outbox)
