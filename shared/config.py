"""Settings read once from environment variables into a typed, validated object.

Every variable has a documented default; a bad value stops start-up with a message that names
the variable and what is wrong with it. Secrets are masked wherever settings are shown.

The settings every service shares are read here. A service's own variables and secrets are
declared by the service itself (an :class:`OwnSettings` in its ``entrypoints/settings.py``) and
handed to :meth:`ServiceSettings.from_environ`, which reads and checks them with the rest.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SERVICES = ("registry", "alerts", "transfers")
DEFAULT_PORTS = {"registry": 8101, "alerts": 8102, "transfers": 8103}


class ConfigError(ValueError):
    """Raised when one or more settings are invalid; ``problems`` lists each variable's fault."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(problems))


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``.

    Examples
    --------
    >>> mask_url("postgresql://amparo:s3cret@db:5432/registry")
    'postgresql://amparo:***@db:5432/registry'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class Variable:
    """One documented environment variable: its name, default and meaning."""

    name: str
    default: str
    doc: str


@dataclass(frozen=True)
class OwnVariable:
    """A variable only one service reads: its name, default and meaning, the key it is kept under
    in :attr:`ServiceSettings.own`, and how its text is read (``read`` raises ``ValueError`` with
    what is wrong, which start-up reports naming the variable)."""

    name: str
    default: str
    doc: str
    key: str
    read: Callable[[str], object] = str


@dataclass(frozen=True)
class OwnSettings:
    """What one service reads beyond the shared settings: its own variables, and the secrets it
    requires (no default: the variable, or ``<NAME>_FILE`` naming a file that holds it)."""

    variables: tuple[OwnVariable, ...] = ()
    #: Secret variable names, each with its meaning.
    secrets: Mapping[str, str] = field(default_factory=dict)


NO_OWN_SETTINGS = OwnSettings()


@dataclass(frozen=True)
class ServiceSettings:
    """Everything one service process needs, read from ``AMPARO_*`` variables.

    Build it with :meth:`from_environ`; never construct it from scattered ``os.environ`` reads.
    """

    service: str
    data_dir: Path
    database_url: str = field(repr=False)
    host: str
    port: int
    kafka_bootstrap_servers: tuple[str, ...]
    jwks_url: str
    jwt_issuer: str
    jwt_audience: str
    log_level: str
    max_poll_interval_ms: int
    relay_batch_size: int
    migrate_on_start: bool
    #: Seconds an HTTP request waits for the database (a SQLite write lock, a PostgreSQL connection)
    #: before it answers 503 with Retry-After: someone is waiting for the answer.
    request_database_wait: float = 5.0
    #: Seconds the outbox relay and the consumers wait for a SQLite write lock before they back off.
    background_database_wait: float = 30.0
    #: This instance's lasting name in its consumer groups (see :func:`shared.kafka.make_consumer`).
    consumer_instance_id: str = ""
    #: The service's own settings, read as its :class:`OwnSettings` declares them.
    own: Mapping[str, object] = field(default_factory=dict)
    #: The service's own secrets (the registry's encryption and hashing keys), never shown.
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if f.name not in ("database_url", "secrets")
        )
        return f"ServiceSettings({shown}, database_url={mask_url(self.database_url)!r})"

    @classmethod
    def variables(cls, service: str, own: OwnSettings = NO_OWN_SETTINGS) -> list[Variable]:
        """Return the documented variables of ``service`` (with ``own``, its own) and their defaults."""
        svc = service.upper()
        documented = [
            Variable("AMPARO_DATA_DIR", "./var", "Folder for the embedded stack's databases, keys and logs."),
            Variable(
                f"AMPARO_{svc}_DATABASE_URL",
                f"sqlite:///$AMPARO_DATA_DIR/{service}.db",
                "SQLAlchemy URL of the service's own database (SQLite in WAL mode, or "
                "postgresql+psycopg://…); or `…_FILE` naming a file that holds it (it carries the password).",
            ),
            Variable("AMPARO_HOST", "127.0.0.1", "Address the HTTP API listens on."),
            Variable(f"AMPARO_{svc}_PORT", str(DEFAULT_PORTS[service]), "Port of the service's HTTP API."),
            Variable(
                "AMPARO_KAFKA_BOOTSTRAP_SERVERS",
                "127.0.0.1:9092",
                "Comma-separated host:port list of the Kafka-protocol brokers.",
            ),
            Variable(
                "AMPARO_JWKS_URL",
                "file://$AMPARO_DATA_DIR/dev-issuer/jwks.json",
                "Where the token signing keys are published (https://… of the OIDC provider, or file://…).",
            ),
            Variable("AMPARO_JWT_ISSUER", "amparo-dev", "Expected `iss` of every token."),
            Variable("AMPARO_JWT_AUDIENCE", "amparo", "Expected `aud` of every token."),
            Variable("AMPARO_LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR."),
            Variable(
                "AMPARO_CONSUMER_MAX_POLL_INTERVAL_MS",
                "10000",
                "Kafka consumers' max_poll_interval_ms (1000–60000; larger values stall group joins).",
            ),
            Variable(
                "AMPARO_CONSUMER_INSTANCE_ID",
                "(host name:port)",
                "This instance's lasting name in its consumer groups: a restart takes its place back "
                "without a rebalance. Unique per running instance (a pod name, say).",
            ),
            Variable("AMPARO_RELAY_BATCH_SIZE", "500", "Outbox rows published per relay round (1–10000)."),
            Variable(
                "AMPARO_DATABASE_REQUEST_WAIT_SECONDS",
                "5",
                "Seconds an HTTP request waits for a database lock or connection before answering 503 "
                "with Retry-After (1–60).",
            ),
            Variable(
                "AMPARO_DATABASE_BACKGROUND_WAIT_SECONDS",
                "30",
                "Seconds the outbox relay and consumers wait for a SQLite write lock before retrying "
                "(1–600).",
            ),
            Variable(
                "AMPARO_MIGRATE_ON_START", "true", "Apply pending schema migrations when the service starts."
            ),
        ]
        documented += [Variable(v.name, v.default, v.doc) for v in own.variables]
        return documented + [Variable(name, "(required)", doc) for name, doc in own.secrets.items()]

    @classmethod
    def from_environ(
        cls, service: str, environ: Mapping[str, str] | None = None, own: OwnSettings = NO_OWN_SETTINGS
    ) -> ServiceSettings:
        """Read and validate the settings of ``service``, its ``own`` among them.

        :raise ConfigError: naming every invalid variable at once.
        """
        if service not in SERVICES:
            raise ConfigError([f"unknown service {service!r}; expected one of {', '.join(SERVICES)}"])
        env = os.environ if environ is None else environ
        svc = service.upper()
        problems: list[str] = []

        def get(name: str, default: str) -> str:
            return env.get(name, default).strip() or default

        def integer(name: str, default: int, low: int, high: int) -> int:
            raw = get(name, str(default))
            try:
                value = int(raw)
            except ValueError:
                problems.append(f"{name}={raw!r} is not a whole number")
                return default
            if not low <= value <= high:
                problems.append(f"{name}={value} is outside {low}–{high}")
            return value

        def secret(name: str) -> str:
            value = env.get(name, "").strip()
            path = env.get(name + "_FILE", "").strip()
            if not value and path:
                try:
                    value = Path(path).read_text().strip()
                except OSError as exc:
                    problems.append(f"{name}_FILE={path!r} cannot be read: {exc.strerror}")
            return value

        data_dir = Path(get("AMPARO_DATA_DIR", "./var")).resolve()
        database_url = secret(f"AMPARO_{svc}_DATABASE_URL") or f"sqlite:///{data_dir / (service + '.db')}"
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database_url):
            problems.append(
                f"AMPARO_{svc}_DATABASE_URL={mask_url(database_url)!r} must start with sqlite:// or postgresql://"
            )
        if database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

        servers = tuple(
            s.strip() for s in get("AMPARO_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092").split(",") if s.strip()
        )
        for server in servers:
            host, _, port = server.rpartition(":")
            if not host or not port.isdigit():
                problems.append(f"AMPARO_KAFKA_BOOTSTRAP_SERVERS entry {server!r} is not host:port")

        jwks_url = get("AMPARO_JWKS_URL", (data_dir / "dev-issuer" / "jwks.json").as_uri())
        if urlsplit(jwks_url).scheme not in ("file", "http", "https"):
            problems.append(f"AMPARO_JWKS_URL={jwks_url!r} must be a file://, http:// or https:// URL")

        log_level = get("AMPARO_LOG_LEVEL", "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            problems.append(f"AMPARO_LOG_LEVEL={log_level!r} is not DEBUG, INFO, WARNING or ERROR")

        migrate = get("AMPARO_MIGRATE_ON_START", "true").lower()
        if migrate not in ("true", "false", "1", "0", "yes", "no"):
            problems.append(f"AMPARO_MIGRATE_ON_START={migrate!r} is not true or false")

        own_values: dict[str, object] = {}
        for variable in own.variables:
            raw = get(variable.name, variable.default)
            try:
                own_values[variable.key] = variable.read(raw)
            except ValueError as exc:
                problems.append(f"{variable.name}={raw!r} {exc}")

        secrets: dict[str, str] = {}
        for name in own.secrets:
            value = secret(name)
            if not value:
                problems.append(f"{name} is required (or {name}_FILE); `amparo keys` prints fresh ones")
            secrets[name] = value

        http_port = integer(f"AMPARO_{svc}_PORT", DEFAULT_PORTS[service], 0, 65535)
        settings = cls(
            service=service,
            data_dir=data_dir,
            database_url=database_url,
            host=get("AMPARO_HOST", "127.0.0.1"),
            port=http_port,
            kafka_bootstrap_servers=servers,
            jwks_url=jwks_url,
            jwt_issuer=get("AMPARO_JWT_ISSUER", "amparo-dev"),
            jwt_audience=get("AMPARO_JWT_AUDIENCE", "amparo"),
            log_level=log_level,
            max_poll_interval_ms=integer("AMPARO_CONSUMER_MAX_POLL_INTERVAL_MS", 10000, 1000, 60000),
            relay_batch_size=integer("AMPARO_RELAY_BATCH_SIZE", 500, 1, 10000),
            migrate_on_start=migrate in ("true", "1", "yes"),
            request_database_wait=integer("AMPARO_DATABASE_REQUEST_WAIT_SECONDS", 5, 1, 60),
            background_database_wait=integer("AMPARO_DATABASE_BACKGROUND_WAIT_SECONDS", 30, 1, 600),
            consumer_instance_id=get("AMPARO_CONSUMER_INSTANCE_ID", "")
            or f"{socket.gethostname()}:{http_port}",
            own=own_values,
            secrets=secrets,
        )
        if problems:
            raise ConfigError(problems)
        return settings
