"""The registry's app factory and wiring."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from services.registry.adapters.orm import inbox, outbox
from services.registry.entrypoints.api import blp
from shared.config import ServiceSettings
from shared.service import Runtime, build_runtime
from shared.web import build_app

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def bootstrap(settings: ServiceSettings) -> Runtime:
    """Connect and migrate the database and wire the outbox relay."""
    runtime = build_runtime(settings, MIGRATIONS, outbox, inbox)
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
    )
    app.extensions["amparo.runtime"] = runtime
    api.register_blueprint(blp)
    return app
