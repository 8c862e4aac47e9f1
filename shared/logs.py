"""Structured JSON logs that carry the correlation id through HTTP requests and Kafka events.

A correlation id follows one piece of work (a registration, an alert) across services: it comes
in on the ``X-Correlation-ID`` header or an event's ``correlationid`` attribute, lives in a
context variable while the work runs, and is stamped on every log line and every event written.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
_VALID_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def new_correlation_id() -> str:
    """Return a fresh correlation id (a random UUID)."""
    return str(uuid.uuid4())


def accept_correlation_id(value: str | None) -> str:
    """Return ``value`` if it is a usable correlation id, else a fresh one.

    Ids from outside are kept only when short and made of safe characters, so that a caller
    cannot inject line breaks or megabytes into every log line.
    """
    if value and _VALID_ID.match(value):
        return value
    return new_correlation_id()


def current_correlation_id() -> str | None:
    """Return the correlation id of the work in progress, if any."""
    return _correlation_id.get()


@contextlib.contextmanager
def correlation(correlation_id: str | None) -> Iterator[str]:
    """Run a block under ``correlation_id`` (a fresh one when ``None``)."""
    value = accept_correlation_id(correlation_id)
    token = _correlation_id.set(value)
    try:
        yield value
    finally:
        _correlation_id.reset(token)


def bind_correlation_id(correlation_id: str | None) -> contextvars.Token[str | None]:
    """Set the correlation id until :func:`unbind_correlation_id` is called with the token."""
    return _correlation_id.set(accept_correlation_id(correlation_id))


def unbind_correlation_id(token: contextvars.Token[str | None]) -> None:
    """Undo :func:`bind_correlation_id`."""
    _correlation_id.reset(token)


class JsonFormatter(logging.Formatter):
    """Format each record as one JSON object per line.

    Fields: ``time`` (UTC, ISO 8601), ``level``, ``service``, ``logger``, ``message``,
    ``correlation_id`` when one is bound, any ``extra=`` fields, and ``exception`` text.
    """

    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        correlation_id = getattr(record, "correlation_id", None) or current_correlation_id()
        if correlation_id:
            entry["correlation_id"] = correlation_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every log record of the process to stderr as JSON lines tagged with ``service``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("kafka", "waitress", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
