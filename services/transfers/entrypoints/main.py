"""``python -m services.transfers``: run the transfers service process."""

from services.transfers.entrypoints.app import bootstrap, create_app
from services.transfers.entrypoints.settings import OWN
from shared.runner import run_service


def main() -> None:
    run_service("transfers", bootstrap, create_app, OWN)
