"""One service process: the HTTP API under waitress plus its background workers (outbox relay,
event consumers), stopped together on SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
import time
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
    """Serve ``app`` and run ``workers`` until SIGTERM or SIGINT.

    The HTTP server and each worker run in their own threads; the main thread only waits. On a
    signal, the server stops accepting, requests in flight get up to 10 s to finish, and workers
    get up to 15 s to leave their loops. A worker that dies of an unexpected error stops the
    whole process with that error, so a supervisor restarts it rather than leaving a service
    half-working.
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

    def request_stop(signum: int, _frame: Any) -> None:
        log.info("stopping on signal %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    http = threading.Thread(target=server.run, name="http", daemon=True)
    background = [threading.Thread(target=run_worker, args=(w,), name=w.name, daemon=True) for w in workers]
    for thread in [http, *background]:
        thread.start()
    log.info("listening on http://%s:%s", host, server.effective_port, extra={"port": server.effective_port})
    while not stop.wait(0.5):
        if not http.is_alive():
            failures.append(RuntimeError("the HTTP server stopped"))
            break
    stop.set()
    _drain(server)
    http.join(timeout=2)
    deadline = time.monotonic() + 15
    for thread in background:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    if failures:
        raise failures[0]
    log.info("stopped")


def _drain(server: Any, timeout: float = 10.0) -> None:
    """Finish the requests in progress and send their answers before closing every connection."""
    server.accepting = False
    server.task_dispatcher.shutdown(cancel_pending=False, timeout=timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        channels = [c for c in list(server._map.values()) if hasattr(c, "total_outbufs_len")]
        if not any(c.total_outbufs_len for c in channels):
            break
        time.sleep(0.05)
    server.close()


def run_service(service: str, bootstrap: Callable[[Any], Any], create_app: Callable[[Any], Any]) -> None:
    """Entry point of a service process: settings, logging, wiring, then :func:`serve`.

    A configuration error is printed as one clear message and the process exits with status 2.
    """
    import sys

    from shared.config import ConfigError, ServiceSettings
    from shared.logs import configure_logging

    try:
        settings = ServiceSettings.from_environ(service)
        configure_logging(service, settings.log_level)
        log.info("starting with %r", settings)
        runtime = bootstrap(settings)
    except ConfigError as exc:
        print(f"amparo {service}: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    app = create_app(runtime)
    serve(app, settings.host, settings.port, runtime.workers)
