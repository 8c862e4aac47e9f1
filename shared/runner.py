"""One service process: the HTTP API under waitress plus its background workers (outbox relay,
event consumers), stopped together on SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from waitress.server import create_server

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Worker:
    """A background loop: ``run(stop)`` returns once ``stop`` is set."""

    name: str
    run: Callable[[threading.Event], None]


def serve(app: Any, host: str, port: int, workers: Sequence[Worker], *, threads: int = 8) -> None:
    """Serve ``app`` and run ``workers`` until the process is asked to stop.

    A worker that dies of an unexpected error stops the whole process (non-zero exit through
    the re-raised error), so a supervisor restarts it rather than leaving a half-working service.
    """
    stop = threading.Event()
    server = create_server(app, host=host, port=port, threads=threads, clear_untrusted_proxy_headers=True)
    failures: list[BaseException] = []

    def run_worker(worker: Worker) -> None:
        try:
            worker.run(stop)
        except BaseException as exc:  # noqa: BLE001 - reported and re-raised in the main thread
            log.exception("worker %s died", worker.name)
            failures.append(exc)
            stop.set()
            server.close()

    def request_stop(signum: int, _frame: Any) -> None:
        log.info("stopping on signal %s", signal.Signals(signum).name)
        stop.set()
        server.close()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    threads_started = [
        threading.Thread(target=run_worker, args=(w,), name=w.name, daemon=True) for w in workers
    ]
    for thread in threads_started:
        thread.start()
    log.info("listening on http://%s:%s", host, server.effective_port, extra={"port": server.effective_port})
    try:
        server.run()
    except OSError:
        if not stop.is_set():
            raise
    finally:
        stop.set()
        for thread in threads_started:
            thread.join(timeout=15)
    if failures:
        raise failures[0]


def run_service(service: str, bootstrap: Callable[[Any], Any], create_app: Callable[[Any], Any]) -> None:
    """Entry point of a service process: settings, logging, wiring, then :func:`serve`.

    A configuration error is printed as one clear message and the process exits with status 2.
    """
    import sys

    from shared.config import ConfigError, ServiceSettings
    from shared.logs import configure_logging

    try:
        settings = ServiceSettings.from_environ(service)
    except ConfigError as exc:
        print(f"amparo {service}: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    configure_logging(service, settings.log_level)
    log.info("starting with %r", settings)
    runtime = bootstrap(settings)
    app = create_app(runtime)
    serve(app, settings.host, settings.port, runtime.workers)
