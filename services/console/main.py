"""``python -m services.console``: serve the console and the field app."""

from services.console.app import ConsoleSettings, create_app
from shared.logs import configure_logging
from shared.runner import serve


def main() -> None:
    settings = ConsoleSettings.from_environ()
    configure_logging("console", "INFO")
    serve(create_app(settings), settings.host, settings.port, [])
