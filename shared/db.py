"""Database engines, sessions and migrations shared by the services.

SQLite runs in WAL mode with a busy timeout and ``BEGIN IMMEDIATE`` transactions, so the HTTP
threads, the outbox relay and the consumers of one process never trip over each other's write
locks. PostgreSQL is used as-is through psycopg 3.

How long database work waits for a lock (SQLite) or a new connection (PostgreSQL) depends on who
waits: work done while answering an HTTP request (:data:`ANSWERING_REQUEST` set) waits the
shorter *request wait*, then fails with an ``OperationalError`` the API answers as 503 with
Retry-After; the relay and the consumers wait the longer *background wait*, then back off and retry.
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

#: Execution option marking a connection's work as read-only (see :class:`shared.uow.UnitOfWork`).
READ_ONLY = "amparo_read_only"
#: True while the current thread answers an HTTP request (set by :mod:`shared.web`).
ANSWERING_REQUEST: ContextVar[bool] = ContextVar("amparo_answering_request", default=False)


def make_engine(
    url: str, *, request_wait: float = 5.0, background_wait: float = 30.0, **kwargs: Any
) -> Engine:
    """Create an engine for ``url`` with Amparo's connection rules.

    For SQLite the parent folder is created, WAL mode is set on every connection, and every
    transaction begins ``IMMEDIATE`` (takes the write lock up front, so a read-then-write
    transaction cannot fail half-way on a lock upgrade) after setting the busy timeout to
    ``request_wait`` seconds while answering a request, ``background_wait`` otherwise. For
    PostgreSQL, connections are checked before use and a new connection gives up after
    ``request_wait`` seconds (at least 2, libpq's least).
    """
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": background_wait, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            options = connection.get_execution_options()
            if options.get("isolation_level") == "AUTOCOMMIT":
                return  # a plain read (health checks): no transaction, no write lock
            wait_ms = round(1000 * (request_wait if ANSWERING_REQUEST.get() else background_wait))
            if connection.info.get("busy_timeout") != wait_ms:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={wait_ms}")
                connection.info["busy_timeout"] = wait_ms
            # Read-only work takes a snapshot without the write lock, so it never waits on writers.
            connection.exec_driver_sql("BEGIN" if options.get(READ_ONLY) else "BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if url.startswith("postgresql"):
        kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", max(2, round(request_wait)))
    return create_engine(url, **kwargs)


def as_stored(moment: datetime | None) -> datetime | None:
    """A time ready to store: in UTC (SQLite would drop the offset and keep the local clock time)."""
    return moment.astimezone(UTC) if moment is not None else None


def as_read(moment: datetime | None) -> datetime | None:
    """A stored time as read back: UTC, with its zone (SQLite hands it back without one)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def bulk_insert(session: Session, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows at once: the statement is compiled once and the driver runs it for every
    row (the per-row parameter processing of the ORM session costs more than the insert itself).

    Give plain values (``str``, ``int``, ``float``, ``bool``, ``None``), ``Decimal`` or
    timezone-aware ``datetime`` (stored in UTC).
    """
    if rows:
        bulk_insert_columns(session, table, {name: [row[name] for row in rows] for name in rows[0]})


def bulk_insert_columns(session: Session, table: Any, columns: Mapping[str, Sequence[Any]]) -> None:
    """:func:`bulk_insert` for data held by column (sequences of equal length)."""
    names = list(columns)
    if not names or len(columns[names[0]]) == 0:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _copy_columns(connection, table, columns)
        return
    compiled = table.insert().compile(dialect=connection.dialect, column_keys=names)
    order = compiled.positiontup or names
    # sqlite3 takes tuples in statement order, values as SQLite stores them.
    rows = zip(*(_sqlite_column(columns[n]) for n in order), strict=True)
    while chunk := list(itertools.islice(rows, 50_000)):
        connection.exec_driver_sql(compiled.string, chunk)


def _copy_columns(connection: Any, table: Any, columns: Mapping[str, Sequence[Any]]) -> None:
    """PostgreSQL's ``COPY … FROM STDIN`` in the session's transaction: psycopg adapts each
    Python value as it would a parameter, and the server parses rows without planning a statement
    each (several times faster than a prepared insert run for every row)."""
    quote = connection.dialect.identifier_preparer
    names = ", ".join(quote.quote(name) for name in columns)
    statement = f"COPY {quote.format_table(table)} ({names}) FROM STDIN"
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in zip(*columns.values(), strict=True):
                copy.write_row(row)
    finally:
        cursor.close()


def pages(session: Session, query: Any, size: int = 50_000) -> Iterator[Sequence[tuple[Any, ...]]]:
    """The rows of a large ``query`` a page at a time, each row a plain tuple of what the driver read.

    For reading many rows into columns: on SQLite straight from the driver (building SQLAlchemy's
    rows costs more than reading them), elsewhere through a server-side cursor. No result type is
    applied: select values a driver returns as they are (text, numbers; SQLite gives booleans as 0
    or 1), and bind plain values.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield from session.execute(query.execution_options(yield_per=size)).partitions()
        return
    # IN lists rendered as one parameter per value
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.string, [compiled.params[name] for name in compiled.positiontup or ()])
        while page := cursor.fetchmany(size):
            yield page
    finally:
        cursor.close()


def _sqlite_column(values: Sequence[Any]) -> Sequence[Any]:
    """A column converted the way SQLAlchemy's SQLite types bind it, when it needs converting."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, datetime | Decimal):
        # A column often repeats one value (the moment a batch was proposed): converted once.
        converted: dict[Any, Any] = {}
        return [converted[v] if v in converted else converted.setdefault(v, _for_sqlite(v)) for v in values]
    return values


def _for_sqlite(value: Any) -> Any:
    """What SQLAlchemy's SQLite types would have bound: UTC text for times, floats for decimals."""
    if isinstance(value, datetime):
        return as_stored(value).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")  # type: ignore[union-attr]
    if isinstance(value, Decimal):
        return float(value)
    return value


def hold_lock(session: Session, name: str) -> None:
    """Wait until no other transaction holds the lock called ``name``, then hold it until this
    transaction ends (commit or rollback).

    Work that must see everything done before it by other processes (two instances of a service
    deciding on one database) takes the lock before its first read: under PostgreSQL's READ
    COMMITTED every statement after the wait sees what the previous holder committed. On PostgreSQL
    this is a transaction-scoped advisory lock on a 64-bit key derived from ``name``; on SQLite it
    does nothing, since every writing transaction there begins ``IMMEDIATE`` and so already holds the
    database's only write lock.

    Parameters
    ----------
    session : Session
        A session inside the transaction that needs the lock.
    name : str
        What is locked, e.g. ``"transfers deciding incident-42"``.

    Examples
    --------
    >>> with sessions.begin() as session:  # doctest: +SKIP
    ...     hold_lock(session, "transfers deciding " + incident_id)
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})


def lock_key(name: str) -> int:
    """The signed 64-bit advisory-lock key PostgreSQL knows the lock ``name`` by."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def reading(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session for reads only. On SQLite it starts a deferred transaction, so it reads the last
    committed state without waiting for a writer (WAL); elsewhere it is a plain session."""
    with sessions() as session:
        session.connection(execution_options={READ_ONLY: True})
        yield session


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory the unit of work and the inbox use."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    """Run ``SELECT 1``; raise if the database cannot be reached."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("SELECT 1"))


def alembic_config(migrations_dir: Path, engine: Engine) -> Config:
    """Build an Alembic configuration for one service's migrations folder and engine.

    The version table is named after the service (``alembic_version_registry``), so even a
    database shared by mistake keeps each service's schema history apart.
    """
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["version_table"] = version_table(migrations_dir)
    config.attributes["engine"] = engine
    return config


def version_table(migrations_dir: Path) -> str:
    """Name of the table holding a service's schema revision."""
    return f"alembic_version_{Path(migrations_dir).parent.name}"


def upgrade(migrations_dir: Path, engine: Engine, revision: str = "head") -> None:
    """Apply a service's migrations up to ``revision`` (forwards only)."""
    command.upgrade(alembic_config(migrations_dir, engine), revision)


class SchemaNotCurrent(RuntimeError):
    """The database's schema is not the one this code was written for."""


def head_revision(migrations_dir: Path) -> str | None:
    """Return the newest revision among a service's migrations."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(migrations_dir)).get_current_head()


def require_head(migrations_dir: Path, engine: Engine) -> None:
    """Check that the database holds the schema of the code's newest migration.

    :raise SchemaNotCurrent: naming both revisions and what to run, if it is behind (or ahead:
        migrated by a newer release).
    """
    from alembic.script import ScriptDirectory

    service = Path(migrations_dir).parent.name
    head = head_revision(migrations_dir)
    current = current_revision(migrations_dir, engine)
    if current == head:
        return
    known = {script.revision for script in ScriptDirectory(str(migrations_dir)).walk_revisions()}
    if current is not None and current not in known:
        raise SchemaNotCurrent(
            f"the {service} database is at revision {current}, which this release does not know "
            f"(its newest is {head}): a newer release migrated it"
        )
    raise SchemaNotCurrent(
        f"the {service} database is at revision {current or 'none (empty)'}, this release needs {head}: "
        f"run `amparo migrate --service {service}` first"
    )


def current_revision(migrations_dir: Path, engine: Engine) -> str | None:
    """Return the service's schema revision in the database, or ``None`` if it has none yet."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": version_table(migrations_dir)}
        )
        return context.get_current_revision()
