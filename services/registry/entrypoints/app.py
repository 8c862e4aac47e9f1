"""The registry's app factory and wiring."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from services.registry.adapters.config_files import load_admin_reference, load_index
from services.registry.adapters.orm import audit, inbox, outbox
from services.registry.adapters.protection import AesGcmProtector, ProtectionError, decode_key
from services.registry.entrypoints.api import blp
from services.registry.entrypoints.assessments_api import blp as assessments_blp
from services.registry.entrypoints.duplicates_api import blp as duplicates_blp
from services.registry.entrypoints.imports_api import blp as imports_blp
from services.registry.entrypoints.messages_es import REGISTRY
from services.registry.entrypoints.rosters_api import blp as rosters_blp
from services.registry.entrypoints.settings import ENCRYPTION_KEY, HASHING_KEY
from services.registry.service_layer.common import Dependencies
from services.registry.service_layer.imports import recover_interrupted
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.audit import AuditLog
from shared.audit_api import blp as audit_blp
from shared.config import ConfigError, ServiceSettings
from shared.service import Runtime, build_runtime
from shared.web import build_app

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def bootstrap(settings: ServiceSettings) -> Runtime:
    """Check the keys, load the vulnerability index, connect and migrate, wire the relay.

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
    runtime.extensions["amparo.registry"] = Dependencies(
        protector=protector, index=load_index(), areas=load_admin_reference()
    )
    recover_interrupted(RegistryUnitOfWork(runtime.session_factory, runtime.outbox))
    runtime.add_relay()
    return runtime


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
        spanish=REGISTRY,
    )
    app.extensions["amparo.runtime"] = runtime
    app.extensions.update(runtime.extensions)
    api.register_blueprint(blp)
    api.register_blueprint(audit_blp)
    api.register_blueprint(imports_blp)
    api.register_blueprint(duplicates_blp)
    api.register_blueprint(assessments_blp)
    api.register_blueprint(rosters_blp)
    return app
