"""The transfers service's app factory and wiring."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from services.transfers.adapters.orm import audit, inbox, outbox
from services.transfers.adapters.pipeline_metrics import observe_committed_waits
from services.transfers.entrypoints.api import blp
from services.transfers.entrypoints.batches_api import blp as batches_blp
from services.transfers.entrypoints.consumer import (
    ALERT_HANDLERS,
    apply_complaint_event,
    apply_erased_event,
    apply_household_event,
    apply_household_events,
    apply_review_event,
)
from services.transfers.entrypoints.decisions_api import blp as decisions_blp
from services.transfers.entrypoints.grievances_api import blp as grievances_blp
from services.transfers.entrypoints.hazard_events_api import blp as hazard_events_blp
from services.transfers.entrypoints.messages_es import CATALOGUE
from services.transfers.entrypoints.monitoring_api import blp as monitoring_blp
from services.transfers.entrypoints.programmes_api import blp as programmes_blp
from services.transfers.service_layer.deciding import LateHouseholdsWorker
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.audit import AuditLog
from shared.audit_api import blp as audit_blp
from shared.config import ServiceSettings
from shared.contracts.households import (
    HOUSEHOLD_COMPLAINT,
    HOUSEHOLD_ERASED,
    HOUSEHOLD_EVENT_TYPES,
    HOUSEHOLD_REVIEW,
)
from shared.kafka import ALERTS, EXPOSURES, HOUSEHOLDS
from shared.runner import Worker
from shared.service import Runtime, build_runtime
from shared.web import build_app

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
CONSUMER_GROUP = "transfers.household-attributes"
DECISIONS_GROUP = "transfers.decisions"


#: What the household consumer does with each event type of ``registry.households``.
HOUSEHOLD_HANDLERS = {t: apply_household_event for t in HOUSEHOLD_EVENT_TYPES} | {
    HOUSEHOLD_REVIEW: apply_review_event,
    HOUSEHOLD_COMPLAINT: apply_complaint_event,
    HOUSEHOLD_ERASED: apply_erased_event,
}
#: Runs of these are applied together (an erasure, rare, alone: it reaches the grievances too).
HOUSEHOLD_RUNS = {t: apply_household_events for t in HOUSEHOLD_EVENT_TYPES if t != HOUSEHOLD_ERASED}


def bootstrap(settings: ServiceSettings) -> Runtime:
    """Connect and migrate the database, wire the relay, the household consumer and the consumer
    that decides on alerts and exposures."""
    runtime = build_runtime(settings, MIGRATIONS, outbox, inbox)
    runtime.add_relay()
    observe_committed_waits(runtime.session_factory, runtime.metrics)
    runtime.add_consumer(
        CONSUMER_GROUP,
        [HOUSEHOLDS.name],
        HOUSEHOLD_HANDLERS,
        HOUSEHOLD_RUNS,
    )
    runtime.add_consumer(DECISIONS_GROUP, [ALERTS.name, EXPOSURES.name], ALERT_HANDLERS)
    late = LateHouseholdsWorker(lambda: TransfersUnitOfWork(runtime.session_factory, runtime.outbox))
    runtime.workers.append(Worker("late-households", late.run))
    return runtime


def create_app(runtime: Runtime) -> Flask:
    """Build the transfers service's Flask app around a bootstrapped runtime."""
    app, api = build_app(
        service="transfers",
        title="Amparo transfers",
        version="v1",
        description="Emergency cash-transfer eligibility, approval and payment instructions.",
        metrics=runtime.metrics,
        readiness_checks=runtime.readiness_checks,
        verifier=runtime.verifier,
        audit=AuditLog(runtime.session_factory, audit),
        spanish=CATALOGUE,
    )
    app.extensions["amparo.runtime"] = runtime
    api.register_blueprint(blp)
    api.register_blueprint(audit_blp)
    api.register_blueprint(programmes_blp)
    api.register_blueprint(batches_blp)
    api.register_blueprint(decisions_blp)
    api.register_blueprint(monitoring_blp)
    api.register_blueprint(hazard_events_blp)
    api.register_blueprint(grievances_blp)
    return app
