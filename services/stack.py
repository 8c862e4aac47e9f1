"""The embedded stack: the broker and the three services as separate processes under one folder.

``amparo up`` uses it; so do the integration tests, which kill and restart its processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from services.console.app import CONSOLE_PORT
from services.registry.adapters.protection import new_key
from shared.auth import DevIssuer
from shared.broker import EmbeddedBroker, free_port
from shared.config import DEFAULT_PORTS, SERVICES
from shared.kafka import declared_topics

Progress = Callable[[str], None]


class StackError(RuntimeError):
    """A part of the stack failed to start; the message says which and where its log is."""


@dataclass
class ServiceProcess:
    """One service running as ``python -m services.<name>``, logging to ``log_path``."""

    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> ServiceProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.name}"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until ``/readyz`` answers 200.

        :raise StackError: if the process exits or is not ready within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise StackError(
                    f"{self.name} exited with code {self.process.returncode}; see {self.log_path}\n"
                    + _tail(self.log_path)
                )
            try:
                response = requests.get(f"{self.url}/readyz", timeout=2)
                if response.status_code == 200:
                    return
                last = response.text
            except requests.RequestException as exc:
                last = str(exc)
            time.sleep(0.2)
        raise StackError(f"{self.name} not ready after {timeout}s ({last}); see {self.log_path}")

    def stop(self, timeout: float = 40.0) -> None:
        """Ask the service to stop (SIGTERM), then kill it after ``timeout`` seconds."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> int:
        """SIGKILL the process (no clean-up at all) and return its exit code."""
        assert self.process is not None
        self.process.kill()
        return self.process.wait()


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Stack:
    """The broker, the three services and the console, sharing one data folder.

    Parameters
    ----------
    data_dir
        Databases (``<service>.db``), the dev issuer's keys and the logs (``logs/``) go here.
    ports
        HTTP port per service (defaults 8101–8103, the console 8100); ``0`` picks a free one.
    database_urls
        Per-service database URL overrides (PostgreSQL, say).
    """

    data_dir: Path
    ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    broker_port: int | None = None
    database_urls: Mapping[str, str] = field(default_factory=dict)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    with_console: bool = True
    broker: EmbeddedBroker | None = None
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    #: Things running beside the stack for as long as it does (the demo's agency feed), each with
    #: a ``stop()``.
    companions: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()
        self.issuer = DevIssuer(self.data_dir / "dev-issuer")

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"

    def start(self, progress: Progress = lambda _: None) -> Stack:
        """Start everything and wait until each service is ready."""
        self.logs.mkdir(parents=True, exist_ok=True)
        progress("creating the local token issuer's keys and the registry's data keys")
        self.issuer.ensure_keys()
        self.ensure_registry_keys()
        progress("starting the embedded Kafka-protocol broker")
        self.broker = EmbeddedBroker(port=self.broker_port, log_path=self.logs / "broker.log").start()
        topics = {t.name: t.partitions for t in declared_topics()}
        self.broker.create_topics(topics)
        progress(f"broker ready on {self.broker.bootstrap_server} with {len(topics)} topics")
        for name in SERVICES:
            port = self.ports.get(name, DEFAULT_PORTS[name]) or free_port()
            self.services[name] = ServiceProcess(
                name, port, self.service_env(name, port), self.logs / f"{name}.log"
            )
            progress(f"starting {name} on http://127.0.0.1:{port}")
            self.services[name].start()
        for name, service in self.services.items():
            service.wait_ready()
            progress(f"{name} ready")
        if self.with_console:
            self.start_console(progress)
        return self

    def start_console(self, progress: Progress = lambda _: None) -> ServiceProcess:
        """Start the console (the decision console and the field app) beside the services."""
        port = self.ports.get("console", CONSOLE_PORT) or free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
        env.update(
            {
                "AMPARO_DATA_DIR": str(self.data_dir),
                "AMPARO_CONSOLE_PORT": str(port),
                "AMPARO_CONSOLE_ACCOUNTS_FILE": str(self.accounts_file),
                "AMPARO_DEV_ISSUER_DIR": str(self.issuer.folder),
                "PYTHONUNBUFFERED": "1",
                **{f"AMPARO_{name.upper()}_URL": s.url for name, s in self.services.items()},
            }
        )
        console = ServiceProcess("console", port, env, self.logs / "console.log").start()
        self.services["console"] = console
        console.wait_ready()
        progress(f"console ready on {console.url}")
        return console

    @property
    def accounts_file(self) -> Path:
        """Who may sign in to the console on this stack (see ``services.console.accounts``)."""
        return self.data_dir / "console-accounts.json"

    @property
    def key_files(self) -> dict[str, Path]:
        """The registry's encryption and hashing keys, one file each (mode 600)."""
        folder = self.data_dir / "keys"
        return {
            "AMPARO_REGISTRY_ENCRYPTION_KEY": folder / "registry-encryption.key",
            "AMPARO_REGISTRY_HASHING_KEY": folder / "registry-hashing.key",
        }

    def ensure_registry_keys(self) -> None:
        """Create the registry's keys once; later starts reuse them (losing them loses the data)."""
        for path in self.key_files.values():
            if path.exists():
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(new_key())

    def service_env(self, name: str, port: int) -> dict[str, str]:
        """The environment a service process runs with."""
        assert self.broker is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
        env.update(
            {
                "AMPARO_DATA_DIR": str(self.data_dir),
                "AMPARO_KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap_server,
                "AMPARO_JWKS_URL": self.issuer.jwks_url,
                f"AMPARO_{name.upper()}_PORT": str(port),
                "PYTHONUNBUFFERED": "1",
            }
        )
        if "registry" in self.services:
            env["AMPARO_REGISTRY_URL"] = self.services["registry"].url
        if "alerts" in self.services:
            env["AMPARO_ALERTS_URL"] = self.services["alerts"].url
        if name == "registry":
            env.update({f"{variable}_FILE": str(path) for variable, path in self.key_files.items()})
        if name in self.database_urls:
            env[f"AMPARO_{name.upper()}_DATABASE_URL"] = self.database_urls[name]
        env.update(self.extra_env)
        return env

    def url(self, name: str) -> str:
        return self.services[name].url

    def keep_alive(self, companion: Any) -> None:
        """Run ``companion`` beside the stack; it is stopped with it."""
        self.companions.append(companion)

    def stop(self) -> None:
        """Stop the services, then the broker, then what ran beside them."""
        for service in self.services.values():
            service.stop()
        if self.broker is not None:
            self.broker.stop()
        for companion in self.companions:
            companion.stop()
        self.companions.clear()

    def alive(self) -> dict[str, bool]:
        """Which parts are still running."""
        parts = {name: s.running for name, s in self.services.items()}
        parts["broker"] = bool(self.broker and self.broker.running)
        return parts
