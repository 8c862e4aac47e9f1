"""The registry's app factory and wiring."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from services.registry.adapters.config_files import load_admin_reference, load_index
from services.registry.adapters.import_files import remove_import_folder
from services.registry.adapters.orm import audit, inbox, outbox
from services.registry.adapters.protection import AesGcmProtector, ProtectionError, decode_key
from services.registry.adapters.reference import StoredReference
from services.registry.adapters.sms import InfobipSms
from services.registry.domain.retention import RetentionPeriods
from services.registry.entrypoints.api import blp
from services.registry.entrypoints.assessments_api import blp as assessments_blp
from services.registry.entrypoints.consumer import message_requests_handler
from services.registry.entrypoints.duplicates_api import blp as duplicates_blp
from services.registry.entrypoints.imports_api import blp as imports_blp
from services.registry.entrypoints.messages_api import blp as messages_blp
from services.registry.entrypoints.messages_es import CATALOGUE
from services.registry.entrypoints.places_api import boundaries as boundaries_blp
from services.registry.entrypoints.places_api import weights as weights_blp
from services.registry.entrypoints.rosters_api import blp as rosters_blp
from services.registry.entrypoints.settings import ENCRYPTION_KEY, HASHING_KEY, snapshot_time
from services.registry.service_layer.common import Dependencies
from services.registry.service_layer.imports import recover_interrupted
from services.registry.service_layer.messages import MessageSender
from services.registry.service_layer.retention import RetentionWorker
from services.registry.service_layer.snapshots import DailyTime, SnapshotWorker
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.audit import AuditLog
from shared.audit_api import blp as audit_blp
from shared.config import ConfigError, ServiceSettings
from shared.contracts.messages import MESSAGES_REQUESTED
from shared.kafka import MESSAGES
from shared.outbox import RelayLease
from shared.runner import Worker
from shared.service import Runtime, build_runtime
from shared.web import build_app

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
MESSAGES_GROUP = "registry.messages"


def bootstrap(settings: ServiceSettings) -> Runtime:
    """Check the keys, load the vulnerability index, connect and migrate, wire the relay and the
    daily snapshot pass.

    :raise ConfigError: if a key is malformed.
    """
    try:
        protector = AesGcmProtector(
            decode_key(ENCRYPTION_KEY, settings.secrets[ENCRYPTION_KEY]),
            decode_key(HASHING_KEY, settings.secrets[HASHING_KEY]),
        )
    except ProtectionError as exc:
        raise ConfigError([str(exc)]) from exc
    runtime = build_runtime(settings, MIGRATIONS, outbox, inbox)
    served = load_admin_reference()
    stored = StoredReference(runtime.session_factory, load_index(), served)
    deps = Dependencies(
        protector=protector, index=stored, areas=stored, served=served, reference_changed=stored.forget
    )
    runtime.extensions["amparo.registry"] = deps

    def new_uow() -> RegistryUnitOfWork:
        return RegistryUnitOfWork(runtime.session_factory, runtime.outbox)

    recover_interrupted(new_uow())
    runtime.add_relay()
    daily = DailyTime.parse(snapshot_time(settings))
    passes = SnapshotWorker(new_uow, deps, daily, RelayLease(runtime.engine, "registry-snapshots"))
    runtime.workers.append(Worker("snapshot-pass", passes.run))
    periods = settings.own.get("retention") or RetentionPeriods()
    retention = RetentionWorker(
        new_uow,
        deps,
        periods,  # type: ignore[arg-type]
        lambda import_id: remove_import_folder(settings.data_dir, import_id),
        daily,
        RelayLease(runtime.engine, "registry-retention"),
    )
    runtime.workers.append(Worker("retention-pass", retention.run))
    runtime.add_consumer(
        MESSAGES_GROUP, [MESSAGES.name], {MESSAGES_REQUESTED: message_requests_handler(deps)}
    )
    provider = sms_provider(settings)
    if provider is not None:
        sender = MessageSender(new_uow, provider, deps, RelayLease(runtime.engine, "registry-messages"))
        runtime.workers.append(Worker("message-sender", sender.run))
    return runtime


def sms_provider(settings: ServiceSettings) -> InfobipSms | None:
    """The SMS provider the settings name (``None``: none; messages wait, queued)."""
    own = settings.own
    if not own.get("sms_url"):
        return None
    public = str(own.get("public_url") or "").rstrip("/")
    token = str(own.get("sms_webhook_token") or "")
    reports = f"{public}/v1/messages/delivery-reports?token={token}" if public and token else None
    return InfobipSms(
        str(own["sms_url"]), str(own.get("sms_api_key") or ""), str(own.get("sms_sender")), reports
    )


def create_app(runtime: Runtime) -> Flask:
    """Build the registry's Flask app around a bootstrapped runtime."""
    app, api = build_app(
        service="registry",
        title="Amparo registry",
        version="v1",
        description="Households registered by field staff: the social registry's source of truth.",
        metrics=runtime.metrics,
        readiness_checks=runtime.readiness_checks,
        verifier=runtime.verifier,
        audit=AuditLog(runtime.session_factory, audit),
        spanish=CATALOGUE,
    )
    app.extensions["amparo.runtime"] = runtime
    app.extensions.update(runtime.extensions)
    api.register_blueprint(blp)
    api.register_blueprint(audit_blp)
    api.register_blueprint(imports_blp)
    api.register_blueprint(duplicates_blp)
    api.register_blueprint(assessments_blp)
    api.register_blueprint(rosters_blp)
    api.register_blueprint(weights_blp)
    api.register_blueprint(boundaries_blp)
    api.register_blueprint(messages_blp)
    return app
