"""``python -m services.alerts``: run the alerts service process."""

from services.alerts.entrypoints.app import bootstrap, create_app
from services.alerts.entrypoints.settings import OWN
from shared.runner import run_service


def main() -> None:
    run_service("alerts", bootstrap, create_app, OWN)
