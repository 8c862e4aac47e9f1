"""The registry service under gunicorn: `gunicorn 'services.registry.entrypoints.wsgi:application()'`."""

from flask import Flask

from services.registry.entrypoints.app import bootstrap, create_app
from services.registry.entrypoints.settings import OWN
from shared.runner import wsgi_application


def application() -> Flask:
    """Build the app and start this process's relay and consumers (once per worker process)."""
    app: Flask = wsgi_application("registry", bootstrap, create_app, OWN)
    return app
