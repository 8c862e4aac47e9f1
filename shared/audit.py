"""The append-only, hash-chained audit log every service keeps in its own database.

Each entry says who (``by``, ``role``) did what (``action``) to what (``subject_type``,
``subject_id``), with which ``outcome`` (``done`` or ``denied``) and why (``comment``). Its
``hash`` is the SHA-256 of a canonical serialisation of its content, its position and the hash of
the entry before it (``prev_hash``), so changing, removing, inserting or reordering stored entries
breaks the chain at a position :func:`verify` names. A one-row chain head holds the last position
and hash: it is updated in the same transaction as every append, which makes removing the last
entries detectable too, and its row lock (PostgreSQL; SQLite's write lock does the same) puts
concurrent appends one after the other.

The table shapes are versioned like :mod:`shared.messaging_schema`: a later change adds
``…_v2`` and leaves these as they were.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from shared.db import as_read, as_stored, reading
from shared.messaging_schema import Position

log = logging.getLogger(__name__)

#: The ``prev_hash`` of the first entry, and the head's hash while the log is empty.
GENESIS = "0" * 64
DONE = "done"
DENIED = "denied"
OUTCOMES = (DONE, DENIED)
#: The widest ``subject_id`` (a request path, for a refusal); longer values are cut.
SUBJECT_ID_LENGTH = 1024
ACTION_LENGTH = 255
HEAD_ID = 1
#: Columns that hold the chain rather than the entry's content.
CHAIN_COLUMNS = ("prev_hash", "hash")


class AuditError(RuntimeError):
    """The audit log cannot be appended to (its chain head is missing)."""


def _entry_columns(*, autoincrement: bool) -> list[Any]:
    return [
        Column("position", Position, primary_key=True, autoincrement=autoincrement),
        Column("subject_type", String(32), nullable=False),
        Column("subject_id", String(SUBJECT_ID_LENGTH), nullable=False),
        Column("action", String(ACTION_LENGTH), nullable=False),
        Column("from_state", String(32)),
        Column("to_state", String(32)),
        Column("by", String(255), nullable=False),
        Column("role", String(255)),
        Column("comment", Text),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("outcome", String(16), nullable=False, server_default=DONE),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
    ]


def _head_columns() -> list[Any]:
    return [
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("position", Position, nullable=False),
        Column("hash", String(64), nullable=False),
    ]


@dataclass(frozen=True)
class AuditTables:
    """A service's audit log as stored: its ``entries`` table and its one-row chain ``head``."""

    entries: Table
    head: Table


def audit_tables_v1(metadata: MetaData) -> AuditTables:
    """Declare the ``audit_log`` and ``audit_chain_head`` tables on a service's ``metadata``."""
    entries = Table("audit_log", metadata, *_entry_columns(autoincrement=False))
    Index("audit_by_subject", entries.c.subject_type, entries.c.subject_id)
    Index("audit_by_outcome", entries.c.outcome, entries.c.position)
    return AuditTables(entries, Table("audit_chain_head", metadata, *_head_columns()))


def create_audit_tables_v1(op: Any) -> None:
    """Create an empty audit log and its chain head from inside an Alembic migration."""
    op.create_table("audit_log", *_entry_columns(autoincrement=False))
    op.create_index("audit_by_subject", "audit_log", ["subject_type", "subject_id"])
    op.create_index("audit_by_outcome", "audit_log", ["outcome", "position"])
    create_chain_head_v1(op)


def create_chain_head_v1(op: Any) -> None:
    """Create the chain head over an empty log (position 0, :data:`GENESIS`)."""
    head = op.create_table("audit_chain_head", *_head_columns())
    op.bulk_insert(head, [{"id": HEAD_ID, "position": 0, "hash": GENESIS}])


def chain_entries(connection: Connection, tables: AuditTables) -> int:
    """Number the stored entries 1, 2, … in their order, chain them and set the head.

    For a log kept before it was chained (a migration runs it once). Returns the entries chained.
    """
    entries, head = tables.entries, tables.head
    previous = GENESIS
    count = 0
    rows = connection.execute(select(entries).order_by(entries.c.position)).mappings().all()
    for count, row in enumerate(rows, start=1):
        content = {**row, "position": count}
        digest = entry_hash(content, previous)
        connection.execute(
            update(entries)
            .where(entries.c.position == row["position"])
            .values(position=count, prev_hash=previous, hash=digest)
        )
        previous = digest
    connection.execute(update(head).where(head.c.id == HEAD_ID).values(position=count, hash=previous))
    return count


@dataclass(frozen=True)
class AuditEntry:
    """What happened, before it takes its place in the chain."""

    by: str
    action: str
    subject_type: str
    subject_id: str
    role: str | None = None
    outcome: str = DONE
    comment: str | None = None
    from_state: str | None = None
    to_state: str | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {self.outcome!r}")


def roles_text(roles: Any) -> str:
    """Several roles as one ``role`` value: sorted, space separated."""
    return " ".join(sorted(roles))


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_read(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # type: ignore[union-attr]
    return value


def entry_hash(content: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) of an entry's content and position, chained to ``prev_hash``.

    ``content`` maps column names to stored values; the chain columns in it are ignored. The
    serialisation is JSON with sorted keys, no spaces, times as UTC with microseconds.

    Examples
    --------
    >>> entry_hash({"position": 1, "by": "ana"}, GENESIS) == entry_hash({"by": "ana", "position": 1}, GENESIS)
    True
    >>> entry_hash({"position": 1, "by": "ana"}, GENESIS) == entry_hash({"position": 2, "by": "ana"}, GENESIS)
    False
    """
    document = {k: _canonical(v) for k, v in content.items() if k not in CHAIN_COLUMNS}
    document["prev_hash"] = prev_hash
    serialised = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(serialised.encode("utf-8")).hexdigest()


def append(session: Session, tables: AuditTables, entry: AuditEntry, *, at: datetime | None = None) -> int:
    """Append ``entry`` inside the caller's open transaction; return its position.

    The chain head is read under a row lock and moved in the same transaction, so the entry and
    the action it records commit together, and concurrent appends wait for each other.

    :raise AuditError: the chain head is missing (the log cannot be extended safely).
    """
    entries, head = tables.entries, tables.head
    last = session.execute(select(head).where(head.c.id == HEAD_ID).with_for_update()).first()
    if last is None:
        raise AuditError("the audit log has no chain head; run `amparo audit verify` and the migrations")
    position = int(last.position) + 1
    row = {
        "position": position,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id[:SUBJECT_ID_LENGTH],
        "action": entry.action[:ACTION_LENGTH],
        "from_state": entry.from_state,
        "to_state": entry.to_state,
        "by": entry.by,
        "role": entry.role,
        "comment": entry.comment,
        # Stored and hashed to the microsecond in UTC, as both databases give it back.
        "at": as_stored(at or datetime.now(UTC)),
        "outcome": entry.outcome,
    }
    digest = entry_hash(row, last.hash)
    session.execute(insert(entries).values(**row, prev_hash=last.hash, hash=digest))
    session.execute(update(head).where(head.c.id == HEAD_ID).values(position=position, hash=digest))
    return position


def append_alone(sessions: sessionmaker[Session], tables: AuditTables, entry: AuditEntry) -> int | None:
    """Append ``entry`` in a transaction of its own; log an error and return ``None`` if it fails.

    For refusals: the answer to the caller must not depend on whether the audit write succeeds.
    """
    try:
        with sessions.begin() as session:
            return append(session, tables, entry)
    except Exception:  # noqa: BLE001 - the refusal stands whatever happens to its record
        log.exception("audit entry not written: %s %s on %s", entry.outcome, entry.action, entry.subject_id)
        return None


@dataclass(frozen=True)
class ChainBreak:
    """Where the chain first breaks, and how."""

    position: int
    reason: str

    def __str__(self) -> str:
        return f"position {self.position}: {self.reason}"


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: how many entries hold together, and the first break if any."""

    entries: int
    broken: ChainBreak | None = None
    #: The hash of the last entry that holds together (:data:`GENESIS` for none): compare it with
    #: a copy of the head kept elsewhere.
    last_hash: str = GENESIS

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify(sessions: sessionmaker[Session], tables: AuditTables) -> Verification:
    """Walk the whole chain in one read snapshot and report the first place it breaks.

    Checks, entry by entry from position 1: no position is skipped, each entry's ``prev_hash`` is
    its predecessor's hash, each hash matches the entry's content; then that the chain head
    exists and names the last entry's position and hash.
    """
    with reading(sessions) as session:
        head = session.execute(select(tables.head).where(tables.head.c.id == HEAD_ID)).first()
        return walk(_rows(session, tables.entries), head)


def _rows(session: Session, entries: Table) -> Iterator[Any]:
    result = session.execute(
        select(entries).order_by(entries.c.position).execution_options(yield_per=5_000)
    ).mappings()
    yield from result


def walk(rows: Iterator[Any], head: Any) -> Verification:
    """Check ``rows`` (entries as mappings, by position) and the chain ``head`` (or ``None``)."""
    previous, expected = GENESIS, 1
    for row in rows:
        position = int(row["position"])
        if position < expected:
            return Verification(
                expected - 1, ChainBreak(position, "an entry stands before the chain's start")
            )
        if position > expected:
            missing = ChainBreak(
                expected,
                f"entry {expected} missing"
                if position == expected + 1
                else f"entries {expected}–{position - 1} missing",
            )
            return Verification(expected - 1, missing)
        if row["prev_hash"] != previous:
            changed = ChainBreak(
                position,
                "does not start from the chain's origin"
                if position == 1
                else f"does not follow entry {position - 1} (an entry before it was changed or replaced)",
            )
            return Verification(expected - 1, changed)
        if entry_hash(row, previous) != row["hash"]:
            return Verification(
                expected - 1, ChainBreak(position, "content changed (its hash does not match)")
            )
        previous, expected = row["hash"], expected + 1
    last = expected - 1
    if head is None:
        return Verification(last, ChainBreak(last + 1, "the chain head is missing"))
    if head.position < last:
        return Verification(
            last,
            ChainBreak(int(head.position) + 1, f"entries after the head (the head ends at {head.position})"),
        )
    if head.position > last:
        return Verification(
            last,
            ChainBreak(last + 1, f"entry missing: the head ends at {head.position}, the entries at {last}"),
        )
    if head.hash != previous:
        return Verification(last, ChainBreak(last, "the chain head's hash differs from the last entry's"))
    return Verification(last, last_hash=previous)


@dataclass(frozen=True)
class AuditFilter:
    """Which entries a reader asks for; ``None`` asks nothing of that column.

    ``action``, ``by``, ``subject_type``, ``subject_id`` and ``outcome`` are matched exactly;
    ``since`` and ``until`` bound ``at`` (from ``since``, before ``until``).
    """

    outcome: str | None = None
    action: str | None = None
    by: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def page(
    session: Session,
    entries: Table,
    *,
    limit: int,
    after: int | None = None,
    where: AuditFilter = AuditFilter(),
) -> list[dict[str, Any]]:
    """Entries newest first: ``limit`` of those ``where`` asks for, older than position ``after`` if given."""
    query = select(entries).order_by(entries.c.position.desc()).limit(limit)
    if after is not None:
        query = query.where(entries.c.position < after)
    for name in ("outcome", "action", "by", "subject_type", "subject_id"):
        value = getattr(where, name)
        if value is not None:
            query = query.where(entries.c[name] == value)
    if where.since is not None:
        query = query.where(entries.c.at >= as_stored(where.since))
    if where.until is not None:
        query = query.where(entries.c.at < as_stored(where.until))
    return [{**row, "at": as_read(row["at"])} for row in session.execute(query).mappings()]


@dataclass(frozen=True)
class AuditLog:
    """A service's audit log: where it is stored and the sessions to reach it."""

    sessions: sessionmaker[Session]
    tables: AuditTables

    def record_alone(self, entry: AuditEntry) -> int | None:
        """:func:`append_alone` on this log."""
        return append_alone(self.sessions, self.tables, entry)

    def verify(self) -> Verification:
        """:func:`verify` this log."""
        return verify(self.sessions, self.tables)

    def actions(self) -> list[tuple[str, int]]:
        """Every action the log holds with how many entries it has, the most frequent first (for
        choosing one to filter by)."""
        entries = self.tables.entries
        counted = func.count().label("entries")
        query = (
            select(entries.c.action, counted)
            .group_by(entries.c.action)
            .order_by(counted.desc(), entries.c.action)
        )
        with reading(self.sessions) as session:
            return [(action, count) for action, count in session.execute(query)]

    def page(
        self, *, limit: int, after: int | None = None, where: AuditFilter = AuditFilter()
    ) -> list[dict[str, Any]]:
        """:func:`page` through this log, newest first."""
        with reading(self.sessions) as session:
            return page(session, self.tables.entries, limit=limit, after=after, where=where)
