"""One service process: the HTTP API under waitress (or gunicorn, see :func:`wsgi_application`)
plus its background workers (outbox relay, event consumers), stopped together on SIGTERM or
SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from waitress.server import create_server

if TYPE_CHECKING:
    from shared.config import OwnSettings

log = logging.getLogger(__name__)
#: A gunicorn worker exiting with this status makes gunicorn stop instead of starting another.
GUNICORN_BOOT_ERROR = 3


@dataclass(frozen=True)
class Worker:
    """A background loop: ``run(stop)`` returns once ``stop`` is set."""

    name: str
    run: Callable[[threading.Event], None]


def start_workers(
    workers: Sequence[Worker], stop: threading.Event, failures: list[BaseException]
) -> list[threading.Thread]:
    """Run each worker in its own daemon thread until ``stop`` is set.

    A worker that dies of an unexpected error is logged, its error appended to ``failures``, and
    ``stop`` set, so that the others stop too.
    """

    def run_worker(worker: Worker) -> None:
        try:
            worker.run(stop)
        except BaseException as exc:  # noqa: BLE001 - reported to whoever watches ``failures``
            log.exception("worker %s died", worker.name)
            failures.append(exc)
            stop.set()

    threads = [threading.Thread(target=run_worker, args=(w,), name=w.name, daemon=True) for w in workers]
    for thread in threads:
        thread.start()
        log.info("worker %s started", thread.name)
    return threads


def join_workers(threads: Sequence[threading.Thread], timeout: float = 15.0) -> None:
    """Wait up to ``timeout`` seconds in all for the workers' threads to leave their loops."""
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))


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

    def request_stop(signum: int, _frame: Any) -> None:
        log.info("stopping on signal %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    http = threading.Thread(target=server.run, name="http", daemon=True)
    http.start()
    background = start_workers(workers, stop, failures)
    log.info("listening on http://%s:%s", host, server.effective_port, extra={"port": server.effective_port})
    while not stop.wait(0.5):
        if not http.is_alive():
            failures.append(RuntimeError("the HTTP server stopped"))
            break
    stop.set()
    _drain(server)
    http.join(timeout=2)
    join_workers(background)
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
    server.trigger.pull_trigger(lambda: _close_every_channel(server))


def _close_every_channel(server: Any) -> None:
    """Close the listener and every connection, from the server's own loop, which then ends at
    once (kept-alive connections would otherwise keep it polling)."""
    for channel in list(server._map.values()):
        if channel is not server and channel is not server.trigger:
            channel.close()
    server.close()


def run_service(
    service: str,
    bootstrap: Callable[[Any], Any],
    create_app: Callable[[Any], Any],
    own: OwnSettings | None = None,
) -> None:
    """Entry point of a service process: settings, logging, wiring, then :func:`serve`.

    A configuration error, or a database schema that is not the code's (when migrations are left
    to ``amparo migrate``), is printed as one clear message and the process exits with status 2.
    ``own`` is the service's :class:`~shared.config.OwnSettings`.
    """
    runtime = _bootstrap(service, bootstrap, own)
    app = create_app(runtime)
    serve(app, runtime.settings.host, runtime.settings.port, runtime.workers)


def wsgi_application(
    service: str,
    bootstrap: Callable[[Any], Any],
    create_app: Callable[[Any], Any],
    own: OwnSettings | None = None,
) -> Any:
    """A service's WSGI app for gunicorn, with the process's background workers running.

    Gunicorn calls it once in each worker process, after the fork (``'module:application()'``,
    without ``preload_app``), so every process that answers requests also runs the relay and the
    consumers, exactly once. Run one worker process with threads: consumer-group membership and
    the relay's lease are per process. At the process's exit the workers are stopped and given
    15 s; a worker that dies makes the process stop (SIGTERM to itself), and gunicorn starts a
    fresh one. Settings and schema errors end the worker with gunicorn's boot-error status, so
    gunicorn itself stops (status 3) instead of starting the same failing worker again and again.
    """
    import atexit
    import os

    runtime = _bootstrap(service, bootstrap, own, exit_status=GUNICORN_BOOT_ERROR)
    app = create_app(runtime)
    stop = threading.Event()
    failures: list[BaseException] = []
    threads = start_workers(runtime.workers, stop, failures)

    def stop_process_when_a_worker_dies() -> None:
        stop.wait()
        if failures:
            os.kill(os.getpid(), signal.SIGTERM)

    def stop_workers() -> None:
        stop.set()
        join_workers(threads)
        log.info("stopped")

    threading.Thread(target=stop_process_when_a_worker_dies, name="worker-watch", daemon=True).start()
    atexit.register(stop_workers)
    return app


def _bootstrap(
    service: str, bootstrap: Callable[[Any], Any], own: OwnSettings | None, exit_status: int = 2
) -> Any:
    """Settings, logging and wiring of a service process; exit with ``exit_status`` and one clear
    message if the settings are invalid or the database schema is not the code's."""
    import sys

    from shared.config import NO_OWN_SETTINGS, ConfigError, ServiceSettings
    from shared.db import SchemaNotCurrent
    from shared.logs import configure_logging

    try:
        settings = ServiceSettings.from_environ(service, None, own or NO_OWN_SETTINGS)
        configure_logging(service, settings.log_level)
        log.info("starting with %r", settings)
        return bootstrap(settings)
    except (ConfigError, SchemaNotCurrent) as exc:
        print(f"amparo {service}: {exc}", file=sys.stderr)
        raise SystemExit(exit_status) from exc
