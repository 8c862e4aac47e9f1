"""What every service process wires the same way: database, metrics, token verifier, readiness
checks and the outbox relay. Each service's ``bootstrap()`` builds on :func:`build_runtime`."""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.orm import Session, sessionmaker

from shared import db
from shared.auth import JwksSource, TokenVerifier
from shared.config import ServiceSettings, mask_url
from shared.inbox import BatchHandler, EventConsumer, EventHandler
from shared.kafka import make_consumer, make_producer
from shared.metrics import Metrics
from shared.outbox import OutboxRelay, RelayLease
from shared.partitions import PartitionAssignment
from shared.runner import Worker
from shared.web import ReadinessCheck


def broker_reachable(servers: Sequence[str], timeout: float = 1.0) -> None:
    """Raise ``ConnectionError`` unless at least one bootstrap server accepts a TCP connection."""
    errors = []
    for server in servers:
        host, _, port = server.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return
        except OSError as exc:
            errors.append(f"{server}: {exc.strerror or exc}")
    raise ConnectionError("no broker reachable (" + "; ".join(errors) + ")")


def connection_problems(settings: ServiceSettings, migrations_dir: Path) -> list[str]:
    """Reach what ``settings`` name — the database, the brokers, the token signing keys — and
    describe each that fails; ``[]`` when all answer. When migrations are left to ``amparo
    migrate``, a schema that is not the code's newest is a problem too."""
    problems = []
    engine = db.make_engine(settings.database_url, request_wait=5)
    try:
        db.ping(engine)
        if not settings.migrate_on_start:
            db.require_head(migrations_dir, engine)
    except db.SchemaNotCurrent as exc:
        problems.append(str(exc))
    except Exception as exc:  # noqa: BLE001 - whatever the driver raises is the answer
        problems.append(f"database {mask_url(settings.database_url)} cannot be reached: {_first_line(exc)}")
    finally:
        engine.dispose()
    try:
        broker_reachable(settings.kafka_bootstrap_servers, timeout=3.0)
    except ConnectionError as exc:
        problems.append(str(exc))
    try:
        if not JwksSource(settings.jwks_url).published_keys():
            problems.append(f"{settings.jwks_url} publishes no signing key")
    except Exception as exc:  # noqa: BLE001 - a file, HTTP or JSON error: each is the answer
        problems.append(f"token signing keys at {settings.jwks_url} cannot be read: {_first_line(exc)}")
    return problems


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@dataclass
class Runtime:
    """The wired parts of one service process."""

    settings: ServiceSettings
    engine: Engine
    session_factory: sessionmaker[Session]
    metrics: Metrics
    verifier: TokenVerifier
    outbox: Table
    inbox: Table
    readiness_checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    workers: list[Worker] = field(default_factory=list)
    #: Service-specific dependencies (the registry's protector and index, say), by name.
    extensions: dict[str, Any] = field(default_factory=dict)

    def add_relay(self) -> None:
        """Run the outbox relay in this process."""
        servers = self.settings.kafka_bootstrap_servers
        name = self.settings.service
        relay = OutboxRelay(
            self.session_factory,
            self.outbox,
            producer_factory=lambda: make_producer(servers, f"{name}-relay"),
            history_reader=lambda: _history_reader(servers, f"{name}-relay-history"),
            metrics=self.metrics,
            batch_size=self.settings.relay_batch_size,
            lease=RelayLease(self.engine, name),
        )
        self.workers.append(Worker("outbox-relay", relay.run))

    def add_consumer(
        self,
        group_id: str,
        topics: Sequence[str],
        handlers: Mapping[str, EventHandler],
        batch_handlers: Mapping[str, BatchHandler] | None = None,
        assignment: PartitionAssignment | None = None,
    ) -> None:
        """Consume ``topics`` as a member of ``group_id``, applying events through ``handlers``
        (through ``batch_handlers`` for the types that have a batch form); ``assignment`` follows
        the partitions the group gives this member."""
        servers = self.settings.kafka_bootstrap_servers
        name = self.settings.service
        consumer = EventConsumer(
            self.session_factory,
            self.inbox,
            handlers,
            consumer_factory=lambda: make_consumer(
                servers,
                group_id,
                topics,
                max_poll_interval_ms=self.settings.max_poll_interval_ms,
                client_id=f"{name}-consumer",
                instance_id=self.settings.consumer_instance_id or None,
            ),
            producer_factory=lambda: make_producer(servers, f"{name}-dead-letters"),
            metrics=self.metrics,
            batch_handlers=batch_handlers,
            assignment=assignment,
        )
        self.workers.append(Worker(f"consumer-{group_id}", consumer.run))


def _history_reader(servers: Sequence[str], client_id: str):  # type: ignore[no-untyped-def]
    from kafka import KafkaConsumer

    return KafkaConsumer(
        bootstrap_servers=list(servers),
        client_id=client_id,
        group_id=None,
        allow_auto_create_topics=False,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=10_000,
    )


def build_runtime(
    settings: ServiceSettings,
    migrations_dir: Path,
    outbox: Table,
    inbox: Table,
    *,
    engine_factory: Callable[..., Engine] = db.make_engine,
) -> Runtime:
    """Connect the database (migrating it first if configured), and build metrics and auth.

    :raise shared.db.SchemaNotCurrent: if migrations are left to ``amparo migrate`` and the
        database is not at the code's newest revision.
    """
    engine = engine_factory(
        settings.database_url,
        request_wait=settings.request_database_wait,
        background_wait=settings.background_database_wait,
    )
    if settings.migrate_on_start:
        db.upgrade(migrations_dir, engine)
    else:
        db.require_head(migrations_dir, engine)
    verifier = TokenVerifier(
        JwksSource(settings.jwks_url), issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    runtime = Runtime(
        settings=settings,
        engine=engine,
        session_factory=db.make_session_factory(engine),
        metrics=Metrics(settings.service),
        verifier=verifier,
        outbox=outbox,
        inbox=inbox,
    )
    runtime.readiness_checks["database"] = lambda: db.ping(engine)
    runtime.readiness_checks["broker"] = lambda: broker_reachable(settings.kafka_bootstrap_servers)
    return runtime
