"""The transfers service under gunicorn: `gunicorn 'services.transfers.entrypoints.wsgi:application()'`."""

from flask import Flask

from services.transfers.entrypoints.app import bootstrap, create_app
from services.transfers.entrypoints.settings import OWN
from shared.runner import wsgi_application


def application() -> Flask:
    """Build the app and start this process's relay and consumers (once per worker process)."""
    app: Flask = wsgi_application("transfers", bootstrap, create_app, OWN)
    return app
