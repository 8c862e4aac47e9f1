"""The ``amparo`` command."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import click

from services.cli_feeds import feeds
from services.cli_registry import registry
from services.settings import settings_for, variables_for
from shared.auth import ROLES, DevIssuer
from shared.config import SERVICES, ConfigError, ServiceSettings

DATA_DIR = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("AMPARO_DATA_DIR", "var"),
    show_default="var",
    help="Folder for databases, keys and logs (AMPARO_DATA_DIR).",
)


@click.group()
def main() -> None:
    """Amparo: early warnings linked to emergency cash transfers."""


@main.command()
@DATA_DIR
@click.option(
    "--broker-port", type=int, default=None, help="Port of the embedded broker (a free one if unset)."
)
@click.option(
    "--demo/--no-demo",
    default=False,
    help="Load a country (households, programmes, a hurricane alert) and pay its first batch.",
)
@click.option(
    "--households",
    type=click.IntRange(1, 2_000_000),
    default=100_000,
    show_default=True,
    help="How many households the demo registers.",
)
@click.option("--exit-after-demo", is_flag=True, help="Stop the stack once the demo has run.")
@click.option("--free-ports", is_flag=True, help="Pick free HTTP ports instead of 8100–8103.")
def up(
    data_dir: Path,
    broker_port: int | None,
    demo: bool,
    households: int,
    exit_after_demo: bool,
    free_ports: bool,
) -> None:
    """Start the embedded broker, the three services and the console; Ctrl-C stops them all."""
    from services.demo import DemoError
    from services.demo.sms_gateway import demo_sms_provider
    from services.stack import Stack, StackError

    stack = Stack(data_dir=data_dir, broker_port=broker_port)
    if free_ports:
        stack.ports = dict.fromkeys((*SERVICES, "console"), 0)
    started = time.monotonic()

    def say(message: str) -> None:
        click.echo(f"[{time.monotonic() - started:5.1f}s] {message}")

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopping.set())
    connect_provider = demo_sms_provider(stack, say) if demo else (lambda: None)
    try:
        stack.start(progress=say)
        connect_provider()
        say("stack ready")
        for name in SERVICES:
            click.echo(f"  {name:<10} {stack.url(name)}   (API docs: {stack.url(name)}/docs)")
        click.echo(f"  console    {stack.url('console')}/   (field app: {stack.url('console')}/field/)")
        click.echo(f"  broker     {stack.broker.bootstrap_server if stack.broker else '?'}")
        click.echo(f"  logs       {stack.logs}")
        click.echo("  tokens     .venv/bin/amparo token --role field_staff --jurisdiction DO-11")
        if demo:
            from services import demo

            say(f"demo: the Dominican Republic, {households:,} households, Hurricane Fiona")
            demo.print_console(stack, demo.run(stack, households, say)["passwords"], click.echo)
        if exit_after_demo:
            return
        click.echo("Press Ctrl-C to stop.")
        while not stopping.is_set():
            dead = [name for name, alive in stack.alive().items() if not alive]
            if dead:
                raise StackError(f"stopped unexpectedly: {', '.join(dead)}; see {stack.logs}")
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except (StackError, DemoError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    finally:
        say("stopping")
        stack.stop()
        say("stopped")


@main.command()
@DATA_DIR
@click.option("--sub", "subject", default="dev-user", show_default=True, help="Subject (user id).")
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help="Role; repeatable."
)
@click.option(
    "--jurisdiction",
    multiple=True,
    default=["*"],
    show_default=True,
    help="Admin code the user may act in; repeatable; * for everywhere.",
)
@click.option("--ttl", type=int, default=3600, show_default=True, help="Lifetime in seconds.")
def token(
    data_dir: Path, subject: str, roles: tuple[str, ...], jurisdiction: tuple[str, ...], ttl: int
) -> None:
    """Mint a token from the local dev issuer (embedded stack only)."""
    issuer = DevIssuer(data_dir / "dev-issuer").ensure_keys()
    click.echo(issuer.mint(subject, roles, jurisdiction, ttl_seconds=ttl))


def _settings(service: str) -> ServiceSettings:
    try:
        return settings_for(service)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@main.group()
def outbox() -> None:
    """Inspect and replay a service's outbox."""


@outbox.command()
@click.option("--service", type=click.Choice(SERVICES), required=True)
@click.option("--since", required=True, help="ISO 8601 time with offset, e.g. 2026-11-22T00:00:00+00:00.")
@click.option("--topic", default=None, help="Only events of this topic.")
def replay(service: str, since: str, topic: str | None) -> None:
    """Publish again every event written since a point in time (consumers apply each once)."""
    from shared import db
    from shared.outbox import replay as replay_outbox

    try:
        moment = datetime.fromisoformat(since)
    except ValueError as exc:
        raise click.BadParameter(f"{since!r} is not an ISO 8601 time", param_hint="--since") from exc
    if moment.tzinfo is None:
        raise click.BadParameter("give a time zone offset, e.g. +00:00", param_hint="--since")
    settings = _settings(service)
    tables = _service_tables(service)
    engine = db.make_engine(settings.database_url)
    count = replay_outbox(db.make_session_factory(engine), tables, moment, topic)
    click.echo(f"{count} events of {service} queued for publishing again (the running relay sends them)")


def _service_tables(service: str):  # type: ignore[no-untyped-def]
    import importlib

    return importlib.import_module(f"services.{service}.adapters.orm").outbox


@main.command()
@click.option("--service", type=click.Choice(SERVICES), multiple=True, help="Default: all three.")
def migrate(service: tuple[str, ...]) -> None:
    """Apply pending schema migrations (forwards only)."""
    import importlib

    from shared import db

    for name in service or SERVICES:
        settings = _settings(name)
        migrations = Path(importlib.import_module(f"services.{name}").__file__).parent / "migrations"  # type: ignore[arg-type]
        engine = db.make_engine(settings.database_url)
        db.upgrade(migrations, engine)
        click.echo(f"{name}: schema at revision {db.current_revision(migrations, engine)}")


@main.group()
def projection() -> None:
    """Manage a service's copy of the registry's households."""


PROJECTIONS = {"alerts": "household_locations", "transfers": "household_attributes"}


@projection.command()
@click.option("--service", type=click.Choice(sorted(PROJECTIONS)), required=True)
@click.confirmation_option(prompt="Wipe the projection? It is empty until the registry's events are replayed")
def rebuild(service: str) -> None:
    """Wipe a projection and forget which household events it applied, to rebuild it from scratch.

    Then replay the registry's outbox (``amparo outbox replay --service registry --since …``):
    every household event is applied again, once.
    """
    import importlib

    from sqlalchemy import delete

    from shared import db
    from shared.kafka import HOUSEHOLDS

    orm = importlib.import_module(f"services.{service}.adapters.orm")
    table = getattr(orm, PROJECTIONS[service])
    engine = db.make_engine(_settings(service).database_url)
    with db.make_session_factory(engine).begin() as session:
        rows = session.execute(delete(table)).rowcount
        session.execute(delete(orm.inbox).where(orm.inbox.c.topic == HOUSEHOLDS.name))
    click.echo(
        f"{service}: {rows} households removed from {PROJECTIONS[service]}; now replay the registry's "
        "outbox, e.g. amparo outbox replay --service registry --since 1970-01-01T00:00:00+00:00"
    )


@main.group()
def audit() -> None:
    """Check a service's hash-chained audit log."""


@audit.command()
@click.option("--service", type=click.Choice(SERVICES), required=True)
def verify(service: str) -> None:
    """Walk the audit log's chain; exit 1 naming the first position where it breaks."""
    import importlib

    from shared import db
    from shared.audit import AuditLog

    engine = db.make_engine(_settings(service).database_url)
    tables = importlib.import_module(f"services.{service}.adapters.orm").audit
    try:
        found = AuditLog(db.make_session_factory(engine), tables).verify()
    finally:
        engine.dispose()
    if not found.intact:
        raise click.ClickException(
            f"{service}: audit log broken at {found.broken} ({found.entries} entries verified before it)"
        )
    click.echo(f"{service}: {found.entries} audit entries verified; the chain is intact")


main.add_command(feeds)
main.add_command(registry)


@main.command()
def keys() -> None:
    """Print a fresh pair of registry data keys (keep them safe: losing them loses the data)."""
    from services.registry.adapters.protection import new_key

    click.echo(f"AMPARO_REGISTRY_ENCRYPTION_KEY={new_key()}")
    click.echo(f"AMPARO_REGISTRY_HASHING_KEY={new_key()}")


@main.command("check-config")
@click.option("--service", type=click.Choice(SERVICES), multiple=True, help="Default: all three.")
@click.option(
    "--connect",
    is_flag=True,
    help="Also reach each database (and check its schema revision), the brokers and the signing keys.",
)
def check_config(service: tuple[str, ...], connect: bool) -> None:
    """Validate the settings in the environment; exit 1 naming every problem."""
    import importlib

    from shared.service import connection_problems

    problems = []
    for name in service or SERVICES:
        try:
            settings = settings_for(name)
        except ConfigError as exc:
            problems += [f"{name}: {problem}" for problem in exc.problems]
            continue
        if connect:
            migrations = importlib.import_module(f"services.{name}.entrypoints.app").MIGRATIONS
            found = connection_problems(settings, migrations)
            problems += [f"{name}: {problem}" for problem in found]
            if found:
                continue
        click.echo(
            f"{name}: settings valid" + ("; database, brokers and signing keys answer" if connect else "")
        )
    if problems:
        raise click.ClickException("\n  - ".join([f"{len(problems)} problem(s):", *problems]))


@main.command()
@click.option(
    "--replication",
    type=click.Choice(["production", "embedded"]),
    default="production",
    show_default=True,
    help="production: 3 replicas, min.insync.replicas=2; embedded: one broker, one copy.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the declaration as JSON.")
@click.option("--apply", is_flag=True, help="Create missing topics; report those that differ (exit 1).")
@click.option(
    "--bootstrap-servers",
    default=lambda: os.environ.get("AMPARO_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
    show_default="AMPARO_KAFKA_BOOTSTRAP_SERVERS",
    help="Comma-separated host:port list of the brokers (with --apply).",
)
@click.option(
    "--timeout",
    type=click.IntRange(1, 600),
    default=30,
    show_default=True,
    help="Seconds to wait for the brokers to answer (with --apply).",
)
def topics(replication: str, as_json: bool, apply: bool, bootstrap_servers: str, timeout: int) -> None:
    """Print the declared Kafka topics, or create them on a cluster (--apply)."""
    import json

    from shared.kafka import EMBEDDED, PRODUCTION, declared_topics

    shape = PRODUCTION if replication == "production" else EMBEDDED
    declared = declared_topics()
    if apply:
        from kafka.errors import KafkaError

        from shared.topic_admin import DIFFERS, apply_topics

        servers = [s.strip() for s in bootstrap_servers.split(",") if s.strip()]
        try:
            outcomes = apply_topics(servers, declared, shape, timeout_ms=timeout * 1000)
        except KafkaError as exc:
            raise click.ClickException(f"cannot apply the topics on {bootstrap_servers}: {exc}") from exc
        for outcome in outcomes:
            click.echo(outcome.describe())
        if any(o.state == DIFFERS for o in outcomes):
            raise click.ClickException("some topics differ from the declaration (shared/kafka.py)")
        return
    if as_json:
        rows = [
            {
                "name": t.name,
                "key": t.key,
                "partitions": t.partitions,
                "replication_factor": shape.factor,
                "configs": t.configs(shape),
            }
            for t in declared
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for t in declared:
        settings = ", ".join(f"{k}={v}" for k, v in t.configs(shape).items())
        shown = f"{t.partitions} partitions × {shape.factor} replicas"
        click.echo(f"{t.name:<26} key {t.key:<20} {shown}  {settings}")


@main.command()
def config() -> None:
    """List every setting, its variable and its default."""
    seen = set()
    for service in SERVICES:
        for variable in variables_for(service):
            if variable.name in seen:
                continue
            seen.add(variable.name)
            click.echo(f"{variable.name}={variable.default}\n    {variable.doc}")


@main.command()
@DATA_DIR
@click.option("--username", required=True, help="What the person types to sign in.")
@click.option("--name", required=True, help="Their name, as the console shows it.")
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help="Role; repeatable."
)
@click.option("--jurisdiction", multiple=True, required=True, help="Admin code they act in; repeatable.")
def account(
    data_dir: Path, username: str, name: str, roles: tuple[str, ...], jurisdiction: tuple[str, ...]
) -> None:
    """Add (or replace) a person who signs in to the embedded stack's console; prints a new password."""
    from services.console.accounts import (
        AccountError,
        new_account,
        new_password,
        read_accounts,
        write_accounts,
    )

    path = data_dir / "console-accounts.json"
    password = new_password()
    try:
        accounts = read_accounts(path)
        accounts[username] = new_account(username, name, roles, jurisdiction, password)
    except AccountError as exc:
        raise click.UsageError(str(exc)) from exc
    write_accounts(path, accounts.values())
    click.echo(
        f"{username}: {password}   ({', '.join(roles)} in {', '.join(jurisdiction)}; stored in {path})"
    )
