"""The alerts service's app factory and wiring."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask

from services.alerts.adapters.feed_files import read_feed
from services.alerts.adapters.feed_http import FeedClient
from services.alerts.adapters.orm import audit, inbox, outbox
from services.alerts.entrypoints.alerts_api import blp as alerts_blp
from services.alerts.entrypoints.alerts_api import footprints as footprints_blp
from services.alerts.entrypoints.alerts_api import layers as layers_blp
from services.alerts.entrypoints.api import blp
from services.alerts.entrypoints.consumer import apply_household_event, apply_household_events, ignore_review
from services.alerts.entrypoints.feeds_api import blp as feeds_blp
from services.alerts.entrypoints.feeds_api import senders_blp
from services.alerts.entrypoints.messages_es import CATALOGUE
from services.alerts.entrypoints.settings import indexes_every_household
from services.alerts.service_layer.alerts import ExpiryWorker, load_layer
from services.alerts.service_layer.feeds import FeedReader
from services.alerts.service_layer.indexing import Indexing
from services.alerts.service_layer.parts import ExposureMatcher
from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork
from shared.audit import AuditLog
from shared.audit_api import blp as audit_blp
from shared.config import ServiceSettings
from shared.contracts.households import HOUSEHOLD_COMPLAINT, HOUSEHOLD_EVENT_TYPES, HOUSEHOLD_REVIEW
from shared.kafka import HOUSEHOLDS
from shared.outbox import RelayLease
from shared.partitions import PartitionAssignment
from shared.runner import Worker
from shared.service import Runtime, build_runtime
from shared.web import build_app

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
CONSUMER_GROUP = "alerts.household-locations"


def bootstrap(settings: ServiceSettings) -> Runtime:
    """Connect and migrate the database, wire the relay, the household consumer and the matcher
    of this instance's share of exposures."""
    runtime = build_runtime(settings, MIGRATIONS, outbox, inbox)
    assignment = PartitionAssignment()
    indexing = Indexing(
        instance=settings.consumer_instance_id,
        assignment=assignment,
        whole=indexes_every_household(settings),
    )
    runtime.extensions["indexing"] = indexing
    runtime.readiness_checks["partitions"] = indexing.check

    def new_uow(read_only: bool = False) -> AlertsUnitOfWork:
        return AlertsUnitOfWork(
            runtime.session_factory, runtime.outbox, read_only=read_only, indexing=indexing
        )

    seed_reference_layer(new_uow())
    runtime.add_relay()
    runtime.workers.append(Worker("alert-expiry", ExpiryWorker(new_uow).run))
    runtime.workers.append(Worker("exposure-matcher", ExposureMatcher(new_uow).run))
    reader = FeedReader(new_uow, FeedClient(), read_feed, RelayLease(runtime.engine, "alerts-feeds"))
    runtime.workers.append(Worker("feed-reader", reader.run))
    runtime.add_consumer(
        CONSUMER_GROUP,
        [HOUSEHOLDS.name],
        {t: apply_household_event for t in HOUSEHOLD_EVENT_TYPES}
        | {HOUSEHOLD_REVIEW: ignore_review, HOUSEHOLD_COMPLAINT: ignore_review},
        {t: apply_household_events for t in HOUSEHOLD_EVENT_TYPES},
        assignment=assignment,
    )
    return runtime


BUNDLED_LAYER = Path(__file__).resolve().parent.parent / "data" / "iso3166-2-bz-do-gt-hn.geojson"


def seed_reference_layer(uow: AlertsUnitOfWork) -> None:
    """Load the bundled ISO 3166-2 layer the first time, so geocodes resolve out of the box.

    An operator replaces or adds layers with ``POST /v1/admin-areas``.
    """
    with uow:
        if uow.admin.schemes():
            return
    load_layer(json.loads(BUNDLED_LAYER.read_text()), "ISO3166-2", "ISO3166-2", uow)


def create_app(runtime: Runtime) -> Flask:
    """Build the alerts service's Flask app around a bootstrapped runtime."""
    app, api = build_app(
        service="alerts",
        title="Amparo alerts",
        version="v1",
        description="CAP alerts and hazard footprints matched to where households live.",
        metrics=runtime.metrics,
        readiness_checks=runtime.readiness_checks,
        verifier=runtime.verifier,
        audit=AuditLog(runtime.session_factory, audit),
        spanish=CATALOGUE,
    )
    app.extensions["amparo.runtime"] = runtime
    api.register_blueprint(blp)
    api.register_blueprint(audit_blp)
    api.register_blueprint(alerts_blp)
    api.register_blueprint(layers_blp)
    api.register_blueprint(footprints_blp)
    api.register_blueprint(feeds_blp)
    api.register_blueprint(senders_blp)
    return app
