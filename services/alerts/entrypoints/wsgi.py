"""The alerts service under gunicorn: `gunicorn 'services.alerts.entrypoints.wsgi:application()'`."""

from flask import Flask

from services.alerts.entrypoints.app import bootstrap, create_app
from services.alerts.entrypoints.settings import OWN
from shared.runner import wsgi_application


def application() -> Flask:
    """Build the app and start this process's relay and consumers (once per worker process)."""
    app: Flask = wsgi_application("alerts", bootstrap, create_app, OWN)
    return app
