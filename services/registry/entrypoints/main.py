"""``python -m services.registry``: run the registry process."""

from services.registry.entrypoints.app import bootstrap, create_app
from services.registry.entrypoints.settings import OWN
from shared.runner import run_service


def main() -> None:
    run_service("registry", bootstrap, create_app, OWN)
