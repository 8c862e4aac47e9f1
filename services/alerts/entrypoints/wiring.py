"""What a request works with: a unit of work on the running alerts service's database."""

from __future__ import annotations

from flask import current_app

from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork


def unit_of_work(read_only: bool = False) -> AlertsUnitOfWork:
    """A new unit of work on this instance's database, outbox and location index; ``read_only``
    for reads (on SQLite they never wait for a writer)."""
    runtime = current_app.extensions["amparo.runtime"]
    return AlertsUnitOfWork(
        runtime.session_factory,
        runtime.outbox,
        read_only=read_only,
        indexing=runtime.extensions.get("indexing"),
    )
